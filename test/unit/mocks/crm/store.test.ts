import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CrmStore, createMemoryStore, createSqliteStore } from '../../../../mocks/crm/store.js';
import type { Conversation } from '../../../../mocks/crm/types.js';

const dir = mkdtempSync(join(tmpdir(), 'wacrm-crm-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function conv(id: string, contactId: string, status: Conversation['status'] = 'open'): Conversation {
  return {
    id,
    contact_id: contactId,
    channel: 'whatsapp',
    status,
    handed_over: false,
    handover_id: null,
    message_count: 0,
    inbound_count: 0,
    outbound_count: 0,
    last_message_at: null,
    created_at: '2026-01-05T00:00:00.000Z',
    updated_at: '2026-01-05T00:00:00.000Z',
  };
}

let n = 0;
const stores: Array<[string, () => CrmStore]> = [
  ['memory', () => createMemoryStore()],
  ['sqlite', () => createSqliteStore(join(dir, `t${++n}.db`))],
];

describe.each(stores)('%s store', (_name, make) => {
  it('gets, updates and re-indexes documents', () => {
    const s = make();
    s.conversations.insert(conv('c1', 'ctc_a'));
    s.conversations.insert(conv('c2', 'ctc_a'));
    s.conversations.insert(conv('c3', 'ctc_b'));
    expect(s.conversations.get('c2')?.contact_id).toBe('ctc_a');
    expect(s.conversations.find('current', 'ctc_a').map((c) => c.id)).toEqual(['c1', 'c2']);
    const c1 = s.conversations.get('c1') as Conversation;
    c1.status = 'closed';
    s.conversations.update(c1);
    expect(s.conversations.find('current', 'ctc_a').map((c) => c.id)).toEqual(['c2']);
    expect(s.conversations.find('contact', 'ctc_a').map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(s.conversations.count()).toBe(3);
    expect(() => s.conversations.update(conv('nope', 'x'))).toThrow();
    s.close();
  });

  it('pages by sequence, with and without an index', () => {
    const s = make();
    for (let i = 0; i < 10; i++) s.conversations.insert(conv(`c${i}`, i % 2 ? 'odd' : 'even'));
    const p1 = s.conversations.page({ afterSeq: 0, limit: 4 });
    expect(p1.items.map((c) => c.id)).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(p1.more).toBe(true);
    const p2 = s.conversations.page({ afterSeq: p1.lastSeq, limit: 10 });
    expect(p2.items.map((c) => c.id)).toEqual(['c4', 'c5', 'c6', 'c7', 'c8', 'c9']);
    expect(p2.more).toBe(false);
    const odd1 = s.conversations.page({ afterSeq: 0, limit: 2, index: 'contact', key: 'odd' });
    expect(odd1.items.map((c) => c.id)).toEqual(['c1', 'c3']);
    const odd2 = s.conversations.page({ afterSeq: odd1.lastSeq, limit: 5, index: 'contact', key: 'odd' });
    expect(odd2.items.map((c) => c.id)).toEqual(['c5', 'c7', 'c9']);
    expect(s.conversations.slice(8, 5).map((c) => c.id)).toEqual(['c8', 'c9']);
    s.close();
  });

  it('keeps idempotency records bounded by age and count', () => {
    const s = make();
    for (let i = 0; i < 10; i++) {
      s.idempotency.put({ key: `k${i}`, fingerprint: 'f', statusCode: 201, body: '{}', epochMs: 1000 + i });
    }
    expect(s.idempotency.get('k3')?.statusCode).toBe(201);
    s.idempotency.prune(1003, 100);
    expect(s.idempotency.get('k2')).toBeUndefined();
    expect(s.idempotency.count()).toBe(7);
    s.idempotency.prune(0, 5);
    expect(s.idempotency.count()).toBe(5);
    expect(s.idempotency.get('k9')).toBeDefined();
    s.close();
  });

  it('clears everything', () => {
    const s = make();
    s.conversations.insert(conv('c1', 'a'));
    s.setMeta('seeded', '1');
    s.clear();
    expect(s.conversations.count()).toBe(0);
    expect(s.conversations.find('contact', 'a')).toEqual([]);
    expect(s.getMeta('seeded')).toBeUndefined();
    s.close();
  });
});

describe('sqlite store file', () => {
  it('keeps documents and counts across close and reopen', () => {
    const file = join(dir, 'reopen.db');
    const a = createSqliteStore(file);
    a.transaction(() => {
      a.conversations.insert(conv('c1', 'x'));
      a.setMeta('id_counter', '7');
    });
    a.close();
    const b = createSqliteStore(file);
    expect(b.conversations.count()).toBe(1);
    expect(b.conversations.find('current', 'x')[0]?.id).toBe('c1');
    expect(b.getMeta('id_counter')).toBe('7');
    b.close();
  });

  it('rolls back a failed transaction', () => {
    const s = createSqliteStore(join(dir, 'rollback.db'));
    expect(() =>
      s.transaction(() => {
        s.conversations.insert(conv('c1', 'x'));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(s.conversations.get('c1')).toBeUndefined();
    s.close();
  });

  it('refuses a file that is not a SQLite database, naming it', () => {
    const file = join(dir, 'not-a-db.txt');
    writeFileSync(file, 'hello, this is not sqlite '.repeat(100));
    expect(() => createSqliteStore(file)).toThrow(/not-a-db\.txt/);
  });
});
