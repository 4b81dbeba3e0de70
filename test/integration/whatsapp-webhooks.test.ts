import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { verifySignature } from '../../kernel/signing.js';
import { INBOUND_TYPES } from '../../mocks/whatsapp/index.js';
import {
  admin,
  closesAfter,
  orderConfirmation,
  type Receiver,
  sendMessage,
  startMock,
  startReceiver,
  W,
} from './whatsapp-helpers.js';

// Webhooks out of the mock, received by a connector-like receiver that checks every signature
// with the app secret over the raw bytes.

const open = closesAfter('each');

async function setup(
  over: Parameters<typeof startMock>[0] = {},
  receiverOpts: Parameters<typeof startReceiver>[0] = {},
) {
  const receiver = await startReceiver(receiverOpts);
  const { app, base } = await startMock({ webhookUrl: receiver.url, ...over });
  open.push(receiver, app);
  return { receiver, app, base };
}

/** Fast fixed delays and no `read`, so each message ends after `delivered`. */
const NO_READ = {
  sent: { kind: 'fixed', ms: 10 },
  delivered: { kind: 'fixed', ms: 20 },
  read: { kind: 'fixed', ms: 30 },
  readProbability: 0,
  failureRate: 0,
} as const;

function sequenceOf(receiver: Receiver, wamid: string): string[] {
  return receiver
    .statuses()
    .filter((s) => s.id === wamid)
    .map((s) => s.status);
}

describe('verification handshake', () => {
  it('passes when the receiver checks the verify token and echoes hub.challenge', async () => {
    const { app, receiver } = await setup();
    const r = await app.whatsapp.verifyWebhook();
    expect(r).toMatchObject({ ok: true, statusCode: 200 });
    const q = receiver.verifications[0] ?? {};
    expect(q['hub.mode']).toBe('subscribe');
    expect(q['hub.verify_token']).toBe(W.verify);
    expect(r.body).toBe(q['hub.challenge']);
  });

  it('fails on a 403 (wrong token) and on a missing echo, and says why', async () => {
    const { app } = await setup({}, { verifyToken: 'something-else' });
    const r = await app.whatsapp.verifyWebhook();
    expect(r).toMatchObject({ ok: false, statusCode: 403 });
    expect(r.error).toMatch(/HTTP 403/);
    const noEcho = await setup({}, { echo: false });
    const r2 = await admin(noEcho.base, 'POST', '/_mock/webhook/verify');
    expect(r2.json).toMatchObject({
      ok: false,
      statusCode: 200,
      error: 'the endpoint did not echo hub.challenge',
    });
  });
});

