import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { signBody } from '../../../../kernel/signing.js';
import {
  clockOf,
  entries,
  FIXED_TIMING,
  graphError,
  inbound,
  makeMock,
  orderConfirmation,
  send,
  T,
  text,
  VALID_BODIES,
} from './helpers.js';

let app: FastifyInstance;
afterEach(async () => {
  await app?.close();
});

const auth = { authorization: `Bearer ${T.token}` };

describe('Graph auth, paths and headers', () => {
  it('answers 190/401 for a missing or wrong token, on every Graph path', async () => {
    ({ app } = makeMock());
    for (const [method, url] of [
      ['POST', `/v23.0/${T.phoneId}/messages`],
      ['GET', `/v23.0/${T.waba}/message_templates`],
      ['GET', `/v23.0/${T.phoneId}`],
    ] as const) {
      const missing = await app.inject({ method, url });
      expect(missing.statusCode).toBe(401);
      expect(graphError(missing)).toMatchObject({ code: 190, type: 'OAuthException' });
      const wrong = await app.inject({ method, url, headers: { authorization: 'Bearer nope' } });
      expect(graphError(wrong).message).toBe('Invalid OAuth access token - Cannot parse access token');
      expect(wrong.headers['www-authenticate']).toMatch(/^OAuth "Facebook Platform" "invalid_token"/);
    }
    const viaQuery = await app.inject({ method: 'GET', url: `/v23.0/${T.phoneId}?access_token=${T.token}` });
    expect(viaQuery.statusCode).toBe(200);
  });

  it('answers 100 subcode 33 for an unknown phone number or WABA id', async () => {
    ({ app } = makeMock());
    const r = await app.inject({
      method: 'POST',
      url: '/v23.0/999/messages',
      headers: auth,
      payload: text(),
    });
    expect(r.statusCode).toBe(400);
    expect(graphError(r)).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
    expect(graphError(r).message).toMatch(/^Unsupported post request\. Object with ID '999' does not exist/);
    const t = await app.inject({ method: 'GET', url: '/v23.0/999/message_templates', headers: auth });
    expect(graphError(t)).toMatchObject({ code: 100, error_subcode: 33 });
  });

  it('accepts any v{N}.0 and echoes it in facebook-api-version, with Graph headers', async () => {
    ({ app } = makeMock());
    inbound(app);
    const r = await send(app, text(), 'v19.0');
    expect(r.statusCode).toBe(200);
    expect(r.headers['facebook-api-version']).toBe('v19.0');
    expect(r.headers['x-fb-trace-id']).toMatch(/^A[\w-]{10}$/);
    const usage = JSON.parse(String(r.headers['x-business-use-case-usage']));
    expect(usage[T.waba][0]).toMatchObject({ type: 'whatsapp', estimated_time_to_regain_access: 0 });
    const graphHeaders = {
      'x-fb-request-id': expect.stringMatching(/^A[\w-]{10}$/),
      'x-fb-rev': expect.stringMatching(/^\d+$/),
      'strict-transport-security': 'max-age=15552000; preload',
      'cache-control': 'private, no-cache, no-store, must-revalidate',
      pragma: 'no-cache',
      expires: 'Sat, 01 Jan 2000 00:00:00 GMT',
      'access-control-allow-origin': '*',
      'content-type': 'application/json; charset=UTF-8',
    };
    expect(r.headers).toMatchObject(graphHeaders);
    // The version of each call, not of the call before it.
    expect((await send(app, text(), 'v23.0')).headers['facebook-api-version']).toBe('v23.0');
    expect((await send(app, text(), 'v19.0')).headers['facebook-api-version']).toBe('v19.0');
    const bad = await send(app, text(), 'latest');
    expect(graphError(bad)).toMatchObject({ code: 2500 });
    // Errors carry the Graph headers too, and the trace id of their body.
    const refused = await send(app, { messaging_product: 'whatsapp', to: T.user, type: 'text' }, 'v21.0');
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);
    expect(refused.headers).toMatchObject({ ...graphHeaders, 'facebook-api-version': 'v21.0' });
    expect(refused.headers['x-fb-trace-id']).toBe(graphError(refused).fbtrace_id);
    const unknownEdge = await app.inject({
      method: 'GET',
      url: `/v23.0/${T.phoneId}/nope/deeper`,
      headers: auth,
    });
    expect(graphError(unknownEdge).code).toBe(2500);
  });

  it('never puts Graph headers or auth on the admin API', async () => {
    ({ app } = makeMock());
    const r = await app.inject({ method: 'GET', url: '/_mock/health' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['facebook-api-version']).toBeUndefined();
    expect(r.json()).toMatchObject({ status: 'ok', phoneNumberId: T.phoneId });
  });
});

