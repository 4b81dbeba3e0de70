import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, type ErrorProfile, httpStatusFor } from '../../mocks/whatsapp/index.js';
import { VALID_BODIES } from '../unit/mocks/whatsapp/helpers.js';
import {
  admin,
  closesAfter,
  graphCall,
  type LooseJson,
  orderConfirmation,
  type Receiver,
  sendMessage,
  startMock,
  startReceiver,
  textMessage,
  W,
} from './whatsapp-helpers.js';

// Over a real socket with fetch: every message type is accepted in Meta's shape, and every code
// of the error catalogue can be reached, each carrying the right envelope and HTTP status.

const open = closesAfter('all');

async function mock(over: Parameters<typeof startMock>[0] = {}) {
  const m = await startMock(over);
  open.push(m.app);
  return m;
}

type Sync = { status: number; headers: Headers; json: Record<string, LooseJson> };

function expectEnvelope(r: Sync, code: number, profile: ErrorProfile = '2026'): void {
  expect(r.status, JSON.stringify(r.json)).toBe(httpStatusFor(code, profile));
  const e = r.json['error'];
  expect(e.code).toBe(code);
  expect(typeof e.type).toBe('string');
  expect(typeof e.message).toBe('string');
  // Graph-level codes carry their own message (naming what failed) and no error_data.
  if (![100, 190, 2200, 2500].includes(code)) {
    expect(e.message).toBe(`(#${code}) ${ERROR_CATALOGUE.get(code)?.title}`);
    expect(e.error_data.messaging_product).toBe('whatsapp');
    expect(e.error_data.details.length).toBeGreaterThan(0);
  }
  expect(e.fbtrace_id).toBe(r.headers.get('x-fb-trace-id'));
  expect(r.headers.get('facebook-api-version')).toMatch(/^v\d+\.0$/);
}

describe('sending every message type over a socket', () => {
  let base: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    ({ app, base } = await mock());
    app.whatsapp.sendInbound({ from: W.user, type: 'text', text: { body: 'hi' } });
  });

  it.each(Object.entries(VALID_BODIES))('%s → 200 with contacts and a wamid', async (_name, body) => {
    const r = await sendMessage(base, body);
    expect(r.status).toBe(200);
    expect(r.json['messaging_product']).toBe('whatsapp');
    expect(r.json['contacts']).toEqual([{ input: W.user, wa_id: W.user }]);
    expect(r.json['messages'][0].id).toMatch(/^wamid\./);
    expect(r.headers.get('x-business-use-case-usage')).toContain(W.waba);
  });

  it('sends a template with header, currency, phone number and button; the rendered text is kept', async () => {
    const r = await sendMessage(base, orderConfirmation('+16505551234'));
    expect(r.json['messages'][0].message_status).toBe('accepted');
    const wamid = r.json['messages'][0].id as string;
    const rendered = await admin(base, 'GET', `/_mock/rendered/${encodeURIComponent(wamid)}`);
    expect(rendered.json.text).toBe(
      "Order A-1 confirmed\nHi Ana, thanks for your order A-1. Total: $9.99. We'll message you at +16505551234 when it ships.",
    );
  });

  it('mark-as-read with a typing indicator answers {success: true}', async () => {
    const { wamid } = app.whatsapp.sendInbound({ from: W.user, type: 'text', text: { body: 'again' } });
    const r = await sendMessage(base, {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: wamid,
      typing_indicator: { type: 'text' },
    });
    expect(r.json).toEqual({ success: true });
  });
});

