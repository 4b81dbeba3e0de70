import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from '../../../../kernel/signing.js';
import type { WebhookTransport } from '../../../../mocks/shared/dispatcher.js';
import { metaJson } from '../../../../mocks/shared/meta-json.js';
import { webhookError } from '../../../../mocks/whatsapp/errors.js';
import { pricingFor } from '../../../../mocks/whatsapp/statuses.js';
import { type StatusObject, statusJson, statusWebhook } from '../../../../mocks/whatsapp/webhooks.js';
import { makeMock, orderConfirmation, T } from './helpers.js';

describe('status webhook bodies', () => {
  it('statusJson writes exactly what metaJson writes (pure ASCII, the same value), for any status', () => {
    const status = fc.record(
      {
        id: fc.oneof(fc.stringMatching(/^wamid\.[A-Za-z0-9+/=]{10,60}$/), fc.string()),
        status: fc.constantFrom('sent', 'delivered', 'read', 'failed'),
        timestamp: fc.oneof(fc.stringMatching(/^\d{10}$/), fc.string()),
        recipient_id: fc.oneof(fc.stringMatching(/^\d{8,15}$/), fc.string()),
        biz_opaque_callback_data: fc.oneof(fc.string(), fc.string({ unit: 'grapheme' })),
        conversation: fc.record(
          {
            id: fc.stringMatching(/^[0-9a-f]{32}$/),
            expiration_timestamp: fc.stringMatching(/^\d{10}$/),
            origin: fc.record({ type: fc.constantFrom('utility', 'marketing', 'service') }),
          },
          { requiredKeys: ['id', 'origin'] },
        ),
        pricing: fc.constantFrom(
          pricingFor('UTILITY', true),
          pricingFor('MARKETING', false),
          pricingFor(undefined, true),
        ),
        errors: fc.constant([webhookError(131026)]),
      },
      { requiredKeys: ['id', 'status', 'timestamp', 'recipient_id'] },
    );
    fc.assert(
      fc.property(status, (s) => {
        const text = statusJson(s as StatusObject);
        expect(text).toBe(metaJson(s));
        expect(/^[\x20-\x7e]*$/.test(text)).toBe(true);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(s)));
      }),
      { numRuns: 500, seed: 42 },
    );
    // A batch is these texts joined inside the envelope; the property test at the end of this
    // file holds whole batched webhooks to Meta's serialisation byte for byte.
  });

  it('metaJson escapes like Meta: lowercase \\uXXXX, surrogate pairs, \\/, and verifies both ways', () => {
    const value = { text: 'مرحبا 你好 😀 </tag> café', n: 1 };
    const body = metaJson(value);
    expect(body).toBe(
      '{"text":"\\u0645\\u0631\\u062d\\u0628\\u0627 \\u4f60\\u597d \\ud83d\\ude00 <\\/tag> caf\\u00e9","n":1}',
    );
    const secret = 's3cret';
    const header = signBody(secret, Buffer.from(body, 'utf8'));
    // A receiver that checks the raw bytes it got.
    expect(signBody(secret, Buffer.from(body, 'latin1'))).toBe(header);
    // A receiver that (as Meta's docs advise for frameworks that parse first) re-escapes the
    // parsed body before checking.
    expect(signBody(secret, metaJson(JSON.parse(body)))).toBe(header);
    expect(JSON.parse(body)).toEqual(value);
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'grapheme' }), (v, str) => {
        for (const x of [v, str, { s: str, v }]) {
          const out = metaJson(x);
          expect(Buffer.from(out, 'utf8').every((b) => b < 0x80)).toBe(true);
          expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(x)));
          expect(metaJson(JSON.parse(out))).toBe(out);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('wraps statuses in the messages envelope with metadata', () => {
    const body = statusWebhook({ wabaId: 'W', phoneNumberId: 'P', displayPhoneNumber: 'D' }, []);
    expect(body).toEqual({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'W',
          changes: [
            {
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: 'D', phone_number_id: 'P' },
                statuses: [],
              },
              field: 'messages',
            },
          ],
        },
      ],
    });
  });
});

/** One POST as the mock's dispatcher handed it to the transport. */
interface Captured {
  body: Buffer;
  signature: string | undefined;
}