describe('sending', () => {
  it.each(Object.entries(VALID_BODIES))('accepts %s with Meta’s success shape', async (_name, body) => {
    ({ app } = makeMock());
    inbound(app);
    const r = await send(app, body);
    expect(r.statusCode).toBe(200);
    const json = r.json();
    expect(json.messaging_product).toBe('whatsapp');
    expect(json.contacts).toEqual([{ input: T.user, wa_id: T.user }]);
    expect(json.messages[0].id).toMatch(/^wamid\.[A-Za-z0-9+/=]+$/);
    if (body['type'] === 'template') expect(json.messages[0].message_status).toBe('accepted');
    else expect(json.messages[0].message_status).toBeUndefined();
  });

  it('echoes the input and normalises wa_id to digits', async () => {
    ({ app } = makeMock());
    const r = await send(app, orderConfirmation('+1 650-555-1234'));
    expect(r.json().contacts).toEqual([{ input: '+1 650-555-1234', wa_id: T.user }]);
  });

  it('journals a free-form send with its text, reply context and planned failure, and nothing else', async () => {
    ({ app } = makeMock());
    const replyTo = inbound(app, '447911123456');
    const reply = await send(app, {
      ...text('+44 7911 123456', 'your order shipped'),
      context: { message_id: replyTo },
      biz_opaque_callback_data: 'evt-9',
    });
    // No window with this user: accepted, then failed with 131047 (async profile).
    const outside = await send(app, text('+16505551234', 'late reply'));
    const [first, second] = entries(app, 'message.accepted');
    expect(first?.data).toEqual({
      wamid: reply.json().messages[0].id,
      to: '+44 7911 123456',
      phone: '447911123456',
      type: 'text',
      text: 'your order shipped',
      bizOpaque: 'evt-9',
      replyTo,
      next: 'sent',
      nextDueInMs: 100,
    });
    expect(second?.data).toEqual({
      wamid: outside.json().messages[0].id,
      to: '+16505551234',
      phone: '16505551234',
      type: 'text',
      text: 'late reply',
      plannedErrorCode: 131047,
      next: 'failed',
      nextDueInMs: 100,
    });
  });

  it('journals message.accepted with renderedText and bizOpaque, then status.emitted in order', async () => {
    ({ app } = makeMock());
    const clock = clockOf(app);
    const r = await send(app, orderConfirmation());
    const wamid = r.json().messages[0].id;
    const [acc] = entries(app, 'message.accepted');
    expect(acc?.data).toMatchObject({
      wamid,
      to: T.user,
      phone: T.user,
      type: 'template',
      templateName: 'order_confirmation',
      templateLanguage: 'en_US',
      category: 'UTILITY',
      bizOpaque: 'flow-42',
      renderedText:
        "Order A-1001 confirmed\nHi Ana, thanks for your order A-1001. Total: $42.50. We'll message you at +16505551234 when it ships.",
    });
    expect(app.whatsapp.renderedText(wamid)?.buttons[0]?.url).toBe('https://shop.example.com/orders/A-1001');
    clock.advance(1000);
    expect(entries(app, 'status.emitted').map((e) => e.data['status'])).toEqual([
      'sent',
      'delivered',
      'read',
    ]);
    // Each entry says what it put on the timeline next: accepted → sent, sent → delivered, delivered → read.
    expect(acc?.data).toMatchObject({ next: 'sent', nextDueInMs: 100 });
    expect(
      entries(app, 'status.emitted').map((e) => [e.data['status'], e.data['next'], e.data['nextDueInMs']]),
    ).toEqual([
      ['sent', 'delivered', 200],
      ['delivered', 'read', 300],
      ['read', undefined, undefined],
    ]);
    const kinds = app.whatsapp.journal.query({ wamid }).map((e) => e.kind);
    expect(kinds.at(-1)).toBe('status.finished');
    expect(kinds.filter((k) => k === 'status.finished')).toHaveLength(1);
    expect(app.whatsapp.dispatcher.stats().queued).toBe(3);
    const graph = entries(app, 'graph.request')[0];
    expect(graph?.data).toMatchObject({
      method: 'POST',
      route: '/{version}/{nodeId}/messages',
      statusCode: 200,
    });
  });

  it('marks an inbound message as read (with typing indicator) and refuses an outbound id', async () => {
    ({ app } = makeMock());
    const inId = inbound(app);
    const ok = await send(app, {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: inId,
      typing_indicator: { type: 'text' },
    });
    expect(ok.json()).toEqual({ success: true });
    expect(entries(app, 'mark.read')[0]?.data).toMatchObject({ wamid: inId, typing: true, phone: T.user });
    const out = (await send(app, orderConfirmation())).json().messages[0].id;
    const bad = await send(app, { messaging_product: 'whatsapp', status: 'read', message_id: out });
    expect(graphError(bad).code).toBe(131009);
  });

  it('131021 when sending to its own number; 131030 outside an allow-list', async () => {
    ({ app } = makeMock({ allowedRecipients: ['+16505551234'] }));
    expect(graphError(await send(app, orderConfirmation(T.display))).code).toBe(131021);
    expect(graphError(await send(app, orderConfirmation('+447911123456'))).code).toBe(131030);
    expect((await send(app, orderConfirmation())).statusCode).toBe(200);
  });

  it('accepts a local-format number, then fails it with 131026 (no sent status)', async () => {
    ({ app } = makeMock());
    const clock = clockOf(app);
    const r = await send(app, orderConfirmation('0912345678'));
    expect(r.statusCode).toBe(200);
    expect(r.json().contacts[0]).toEqual({ input: '0912345678', wa_id: '0912345678' });
    clock.advance(1000);
    expect(entries(app, 'status.emitted').map((e) => [e.data['status'], e.data['errorCode']])).toEqual([
      ['failed', 131026],
    ]);
    expect(graphError(await send(app, orderConfirmation('not a number'))).code).toBe(131009);
  });

  it('fails numbers listed as not on WhatsApp with 131026, and marketing to opted-out users with 131050', async () => {
    ({ app } = makeMock({ notOnWhatsApp: ['+447911123456'], marketingOptOut: ['16505550000'] }));
    const clock = clockOf(app);
    await send(app, orderConfirmation('447911123456'));
    await send(app, {
      messaging_product: 'whatsapp',
      to: '16505550000',
      type: 'template',
      template: {
        name: 'feedback_request',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana' },
              { type: 'text', text: 'A-1' },
            ],
          },
        ],
      },
    });
    clock.advance(1000);
    expect(entries(app, 'status.emitted').map((e) => e.data['errorCode'])).toEqual([131026, 131050]);
  });
});