describe('every error code in the catalogue is reachable with its envelope', () => {
  let base: string;
  let app: FastifyInstance;
  let receiver: Receiver;
  const reached = new Set<number>();

  beforeAll(async () => {
    receiver = await startReceiver();
    open.push(receiver);
    ({ app, base } = await mock({
      webhookUrl: receiver.url,
      notOnWhatsApp: ['447911123456'],
      marketingOptOut: ['16505550001'],
    }));
  });

  afterAll(() => {
    // The loop below must have covered the whole catalogue.
    expect([...ERROR_CATALOGUE.keys()].filter((c) => !reached.has(c))).toEqual([]);
  });

  const tpl = (name: string, language = 'en_US', components?: unknown[]) => ({
    messaging_product: 'whatsapp',
    to: W.user,
    type: 'template',
    template: { name, language: { code: language }, ...(components ? { components } : {}) },
  });
  const bodyText = (...values: string[]) => [
    { type: 'body', parameters: values.map((text) => ({ type: 'text', text })) },
  ];

  const syncTriggers: Record<number, () => Promise<Sync>> = {
    100: () => sendMessage(base, { ...textMessage(), surprise: true }),
    190: () => sendMessage(base, textMessage(), { token: 'wrong' }),
    2500: () => graphCall(base, 'POST', `/v23.0/${W.phoneId}/settingz`, {}),
    // A callback nobody listens on (port 1) fails the verification request.
    2200: () =>
      graphCall(base, 'POST', `/v23.0/${W.waba}/subscribed_apps`, {
        override_callback_uri: 'http://127.0.0.1:1/hooks',
        verify_token: 'v',
      }),
    131008: () => sendMessage(base, { messaging_product: 'whatsapp', to: W.user, type: 'text', text: {} }),
    131009: () => sendMessage(base, { ...textMessage(), text: { body: 'x'.repeat(5000) } }),
    131021: () => sendMessage(base, textMessage(W.display)),
    131051: () =>
      sendMessage(base, { messaging_product: 'whatsapp', to: W.user, type: 'hologram', hologram: {} }),
    // A media id nothing was uploaded under (whatsapp-media.test.ts covers the whole media cycle).
    131053: () =>
      sendMessage(base, {
        messaging_product: 'whatsapp',
        to: W.user,
        type: 'image',
        image: { id: '4490709327384033' },
      }),
    132000: () => sendMessage(base, tpl('feedback_request', 'en_US', bodyText('only one'))),
    132001: () => sendMessage(base, tpl('order_confirmation', 'de')),
    132005: () => sendMessage(base, tpl('feedback_request', 'en_US', bodyText('x'.repeat(1100), 'y'))),
    132012: () =>
      sendMessage(
        base,
        tpl('feedback_request', 'en_US', [
          {
            type: 'body',
            parameters: [
              { type: 'image', image: { id: '1' } },
              { type: 'text', text: 'y' },
            ],
          },
        ]),
      ),
    132015: () => sendMessage(base, tpl('flash_sale', 'en_US', bodyText('a', 'b'))),
    132016: () => sendMessage(base, tpl('old_newsletter', 'en_US', bodyText('a'))),
  };

  it('sync codes reached by what the client sends', async () => {
    for (const [code, trigger] of Object.entries(syncTriggers)) {
      const r = await trigger();
      expectEnvelope(r, Number(code));
      reached.add(Number(code));
    }
    const unknownId = await sendMessage(base, textMessage(), { phoneId: '999' });
    expect(unknownId.json['error']).toMatchObject({
      code: 100,
      error_subcode: 33,
      type: 'GraphMethodException',
    });
  });

  it('limit codes: 130429 throughput, 131056 pair rate, 131030 allow-list, 131047 sync window', async () => {
    const limited = await mock({
      throughputPerSec: 3,
      pairRate: { perSec: 0.01, burst: 1 },
      windowErrorMode: 'sync',
      allowedRecipients: [W.user, '16505550002'],
    });
    expectEnvelope(await sendMessage(limited.base, textMessage('447911123456')), 131030);
    expectEnvelope(await sendMessage(limited.base, textMessage()), 131047);
    expect((await sendMessage(limited.base, orderConfirmation())).status).toBe(200);
    expectEnvelope(await sendMessage(limited.base, orderConfirmation()), 131056);
    expect((await sendMessage(limited.base, orderConfirmation('16505550002'))).status).toBe(200);
    expectEnvelope(await sendMessage(limited.base, orderConfirmation('16505550002')), 130429);
    for (const c of [130429, 131056, 131030, 131047]) reached.add(c);
    await limited.app.close();
  });

  it('setup codes: 133006 unverified, 133005 PIN mismatch, 133010 deregistered, 133016 register limit', async () => {
    const setup = await mock();
    const ph = `/v23.0/${W.phoneId}`;
    const register = (pin: string) =>
      graphCall(setup.base, 'POST', `${ph}/register`, { messaging_product: 'whatsapp', pin });
    await graphCall(setup.base, 'POST', `${ph}/request_code`, { code_method: 'SMS', language: 'en_US' });
    expectEnvelope(await register('123456'), 133006);
    const code = (await admin(setup.base, 'GET', '/_mock/verification-code')).json.code;
    expect((await graphCall(setup.base, 'POST', `${ph}/verify_code`, { code })).status).toBe(200);
    expect((await register('123456')).status).toBe(200);
    expectEnvelope(await register('654321'), 133005);
    expect((await graphCall(setup.base, 'POST', `${ph}/deregister`)).status).toBe(200);
    expectEnvelope(await sendMessage(setup.base, textMessage()), 133010);
    for (let i = 0; i < 7; i++) expect((await register('123456')).status).toBe(200);
    expectEnvelope(await register('123456'), 133016);
    for (const c of [133005, 133006, 133010, 133016]) reached.add(c);
  });

  it('async codes arrive as failed statuses with webhook error objects', async () => {
    const tier = await mock({ webhookUrl: receiver.url, messagingTier: 250 });
    const before = receiver.statuses().length;
    const accepted: Array<[number, string]> = [];
    const expectAccepted = async (code: number, base_: string, body: unknown) => {
      const r = await sendMessage(base_, body);
      expect(r.status).toBe(200);
      accepted.push([code, r.json['messages'][0].id]);
    };
    await expectAccepted(131026, base, orderConfirmation('0912345678'));
    await expectAccepted(131026, base, orderConfirmation('447911123456'));
    await expectAccepted(131047, base, textMessage('16505550003'));
    await expectAccepted(131050, base, {
      ...tpl('feedback_request', 'en_US', bodyText('a', 'b')),
      to: '16505550001',
    });
    for (let i = 0; i < 250; i++)
      expect((await sendMessage(tier.base, orderConfirmation(`1415555${1000 + i}`))).status).toBe(200);
    await expectAccepted(131048, tier.base, orderConfirmation('14155559999'));
    await receiver.waitFor(
      () => receiver.statuses().filter((s) => s.status === 'failed').length >= accepted.length,
      15_000,
      'failed statuses',
    );
    const failed = receiver
      .statuses()
      .slice(before)
      .filter((s) => s.status === 'failed');
    for (const [code, wamid] of accepted) {
      const s = failed.find((f) => f.id === wamid);
      expect(s, `failed status for ${code}`).toBeDefined();
      const e = s?.errors?.[0];
      expect(e?.code).toBe(code);
      expect(e?.title).toBe(ERROR_CATALOGUE.get(code)?.title);
      expect(e?.message).toBe(e?.title);
      expect(e?.error_data.details.length).toBeGreaterThan(0);
      expect(e?.href).toMatch(/^https:\/\/developers\.facebook\.com\//);
      reached.add(code);
    }
    await tier.app.close();
  });

  it('fault-only codes through the admin API (error=CODE), with the 2026 and legacy statuses', async () => {
    const legacy = await mock({ errorProfile: 'legacy' });
    for (const def of ERROR_CATALOGUE.values()) {
      if (def.reach !== 'fault' && def.reach !== 'both') continue;
      for (const [b, profile] of [
        [base, '2026'],
        [legacy.base, 'legacy'],
      ] as const) {
        const add = await admin(b, 'POST', '/_mock/faults', { spec: `error=${def.code}:1~/messages` });
        expect(add.status).toBe(200);
        const r = await sendMessage(b, orderConfirmation());
        expectEnvelope(r, def.code, profile);
        await admin(b, 'DELETE', '/_mock/faults');
      }
      reached.add(def.code);
    }
    // Outage and 429 storm shapes.
    await admin(base, 'POST', '/_mock/faults', { spec: 'outage=unavailable~/messages' });
    expectEnvelope(await sendMessage(base, orderConfirmation()), 131016);
    reached.add(131016);
    await admin(base, 'DELETE', '/_mock/faults');
    await admin(base, 'POST', '/_mock/faults', { spec: 'rate-limit=3s' });
    const storm = await sendMessage(base, orderConfirmation());
    expect(storm.status).toBe(429);
    expect(storm.headers.get('retry-after')).toBe('3');
    expect(storm.json['error'].code).toBe(130429);
    await admin(base, 'DELETE', '/_mock/faults');
    await legacy.app.close();
    expect(app.whatsapp.journal.query({ kind: 'fault.applied' }).length).toBeGreaterThan(0);
  });
});
