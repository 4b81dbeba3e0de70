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

const kinds = () => app.crm.journal.query().map((e) => e.kind);

describe('auth', () => {
  it('refuses a missing or wrong token with 401 and WWW-Authenticate, and journals it', async () => {
    const none = await app.inject({ method: 'GET', url: '/api/v1/contacts' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.json().error.code).toBe('unauthorized');
    expect(none.json().error.details[0].path).toBe('Authorization');
    const wrong = await app.inject({
      method: 'GET',
      url: '/api/v1/contacts',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    const basic = await app.inject({
      method: 'GET',
      url: '/api/v1/contacts',
      headers: { authorization: 'Basic dGVzdA==' },
    });
    expect(basic.statusCode).toBe(401);
    const last = app.crm.journal.query({ kind: 'api.request' }).at(-1);
    expect(last?.data).toMatchObject({
      method: 'GET',
      route: '/api/v1/contacts',
      statusCode: 401,
      errorCode: 'unauthorized',
    });
  });

  it('accepts the token case-insensitively on the scheme and sets rate-limit headers', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/contacts',
      headers: { authorization: 'bearer test-token' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-ratelimit-limit']).toBe('300');
    expect(res.headers['x-ratelimit-remaining']).toBe('299');
    expect(res.headers['x-request-id']).toBeTruthy();
  });
});

describe('contacts', () => {
  it('creates with 201 and defaults, then upserts the same phone with 200', async () => {
    const created = await api(app, 'POST', '/contacts', {
      phone: '+886912345678',
      name: '陳怡君',
      country: 'tw',
    });
    expect(created.statusCode).toBe(201);
    const c = created.json();
    expect(c).toMatchObject({
      name: '陳怡君',
      phone: '+886912345678',
      country: 'TW',
      consent: 'none',
      opted_out: false,
      lifecycle_stage: 'lead',
      tags: [],
      custom_fields: {},
      last_inbound_at: null,
    });
    expect(c.id).toMatch(/^ctc_/);
    // All 17 documented fields are always present.
    expect(Object.keys(c).sort()).toEqual(
      [
        'id',
        'name',
        'phone',
        'country',
        'language',
        'email',
        'company',
        'owner',
        'lifecycle_stage',
        'consent',
        'opted_out',
        'tags',
        'timezone',
        'last_inbound_at',
        'created_at',
        'updated_at',
        'custom_fields',
      ].sort(),
    );
    clock.advance(1000);
    const updated = await api(app, 'POST', '/contacts', { phone: '886912345678', consent: 'marketing' });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({
      id: c.id,
      consent: 'marketing',
      name: '陳怡君',
      phone: '+886912345678',
    });
    expect(updated.json().updated_at > c.updated_at).toBe(true);
    const upserts = app.crm.journal.query({ kind: 'contact.upserted' }).map((e) => e.data);
    expect(upserts).toEqual([
      { contactId: c.id, phone: '+886912345678', created: true },
      { contactId: c.id, phone: '+886912345678', created: false },
    ]);
  });

  it('finds a contact by stored phone, digits, E.164 or the national form', async () => {
    const dirty = await api(app, 'POST', '/contacts', {
      phone: '0912-345-678',
      country: 'TW',
      name: 'Dirty',
    });
    const clean = await api(app, 'POST', '/contacts', {
      phone: '+447700900123',
      country: 'GB',
      name: 'Clean',
    });
    for (const q of ['0912-345-678', '0912345678', '+886912345678', '886912345678', '+886 912 345 678']) {
      const res = await api(app, 'GET', `/contacts?phone=${encodeURIComponent(q)}`);
      expect(res.statusCode, q).toBe(200);
      expect(
        res.json().data.map((x: { id: string }) => x.id),
        q,
      ).toEqual([dirty.json().id]);
    }
    const byNational = await api(app, 'GET', `/contacts?phone=${encodeURIComponent('07700 900123')}`);
    expect(byNational.json().data[0].id).toBe(clean.json().id);
    const none = await api(app, 'GET', '/contacts?phone=%2B15551234567');
    expect(none.json()).toEqual({ data: [], next_cursor: null });
    const short = await api(app, 'GET', '/contacts?phone=12');
    expect(short.statusCode).toBe(400);
    expect(short.json().error.details[0].path).toBe('phone');
  });

  it('patches fields, merges custom fields and removes keys set to null', async () => {
    const c = (
      await api(app, 'POST', '/contacts', { phone: '+34612345678', custom_fields: { a: 1, b: 'x' } })
    ).json();
    const res = await api(app, 'PATCH', `/contacts/${c.id}`, {
      email: 'ana@example.com',
      opted_out: true,
      custom_fields: { a: null, c: true },
      timezone: 'Europe/Madrid',
      last_inbound_at: '2026-01-04T10:00:00+01:00',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      email: 'ana@example.com',
      opted_out: true,
      custom_fields: { b: 'x', c: true },
      timezone: 'Europe/Madrid',
      last_inbound_at: '2026-01-04T09:00:00.000Z',
    });
    expect(res.json().custom_fields).not.toHaveProperty('a');
    expect((await api(app, 'PATCH', '/contacts/ctc_nope', {})).statusCode).toBe(404);
    const ro = await api(app, 'PATCH', `/contacts/${c.id}`, { id: 'x', created_at: 'y' });
    expect(ro.statusCode).toBe(422);
    expect(ro.json().error.details.map((d: { path: string }) => d.path)).toEqual(['id', 'created_at']);
    expect(ro.json().error.details[0].message).toBe('is read-only');
  });

  it('paginates with cursors, oldest first, without gaps or repeats', async () => {
    for (let i = 0; i < 7; i++) app.crm.createContact({ phone: `+1201555010${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await api(app, 'GET', `/contacts?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().data.map((c: { phone: string }) => c.phone));
      cursor = res.json().next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `+1201555010${i}`));
    const bad = await api(app, 'GET', '/contacts?cursor=zzz');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('cursor');
    const badLimit = await api(app, 'GET', '/contacts?limit=500');
    expect(badLimit.json().error.details[0].path).toBe('limit');
  });

  it('adds and removes tags', async () => {
    const c = (await api(app, 'POST', '/contacts', { phone: '+34612345678', tags: ['vip'] })).json();
    const res = await api(app, 'POST', `/contacts/${c.id}/tags`, {
      tags: ['complaint', ' vip ', 'refund', 'complaint'],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      contact_id: c.id,
      tags: ['vip', 'complaint', 'refund'],
      added: ['complaint', 'refund'],
    });
    expect(app.crm.journal.query({ kind: 'tags.added' })[0]?.data).toEqual({
      contactId: c.id,
      tags: ['complaint', 'vip', 'refund'],
      added: ['complaint', 'refund'],
    });
    const del = await api(app, 'DELETE', `/contacts/${c.id}/tags/vip`);
    expect(del.json()).toEqual({ contact_id: c.id, tags: ['complaint', 'refund'], removed: true });
    const empty = await api(app, 'POST', `/contacts/${c.id}/tags`, { tags: [] });
    expect(empty.statusCode).toBe(422);
  });
});

describe('conversations and messages', () => {
  it('returns the open conversation, and a new one after closing', async () => {
    const { contactId, conversationId } = await contactWithConversation(app);
    const again = await api(app, 'POST', '/conversations', { contact_id: contactId });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(conversationId);
    expect((await api(app, 'POST', `/conversations/${conversationId}/close`)).json().status).toBe('closed');
    const fresh = await api(app, 'POST', '/conversations', { contact_id: contactId });
    expect(fresh.statusCode).toBe(201);
    expect(fresh.json().id).not.toBe(conversationId);
    const list = await api(app, 'GET', `/conversations?contact_id=${contactId}`);
    expect(list.json().data.map((c: { id: string }) => c.id)).toEqual([conversationId, fresh.json().id]);
    const unknown = await api(app, 'POST', '/conversations', { contact_id: 'ctc_x' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.details[0].path).toBe('contact_id');
  });

  it('stores messages, de-duplicates by wa_message_id and keeps counters', async () => {
    const { contactId, conversationId } = await contactWithConversation(app);
    const inbound = await api(app, 'POST', `/conversations/${conversationId}/messages`, {
      direction: 'inbound',
      type: 'text',
      body: '¿Dónde está mi pedido?',
      wa_message_id: 'wamid.IN1',
      at: '1767605400',
    });
    expect(inbound.statusCode).toBe(201);
    expect(inbound.json()).toMatchObject({
      status: 'received',
      at: '2026-01-05T09:30:00.000Z',
      contact_id: contactId,
    });
    const outbound = await api(app, 'POST', `/conversations/${conversationId}/messages`, {
      direction: 'outbound',
      type: 'template',
      template_name: 'order_confirmation',
      template_language: 'es_MX',
      template_params: ['Ana', 'A-1001'],
      wa_message_id: 'wamid.OUT1',
    });
    expect(outbound.statusCode).toBe(201);
    expect(outbound.json().status).toBeNull();
    const dup = await api(app, 'POST', `/conversations/${conversationId}/messages`, {
      direction: 'outbound',
      type: 'text',
      body: 'different',
      wa_message_id: 'wamid.OUT1',
    });
    expect(dup.statusCode).toBe(200);
    expect(dup.json().id).toBe(outbound.json().id);
    expect(dup.json().type).toBe('template');
    const conv = (await api(app, 'GET', `/conversations/${conversationId}`)).json();
    expect(conv).toMatchObject({ message_count: 2, inbound_count: 1, outbound_count: 1 });
    expect(app.crm.contact(contactId)?.last_inbound_at).toBe('2026-01-05T09:30:00.000Z');
    const created = app.crm.journal.query({ kind: 'message.created' }).map((e) => e.data);
    expect(created).toHaveLength(2);
    expect(created[1]).toEqual({
      messageId: outbound.json().id,
      conversationId,
      contactId,
      direction: 'outbound',
      waMessageId: 'wamid.OUT1',
      type: 'template',
      templateName: 'order_confirmation',
      templateParams: ['Ana', 'A-1001'],
    });
    const byWamid = await api(app, 'GET', '/messages?wa_message_id=wamid.IN1');
    expect(byWamid.json().data[0].id).toBe(inbound.json().id);
    expect(app.crm.messageByWaId('wamid.OUT1')?.id).toBe(outbound.json().id);
    const msgs = await api(app, 'GET', `/conversations/${conversationId}/messages`);
    expect(msgs.json().data).toHaveLength(2);
    expect((await api(app, 'GET', '/messages')).statusCode).toBe(400);
  });

  it('requires body for text and template_name for templates, and refuses closed conversations', async () => {
    const { conversationId } = await contactWithConversation(app);
    const res = await api(app, 'POST', `/conversations/${conversationId}/messages`, {
      direction: 'outbound',
      type: 'template',
      wa_message_id: 'w1',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([
      { path: 'template_name', message: 'is required for type template' },
    ]);
    await api(app, 'POST', `/conversations/${conversationId}/close`);
    const closed = await api(app, 'POST', `/conversations/${conversationId}/messages`, {
      direction: 'inbound',
      type: 'text',
      body: 'x',
      wa_message_id: 'w2',
    });
    expect(closed.statusCode).toBe(409);
    expect(closed.json().error.code).toBe('conflict');
  });

  it('appends statuses as written, last written wins, with timestamps and errors', async () => {
    const { conversationId } = await contactWithConversation(app);
    const m = (
      await api(app, 'POST', `/conversations/${conversationId}/messages`, {
        direction: 'outbound',
        type: 'text',
        body: 'hi',
        wa_message_id: 'wamid.S',
      })
    ).json();
    await api(app, 'POST', `/messages/${m.id}/statuses`, { status: 'sent', at: 1767605400 });
    await api(app, 'POST', `/messages/${m.id}/statuses`, { status: 'read', at: 1767605410 });
    const res = await api(app, 'POST', `/messages/${m.id}/statuses`, { status: 'delivered', at: 1767605405 });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('delivered');
    expect(res.json().status_history.map((s: { status: string; at: string }) => [s.status, s.at])).toEqual([
      ['sent', '2026-01-05T09:30:00.000Z'],
      ['read', '2026-01-05T09:30:10.000Z'],
      ['delivered', '2026-01-05T09:30:05.000Z'],
    ]);
    const failed = await api(app, 'POST', `/messages/${m.id}/statuses`, {
      status: 'failed',
      error: { code: 131026, title: 'Message undeliverable' },
    });
    expect(failed.json()).toMatchObject({ status: 'failed', error: { code: 131026 } });
    const wrongError = await api(app, 'POST', `/messages/${m.id}/statuses`, { status: 'read', error: 'x' });
    expect(wrongError.statusCode).toBe(422);
    expect(wrongError.json().error.details[0].path).toBe('error');
    expect(app.crm.journal.query({ kind: 'message.status' }).map((e) => e.data['status'])).toEqual([
      'sent',
      'read',
      'delivered',
      'failed',
    ]);
    expect(app.crm.journal.query({ kind: 'message.status' })[0]?.data).toEqual({
      messageId: m.id,
      waMessageId: 'wamid.S',
      status: 'sent',
      at: '2026-01-05T09:30:00.000Z',
    });
  });
});

describe('handovers and error logs', () => {
  it('queues a conversation once, with reason and time, and resolves it', async () => {
    const { contactId, conversationId } = await contactWithConversation(app);
    clock.advance(5000);
    const h = await api(app, 'POST', '/handovers', { conversation_id: conversationId, reason: 'complaint' });
    expect(h.statusCode).toBe(201);
    expect(h.json()).toMatchObject({
      conversation_id: conversationId,
      contact_id: contactId,
      reason: 'complaint',
      queue: 'human',
      status: 'queued',
      created_at: '2026-01-05T00:00:05.000Z',
    });
    const again = await api(app, 'POST', '/handovers', { conversation_id: conversationId, reason: 'other' });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(h.json().id);
    const conv = (await api(app, 'GET', `/conversations/${conversationId}`)).json();
    expect(conv).toMatchObject({ status: 'handed_over', handed_over: true, handover_id: h.json().id });
    expect(app.crm.journal.query({ kind: 'handover.created' }).map((e) => e.data)).toEqual([
      { handoverId: h.json().id, conversationId, contactId, reason: 'complaint' },
    ]);
    const queued = await api(app, 'GET', '/handovers?status=queued');
    expect(queued.json().data).toHaveLength(1);
    const resolved = await api(app, 'POST', `/handovers/${h.json().id}/resolve`);
    expect(resolved.json().status).toBe('resolved');
    expect((await api(app, 'GET', '/handovers?status=queued')).json().data).toHaveLength(0);
    expect((await api(app, 'GET', `/conversations/${conversationId}`)).json().status).toBe('open');
    expect(app.crm.handovers()).toHaveLength(1);
  });

  it('records error logs', async () => {
    const res = await api(app, 'POST', '/error-logs', {
      kind: 'whatsapp_send_failed',
      message: 'gave up after 3 attempts',
      event_id: 'evt_1',
      context: { attempts: 3, last: { code: 131000 } },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      kind: 'whatsapp_send_failed',
      event_id: 'evt_1',
      wa_message_id: null,
    });
    expect(app.crm.journal.query({ kind: 'errorlog.created' })[0]?.data).toEqual({
      errorLogId: res.json().id,
      kind: 'whatsapp_send_failed',
      eventId: 'evt_1',
    });
    expect((await api(app, 'GET', `/error-logs/${res.json().id}`)).json().message).toBe(
      'gave up after 3 attempts',
    );
    expect((await api(app, 'GET', '/error-logs')).json().data).toHaveLength(1);
    expect((await api(app, 'GET', '/error-logs/err_x')).json().error.code).toBe('not_found');
  });
});

describe('journal', () => {
  it('journals api.request for every API call with route and latency', async () => {
    await api(app, 'GET', '/contacts');
    await api(app, 'GET', '/contacts/ctc_missing');
    const entries = app.crm.journal.query({ kind: 'api.request' }).map((e) => e.data);
    expect(entries).toEqual([
      { method: 'GET', route: '/api/v1/contacts', statusCode: 200, latencyMs: 0 },
      { method: 'GET', route: '/api/v1/contacts/:id', statusCode: 404, latencyMs: 0, errorCode: 'not_found' },
    ]);
    expect(kinds()).not.toContain('contact.upserted');
  });
});