describe('request bodies', () => {
  const post = (payload: string, contentType = 'application/json') =>
    app.inject({
      method: 'POST',
      url: `/v23.0/${T.phoneId}/messages`,
      headers: { ...auth, 'content-type': contentType },
      payload,
    });

  it('parses JSON bodies, with or without a charset', async () => {
    ({ app } = makeMock());
    inbound(app);
    expect((await post(JSON.stringify(text()))).statusCode).toBe(200);
    expect((await post(JSON.stringify(text()), 'application/json; charset=utf-8')).statusCode).toBe(200);
    // Escapes are JSON too: they take fastify's checked path and still parse.
    const escaped = JSON.stringify(text()).replace('hello', '\\u0068ello');
    expect((await post(escaped)).statusCode).toBe(200);
  });

  it('answers code 100 to malformed, empty and prototype-poisoning bodies, however spelled', async () => {
    ({ app } = makeMock());
    const bodies = [
      '{"messaging_product":"whatsapp",',
      '',
      '{"messaging_product":"whatsapp","__proto__":{"admin":true}}',
      '{"messaging_product":"whatsapp","\\u005f_proto__":{"admin":true}}',
      '{"messaging_product":"whatsapp","constructor":{"prototype":{"admin":true}}}',
    ];
    for (const body of bodies) {
      const r = await post(body);
      expect(r.statusCode, body).toBe(400);
      expect(graphError(r), body).toMatchObject({ code: 100, type: 'OAuthException' });
    }
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });
});

