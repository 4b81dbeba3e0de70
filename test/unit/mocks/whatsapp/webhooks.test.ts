import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signBody } from '../../../../kernel/signing.js';
import { metaJson } from '../../../../mocks/shared/meta-json.js';
import { webhookError } from '../../../../mocks/whatsapp/errors.js';
import { pricingFor } from '../../../../mocks/whatsapp/statuses.js';
import {
  type ByteSink,
  type StatusObject,
  statusJson,
  statusJsonTail,
  statusWebhook,
  writeStatusJson,
} from '../../../../mocks/whatsapp/webhooks.js';

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
    // Written as bytes into a batch (which starts small and must grow): the UTF-8 of the same text,
    // or nothing at all where only JSON.stringify can write it.
    fc.assert(
      fc.property(fc.array(status, { maxLength: 40 }), (list) => {
        const sink: ByteSink = { bytes: Buffer.alloc(16), length: 2 };
        sink.bytes.write('[[');
        let expected = '[[';
        for (const s of list) {
          const st = s as StatusObject;
          const before = sink.length;
          if (writeStatusJson(sink, st, statusJsonTail(st))) expected += metaJson(s);
          else expect(sink.length).toBe(before);
        }
        expect(sink.bytes.subarray(0, sink.length).toString('utf8')).toBe(expected);
        expect(sink.length).toBe(Buffer.byteLength(expected));
      }),
      { numRuns: 300, seed: 7 },
    );
    // A tail of 3-byte characters into a buffer grown to exactly what the status may need.
    const wide: StatusObject = {
      id: 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTRBRkYwRTM0MTg3RDE3AA==',
      status: 'delivered',
      timestamp: '1764230000',
      recipient_id: '16505551234',
      biz_opaque_callback_data: '你'.repeat(500),
      conversation: { id: 'a'.repeat(32), origin: { type: 'utility' } },
    };
    const tight: ByteSink = { bytes: Buffer.alloc(1), length: 1 };
    expect(writeStatusJson(tight, wide, statusJsonTail(wide))).toBe(true);
    expect(tight.bytes.subarray(1, tight.length).toString('utf8')).toBe(metaJson(wide));
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
