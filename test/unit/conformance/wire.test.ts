import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../kernel/clock.js';
import { createRng } from '../../../kernel/random.js';
import { verifySignature } from '../../../kernel/signing.js';
import { CONFORMANCE_CASE_IDS, CONFORMANCE_CASES } from '../../../src/conformance/cases/index.js';
import { Customers } from '../../../src/conformance/customers.js';
import { HttpClient } from '../../../src/conformance/http.js';
import { metaJson, WhatsAppWire } from '../../../src/conformance/wire.js';

const env = {
  wabaId: '419561257915477',
  phoneNumberId: '106540352242922',
  displayPhoneNumber: '15550783881',
};

function wire(): WhatsAppWire {
  const clock = new VirtualClock({ epochMs: 1_750_000_000_000 });
  return new WhatsAppWire({
    http: new HttpClient(clock),
    url: 'http://127.0.0.1:9/webhooks/whatsapp',
    appSecret: 'the-app-secret',
    env,
    rng: createRng(7),
    epochMs: () => clock.epochMs(),
  });
}

describe('metaJson', () => {
  it('escapes every non-ASCII character as \\uXXXX, astral ones as surrogate pairs', () => {
    const raw = metaJson({ t: 'Olá 確認 😀' });
    expect(raw).toBe('{"t":"Ol\\u00e1 \\u78ba\\u8a8d \\ud83d\\ude00"}');
    expect(/[^\x20-\x7e]/.test(raw)).toBe(false);
    expect(JSON.parse(raw)).toEqual({ t: 'Olá 確認 😀' });
  });

  it('differs from plain JSON exactly when there is non-ASCII text', () => {
    expect(metaJson({ a: 'plain' })).toBe(JSON.stringify({ a: 'plain' }));
    expect(metaJson({ a: 'é' })).not.toBe(JSON.stringify({ a: 'é' }));
  });
});

describe('WhatsAppWire', () => {
  it('builds an inbound text webhook with the envelope Meta sends', () => {
    const w = wire();
    const m = w.inboundText({
      waId: '886912345678',
      name: 'Ana Lin',
      text: 'hi',
      timestampSec: 1_700_000_000,
    });
    const body = JSON.parse(m.raw);
    expect(body.object).toBe('whatsapp_business_account');
    expect(body.entry[0].id).toBe(env.wabaId);
    const change = body.entry[0].changes[0];
    expect(change.field).toBe('messages');
    expect(change.value.metadata).toEqual({
      display_phone_number: env.displayPhoneNumber,
      phone_number_id: env.phoneNumberId,
    });
    expect(change.value.contacts).toEqual([{ profile: { name: 'Ana Lin' }, wa_id: '886912345678' }]);
    expect(change.value.messages[0]).toEqual({
      from: '886912345678',
      id: m.wamid,
      timestamp: '1700000000',
      type: 'text',
      text: { body: 'hi' },
    });
    expect(m.wamid.startsWith('wamid.')).toBe(true);
  });

  it('signs the exact bytes with the app secret', () => {
    const w = wire();
    const m = w.inboundText({ waId: '886912345678', name: 'Ana', text: 'Olá 😀' });
    expect(verifySignature('the-app-secret', m.raw, w.sign(m.raw))).toBe(true);
    expect(verifySignature('the-app-secret', m.raw, w.sign(m.raw, 'other'))).toBe(false);
    expect(verifySignature('the-app-secret', JSON.stringify(JSON.parse(m.raw)), w.sign(m.raw))).toBe(false);
  });

  it('builds status webhooks; failed ones carry the error object', () => {
    const w = wire();
    const raw = w.statuses([
      { wamid: 'wamid.A', status: 'delivered', recipientId: '886912345678', timestampSec: 10 },
      {
        wamid: 'wamid.A',
        status: 'failed',
        recipientId: '886912345678',
        timestampSec: 11,
        errorCode: 131047,
      },
    ]);
    const statuses = JSON.parse(raw).entry[0].changes[0].value.statuses;
    expect(statuses[0]).toMatchObject({
      id: 'wamid.A',
      status: 'delivered',
      timestamp: '10',
      recipient_id: '886912345678',
    });
    expect(statuses[0].pricing.pricing_model).toBe('PMP');
    expect(statuses[1].errors[0].code).toBe(131047);
    expect(typeof statuses[1].errors[0].title).toBe('string');
  });
});

describe('Customers', () => {
  it('hands out distinct, valid Taiwanese mobiles with their local spelling', () => {
    const customers = new Customers(createRng(3));
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const c = customers.next();
      expect(seen.has(c.e164)).toBe(false);
      seen.add(c.e164);
      expect(c.waId).toBe(c.e164.slice(1));
      expect(parsePhoneNumberFromString(c.e164)?.isValid()).toBe(true);
      expect(c.national).toMatch(/^09\d{2}-\d{3}-\d{3}$/);
      expect(parsePhoneNumberFromString(c.national, 'TW')?.number).toBe(c.e164);
    }
  });
});

describe('the case table', () => {
  it('has unique kebab-case ids, each with a title, a rule and a source', () => {
    expect(new Set(CONFORMANCE_CASE_IDS).size).toBe(CONFORMANCE_CASE_IDS.length);
    expect(CONFORMANCE_CASES.map((c) => c.id)).toEqual([...CONFORMANCE_CASE_IDS]);
    for (const c of CONFORMANCE_CASES) {
      expect(c.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(c.title.length).toBeGreaterThan(10);
      expect(c.rule.length).toBeGreaterThan(20);
      expect(c.source).toMatch(/^(Meta|seed|SPEC)/);
    }
  });
});