describe('status batching', () => {
  it('collects statuses for statusBatchWindowMs into one webhook per shard, up to statusBatch', async () => {
    ({ app } = makeMock({ webhook: { statusBatch: 4, statusBatchWindowMs: 50 } }));
    const clock = clockOf(app);
    for (let i = 0; i < 3; i++) await send(app, orderConfirmation());
    clock.advance(160);
    // Three `sent` statuses, one recipient (one shard), collected within the window: one webhook.
    expect(entries(app, 'status.emitted')).toHaveLength(3);
    expect(app.whatsapp.dispatcher.stats().queued).toBe(1);
    clock.advance(1000);
    // Then 3 delivered + 3 read: at most 4 per webhook.
    expect(entries(app, 'status.emitted')).toHaveLength(9);
    expect(app.whatsapp.dispatcher.stats().queued).toBeGreaterThanOrEqual(3);
    expect(app.whatsapp.dispatcher.stats().queued).toBeLessThan(9);
  });

  it("by default ('auto') sends one status per webhook at ordinary rates", async () => {
    ({ app } = makeMock());
    const clock = clockOf(app);
    for (let i = 0; i < 5; i++) await send(app, orderConfirmation());
    clock.advance(1000);
    const stats = app.whatsapp.stats();
    expect(stats['statusesEmitted']).toBe(15);
    expect(stats['statusWebhooks']).toBe(15);
    expect(app.whatsapp.dispatcher.stats().queued).toBe(15);
  });

  it("'auto' batches once the status rate passes statusBatchAbovePerSec, and stops when it falls", async () => {
    ({ app } = makeMock({
      webhook: { statusBatchAbovePerSec: 4, statusBatchWindowMs: 0 },
      statusTiming: { ...FIXED_TIMING, read: { kind: 'fixed', ms: 1000 } },
    }));
    const clock = clockOf(app);
    // Ten messages at once: ten `sent` statuses fall due together 100 ms later.
    for (let i = 0; i < 10; i++) await send(app, orderConfirmation());
    clock.advance(150);
    const webhooks = () => app.whatsapp.stats()['statusWebhooks'];
    expect(app.whatsapp.stats()['statusesEmitted']).toBe(10);
    // The first four go one per webhook; past the rate the other six share one (one recipient, one shard).
    expect(webhooks()).toBe(5);
    // `delivered` at 300 ms, in the same busy second: one webhook for all ten.
    clock.advance(500);
    expect(webhooks()).toBe(6);
    // `read` at 1.3 s: only ten this second, but the second before had twenty: still batched.
    clock.advance(1000);
    expect(app.whatsapp.stats()['statusesEmitted']).toBe(30);
    expect(webhooks()).toBe(7);
    // After a quiet second, a lone message's statuses go one per webhook again.
    clock.advance(2000);
    await send(app, orderConfirmation());
    clock.advance(3000);
    expect(app.whatsapp.stats()['statusesEmitted']).toBe(33);
    expect(webhooks()).toBe(10);
  });

  it('sends its signed webhooks through webhook.transport when one is given', async () => {
    const posts: Array<{ url: string; signature: string | undefined; body: Buffer }> = [];
    ({ app } = makeMock({
      webhookUrl: 'http://connector.invalid/webhooks',
      webhook: {
        transport: {
          send(target, headers, body, done) {
            posts.push({ url: target.href, signature: headers['x-hub-signature-256'], body });
            queueMicrotask(() => done({ statusCode: 200 }));
            return () => {};
          },
          close() {},
        },
      },
    }));
    const wamid = (await send(app, orderConfirmation())).json().messages[0].id;
    clockOf(app).advance(1000);
    await new Promise((r) => setImmediate(r));
    expect(
      posts.map((p) => JSON.parse(p.body.toString('utf8')).entry[0].changes[0].value.statuses[0].status),
    ).toEqual(['sent', 'delivered', 'read']);
    expect(posts.every((p) => p.url === 'http://connector.invalid/webhooks')).toBe(true);
    expect(posts.every((p) => p.signature === signBody(T.secret, p.body))).toBe(true);
    expect(JSON.parse(posts[0]?.body.toString('utf8') ?? '{}').entry[0].changes[0].value.statuses[0].id).toBe(
      wamid,
    );
    expect(entries(app, 'webhook.delivered')).toHaveLength(3);
  });

  it('statusBatch 1 never batches, however high the rate', async () => {
    ({ app } = makeMock({ webhook: { statusBatch: 1, statusBatchAbovePerSec: 1 } }));
    const clock = clockOf(app);
    for (let i = 0; i < 10; i++) await send(app, orderConfirmation());
    clock.advance(1000);
    expect(app.whatsapp.stats()['statusWebhooks']).toBe(30);
  });

  it('rejects a statusBatch that is neither auto nor a positive integer', () => {
    expect(() => makeMock({ webhook: { statusBatch: 0 } })).toThrow(/webhook\.statusBatch must be 'auto'/);
    expect(() => makeMock({ webhook: { statusBatchAbovePerSec: -1 } })).toThrow(
      /statusBatchAbovePerSec must be a number > 0/,
    );
  });
});