describe('status webhooks', () => {
  it('delivers sent → delivered → read per message, signed, with PMP pricing, conversation and biz_opaque', async () => {
    const { base, receiver } = await setup();
    const wamids: string[] = [];
    for (let i = 0; i < 3; i++)
      wamids.push(
        (await sendMessage(base, orderConfirmation(`1650555${2000 + i}`, `flow-${i}`))).json['messages'][0]
          .id,
      );
    await receiver.waitFor(() => receiver.statuses().length >= 9, 10_000, '9 statuses');
    for (const [i, wamid] of wamids.entries()) {
      expect(sequenceOf(receiver, wamid)).toEqual(['sent', 'delivered', 'read']);
      const [sent, delivered] = receiver.statuses().filter((s) => s.id === wamid);
      expect(sent?.biz_opaque_callback_data).toBe(`flow-${i}`);
      expect(sent?.recipient_id).toBe(`1650555${2000 + i}`);
      expect(sent?.pricing).toEqual({
        billable: true,
        pricing_model: 'PMP',
        type: 'regular',
        category: 'utility',
      });
      expect(sent?.conversation?.['origin']).toEqual({ type: 'utility' });
      expect(typeof sent?.conversation?.['expiration_timestamp']).toBe('string');
      expect(delivered?.conversation?.['id']).toBe(sent?.conversation?.['id']);
      expect(sent?.timestamp).toMatch(/^\d{10}$/);
    }
    for (const r of receiver.received) {
      expect(r.signatureOk).toBe(true);
      expect(r.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(r.body.object).toBe('whatsapp_business_account');
      expect(r.body.entry[0]?.id).toBe(W.waba);
      expect(r.body.entry[0]?.changes[0]?.field).toBe('messages');
      expect(r.body.entry[0]?.changes[0]?.value['metadata']).toEqual({
        display_phone_number: W.display,
        phone_number_id: W.phoneId,
      });
      expect(r.userAgent).toBe('facebookexternalua');
    }
  });

  it('sends inbound messages of every type, with contacts[].profile except for system messages', async () => {
    const { app, receiver } = await setup();
    const samples: Record<string, Record<string, unknown>> = {
      text: { text: { body: 'hello' } },
      image: { image: { caption: 'pic' } },
      video: { video: {} },
      audio: { audio: { voice: true } },
      document: { document: { filename: 'a.pdf' } },
      sticker: { sticker: {} },
      location: { location: { latitude: 1, longitude: 2 } },
      contacts: { contacts: [{ name: { formatted_name: 'Ana' } }] },
      reaction: { reaction: { message_id: 'wamid.X', emoji: '👍' } },
      button: { button: { text: 'Confirm', payload: 'CONFIRM' } },
      interactive: { interactive: { type: 'button_reply', button_reply: { id: 'y', title: 'Yes' } } },
      order: {
        order: {
          catalog_id: 'c',
          product_items: [{ product_retailer_id: 's', quantity: 1, item_price: 1, currency: 'USD' }],
        },
      },
      system: { system: { body: 'changed number' } },
      unsupported: {},
    };
    const ids = INBOUND_TYPES.map(
      (type) =>
        app.whatsapp.sendInbound({ from: W.user, type, profile: { name: 'Ana Lee' }, ...samples[type] })
          .wamid,
    );
    await receiver.waitFor(
      () => receiver.received.length >= INBOUND_TYPES.length,
      10_000,
      'inbound webhooks',
    );
    INBOUND_TYPES.forEach((type, i) => {
      const hook = receiver.received.find(
        (r) => r.body.entry[0]?.changes[0]?.value.messages?.[0]?.['id'] === ids[i],
      );
      expect(hook, type).toBeDefined();
      expect(hook?.signatureOk).toBe(true);
      const value = hook?.body.entry[0]?.changes[0]?.value ?? {};
      const msg = value.messages?.[0] ?? {};
      expect(msg['type']).toBe(type);
      expect(msg['from']).toBe(W.user);
      expect(msg['timestamp']).toMatch(/^\d{10}$/);
      if (type === 'system') expect(value['contacts']).toBeUndefined();
      else expect(value['contacts']).toEqual([{ profile: { name: 'Ana Lee' }, wa_id: W.user }]);
    });
    // In order per customer.
    const order = receiver.received.map((r) => r.body.entry[0]?.changes[0]?.value.messages?.[0]?.['id']);
    expect(order).toEqual(ids);
  });

  it('sends message_template_status_update when a created template is reviewed', async () => {
    const { base, receiver } = await setup({
      templateApproval: { approveProbability: 1, delay: { kind: 'fixed', ms: 50 } },
    });
    const res = await fetch(`${base}/v23.0/${W.waba}/message_templates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${W.token}` },
      body: JSON.stringify({
        name: 'pickup_ready',
        category: 'UTILITY',
        language: 'en_US',
        components: [{ type: 'BODY', text: 'Your order {{1}} is ready.' }],
      }),
    });
    const { id } = (await res.json()) as { id: string };
    await receiver.waitFor(() => receiver.received.length >= 1);
    const entry = receiver.received[0]?.body.entry[0];
    expect(entry?.time).toEqual(expect.any(Number));
    expect(entry?.changes[0]).toEqual({
      field: 'message_template_status_update',
      value: {
        event: 'APPROVED',
        message_template_id: Number(id),
        message_template_name: 'pickup_ready',
        message_template_language: 'en_US',
        reason: 'NONE',
        message_template_category: 'UTILITY',
      },
    });
  });
});

