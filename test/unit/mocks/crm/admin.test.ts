import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../../../kernel/clock.js';
import { api, testCrm } from './helpers.js';

let app: FastifyInstance;
let clock: VirtualClock;
beforeEach(() => {
  ({ app, clock } = testCrm({ seedContacts: { count: 5 } }));
});
afterEach(async () => {
  await app.close();
});

const admin = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  app.inject({
    method,
    url: `/_mock${url}`,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

const ACTION = {
  channel: 'whatsapp',
  template: 'order_confirmation',
  language: 'en_US',
  category: 'UTILITY',
  parameters: {
    header: ['data.order_id'],
    body: [
      'contact.name',
      { type: 'currency', amount: 'data.total', code: 'data.currency', fallback: 'data.total_text' },
    ],
    buttons: [{ index: 0, sub_type: 'url', ref: 'data.order_id' }],
  },
};

describe('events', () => {
  it('emits an event with id, time and a contact snapshot; held while no webhook URL is set', async () => {
    // A copy: in memory the handle hands out the stored objects themselves (read-only by contract).
    const contact = structuredClone(app.crm.contacts()[0]!);
    clock.advance(1500);
    const res = await admin('POST', '/events', {
      type: 'order.created',
      contact_id: contact.id,
      data: { order_id: 'A-1', total: 12.5, currency: 'EUR' },
      action: ACTION,
    });
    expect(res.statusCode).toBe(202);
    const eventId = res.json().event_id as string;
    expect(eventId).toMatch(/^evt_/);
    const rec = (await admin('GET', `/events/${eventId}`)).json();
    expect(rec.payload).toEqual({
      id: eventId,
      type: 'order.created',
      created_at: '2026-01-05T00:00:01.500Z',
      contact,
      data: { order_id: 'A-1', total: 12.5, currency: 'EUR' },
      action: ACTION,
    });
    expect(rec.delivery).toMatchObject({ state: 'pending', attempts: 0 });
    expect(app.crm.journal.query({ kind: 'event.emitted' })[0]?.data).toEqual({
      eventId,
      eventType: 'order.created',
      contactId: contact.id,
      template: 'order_confirmation',
    });
    expect(app.crm.stats()['eventsQueued']).toBe(1);
    // A later change to the contact does not change the snapshot already taken.
    await api(app, 'PATCH', `/contacts/${contact.id}`, { name: 'Renamed' });
    expect(app.crm.events()[0]?.payload.contact.name).toBe(contact.name);
  });

  it('accepts media headers, named parameters and coupon-code buttons', async () => {
    const res = await admin('POST', '/events', {
      type: 'promotion.launched',
      contact_id: app.crm.contacts()[0]!.id,
      data: { header_media_url: 'https://cdn.example.com/a.jpg', coupon_code: 'SAVE10', first_name: 'Ana' },
      action: {
        ...ACTION,
        category: 'MARKETING',
        parameters: {
          header: [{ type: 'image', link: 'data.header_media_url' }],
          body: { first_name: 'data.first_name', customer_name: 'contact.name' },
          buttons: [
            { index: 1, sub_type: 'copy_code', ref: { type: 'coupon_code', value: 'data.coupon_code' } },
          ],
        },
      },
    });
    expect(res.statusCode).toBe(202);
    const named = await admin('POST', '/events', {
      type: 'order.created',
      contact_id: app.crm.contacts()[0]!.id,
      data: {},
      action: { ...ACTION, parameters: { header: { order_id: 'data.order_id' }, body: [] } },
    });
    expect(named.statusCode).toBe(202);
    const bad = await admin('POST', '/events', {
      type: 'order.created',
      contact_id: app.crm.contacts()[0]!.id,
      data: {},
      action: { ...ACTION, parameters: { header: [{ type: 'image', url: 'x' }] } },
    });
    expect(bad.json().error.details.map((d: { path: string }) => d.path)).toEqual([
      'action.parameters.header.0.url',
      'action.parameters.header.0.link',
    ]);
  });

  it('validates event input, naming every bad field', async () => {
    const res = await admin('POST', '/events', {
      type: 'Order Created',
      contact_id: 'ctc_x',
      data: [],
      action: { ...ACTION, channel: 'sms', parameters: { body: ['nope', { type: 'currency' }], extra: 1 } },
    });
    expect(res.statusCode).toBe(422);
    const paths = res.json().error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'type',
        'data',
        'action.channel',
        'action.parameters.body.0',
        'action.parameters.body.1.amount',
        'action.parameters.extra',
      ]),
    );
    const unknown = await admin('POST', '/events', {
      type: 'payment.due',
      contact_id: 'ctc_x',
      data: {},
      action: ACTION,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.details[0].path).toBe('contact_id');
    expect(() =>
      app.crm.emitEvent({ type: 'x', contact_id: 'nope', data: {}, action: ACTION as never }),
    ).toThrow(/does not exist/);
  });
});