/**
 * Meta's writing of a parsed body, done here independently of the mock: JSON.stringify, then every
 * UTF-16 unit above U+007F as lowercase \\uXXXX and `/` as `\\/` (PHP json_encode's defaults).
 */
function phpStyle(value: unknown): string {
  let out = '';
  const json = JSON.stringify(value);
  for (let i = 0; i < json.length; i++) {
    const u = json.charCodeAt(i);
    if (u === 0x2f) out += '\\/';
    else if (u > 0x7f) out += `\\u${u.toString(16).padStart(4, '0')}`;
    else out += json[i];
  }
  return out;
}

describe('every webhook the mock sends', () => {
  it('property: is ASCII, parses to what was sent, and verifies raw and re-escaped, single and batched', async () => {
    // Texts of every kind: printable ASCII, any Unicode (astral included), slashes and markup.
    const anyText = fc.oneof(
      fc.string({ minLength: 1, maxLength: 60 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
      fc.constantFrom('</script>', 'a/b\\c', 'مرحبا 你好 😀', 'café\u007f\u0080\u00ff\u2028'),
    );
    for (const statusBatch of [1, 20]) {
      const posts: Captured[] = [];
      const transport: WebhookTransport = {
        send(_target, headers, body, done) {
          posts.push({ body, signature: headers['x-hub-signature-256'] });
          queueMicrotask(() => done({ statusCode: 200 }));
          return () => {};
        },
        close() {},
      };
      const { app, clock } = makeMock({
        webhookUrl: 'https://crm.example.com/wa',
        webhook: { transport, statusBatch, statusBatchWindowMs: 10 },
        pairRate: { perSec: 10_000, burst: 10_000 },
      });
      let n = 0;
      await fc.assert(
        fc.asyncProperty(anyText, anyText, anyText, async (body, name, biz) => {
          const from = `1650555${String(1000 + (n++ % 9000))}`;
          posts.length = 0;
          app.whatsapp.sendInbound({ from, type: 'text', text: { body }, profile: { name } });
          const sent = await app.inject({
            method: 'POST',
            url: `/v23.0/${T.phoneId}/messages`,
            headers: { authorization: `Bearer ${T.token}` },
            payload: orderConfirmation(from),
          });
          expect(sent.statusCode).toBe(200);
          const withBiz = { ...orderConfirmation(from), biz_opaque_callback_data: biz.slice(0, 512) };
          const sent2 = await app.inject({
            method: 'POST',
            url: `/v23.0/${T.phoneId}/messages`,
            headers: { authorization: `Bearer ${T.token}` },
            payload: withBiz,
          });
          expect(sent2.statusCode).toBe(200);
          clock.advance(1_000);
          for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
          // The inbound message and three statuses for each of two sends.
          const values = posts.map((p) => JSON.parse(p.body.toString('utf8')).entry[0].changes[0].value);
          expect(values.flatMap((v) => v.messages ?? [])).toHaveLength(1);
          expect(values.flatMap((v) => v.statuses ?? [])).toHaveLength(6);
          // Batched: the six statuses fell due together and went out in fewer POSTs.
          if (statusBatch > 1) expect(posts.length).toBeLessThan(7);
          for (const p of posts) {
            expect(p.body.every((b) => b < 0x80)).toBe(true);
            const parsed = JSON.parse(p.body.toString('utf8'));
            expect(verifySignature(T.secret, p.body, p.signature)).toBe(true);
            expect(phpStyle(parsed)).toBe(p.body.toString('latin1'));
            expect(verifySignature(T.secret, phpStyle(parsed), p.signature)).toBe(true);
          }
          const inboundValue = values.find((v) => v.messages);
          expect(inboundValue.messages[0].text).toEqual({ body });
          expect(inboundValue.contacts).toEqual([{ profile: { name }, wa_id: from }]);
          const bizs = values.flatMap((v) => v.statuses ?? []).map((s) => s.biz_opaque_callback_data);
          expect(bizs.filter((b) => b === biz.slice(0, 512))).toHaveLength(
            biz.slice(0, 512) === 'flow-42' ? 6 : 3,
          );
        }),
        { numRuns: 40, seed: 5 },
      );
      await app.close();
    }
    // Two mocks, 80 runs of a few injected requests: about 2 s alone, more on a busy machine.
  }, 30_000);
});
