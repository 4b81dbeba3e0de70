import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../../../kernel/clock.js';
import { api, contactWithConversation, testCrm } from './helpers.js';

let app: FastifyInstance;
let clock: VirtualClock;
beforeEach(() => {
  ({ app, clock } = testCrm());
});
afterEach(async () => {
  await app.close();
});

describe('Idempotency-Key', () => {
  it('replays the first answer byte for byte without writing again', async () => {
    const key = { 'idempotency-key': 'create-1' };
    const first = await api(app, 'POST', '/contacts', { phone: '+34612345678', name: 'Ana' }, key);
    expect(first.statusCode).toBe(201);
    clock.advance(1000);
    const second = await api(app, 'POST', '/contacts', { name: 'Ana', phone: '+34612345678' }, key);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect(app.crm.journal.query({ kind: 'contact.upserted' })).toHaveLength(1);
    expect(app.crm.stats()['idempotentReplays']).toBe(1);
    // Without the key the same body is an upsert (200), not a replay.
    const third = await api(app, 'POST', '/contacts', { phone: '+34612345678', name: 'Ana' });
    expect(third.statusCode).toBe(200);
  });

  it('answers 409 for the same key with a different body or path', async () => {
    const key = { 'idempotency-key': 'k' };
    await api(app, 'POST', '/contacts', { phone: '+34612345678' }, key);
    const other = await api(app, 'POST', '/contacts', { phone: '+34612345679' }, key);
    expect(other.statusCode).toBe(409);
    expect(other.json().error).toMatchObject({ code: 'conflict', details: [{ path: 'Idempotency-Key' }] });
    const { conversationId } = await contactWithConversation(app, '+447700900123');
    const otherPath = await api(
      app,
      'POST',
      `/conversations/${conversationId}/messages`,
      { phone: '+34612345678' },
      key,
    );
    expect(otherPath.statusCode).toBe(409);
  });

  it('does not store failures, so a retry with the same key can succeed', async () => {
    const key = { 'idempotency-key': 'retry-me' };
    const bad = await api(app, 'POST', '/contacts', { phone: 'nope' }, key);
    expect(bad.statusCode).toBe(422);
    const good = await api(app, 'POST', '/contacts', { phone: '+34612345678' }, key);
    expect(good.statusCode).toBe(201);
    app.crm.faults.add({ kind: 'error', code: 503, rate: 1 });
    const faulted = await api(
      app,
      'POST',
      '/contacts',
      { phone: '+34612345670' },
      { 'idempotency-key': 'f' },
    );
    expect(faulted.statusCode).toBe(503);
    app.crm.faults.clear();
    const after = await api(app, 'POST', '/contacts', { phone: '+34612345670' }, { 'idempotency-key': 'f' });
    expect(after.statusCode).toBe(201);
  });

  it('forgets keys after 24 hours', async () => {
    const key = { 'idempotency-key': 'old' };
    await api(app, 'POST', '/contacts', { phone: '+34612345678' }, key);
    clock.advance(24 * 3_600_000 + 1);
    const res = await api(app, 'POST', '/contacts', { phone: '+34612345679' }, key);
    expect(res.statusCode).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  it('rejects malformed keys naming the header', async () => {
    for (const bad of ['', 'x'.repeat(256), 'has space']) {
      const res = await api(app, 'POST', '/contacts', { phone: '+34612345678' }, { 'idempotency-key': bad });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json().error.details[0].path).toBe('Idempotency-Key');
    }
  });

  it('covers PATCH and message writes', async () => {
    const { contactId, conversationId } = await contactWithConversation(app);
    const p1 = await api(app, 'PATCH', `/contacts/${contactId}`, { name: 'A' }, { 'idempotency-key': 'p' });
    clock.advance(10);
    const p2 = await api(app, 'PATCH', `/contacts/${contactId}`, { name: 'A' }, { 'idempotency-key': 'p' });
    expect(p2.body).toBe(p1.body);
    const body = { direction: 'inbound', type: 'text', body: 'hola', wa_message_id: 'wamid.I' };
    await api(app, 'POST', `/conversations/${conversationId}/messages`, body, { 'idempotency-key': 'm' });
    await api(app, 'POST', `/conversations/${conversationId}/messages`, body, { 'idempotency-key': 'm' });
    expect(app.crm.messages()).toHaveLength(1);
    expect(app.crm.journal.query({ kind: 'message.created' })).toHaveLength(1);
  });
});