describe('faults', () => {
  it('injects errors in the CRM error shape, by status or by name', async () => {
    const set = await admin('POST', '/faults', { spec: 'error=503:1~/contacts' });
    expect(set.statusCode).toBe(201);
    const res = await api(app, 'GET', '/contacts');
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('unavailable');
    // Route filter: other routes are untouched, and so is the admin API.
    expect((await api(app, 'GET', '/handovers')).statusCode).toBe(200);
    expect((await admin('GET', '/health')).statusCode).toBe(200);
    expect((await admin('DELETE', '/faults')).json()).toEqual({ cleared: 1 });
    await admin('POST', '/faults', { specs: ['error=conflict:1'] });
    expect((await api(app, 'GET', '/contacts')).json().error.code).toBe('conflict');
    await admin('DELETE', '/faults');
    await admin('POST', '/faults', { spec: 'error=418:1' });
    const teapot = await api(app, 'GET', '/contacts');
    expect(teapot.statusCode).toBe(418);
    expect(teapot.json().error.code).toBe('http_418');
    expect(app.crm.journal.query({ kind: 'api.request' }).at(-1)?.data).toMatchObject({
      statusCode: 418,
      errorCode: 'http_418',
    });
  });

  it('answers outages with 503 and storms with 429 whose body says it was the fault', async () => {
    app.crm.faults.add({ kind: 'outage', mode: 'unavailable' });
    const down = await api(app, 'GET', '/contacts');
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    app.crm.faults.clear();
    app.crm.faults.add({ kind: 'rate-limit', retryAfterS: 7, rate: 1 });
    const storm = await api(app, 'GET', '/contacts');
    expect(storm.statusCode).toBe(429);
    expect(storm.headers['retry-after']).toBe('7');
    expect(storm.json().error.limit).toEqual({ source: 'fault', retry_after_s: 7 });
    expect(storm.json().error.details).toEqual([{ path: 'fault', message: 'injected rate limit' }]);
  });

  it('schedules fault windows on the mock clock', async () => {
    await admin('POST', '/faults', { spec: 'error=500:1@10s+5s' });
    expect((await api(app, 'GET', '/contacts')).statusCode).toBe(200);
    clock.advance(10_000);
    expect((await api(app, 'GET', '/contacts')).statusCode).toBe(500);
    clock.advance(5_000);
    expect((await api(app, 'GET', '/contacts')).statusCode).toBe(200);
  });

  it('lists, deletes by id, and rejects bad specs naming them', async () => {
    const added = (await admin('POST', '/faults', { spec: 'latency=800ms:0.5' })).json().faults[0];
    const list = (await admin('GET', '/faults')).json().faults;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: added.id, kind: 'latency', active: true });
    expect((await admin('DELETE', `/faults/${added.id}`)).json()).toEqual({ cleared: 1 });
    expect((await admin('DELETE', '/faults/nope')).statusCode).toBe(404);
    const bad = await admin('POST', '/faults', { spec: 'explode=1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('spec');
    const badList = await admin('POST', '/faults', { specs: ['error=503:0.1', 42] });
    expect(badList.json().error.details[0].path).toBe('specs.1');
    expect((await admin('POST', '/faults', {})).statusCode).toBe(400);
  });
});