/**
 * What a receiver that follows Meta's advice for frameworks that hand it parsed JSON does: write the
 * object again the way Meta writes it (PHP json_encode defaults: every character above U+007F as a
 * lowercase \\uXXXX escape, `/` as `\\/`) and check the signature over that. Written here, not
 * imported from the mock, so the test does not grade the mock's escaper with itself.
 */
function reEscaped(raw: Buffer): string {
  let out = '';
  for (const ch of JSON.stringify(JSON.parse(raw.toString('utf8')))) {
    const unit = ch.length === 1 ? [ch.charCodeAt(0)] : [ch.charCodeAt(0), ch.charCodeAt(1)];
    for (const u of unit) {
      if (u === 0x2f) out += '\\/';
      else if (u > 0x7f) out += `\\u${u.toString(16).padStart(4, '0')}`;
      else out += String.fromCharCode(u);
    }
  }
  return out;
}

const MULTILINGUAL = 'مرحبا 你好 😀 </tag> café';

describe('webhook bodies serialised as Meta serialises them', () => {
  it('a webhook with Arabic, Chinese, emoji and </tag> verifies for raw-bytes and escape-then-verify receivers', async () => {
    for (const statusBatch of [1, 10] as const) {
      const { app, base, receiver } = await setup({
        statusTiming: NO_READ,
        templateApproval: { approveProbability: 1, delay: { kind: 'fixed', ms: 50 } },
        webhook: { statusBatch },
      });
      app.whatsapp.sendInbound({
        from: W.user,
        type: 'text',
        text: { body: MULTILINGUAL },
        profile: { name: 'José 李' },
      });
      const sends = await Promise.all(
        [0, 1, 2].map((i) => sendMessage(base, orderConfirmation(W.user, `${i} ${MULTILINGUAL}`))),
      );
      expect(sends.map((r) => r.status)).toEqual([200, 200, 200]);
      const created = await fetch(`${base}/v23.0/${W.waba}/message_templates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${W.token}` },
        body: JSON.stringify({
          name: 'aviso_envio',
          category: 'UTILITY',
          language: 'es',
          components: [
            { type: 'BODY', text: 'Tu pedido {{1}} está en camino 🚚', example: { body_text: [['A1']] } },
          ],
        }),
      });
      expect(created.status).toBe(200);
      await receiver.waitFor(
        () =>
          receiver.statuses().length >= 6 &&
          receiver.received.some(
            (r) => r.body.entry[0]?.changes[0]?.field === 'message_template_status_update',
          ),
        10_000,
        'statuses, the inbound message and the template review',
      );
      const label = `statusBatch ${statusBatch}`;
      for (const r of receiver.received) {
        // Pure ASCII on the wire, with no raw `/` inside a string.
        expect(
          r.raw.every((b) => b < 0x80),
          label,
        ).toBe(true);
        expect(r.raw.toString('latin1'), label).not.toContain('</');
        expect(verifySignature(W.secret, r.raw, r.signature), label).toBe(true);
        expect(reEscaped(r.raw), label).toBe(r.raw.toString('latin1'));
        expect(verifySignature(W.secret, reEscaped(r.raw), r.signature), label).toBe(true);
      }
      // The escapes are the ones Meta writes, and they parse back to the text that was sent.
      const inboundHook = receiver.received.find((r) => r.body.entry[0]?.changes[0]?.value.messages);
      const raw = inboundHook?.raw.toString('latin1') ?? '';
      expect(raw).toContain(
        '\\u0645\\u0631\\u062d\\u0628\\u0627 \\u4f60\\u597d \\ud83d\\ude00 <\\/tag> caf\\u00e9',
      );
      expect(inboundHook?.body.entry[0]?.changes[0]?.value.messages?.[0]?.['text']).toEqual({
        body: MULTILINGUAL,
      });
      expect(inboundHook?.body.entry[0]?.changes[0]?.value['contacts']).toEqual([
        { profile: { name: 'José 李' }, wa_id: W.user },
      ]);
      const bizs = receiver.statuses().map((s) => s.biz_opaque_callback_data);
      expect(new Set(bizs)).toEqual(new Set([0, 1, 2].map((i) => `${i} ${MULTILINGUAL}`)));
      if (statusBatch === 10) {
        const sizes = receiver.received.map((r) => r.body.entry[0]?.changes[0]?.value.statuses?.length ?? 0);
        expect(Math.max(...sizes), label).toBeGreaterThan(1);
      }
      await app.close();
      await receiver.close();
    }
  });
});

