import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookTransport } from '../../../../mocks/shared/dispatcher.js';
import {
  clockOf,
  graphError,
  inbound,
  makeMock,
  multipartBody,
  orderConfirmation,
  send,
  T,
  text,
} from './helpers.js';

// What real client code can tell apart from Meta: words that give a test double away, ids that
// repeat across restarts, a throttled answer that says nothing about when to come back.

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

function mock(over: Parameters<typeof makeMock>[0] = {}) {
  const m = makeMock(over);
  apps.push(m.app);
  return m;
}

const auth = { authorization: `Bearer ${T.token}` };
/** Words no Graph answer or webhook may carry (the product's name, or what it is). */
const GIVEAWAY = /mock|wacrm|emulat|simulat|\bfake\b|\bstub\b|harness/i;

/** A transport that keeps every webhook body (and answers 200). */
function capture(): { transport: WebhookTransport; bodies: string[] } {
  const bodies: string[] = [];
  return {
    bodies,
    transport: {
      send(_target, _headers, body, done) {
        bodies.push(body.toString('utf8'));
        queueMicrotask(() => done({ statusCode: 200 }));
        return () => {};
      },
      close() {},
    },
  };
}

function scan(label: string, r: LightMyRequestResponse): void {
  expect(r.body, `${label}: body`).not.toMatch(GIVEAWAY);
  for (const [k, v] of Object.entries(r.headers)) {
    expect(`${k}: ${String(v)}`, `${label}: header`).not.toMatch(GIVEAWAY);
  }
}