describe('admin API', () => {
  it('health, state counts and dumps', async () => {
    const health = (await admin('GET', '/health')).json();
    expect(health).toMatchObject({
      status: 'ok',
      plan: 'standard',
      limit_per_min: 300,
      webhook_url_set: false,
      store: 'memory',
    });
    expect(health.stats.contacts).toBe(5);
    const dump = (await admin('GET', '/state/contacts?offset=1&limit=2')).json();
    expect(dump.total).toBe(5);
    expect(dump.offset).toBe(1);
    expect(dump.data).toHaveLength(2);
    expect((await admin('GET', '/state/nope')).statusCode).toBe(404);
    expect((await admin('GET', '/state/constructor')).statusCode).toBe(404);
    expect((await admin('GET', '/state/contacts?limit=0')).statusCode).toBe(400);
  });

  it('queries the journal by kind and sequence', async () => {
    await api(app, 'POST', '/contacts', { phone: '+34612345678' });
    await api(app, 'POST', '/contacts', { phone: '+34612345679' });
    const all = (await admin('GET', '/journal?kind=contact.upserted')).json();
    expect(all.entries).toHaveLength(2);
    expect(all.entries[0]).toMatchObject({ source: 'crm', kind: 'contact.upserted' });
    const after = (
      await admin('GET', `/journal?kind=contact.upserted,api.request&after_seq=${all.entries[0].seq}`)
    ).json();
    expect(after.entries.map((e: { kind: string }) => e.kind)).toEqual([
      'api.request',
      'contact.upserted',
      'api.request',
    ]);
    expect(after.last_seq).toBe(after.entries.at(-1).seq);
    expect((await admin('GET', '/journal?after_seq=abc')).json().error.details[0].path).toBe('after_seq');
  });

  it('resets to the seeded state, or to empty', async () => {
    const before = app.crm.contacts().map((c) => c.name);
    await api(app, 'POST', '/contacts', { phone: '+34612345678' });
    await api(app, 'POST', '/contacts', { phone: '+34612345678' }, { 'idempotency-key': 'k' });
    expect(app.crm.contacts()).toHaveLength(6);
    const res = await admin('POST', '/reset', {});
    expect(res.json()).toMatchObject({ reset: true, reseed: true });
    expect(app.crm.contacts().map((c) => c.name)).toEqual(before);
    expect(app.crm.stats()['idempotencyKeys']).toBe(0);
    app.crm.reset({ reseed: false });
    expect(app.crm.contacts()).toHaveLength(0);
    expect(app.crm.journal.query({ kind: 'state.reset' })).toHaveLength(2);
  });

  it('creates contacts without auth, and sets the webhook URL', async () => {
    const c = await admin('POST', '/contacts', {
      phone: '+5511987654321',
      name: 'Ana',
      consent: 'marketing',
    });
    expect(c.statusCode).toBe(201);
    expect(c.json()).toMatchObject({ name: 'Ana', consent: 'marketing' });
    expect((await admin('PUT', '/webhook', { url: 'http://127.0.0.1:9/webhooks/crm' })).json()).toEqual({
      webhook_url_set: true,
    });
    expect((await admin('PUT', '/webhook', { url: null })).json()).toEqual({ webhook_url_set: false });
    const bad = await admin('PUT', '/webhook', { url: 'ftp://x' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details[0].path).toBe('url');
  });

  it('serves Prometheus metrics', async () => {
    await api(app, 'GET', '/contacts');
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain(
      'crm_http_requests_total{method="GET",route="/api/v1/contacts",status="200"} 1',
    );
    expect(res.body).toContain('crm_records{kind="contacts"} 5');
    expect(res.body).toContain('crm_event_deliveries{state="delivered"} 0');
  });

  it('handle.createContact validates like the API and may choose the id', () => {
    const c = app.crm.createContact({ id: 'ctc_mine', phone: '+34612345678', consent: 'transactional' });
    expect(c.id).toBe('ctc_mine');
    expect(app.crm.contact('ctc_mine')?.consent).toBe('transactional');
    expect(() => app.crm.createContact({ id: 'ctc_mine', phone: '+34612345670' })).toThrow(/exists/);
    expect(() => app.crm.createContact({ phone: 'garbage' })).toThrow(/phone/);
  });
});
