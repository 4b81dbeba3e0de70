import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../kernel/clock.js';
import { Journal, type JournalEntry } from '../../../../mocks/shared/journal.js';

describe('Journal', () => {
  it('filters by kind, ids, phone, time and sequence, oldest first', () => {
    const clock = new VirtualClock();
    const j = new Journal('whatsapp', clock, 1000);
    for (let i = 0; i < 30; i++) {
      clock.advance(10);
      j.append(i % 2 ? 'status.emitted' : 'message.accepted', { wamid: `w${i % 3}`, to: `t${i % 4}` });
    }
    expect(j.query({ kind: 'status.emitted' })).toHaveLength(15);
    expect(j.query({ wamid: 'w1' }).every((e) => e.data['wamid'] === 'w1')).toBe(true);
    expect(j.query({ phone: 't2' })).toHaveLength(7);
    expect(j.query({ sinceMs: 100, untilMs: 200 }).map((e) => e.atMs)).toEqual([
      100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200,
    ]);
    expect(j.query({ afterSeq: 27 }).map((e) => e.seq)).toEqual([28, 29, 30]);
    expect(j.query({ limit: 2 }).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('keeps the newest `capacity` entries in order as a ring, counts the dropped, tells listeners of all', () => {
    const j = new Journal('crm', new VirtualClock(), 5);
    const seen: number[] = [];
    j.on('entry', (e: JournalEntry) => seen.push(e.seq));
    for (let i = 0; i < 12; i++) j.append('k', { i });
    expect(j.size()).toBe(5);
    expect(j.droppedCount).toBe(7);
    expect(j.query().map((e) => e.data['i'])).toEqual([7, 8, 9, 10, 11]);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    j.clear();
    expect(j.size()).toBe(0);
    expect(j.append('k', {}).seq).toBe(13);
    expect(j.query().map((e) => e.seq)).toEqual([13]);
  });

  it('appends in constant time when full', () => {
    const j = new Journal('crm', new VirtualClock(), 1000);
    for (let i = 0; i < 50_000; i++) j.append('k', { i });
    expect(j.size()).toBe(1000);
    expect(j.query({ limit: 1 })[0]?.data['i']).toBe(49_000);
  });

  it('keeps packed kinds as a reference, a string and three numbers, and builds their data when read', () => {
    const clock = new VirtualClock();
    const j = new Journal('whatsapp', clock, 4);
    let built = 0;
    j.definePacked('status.emitted', (ref, status, next, dueIn, code) => {
      built++;
      const msg = ref as { wamid: string; waId: string };
      const data: Record<string, unknown> = { wamid: msg.wamid, status, phone: msg.waId };
      if (!Number.isNaN(code)) data['errorCode'] = code;
      if (next >= 0) data['nextDueInMs'] = dueIn;
      return data;
    });
    const m1 = { wamid: 'w1', waId: '111' };
    const m2 = { wamid: 'w2', waId: '222' };
    clock.advance(5);
    j.appendPacked('status.emitted', m1, 'sent', 1, 250, Number.NaN);
    j.append('message.accepted', { wamid: 'w2', to: '222' });
    j.appendPacked('status.emitted', m2, 'failed', -1, 0, 131026);
    // Nothing is built while no one listens or reads.
    expect(built).toBe(0);
    expect(j.query({ wamid: 'w1' }).map((e) => [e.seq, e.atMs, e.kind, e.data])).toEqual([
      [1, 5, 'status.emitted', { wamid: 'w1', status: 'sent', phone: '111', nextDueInMs: 250 }],
    ]);
    expect(j.query({ phone: '222' }).map((e) => e.data)).toEqual([
      { wamid: 'w2', to: '222' },
      { wamid: 'w2', status: 'failed', phone: '222', errorCode: 131026 },
    ]);
    const heard: JournalEntry[] = [];
    j.on('entry', (e: JournalEntry) => heard.push(e));
    j.appendPacked('status.emitted', m1, 'delivered', -1, 0, Number.NaN);
    expect(heard.map((e) => [e.seq, e.source, e.data])).toEqual([
      [4, 'whatsapp', { wamid: 'w1', status: 'delivered', phone: '111' }],
    ]);
    // The ring overwrites packed and plain slots alike.
    j.appendPacked('status.emitted', m2, 'read', -1, 0, Number.NaN);
    expect(j.query().map((e) => e.seq)).toEqual([2, 3, 4, 5]);
    expect(() => j.append('status.emitted', {})).toThrow(/packed/);
    expect(() => j.appendPacked('other', m1, undefined, 0, 0, 0)).toThrow(/not packed/);
  });
});