describe('status batching (webhook.statusBatch)', () => {
  it('puts statuses that fall due together into one signed webhook, each message still in order', async () => {
    const { base, receiver } = await setup({ webhook: { statusBatch: 10 } });
    const sends = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sendMessage(base, orderConfirmation(`1650555${5000 + i}`))),
    );
    const wamids = sends.map((r) => r.json['messages'][0].id as string);
    await receiver.waitFor(() => receiver.statuses().length >= 60, 10_000, '60 statuses');
    for (const w of wamids) expect(sequenceOf(receiver, w)).toEqual(['sent', 'delivered', 'read']);
    const sizes = receiver.received.map((r) => r.body.entry[0]?.changes[0]?.value.statuses?.length ?? 0);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
    expect(receiver.received.length).toBeLessThan(60);
    expect(receiver.received.every((r) => r.signatureOk)).toBe(true);
  });

  it('keeps a batch byte-exact and signed when it outgrows its first buffer, whatever the characters', async () => {
    const { base, receiver } = await setup({
      pairRate: { perSec: 1000, burst: 1000 },
      statusTiming: { ...NO_READ, sent: { kind: 'fixed', ms: 300 } },
      webhook: { statusBatch: 200, statusBatchWindowMs: 1000 },
    });
    // 120 messages to one recipient (one stream), each carrying 500 characters of Arabic, CJK and
    // emoji: about 200 KB of statuses in one batch, past the 64 KB the batch starts with.
    const bizOf = (i: number) => `${i}:${'مرحبا 你好 👋 '.repeat(40)}`.slice(0, 500);
    const sends = await Promise.all(
      Array.from({ length: 120 }, (_, i) => sendMessage(base, orderConfirmation(W.user, bizOf(i)))),
    );
    expect(sends.every((r) => r.status === 200)).toBe(true);
    await receiver.waitFor(() => receiver.statuses().length >= 240, 10_000, '240 statuses');
    expect(receiver.received.every((r) => r.signatureOk)).toBe(true);
    const sizes = receiver.received.map((r) => r.body.entry[0]?.changes[0]?.value.statuses?.length ?? 0);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(100);
    const wamids = sends.map((r) => r.json['messages'][0].id as string);
    for (const [i, w] of wamids.entries()) {
      const mine = receiver.statuses().filter((s) => s.id === w);
      expect(mine.map((s) => s.status)).toEqual(['sent', 'delivered']);
      expect(mine.every((s) => s.biz_opaque_callback_data === bizOf(i))).toBe(true);
    }
  });
});