describe('24 h window, limits and tiers', () => {
  it('free-form outside the window: a failed status with 131047 (async profile)', async () => {
    ({ app } = makeMock());
    const clock = clockOf(app);
    expect((await send(app, text())).statusCode).toBe(200);
    clock.advance(1000);
    expect(entries(app, 'status.emitted').map((e) => [e.data['status'], e.data['errorCode']])).toEqual([
      ['failed', 131047],
    ]);
  });

  it('sync mode: 131047 as the response; the window opens with an inbound message and expires after 24 h', async () => {
    ({ app } = makeMock({ windowErrorMode: 'sync' }));
    const clock = clockOf(app);
    const r = await send(app, text());
    expect(r.statusCode).toBe(400);
    expect(graphError(r)).toMatchObject({ code: 131047, message: '(#131047) Re-engagement message' });
    inbound(app);
    expect((await send(app, text())).statusCode).toBe(200);
    clock.advance(24 * 3_600_000 - 1);
    expect((await send(app, text())).statusCode).toBe(200);
    clock.advance(1);
    expect(graphError(await send(app, text())).code).toBe(131047);
    expect((await send(app, orderConfirmation())).statusCode).toBe(200);
    const rejected = entries(app, 'message.rejected');
    expect(rejected.at(-1)?.data).toMatchObject({
      errorCode: 131047,
      httpStatus: 400,
      to: T.user,
      type: 'text',
    });
  });

  it('throughput: 130429 past the per-second rate (429 under 2026, 400 under legacy)', async () => {
    for (const [profile, status] of [
      ['2026', 429],
      ['legacy', 400],
    ] as const) {
      ({ app } = makeMock({ throughputPerSec: 5, errorProfile: profile }));
      const codes: number[] = [];
      for (let i = 0; i < 8; i++)
        codes.push((await send(app, orderConfirmation(`1650555${1000 + i}`))).statusCode);
      expect(codes.filter((c) => c === 200)).toHaveLength(5);
      const last = await send(app, orderConfirmation('16505559999'));
      expect(last.statusCode).toBe(status);
      expect(graphError(last).code).toBe(130429);
      await app.close();
    }
  });

  it('pair rate: 131056 after the burst to one user, others unaffected', async () => {
    ({ app } = makeMock({ pairRate: { perSec: 1 / 6, burst: 2 } }));
    const clock = clockOf(app);
    expect((await send(app, orderConfirmation())).statusCode).toBe(200);
    expect((await send(app, orderConfirmation())).statusCode).toBe(200);
    const third = await send(app, orderConfirmation());
    expect(third.statusCode).toBe(429);
    expect(graphError(third).code).toBe(131056);
    expect((await send(app, orderConfirmation('+447911123456'))).statusCode).toBe(200);
    clock.advance(6000);
    expect((await send(app, orderConfirmation())).statusCode).toBe(200);
  });

  it('messaging tier: business-initiated templates to more unique users than the tier fail with 131048', async () => {
    ({ app } = makeMock({ messagingTier: 250 }));
    const clock = clockOf(app);
    for (let i = 0; i < 251; i++) await send(app, orderConfirmation(`1650555${String(1000 + i)}`));
    // A user inside the service window is not business-initiated: not counted, not blocked.
    inbound(app, '16505559999');
    await send(app, orderConfirmation('16505559999'));
    clock.advance(1000);
    const failed = entries(app, 'status.emitted').filter((e) => e.data['status'] === 'failed');
    expect(failed.map((e) => [e.data['phone'], e.data['errorCode']])).toEqual([['16505551250', 131048]]);
    expect(app.whatsapp.stats()['tierUsers24h']).toBe(250);
  });
});

