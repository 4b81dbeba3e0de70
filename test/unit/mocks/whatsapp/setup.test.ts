import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookTransport } from '../../../../mocks/shared/dispatcher.js';
import { parseFields } from '../../../../mocks/whatsapp/setup.js';
import { VersionRouter } from '../../../../mocks/whatsapp/versions.js';
import { clockOf, graphError, inbound, makeMock, send, T, text } from './helpers.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

function mock(over: Parameters<typeof makeMock>[0] = {}) {
  const m = makeMock(over);
  apps.push(m.app);
  return m.app;
}

const auth = { authorization: `Bearer ${T.token}` };

function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  payload?: Record<string, unknown>,
): Promise<LightMyRequestResponse> {
  return app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
}

describe('paths and versions like Graph', () => {
  it('serves a call without a version at the default version', async () => {
    const app = mock();
    inbound(app);
    const r = await app.inject({
      method: 'POST',
      url: `/${T.phoneId}/messages`,
      headers: auth,
      payload: text(),
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['facebook-api-version']).toBe('v23.0');
    const read = await call(app, 'GET', `/${T.phoneId}?fields=verified_name`);
    expect(read.json()).toEqual({ verified_name: 'Harbor Lane Goods', id: T.phoneId });
  });

  it('serves an expired version at the oldest claimed one and refuses versions past the newest', async () => {
    const app = mock();
    const old = await call(app, 'GET', `/v18.0/${T.phoneId}`);
    expect(old.statusCode).toBe(200);
    expect(old.headers['facebook-api-version']).toBe('v21.0');
    expect((await call(app, 'GET', `/v26.0/${T.phoneId}`)).headers['facebook-api-version']).toBe('v26.0');
    const future = await call(app, 'GET', `/v27.0/${T.phoneId}`);
    expect(future.statusCode).toBe(400);
    expect(graphError(future)).toMatchObject({
      code: 100,
      type: 'OAuthException',
      message: 'Unsupported version v27.0. The latest version is v26.0.',
    });
    expect(graphError(future).error_data).toBeUndefined();
    const malformed = await call(app, 'GET', `/v23.5/${T.phoneId}`);
    expect(graphError(malformed)).toMatchObject({
      code: 100,
      message: "Invalid version format. Use format like 'v23.0'",
    });
    expect(malformed.headers['facebook-api-version']).toBe('v23.0');
  });

  it('takes its claimed range from options, stretched to the default version', async () => {
    const app = mock({ versions: { oldest: 'v22.0', newest: 'v24.0' }, apiVersion: 'v25.0' });
    expect((await call(app, 'GET', `/v21.0/${T.phoneId}`)).headers['facebook-api-version']).toBe('v22.0');
    expect((await call(app, 'GET', `/v25.0/${T.phoneId}`)).statusCode).toBe(200);
    expect(graphError(await call(app, 'GET', `/v26.0/${T.phoneId}`)).code).toBe(100);
    expect(() => mock({ versions: { oldest: 'v24.0', newest: 'v22.0' } })).toThrow(RangeError);
  });

  it('rewrites paths as a pure function (router unit)', () => {
    const r = new VersionRouter({ oldest: 'v21.0', newest: 'v26.0' }, 'v23.0');
    expect(r.rewrite('/123/messages?x=1')).toBe('/v23.0/123/messages?x=1');
    expect(r.rewrite('/v20.0/123')).toBe('/v21.0/123');
    expect(r.rewrite('/v24.0/123')).toBe('/v24.0/123');
    expect(r.rewrite('/v24.0/456')).toBe('/v24.0/456');
    expect(r.rewrite('/v99.0/123')).toBe('/v99.0/123');
    expect(r.rewrite('/')).toBe('/');
    expect(r.versionError('v24.0')).toBeUndefined();
    expect(r.versionError('v99.0')?.code).toBe(100);
    expect(() => new VersionRouter({ oldest: 'v21.0', newest: 'v26.0' }, 'v30.0')).toThrow(RangeError);
  });

  it('answers unknown edges as Graph: nonexisting field on GET, 2500 otherwise, 100/33 for unknown nodes or methods', async () => {
    const app = mock();
    const getEdge = await call(app, 'GET', `/v23.0/${T.phoneId}/settingz`);
    expect(graphError(getEdge)).toMatchObject({
      code: 100,
      message:
        '(#100) Tried accessing nonexisting field (settingz) on node type (WhatsAppBusinessPhoneNumber)',
    });
    const wabaEdge = await call(app, 'GET', `/v23.0/${T.waba}/flows`);
    expect(graphError(wabaEdge).message).toMatch(/on node type \(WhatsAppBusinessAccount\)$/);
    const postEdge = await call(app, 'POST', `/v23.0/${T.phoneId}/settingz`, {});
    expect(graphError(postEdge)).toMatchObject({ code: 2500, message: 'Unknown path components: /settingz' });
    const deep = await call(app, 'GET', `/v23.0/${T.phoneId}/messages/extra`);
    expect(graphError(deep)).toMatchObject({
      code: 2500,
      message: 'Unknown path components: /messages/extra',
    });
    for (const [method, url] of [
      ['GET', '/v23.0/999/settingz'],
      ['POST', '/v23.0/999/messages'],
      ['DELETE', `/v23.0/${T.phoneId}/messages`],
      ['GET', `/v23.0/${T.phoneId}/register`],
      ['DELETE', `/v23.0/${T.phoneId}`],
    ] as const) {
      const r = await call(app, method, url, method === 'POST' ? text() : undefined);
      expect(r.statusCode, `${method} ${url}`).toBe(400);
      expect(graphError(r), `${method} ${url}`).toMatchObject({
        code: 100,
        error_subcode: 33,
        type: 'GraphMethodException',
      });
      expect(graphError(r).message.startsWith(`Unsupported ${method.toLowerCase()} request.`)).toBe(true);
    }
  });
});

describe('fields= on node reads', () => {
  it('answers only the requested fields plus id, for the number, the WABA and a template', async () => {
    const app = mock();
    const phone = await call(
      app,
      'GET',
      `/v23.0/${T.phoneId}?fields=display_phone_number,status,is_pin_enabled`,
    );
    expect(phone.json()).toEqual({
      display_phone_number: '+1 555-078-3881',
      status: 'CONNECTED',
      is_pin_enabled: false,
      id: T.phoneId,
    });
    const full = (await call(app, 'GET', `/v23.0/${T.phoneId}`)).json();
    expect(Object.keys(full)).toEqual([
      'verified_name',
      'code_verification_status',
      'display_phone_number',
      'quality_rating',
      'platform_type',
      'throughput',
      'messaging_limit_tier',
      'id',
    ]);
    const waba = await call(app, 'GET', `/v23.0/${T.waba}?fields=name,currency`);
    expect(waba.json()).toEqual({ name: 'Harbor Lane Goods', currency: 'USD', id: T.waba });
    const tpl = app.whatsapp.templates()[0];
    const one = await call(app, 'GET', `/v23.0/${tpl?.id}?fields=name,status`);
    expect(one.json()).toEqual({ name: tpl?.name, status: tpl?.status, id: tpl?.id });
    const sub = await call(app, 'GET', `/v23.0/${T.phoneId}?fields=throughput{level},id`);
    expect(sub.json()).toEqual({ throughput: { level: 'HIGH' }, id: T.phoneId });
    const bad = await call(app, 'GET', `/v23.0/${T.phoneId}?fields=verified_name,colour`);
    expect(graphError(bad).message).toBe(
      '(#100) Tried accessing nonexisting field (colour) on node type (WhatsAppBusinessPhoneNumber)',
    );
    expect(graphError(await call(app, 'GET', `/v23.0/${tpl?.id}?fields=colour`)).message).toMatch(
      /node type \(WhatsAppBusinessHSM\)/,
    );
  });

  it('parses fields with sub-selections and refuses a repeated fields param', () => {
    expect(parseFields({ fields: 'a, b{c,d{e}},f' })).toEqual(['a', 'b', 'f']);
    expect(parseFields({})).toBeUndefined();
    expect(() => parseFields({ fields: ['a', 'b'] })).toThrow('(#100) Invalid parameter');
  });
});

describe('setup calls with Meta’s shapes', () => {
  it('lists the WABA’s phone numbers with paging, fields honoured', async () => {
    const app = mock();
    const r = await call(app, 'GET', `/v23.0/${T.waba}/phone_numbers`);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      id: T.phoneId,
      verified_name: 'Harbor Lane Goods',
      quality_rating: 'GREEN',
    });
    expect(body.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
    const some = await call(app, 'GET', `/v23.0/${T.waba}/phone_numbers?fields=display_phone_number`);
    expect(some.json().data[0]).toEqual({ display_phone_number: '+1 555-078-3881', id: T.phoneId });
    expect(graphError(await call(app, 'GET', `/v23.0/${T.phoneId}/phone_numbers`))).toMatchObject({
      code: 100,
      error_subcode: 33,
    });
  });

  it('reads and updates the business profile, checking Meta’s limits before changing anything', async () => {
    const app = mock();
    const url = `/v23.0/${T.phoneId}/whatsapp_business_profile`;
    const r = await call(app, 'GET', `${url}?fields=about,websites,vertical`);
    expect(r.json()).toEqual({
      data: [
        {
          about: expect.any(String),
          websites: ['https://www.harborlanegoods.com/'],
          vertical: 'RETAIL',
        },
      ],
    });
    expect(Object.keys((await call(app, 'GET', url)).json().data[0]).sort()).toEqual(
      [
        'about',
        'address',
        'description',
        'email',
        'messaging_product',
        'profile_picture_url',
        'vertical',
        'websites',
      ].sort(),
    );
    const ok = await call(app, 'POST', url, {
      messaging_product: 'whatsapp',
      about: 'Open 9-5',
      websites: ['https://a.example/', 'https://b.example/'],
      vertical: 'RESTAURANT',
      profile_picture_handle: '4:aGFuZGxl:aW1hZ2UvanBlZw==:xyz',
    });
    expect(ok.json()).toEqual({ success: true });
    const after = (await call(app, 'GET', url)).json().data[0];
    expect(after).toMatchObject({
      about: 'Open 9-5',
      vertical: 'RESTAURANT',
      websites: ['https://a.example/', 'https://b.example/'],
    });
    expect(after.profile_picture_url).toMatch(/^https:\/\/pps\.whatsapp\.net\//);
    for (const [body, pattern] of [
      [{ about: 'x' }, /messaging_product is required/],
      [{ messaging_product: 'whatsapp', about: 'x'.repeat(140) }, /about must be between 1 and 139/],
      [{ messaging_product: 'whatsapp', about: 'ok', websites: ['a', 'b', 'c'] }, /websites/],
      [{ messaging_product: 'whatsapp', email: 'not-an-email' }, /email/],
      [{ messaging_product: 'whatsapp', vertical: 'SPACE' }, /vertical/],
      [{ messaging_product: 'whatsapp', colour: 'red' }, /colour is not a valid parameter/],
    ] as const) {
      const bad = await call(app, 'POST', url, body);
      expect(bad.statusCode).toBe(400);
      expect(`${graphError(bad).message} ${graphError(bad).error_data?.details}`).toMatch(pattern);
    }
    // Nothing changed by the refused updates (the about with 140 characters came with a valid one).
    expect((await call(app, 'GET', url)).json().data[0].about).toBe('Open 9-5');
  });

  it('deregisters (sends then fail with 133010), registers again with the PIN, and limits register calls', async () => {
    const app = mock();
    inbound(app);
    const ph = `/v23.0/${T.phoneId}`;
    expect((await call(app, 'POST', `${ph}/deregister`)).json()).toEqual({ success: true });
    expect((await call(app, 'GET', `${ph}?fields=status`)).json().status).toBe('DISCONNECTED');
    const refused = await send(app, text());
    expect(graphError(refused).code).toBe(133010);
    const again = await call(app, 'POST', `${ph}/deregister`);
    expect(graphError(again)).toMatchObject({ code: 100, error_subcode: 2207051 });
    expect(
      graphError(await call(app, 'POST', `${ph}/register`, { messaging_product: 'whatsapp' })).message,
    ).toMatch(/pin is required/);
    expect(
      graphError(await call(app, 'POST', `${ph}/register`, { messaging_product: 'whatsapp', pin: '12ab' }))
        .error_data?.details,
    ).toMatch(/6-digit/);
    const reg = await call(app, 'POST', `${ph}/register`, { messaging_product: 'whatsapp', pin: '123456' });
    expect(reg.json()).toEqual({ success: true });
    expect((await send(app, text())).statusCode).toBe(200);
    expect((await call(app, 'GET', `${ph}?fields=is_pin_enabled`)).json().is_pin_enabled).toBe(true);
    const mismatch = await call(app, 'POST', `${ph}/register`, {
      messaging_product: 'whatsapp',
      pin: '654321',
    });
    expect(graphError(mismatch).code).toBe(133005);
    // 10 register/deregister calls per 72 h: 3 so far (deregister, register, refused register).
    for (let i = 0; i < 7; i++)
      expect(
        (await call(app, 'POST', `${ph}/register`, { messaging_product: 'whatsapp', pin: '123456' }))
          .statusCode,
      ).toBe(200);
    const limited = await call(app, 'POST', `${ph}/register`, {
      messaging_product: 'whatsapp',
      pin: '123456',
    });
    expect(graphError(limited).code).toBe(133016);
    clockOf(app).advance(72 * 3_600_000);
    expect(
      (await call(app, 'POST', `${ph}/register`, { messaging_product: 'whatsapp', pin: '123456' }))
        .statusCode,
    ).toBe(200);
  });

  it('sets the two-step PIN with POST /{phone-number-id}', async () => {
    const app = mock();
    const ph = `/v23.0/${T.phoneId}`;
    expect((await call(app, 'POST', ph, { pin: '246810' })).json()).toEqual({ success: true });
    expect(graphError(await call(app, 'POST', ph, { pin: '1234' })).code).toBe(100);
    expect(graphError(await call(app, 'POST', ph, { colour: 'red' })).code).toBe(100);
    expect(
      graphError(await call(app, 'POST', `${ph}/register`, { messaging_product: 'whatsapp', pin: '111111' }))
        .code,
    ).toBe(133005);
    expect(
      (await call(app, 'POST', `${ph}/register`, { messaging_product: 'whatsapp', pin: '246810' }))
        .statusCode,
    ).toBe(200);
  });

  it('requests and verifies a code (query or body), which expires, and gates registration', async () => {
    const app = mock();
    const ph = `/v23.0/${T.phoneId}`;
    expect(
      graphError(await call(app, 'POST', `${ph}/request_code?code_method=FAX&language=en_US`)).message,
    ).toBe('Invalid parameter: code_method must be SMS or VOICE');
    expect((await call(app, 'POST', `${ph}/request_code?code_method=SMS&language=en_US`)).json()).toEqual({
      success: true,
    });
    expect(
      (await call(app, 'GET', `${ph}?fields=code_verification_status`)).json().code_verification_status,
    ).toBe('NOT_VERIFIED');
    expect(
      graphError(await call(app, 'POST', `${ph}/register`, { messaging_product: 'whatsapp', pin: '123456' }))
        .code,
    ).toBe(133006);
    const code = (await app.inject({ method: 'GET', url: '/_mock/verification-code' })).json().code as string;
    expect(code).toMatch(/^\d{6}$/);
    const wrong = code === '000000' ? '111111' : '000000';
    expect(graphError(await call(app, 'POST', `${ph}/verify_code`, { code: wrong })).message).toBe(
      'The verification code is invalid or has expired',
    );
    expect(graphError(await call(app, 'POST', `${ph}/verify_code`, { code: '12' })).message).toBe(
      'Invalid verification code format',
    );
    expect((await call(app, 'POST', `${ph}/verify_code?code=${code}`)).json()).toEqual({ success: true });
    expect(
      (await call(app, 'GET', `${ph}?fields=code_verification_status`)).json().code_verification_status,
    ).toBe('VERIFIED');
    // A code is single-use and lasts 10 minutes.
    expect(graphError(await call(app, 'POST', `${ph}/verify_code`, { code })).code).toBe(100);
    await call(app, 'POST', `${ph}/request_code`, { code_method: 'VOICE', language: 'es_ES' });
    const late = (await app.inject({ method: 'GET', url: '/_mock/verification-code' })).json().code as string;
    clockOf(app).advance(10 * 60_000 + 1);
    expect(graphError(await call(app, 'POST', `${ph}/verify_code`, { code: late })).code).toBe(100);
    expect((await app.inject({ method: 'GET', url: '/_mock/verification-code' })).statusCode).toBe(404);
  });

  it('lists, unsubscribes and resubscribes the app; without a subscription webhooks are held', async () => {
    const posts: string[] = [];
    const transport: WebhookTransport = {
      send(target, _headers, _body, done) {
        posts.push(target.href);
        queueMicrotask(() => done({ statusCode: 200 }));
        return () => {};
      },
      close() {},
    };
    const app = mock({ webhookUrl: 'https://crm.example.com/wa', webhook: { transport } });
    const url = `/v23.0/${T.waba}/subscribed_apps`;
    const list = (await call(app, 'GET', url)).json();
    expect(list.data).toHaveLength(1);
    expect(list.data[0].whatsapp_business_api_data).toEqual({
      link: expect.stringMatching(/^https:\/\/www\.facebook\.com\/games\/\?app_id=\d{16}$/),
      name: expect.any(String),
      id: expect.stringMatching(/^\d{16}$/),
    });
    expect((await call(app, 'DELETE', url)).json()).toEqual({ success: true });
    expect((await call(app, 'GET', url)).json()).toEqual({ data: [] });
    inbound(app);
    await new Promise((r) => setImmediate(r));
    expect(posts).toEqual([]);
    expect((await call(app, 'POST', url)).json()).toEqual({ success: true });
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    expect(posts).toEqual(['https://crm.example.com/wa']);
    expect(
      graphError(await call(app, 'POST', url, { override_callback_uri: 'https://x.example/h' })).code,
    ).toBe(100);
    expect(graphError(await call(app, 'GET', `/v23.0/${T.phoneId}/subscribed_apps`)).error_subcode).toBe(33);
  });

  it('edits a template: back to review with new components, under Meta’s edit rules', async () => {
    const app = mock({ templateApproval: { approveProbability: 1, delay: { kind: 'fixed', ms: 60_000 } } });
    const tpl = app.whatsapp.templates().find((t) => t.status === 'APPROVED' && t.category === 'UTILITY');
    if (!tpl) throw new Error('no approved utility seed');
    const url = `/v23.0/${tpl.id}`;
    const components = [
      { type: 'BODY', text: 'Hi {{1}}, your order shipped.', example: { body_text: [['Ana']] } },
    ];
    expect(graphError(await call(app, 'POST', url, { category: 'MARKETING' })).error_data?.details).toMatch(
      /category of an approved template cannot be changed/,
    );
    expect((await call(app, 'POST', url, { components })).json()).toEqual({ success: true });
    const read = (await call(app, 'GET', url)).json();
    expect(read).toMatchObject({ status: 'PENDING', components });
    expect(graphError(await call(app, 'POST', url, { components })).error_data?.details).toMatch(
      /PENDING cannot be edited/,
    );
    clockOf(app).advance(60_000);
    expect((await call(app, 'GET', `${url}?fields=status`)).json()).toEqual({
      status: 'APPROVED',
      id: tpl.id,
    });
    // Once per 24 h for an approved template.
    expect(graphError(await call(app, 'POST', url, { components })).error_data?.details).toMatch(
      /once every 24 hours/,
    );
    clockOf(app).advance(24 * 3_600_000);
    expect((await call(app, 'POST', url, { components })).statusCode).toBe(200);
    expect(graphError(await call(app, 'POST', `/v23.0/${T.waba}`, { name: 'x' }))).toMatchObject({
      code: 100,
      error_subcode: 33,
    });
    expect(graphError(await call(app, 'POST', url, { colour: 'red' })).error_data?.details).toMatch(
      /Unexpected key "colour"/,
    );
  });
});