describe('retries and faults', () => {
  it('retries a failing receiver with backoff, in order per message, and stops once it recovers', async () => {
    let failing = true;
    const { app, base, receiver } = await setup({ statusTiming: NO_READ });
    receiver.setBehaviour(() => (failing ? 'fail' : 'ok'));
    const wamid = (await sendMessage(base, orderConfirmation())).json['messages'][0].id as string;
    const journal = app.whatsapp.journal;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no retries seen')), 5000);
      const poll = setInterval(() => {
        if (journal.query({ kind: 'webhook.failed' }).length >= 3) {
          clearInterval(poll);
          clearTimeout(t);
          resolve();
        }
      }, 10);
    });
    const failures = journal.query({ kind: 'webhook.failed' });
    expect(failures.map((f) => f.data['attempt'])).toEqual(expect.arrayContaining([1, 2, 3]));
    expect(failures[0]?.data['nextRetryInMs']).toBe(50);
    expect(failures.find((f) => f.data['attempt'] === 2)?.data['nextRetryInMs']).toBe(100);
    expect(receiver.received).toHaveLength(0);
    failing = false;
    await receiver.waitFor(() => receiver.statuses().length >= 2, 5000, 'statuses after recovery');
    expect(sequenceOf(receiver, wamid)).toEqual(['sent', 'delivered']);
    const failedBefore = journal.query({ kind: 'webhook.failed' }).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(journal.query({ kind: 'webhook.failed' }).length).toBe(failedBefore);
    const delivered = journal.query({ kind: 'webhook.delivered' });
    expect(delivered[0]?.data).toMatchObject({ field: 'messages', wamids: [wamid], statuses: ['sent'] });
    expect(Number(delivered[0]?.data['attempt'])).toBeGreaterThan(1);
    expect(app.whatsapp.dispatcher.stats().retried).toBeGreaterThan(0);
    // /metrics counts each attempt by outcome, as the journal has them.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain(
      `whatsapp_mock_webhooks_total{field="messages",result="failed"} ${failedBefore}`,
    );
    expect(metrics).toContain(
      `whatsapp_mock_webhooks_total{field="messages",result="delivered"} ${delivered.length}`,
    );
  });

  it('treats a reset connection as a failure and retries it', async () => {
    let resets = 2;
    const { base, receiver, app } = await setup({ statusTiming: NO_READ });
    receiver.setBehaviour(() => (resets-- > 0 ? 'reset' : 'ok'));
    const wamid = (await sendMessage(base, orderConfirmation())).json['messages'][0].id as string;
    await receiver.waitFor(() => sequenceOf(receiver, wamid).length >= 2, 5000);
    expect(sequenceOf(receiver, wamid)).toEqual(['sent', 'delivered']);
    expect(app.whatsapp.journal.query({ kind: 'webhook.failed' }).length).toBeGreaterThanOrEqual(1);
  });

  it('a hanging receiver never blocks the send path', async () => {
    const { base, receiver, app } = await setup({ webhook: { concurrency: 2, timeoutMs: 5000 } });
    receiver.setBehaviour(() => 'hang');
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => sendMessage(base, orderConfirmation(`1650555${3000 + i}`))),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(4000);
    await new Promise((r) => setTimeout(r, 100));
    const s = app.whatsapp.dispatcher.stats();
    expect(s.inFlight).toBe(2);
    expect(s.queued).toBeGreaterThan(0);
  });

  it('duplicate and out-of-order faults: every status twice, delivered before sent', async () => {
    const { base, receiver } = await setup({ statusTiming: NO_READ });
    await admin(base, 'POST', '/_mock/faults', { specs: ['webhook-duplicate=1', 'webhook-reorder=1'] });
    const wamid = (await sendMessage(base, orderConfirmation())).json['messages'][0].id as string;
    await receiver.waitFor(() => sequenceOf(receiver, wamid).length >= 4, 5000);
    expect(sequenceOf(receiver, wamid)).toEqual(['delivered', 'delivered', 'sent', 'sent']);
    const bodies = receiver.received.map((r) => r.raw.toString('utf8'));
    expect(bodies[0]).toBe(bodies[1]);
  });

  it('webhook-delay holds deliveries back', async () => {
    const { base, receiver } = await setup({ statusTiming: NO_READ });
    await admin(base, 'POST', '/_mock/faults', { spec: 'webhook-delay=400ms' });
    const t0 = performance.now();
    await sendMessage(base, orderConfirmation());
    await receiver.waitFor(() => receiver.received.length >= 1, 5000);
    expect((receiver.received[0]?.atMs ?? 0) - t0).toBeGreaterThanOrEqual(380);
  });

  it('holds webhooks without a URL and delivers them once one is set', async () => {
    const receiver = await startReceiver();
    const { app, base } = await startMock({ statusTiming: NO_READ });
    open.push(receiver, app as FastifyInstance);
    const wamid = (await sendMessage(base, orderConfirmation())).json['messages'][0].id as string;
    await new Promise((r) => setTimeout(r, 100));
    expect(app.whatsapp.dispatcher.stats().queued).toBe(2);
    expect((await admin(base, 'PUT', '/_mock/webhook', { url: receiver.url })).json).toEqual({
      url: receiver.url,
    });
    await receiver.waitFor(() => sequenceOf(receiver, wamid).length >= 2, 5000);
    expect(sequenceOf(receiver, wamid)).toEqual(['sent', 'delivered']);
    expect((await admin(base, 'PUT', '/_mock/webhook', { url: 'not a url' })).status).toBe(400);
  });
});