describe('templates API', () => {
  it('lists with paging, filters by name and status, and fetches one by id', async () => {
    ({ app } = makeMock());
    const p1 = await app.inject({
      method: 'GET',
      url: `/v23.0/${T.waba}/message_templates?limit=10`,
      headers: auth,
    });
    const j1 = p1.json();
    expect(j1.data).toHaveLength(10);
    expect(j1.data[0]).toEqual(
      expect.objectContaining({ name: 'hello_world', status: 'APPROVED', category: 'UTILITY' }),
    );
    expect(j1.paging.cursors.after).toBeTruthy();
    expect(j1.paging.next).toContain(`after=${j1.paging.cursors.after}`);
    const p2 = await app.inject({
      method: 'GET',
      url: `/v23.0/${T.waba}/message_templates?limit=10&after=${j1.paging.cursors.after}`,
      headers: auth,
    });
    expect(p2.json().data[0].id).not.toBe(j1.data[0].id);
    const byName = await app.inject({
      method: 'GET',
      url: `/v23.0/${T.waba}/message_templates?name=otp_verification&fields=name,language`,
      headers: auth,
    });
    expect(
      byName
        .json()
        .data.map((t: { language: string }) => t.language)
        .sort(),
    ).toEqual(['ar', 'en_US', 'es']);
    expect(Object.keys(byName.json().data[0]).sort()).toEqual(['id', 'language', 'name']);
    const paused = await app.inject({
      method: 'GET',
      url: `/v23.0/${T.waba}/message_templates?status=PAUSED`,
      headers: auth,
    });
    expect(paused.json().data.map((t: { name: string }) => t.name)).toEqual(['flash_sale']);
    const one = await app.inject({ method: 'GET', url: `/v23.0/${j1.data[1].id}`, headers: auth });
    expect(one.json().name).toBe(j1.data[1].name);
    const badLimit = await app.inject({
      method: 'GET',
      url: `/v23.0/${T.waba}/message_templates?limit=0`,
      headers: auth,
    });
    expect(graphError(badLimit).code).toBe(100);
  });

  it('creates PENDING, approves on the clock with a webhook, then the template can be sent', async () => {
    ({ app } = makeMock({
      templateApproval: { approveProbability: 1, delay: { kind: 'fixed', ms: 60_000 } },
    }));
    const clock = clockOf(app);
    const create = await app.inject({
      method: 'POST',
      url: `/v23.0/${T.waba}/message_templates`,
      headers: auth,
      payload: {
        name: 'visit_reminder',
        category: 'UTILITY',
        language: 'en_US',
        components: [{ type: 'BODY', text: 'See you {{1}}' }],
      },
    });
    expect(create.statusCode).toBe(200);
    expect(create.json()).toMatchObject({ status: 'PENDING', category: 'UTILITY' });
    const tplSend = {
      messaging_product: 'whatsapp',
      to: T.user,
      type: 'template',
      template: {
        name: 'visit_reminder',
        language: { code: 'en_US' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'soon' }] }],
      },
    };
    expect(graphError(await send(app, tplSend)).code).toBe(132001);
    clock.advance(60_000);
    expect(entries(app, 'template.status').map((e) => e.data['status'])).toEqual(['APPROVED']);
    expect(app.whatsapp.dispatcher.stats().queued).toBe(1);
    expect((await send(app, tplSend)).statusCode).toBe(200);
    const dup = await app.inject({
      method: 'POST',
      url: `/v23.0/${T.waba}/message_templates`,
      headers: auth,
      payload: {
        name: 'visit_reminder',
        category: 'UTILITY',
        language: 'en_US',
        components: [{ type: 'BODY', text: 'x' }],
      },
    });
    expect(graphError(dup)).toMatchObject({ code: 100, error_subcode: 2388024 });
    const del = await app.inject({
      method: 'DELETE',
      url: `/v23.0/${T.waba}/message_templates?name=visit_reminder`,
      headers: auth,
    });
    expect(del.json()).toEqual({ success: true });
    const again = await app.inject({
      method: 'DELETE',
      url: `/v23.0/${T.waba}/message_templates?name=visit_reminder`,
      headers: auth,
    });
    expect(graphError(again).code).toBe(100);
  });
});

