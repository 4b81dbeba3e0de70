import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody } from '../../../kernel/signing.js';
import {
  crmEventJson,
  flowToken,
  inboundTextPost,
  inboundWamid,
  isOutboundFlow,
  metaJson,
  readFlowToken,
  signatureValue,
  stepAt,
} from '../../../kernel/wire.js';
import { decodeWamid } from '../../../mocks/whatsapp/wamid.js';

const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

describe('kernel/wire', () => {
  it('Meta escaping: non-ASCII as \\uXXXX (astral as surrogate pairs), / as \\/', () => {
    expect(metaJson({ t: 'é/😀' })).toBe('{"t":"\\u00e9\\/\\ud83d\\ude00"}');
    expect(JSON.parse(metaJson({ t: 'é/😀' }))).toEqual({ t: 'é/😀' });
  });

  it('the signature with an injected HMAC equals the harness signer over the UTF-8 bytes', () => {
    const body = crmEventJson({
      id: 'evt_1',
      type: 'order.created',
      created_at: '2026-12-03T00:00:00.000Z',
      contact: { name: 'ليلى' },
      data: { note: '我要投诉' },
      action: {},
    });
    expect(signatureValue(hmac, 's3cret', body)).toBe(signBody('s3cret', Buffer.from(body, 'utf8')));
  });

  it('a wamid naming a flow and its intended time decodes like the mock’s own (wa_id, inbound), and back', () => {
    const at = Date.UTC(2026, 11, 3, 13, 5, 9, 123);
    const a = inboundWamid('886912345678', 0, at);
    const b = inboundWamid('886912345678', 123_456_789, at);
    expect(decodeWamid(a)).toEqual({ waId: '886912345678', direction: 'inbound' });
    expect(decodeWamid(b)).toEqual({ waId: '886912345678', direction: 'inbound' });
    expect(a).not.toBe(b);
    expect(readFlowToken(b)).toEqual({ seq: 123_456_789, intendedEpochMs: at });
    // The blob is standard base64 of the mock's layout, the token in its place.
    const blob = Buffer.from(b.slice(6), 'base64');
    expect(blob.subarray(-21, -1).toString('latin1')).toBe(flowToken(123_456_789, at));
    expect(flowToken(123_456_789, at)).toBe(`075BCD15${at.toString(16).toUpperCase().padStart(12, '0')}`);
    // Same layout with the outbound flag (0x11): not a load generator's inbound message.
    const outbound = Buffer.from(b.slice(6), 'base64');
    outbound[3 + 12 + 3] = 0x11;
    expect(decodeWamid(`wamid.${outbound.toString('base64')}`)?.direction).toBe('outbound');
    expect(readFlowToken(`wamid.${outbound.toString('base64')}`)).toBeUndefined();
    expect(readFlowToken('not-a-wamid')).toBeUndefined();
  });

  it('an inbound text POST carries the wamid, Meta’s timestamp in seconds and a signature over its bytes', () => {
    const env = { wabaId: '1', phoneNumberId: '2', displayPhoneNumber: '15550001111' };
    const post = inboundTextPost(
      env,
      { from: '4915112345678', name: 'Zoë', text: 'hi' },
      7,
      1_700_000_000_250,
      'k',
      hmac,
    );
    const value = JSON.parse(post.body).entry[0].changes[0].value;
    expect(value.messages[0]).toEqual({
      from: '4915112345678',
      id: post.wamid,
      timestamp: '1700000000',
      type: 'text',
      text: { body: 'hi' },
    });
    expect(value.contacts).toEqual([{ profile: { name: 'Zoë' }, wa_id: '4915112345678' }]);
    expect(post.headers['x-hub-signature-256']).toBe(signBody('k', post.body));
  });

  it('the mix without randomness: ⌊N·share⌋ of the first N flows are CRM events, for every N', () => {
    for (const share of [0, 0.25, 0.5, 1 / 3, 0.9, 1]) {
      let outbound = 0;
      for (let n = 0; n < 1000; n++) {
        if (isOutboundFlow(n, share)) outbound++;
        expect(outbound).toBe(Math.floor((n + 1) * share));
      }
    }
    expect([0, 1, 2, 3].map((n) => isOutboundFlow(n, 0.5))).toEqual([false, true, false, true]);
  });

  it('a step tag only inside a judged window [from, to)', () => {
    const steps = [
      { index: 0, fromMs: 10_000, toMs: 60_000 },
      { index: 1, fromMs: 70_000, toMs: 120_000 },
    ];
    expect(
      [0, 9_999, 10_000, 59_999, 60_000, 65_000, 70_000, 119_999, 120_000].map((t) => stepAt(steps, t)),
    ).toEqual([undefined, undefined, 0, 0, undefined, undefined, 1, 1, undefined]);
  });
});