describe('nothing in a Graph answer or webhook says what the service is', () => {
  it('scans every route, successes and errors, and every webhook kind', async () => {
    const hook = capture();
    const { app, clock } = mock({
      webhookUrl: 'https://crm.example.com/hooks/whatsapp',
      webhook: { transport: hook.transport },
      templateApproval: { approveProbability: 1, delay: { kind: 'fixed', ms: 1000 } },
    });
    inbound(app);
    const tplId = app.whatsapp.templates()[0]?.id ?? '';
    const calls: Array<[string, 'GET' | 'POST' | 'DELETE', string, unknown?]> = [
      ['send ok', 'POST', `/v23.0/${T.phoneId}/messages`, text()],
      ['send template', 'POST', `/v23.0/${T.phoneId}/messages`, orderConfirmation()],
      [
        'send unsupported interactive',
        'POST',
        `/v23.0/${T.phoneId}/messages`,
        {
          messaging_product: 'whatsapp',
          to: T.user,
          type: 'interactive',
          interactive: { type: 'flow', body: { text: 'x' }, action: {} },
        },
      ],
      ['send group', 'POST', `/v23.0/${T.phoneId}/messages`, { ...text(), recipient_type: 'group' }],
      ['send bad type', 'POST', `/v23.0/${T.phoneId}/messages`, { ...text(), type: 'hologram' }],
      ['send bad body', 'POST', `/v23.0/${T.phoneId}/messages`, { ...text(), extra: 1 }],
      ['read phone', 'GET', `/v23.0/${T.phoneId}`],
      ['read phone fields', 'GET', `/v23.0/${T.phoneId}?fields=verified_name,name_status,status`],
      ['read waba', 'GET', `/v23.0/${T.waba}?fields=name,account_review_status`],
      ['read template', 'GET', `/v23.0/${tplId}`],
      ['read unknown', 'GET', '/v23.0/999'],
      ['templates', 'GET', `/v23.0/${T.waba}/message_templates`],
      [
        'create template',
        'POST',
        `/v23.0/${T.waba}/message_templates`,
        {
          name: 'scan_probe',
          category: 'UTILITY',
          language: 'en_US',
          components: [
            { type: 'BODY', text: 'Your parcel {{1}} is on its way.', example: { body_text: [['A1']] } },
          ],
        },
      ],
      ['delete missing template', 'DELETE', `/v23.0/${T.waba}/message_templates?name=nope`],
      ['phone numbers', 'GET', `/v23.0/${T.waba}/phone_numbers`],
      ['profile', 'GET', `/v23.0/${T.phoneId}/whatsapp_business_profile`],
      [
        'profile bad',
        'POST',
        `/v23.0/${T.phoneId}/whatsapp_business_profile`,
        { messaging_product: 'whatsapp', vertical: 'SPACE' },
      ],
      ['subscribed apps', 'GET', `/v23.0/${T.waba}/subscribed_apps`],
      ['request code', 'POST', `/v23.0/${T.phoneId}/request_code`, { code_method: 'SMS', language: 'en_US' }],
      ['verify wrong code', 'POST', `/v23.0/${T.phoneId}/verify_code`, { code: '000000' }],
      ['unknown edge', 'GET', `/v23.0/${T.phoneId}/nope`],
      ['unknown deep path', 'POST', `/v23.0/${T.phoneId}/a/b`, {}],
      ['future version', 'GET', `/v99.0/${T.phoneId}`],
      ['no token', 'GET', `/v23.0/${T.phoneId}`],
    ];
    for (const [label, method, url, payload] of calls) {
      const r = await app.inject({
        method,
        url,
        headers: label === 'no token' ? {} : auth,
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
      scan(label, r);
    }
    // Media: uploads (accepted and refused), lookups, the download URL's answers, deletes.
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]);
    const uploadAs = (type: string, data: Buffer) => {
      const { payload, contentType } = multipartBody([
        { name: 'messaging_product', value: 'whatsapp' },
        { name: 'type', value: type },
        { name: 'file', filename: 'f.bin', contentType: type, data },
      ]);
      return app.inject({
        method: 'POST',
        url: `/v23.0/${T.phoneId}/media`,
        headers: { ...auth, 'content-type': contentType },
        payload,
      });
    };
    const up = await uploadAs('image/jpeg', jpeg);
    scan('upload', up);
    scan('upload bad type', await uploadAs('application/x-msdownload', jpeg));
    scan('upload empty', await uploadAs('image/jpeg', Buffer.alloc(0)));
    const mediaId = (up.json() as { id: string }).id;
    const meta = await app.inject({ method: 'GET', url: `/v23.0/${mediaId}`, headers: auth });
    scan('media lookup', meta);
    const download = new URL((meta.json() as { url: string }).url);
    const got = await app.inject({ method: 'GET', url: download.pathname + download.search, headers: auth });
    expect(got.statusCode).toBe(200);
    // The bytes are the file's own; what is scanned is everything around them.
    for (const [k, v] of Object.entries(got.headers)) expect(`${k}: ${String(v)}`).not.toMatch(GIVEAWAY);
    const tampered = `${download.pathname}${download.search.replace(/hash=[^&]+/, 'hash=x')}`;
    scan('download tampered', await app.inject({ method: 'GET', url: tampered, headers: auth }));
    scan('download no token', await app.inject({ method: 'GET', url: download.pathname + download.search }));
    scan('media delete', await app.inject({ method: 'DELETE', url: `/v23.0/${mediaId}`, headers: auth }));
    scan('media gone', await app.inject({ method: 'GET', url: `/v23.0/${mediaId}`, headers: auth }));
    scan(
      'send unknown media',
      await send(app, { ...text(), type: 'image', text: undefined, image: { id: '1234567890123456' } }),
    );
    // Registration, PIN, subscriptions, template edits, versions.
    const ph = `/v23.0/${T.phoneId}`;
    for (const [label, method, url, payload] of [
      ['deregister', 'POST', `${ph}/deregister`, {}],
      ['send deregistered', 'POST', `${ph}/messages`, text()],
      ['deregister again', 'POST', `${ph}/deregister`, {}],
      ['register', 'POST', `${ph}/register`, { messaging_product: 'whatsapp', pin: '123456' }],
      ['register pin mismatch', 'POST', `${ph}/register`, { messaging_product: 'whatsapp', pin: '654321' }],
      ['set pin', 'POST', ph, { pin: '123456' }],
      ['set pin bad', 'POST', ph, { pin: '12' }],
      ['subscribe', 'POST', `/v23.0/${T.waba}/subscribed_apps`, {}],
      ['unsubscribe', 'DELETE', `/v23.0/${T.waba}/subscribed_apps`, undefined],
      ['resubscribe', 'POST', `/v23.0/${T.waba}/subscribed_apps`, {}],
      ['edit template bad', 'POST', `/v23.0/${tplId}`, { colour: 'red' }],
      ['unversioned', 'GET', `/${T.phoneId}?fields=verified_name`, undefined],
      ['expired version', 'GET', `/v18.0/${T.waba}`, undefined],
      ['malformed version', 'GET', `/v23.5/${T.waba}`, undefined],
    ] as const) {
      const r = await app.inject({
        method,
        url,
        headers: auth,
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
      scan(label, r);
    }
    // The internal-error fallback, a fault's error and a 429 storm say nothing either.
    await app.inject({ method: 'POST', url: '/_mock/faults', payload: { specs: ['error=1:1'] } });
    scan('fault error', await send(app, text()));
    await app.inject({ method: 'DELETE', url: '/_mock/faults' });
    await app.inject({ method: 'POST', url: '/_mock/faults', payload: { specs: ['rate-limit=5s'] } });
    scan('429 storm', await send(app, text()));
    await app.inject({ method: 'DELETE', url: '/_mock/faults' });
    // Webhooks: statuses (delivered, read, failed), inbound messages, template reviews.
    await send(app, text('16505550123'));
    app.whatsapp.sendInbound({ from: '16505550777', type: 'image', image: { mime_type: 'image/jpeg' } });
    clock.advance(5_000);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    const kinds = new Set(
      hook.bodies.map((b) => Object.keys(JSON.parse(b).entry[0].changes[0].value).join()),
    );
    expect(hook.bodies.length).toBeGreaterThanOrEqual(5);
    expect([...kinds].some((k) => k.includes('statuses'))).toBe(true);
    expect([...kinds].some((k) => k.includes('messages'))).toBe(true);
    expect(hook.bodies.some((b) => b.includes('message_template_status_update'))).toBe(true);
    for (const b of hook.bodies) expect(b).not.toMatch(GIVEAWAY);
  });

  it('answers features the number has no assets for with Graph’s invalid-parameter error', async () => {
    const { app } = mock();
    inbound(app);
    const flow = await send(app, {
      messaging_product: 'whatsapp',
      to: T.user,
      type: 'interactive',
      interactive: { type: 'product_list', body: { text: 'x' }, action: {} },
    });
    expect(flow.statusCode).toBe(400);
    expect(graphError(flow)).toMatchObject({ code: 100, message: '(#100) Invalid parameter' });
    expect(graphError(flow).error_data?.details).toBe(
      `Invalid value "product_list" for param interactive['type'].`,
    );
    const group = await send(app, { ...text(), recipient_type: 'group' });
    expect(graphError(group)).toMatchObject({ code: 100 });
    expect(graphError(group).error_data?.details).toBe('Invalid value "group" for param recipient_type.');
  });
});

describe('ids across restarts', () => {
  const firstIds = async (over: Parameters<typeof makeMock>[0]) => {
    const hook = capture();
    const { app } = mock({
      ...over,
      webhookUrl: 'https://crm.example.com/hooks',
      webhook: { transport: hook.transport },
    });
    const inboundId = inbound(app);
    const outboundId = (await send(app, text())).json().messages[0].id as string;
    const created = await app.inject({
      method: 'POST',
      url: `/v23.0/${T.waba}/message_templates`,
      headers: auth,
      payload: {
        name: 'restart_probe',
        category: 'UTILITY',
        language: 'en_US',
        components: [{ type: 'BODY', text: 'Hello {{1}}', example: { body_text: [['Ana']] } }],
      },
    });
    const media = app.whatsapp.sendInbound({
      from: '16505550777',
      type: 'image',
      image: { mime_type: 'image/jpeg' },
    });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    const imageId = hook.bodies
      .map((b) => JSON.parse(b).entry[0].changes[0].value.messages?.[0])
      .find((m) => m?.type === 'image')?.image.id as string;
    expect(imageId).toMatch(/^\d{16}$/);
    const seeded = app.whatsapp.templates()[0]?.id;
    const verify = await app.inject({
      method: 'POST',
      url: `/v23.0/${T.phoneId}/request_code`,
      headers: auth,
      payload: { code_method: 'SMS', language: 'en_US' },
    });
    expect(verify.statusCode).toBe(200);
    const code = (await app.inject({ method: 'GET', url: '/_mock/verification-code' })).json().code as string;
    return {
      inboundId,
      outboundId,
      templateId: created.json().id as string,
      seeded,
      media: media.wamid,
      imageId,
      code,
    };
  };

  it('are fresh per start by default while content follows the seed', async () => {
    const a = await firstIds({ seed: 3 });
    const b = await firstIds({ seed: 3 });
    expect(a.inboundId).not.toBe(b.inboundId);
    expect(a.outboundId).not.toBe(b.outboundId);
    expect(a.templateId).not.toBe(b.templateId);
    expect(a.seeded).not.toBe(b.seeded);
    expect(a.media).not.toBe(b.media);
    expect(a.imageId).not.toBe(b.imageId);
    // Content drawn from the seed is the same in both starts (here: the verification code).
    expect(a.code).toBe(b.code);
    expect(a.inboundId).toMatch(/^wamid\./);
  });

  it('repeat exactly with reproducibleIds', async () => {
    const a = await firstIds({ seed: 3, reproducibleIds: true });
    const b = await firstIds({ seed: 3, reproducibleIds: true });
    expect([a.inboundId, a.outboundId, a.templateId, a.seeded, a.media, a.imageId]).toEqual([
      b.inboundId,
      b.outboundId,
      b.templateId,
      b.seeded,
      b.media,
      b.imageId,
    ]);
    const c = await firstIds({ seed: 4, reproducibleIds: true });
    expect(c.outboundId).not.toBe(a.outboundId);
  });
});

describe('x-business-use-case-usage while throttled', () => {
  const usage = (r: LightMyRequestResponse) =>
    JSON.parse(String(r.headers['x-business-use-case-usage']))[T.waba][0] as Record<string, number>;

  it('130429 reports a non-zero wait in minutes, after which sends are accepted again', async () => {
    const { app } = mock({ throughputPerSec: 2 });
    const ok = await send(app, orderConfirmation('16505550001'));
    expect(usage(ok)['estimated_time_to_regain_access']).toBe(0);
    await send(app, orderConfirmation('16505550002'));
    const limited = await send(app, orderConfirmation('16505550003'));
    expect(graphError(limited).code).toBe(130429);
    const u = usage(limited);
    const waitMinutes = u['estimated_time_to_regain_access'] ?? 0;
    expect(waitMinutes).toBeGreaterThanOrEqual(1);
    expect(u['call_count']).toBe(100);
    clockOf(app).advance(waitMinutes * 60_000);
    const again = await send(app, orderConfirmation('16505550003'));
    expect(again.statusCode).toBe(200);
    expect(usage(again)['estimated_time_to_regain_access']).toBe(0);
  });

  it('a 429 storm reports its Retry-After rounded up to minutes', async () => {
    const { app } = mock();
    await app.inject({ method: 'POST', url: '/_mock/faults', payload: { specs: ['rate-limit=90s'] } });
    const r = await send(app, orderConfirmation());
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('90');
    expect(usage(r)['estimated_time_to_regain_access']).toBe(2);
    const mgmt = await app.inject({
      method: 'GET',
      url: `/v23.0/${T.waba}/message_templates`,
      headers: auth,
    });
    expect(graphError(mgmt).code).toBe(80007);
    expect(usage(mgmt)['estimated_time_to_regain_access']).toBe(2);
  });
});