describe('admin API', () => {
  it('POST /_mock/inbound fills id, timestamp, contacts and opens the window', async () => {
    ({ app } = makeMock({ windowErrorMode: 'sync' }));
    const r = await app.inject({
      method: 'POST',
      url: '/_mock/inbound',
      payload: { from: T.user, type: 'text', text: { body: 'hi' } },
    });
    expect(r.statusCode).toBe(200);
    const { wamid } = r.json();
    expect(wamid).toMatch(/^wamid\./);
    expect(entries(app, 'inbound.created')[0]?.data).toEqual({
      wamid,
      from: T.user,
      phone: T.user,
      type: 'text',
      text: 'hi',
    });
    expect((await send(app, text())).statusCode).toBe(200);
    const bad = await app.inject({
      method: 'POST',
      url: '/_mock/inbound',
      payload: { from: T.user, type: 'text' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'invalid_inbound', path: 'text' });
  });

  it('reads the journal by kind, wamid and phone; lists rendered templates', async () => {
    ({ app } = makeMock());
    const wamid = (await send(app, orderConfirmation())).json().messages[0].id;
    await send(app, orderConfirmation('+447911123456'));
    const byWamid = await app.inject({
      method: 'GET',
      url: `/_mock/journal?wamid=${encodeURIComponent(wamid)}`,
    });
    expect(byWamid.json().entries.map((e: { kind: string }) => e.kind)).toEqual(['message.accepted']);
    const byPhone = await app.inject({
      method: 'GET',
      url: '/_mock/journal?phone=%2B447911123456&kind=message.accepted',
    });
    expect(byPhone.json().count).toBe(1);
    const rendered = await app.inject({ method: 'GET', url: `/_mock/rendered/${encodeURIComponent(wamid)}` });
    expect(rendered.json()).toMatchObject({ name: 'order_confirmation', to: T.user });
    const list = await app.inject({ method: 'GET', url: '/_mock/rendered?limit=1' });
    expect(list.json().data).toHaveLength(1);
    expect((await app.inject({ method: 'GET', url: '/_mock/rendered/wamid.nope' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/_mock/journal?limit=abc' })).statusCode).toBe(400);
  });

  it('keeps the newest renderedCapacity template sends and renders them again exactly as sent', async () => {
    ({ app } = makeMock({ renderedCapacity: 2 }));
    const wamids: string[] = [];
    for (const to of ['+16505551234', '+447911123456', '+14155550100']) {
      wamids.push((await send(app, orderConfirmation(to))).json().messages[0].id);
    }
    // The oldest was pushed out: the message is still known, its rendered text is not.
    expect(app.whatsapp.renderedText(wamids[0] as string)).toBeUndefined();
    expect(app.whatsapp.stats()['renderedKept']).toBe(2);
    const kept = app.whatsapp.renderedText(wamids[2] as string);
    const accepted = entries(app, 'message.accepted').at(-1);
    expect(kept).toMatchObject({
      wamid: wamids[2],
      to: '14155550100',
      name: 'order_confirmation',
      category: 'UTILITY',
      header: { format: 'TEXT', text: 'Order A-1001 confirmed' },
      bodyParams: { customer_name: 'Ana', order_id: 'A-1001', amount: '$42.50' },
      buttons: [
        { index: 0, type: 'url', text: 'View order', url: 'https://shop.example.com/orders/A-1001' },
        { index: 1, type: 'quick_reply', text: 'Talk to an agent' },
      ],
    });
    // The text rendered again is the one journalled when the send was accepted.
    expect(kept?.text).toBe(accepted?.data['renderedText']);
    expect(kept?.atEpochMs).toBe(accepted?.epochMs);
    // The journal still renders the send whose record let go of its binding (same parameters).
    const first = entries(app, 'message.accepted')[0];
    expect(first?.data['wamid']).toBe(wamids[0]);
    expect(first?.data['renderedText']).toBe(kept?.text);
    expect(kept?.text).toMatch(/^Order A-1001 confirmed\n/);
    const list = await app.inject({ method: 'GET', url: '/_mock/rendered?limit=10' });
    expect(list.json().data.map((r: { wamid: string }) => r.wamid)).toEqual([wamids[2], wamids[1]]);
    const none = await app.inject({ method: 'GET', url: '/_mock/rendered?limit=10&name=otp_code' });
    expect(none.json().data).toEqual([]);
  });

  it('sets and clears faults at run time: error per code, outage, 429 storm with Retry-After', async () => {
    ({ app } = makeMock());
    const add = await app.inject({
      method: 'POST',
      url: '/_mock/faults',
      payload: { spec: 'error=131000:1' },
    });
    expect(add.statusCode).toBe(200);
    const id = add.json().added[0].id;
    const r = await send(app, orderConfirmation());
    expect(r.statusCode).toBe(500);
    expect(graphError(r)).toMatchObject({ code: 131000, message: '(#131000) Something went wrong' });
    expect(entries(app, 'message.rejected')[0]?.data).toMatchObject({ errorCode: 131000, httpStatus: 500 });
    expect((await app.inject({ method: 'DELETE', url: `/_mock/faults/${id}` })).json()).toEqual({
      cleared: 1,
    });
    await app.inject({ method: 'POST', url: '/_mock/faults', payload: { specs: ['rate-limit=7s'] } });
    const limited = await send(app, orderConfirmation());
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    expect(graphError(limited).code).toBe(130429);
    await app.inject({ method: 'DELETE', url: '/_mock/faults' });
    await app.inject({ method: 'POST', url: '/_mock/faults', payload: { spec: 'outage=unavailable' } });
    const down = await send(app, orderConfirmation());
    expect(down.statusCode).toBe(503);
    expect(graphError(down).code).toBe(131016);
    expect((await app.inject({ method: 'GET', url: '/_mock/health' })).statusCode).toBe(200);
    const badSpec = await app.inject({
      method: 'POST',
      url: '/_mock/faults',
      payload: { spec: 'explode=1' },
    });
    expect(badSpec.statusCode).toBe(400);
    expect(badSpec.json().error.code).toBe('invalid_fault');
  });

  it('forces a template status with a webhook, resets state, and serves /metrics', async () => {
    ({ app } = makeMock());
    const tpl = app.whatsapp.templates().find((t) => t.name === 'feedback_request');
    const r = await app.inject({
      method: 'POST',
      url: `/_mock/templates/${tpl?.id}/status`,
      payload: { status: 'PAUSED', reason: 'LOW_QUALITY' },
    });
    expect(r.json().status).toBe('PAUSED');
    expect(
      graphError(
        await send(app, {
          messaging_product: 'whatsapp',
          to: T.user,
          type: 'template',
          template: { name: 'feedback_request', language: { code: 'en_US' } },
        }),
      ).code,
    ).toBe(132015);
    await send(app, orderConfirmation());
    expect(app.whatsapp.stats()['accepted']).toBe(1);
    expect((await app.inject({ method: 'POST', url: '/_mock/reset' })).json()).toEqual({ ok: true });
    expect(app.whatsapp.stats()['accepted']).toBe(0);
    expect(app.whatsapp.journal.size()).toBe(0);
    expect(app.whatsapp.templates().find((t) => t.name === 'feedback_request')?.status).toBe('APPROVED');
    await send(app, orderConfirmation());
    const m = await app.inject({ method: 'GET', url: '/metrics' });
    expect(m.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.body).toMatch(
      /whatsapp_mock_requests_total\{route="\/\{version\}\/\{nodeId\}\/messages",status="200",error_code=""\} 2/,
    );
    expect(m.body).toMatch(/whatsapp_mock_webhook_queue_depth \d+/);
  });

  it('answers 404 in the admin shape for unknown admin routes', async () => {
    ({ app } = makeMock());
    const r = await app.inject({ method: 'GET', url: '/_mock/nope' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('not_found');
  });
});
