import { randomInt } from 'node:crypto';
import { describeOutcome, type HttpOutcome, isOk } from '../http.js';
import { clip, line, plural } from '../judge.js';
import type { CaseContext, ConformanceCaseDef } from '../types.js';
import { metaJson, type Signing } from '../wire.js';
import { probeText, SOURCES, stored } from './common.js';

/** The query string of a verification request (the verify token shown only as right/wrong). */
function verifyUrl(base: string, token: string, challenge: string): string {
  const u = new URL(base);
  u.searchParams.set('hub.mode', 'subscribe');
  u.searchParams.set('hub.challenge', challenge);
  u.searchParams.set('hub.verify_token', token);
  return u.toString();
}

function challenge(): string {
  return String(randomInt(1_000_000_000, 2_000_000_000));
}

const verifyHandshake: ConformanceCaseDef = {
  id: 'verify-handshake',
  title: 'Verification handshake echoes hub.challenge',
  rule: 'GET with hub.mode=subscribe and the configured hub.verify_token is answered 200 with exactly the hub.challenge value as the body.',
  source: SOURCES.verify,
  async run(ctx) {
    const c = challenge();
    const o = await ctx.request('GET', verifyUrl(ctx.whatsappWebhookUrl, ctx.verifyToken, c));
    const echoed = o.text.trim() === c;
    return {
      passed: o.status === 200 && echoed,
      evidence: line(
        `GET ?hub.mode=subscribe&hub.challenge=${c}&hub.verify_token=(the configured token) → ${describeOutcome(o)}`,
        o.status === undefined ? '' : `body ${JSON.stringify(clip(o.text, 40))}`,
        o.status === 200 && !echoed ? 'the body is not the challenge' : '',
      ),
    };
  },
};

const verifyRejectsWrongToken: ConformanceCaseDef = {
  id: 'verify-rejects-wrong-token',
  title: 'Verification refuses a wrong verify token',
  rule: 'A verification GET with a wrong hub.verify_token (or none) is refused with a 4xx (403 by convention) and the challenge is not echoed.',
  source: SOURCES.verify,
  async run(ctx) {
    const results: string[] = [];
    let passed = true;
    const probes: Array<[string, string | undefined]> = [
      ['a wrong token', `wrong-${challenge()}`],
      ['no token', undefined],
    ];
    for (const [what, token] of probes) {
      const c = challenge();
      const u = new URL(ctx.whatsappWebhookUrl);
      u.searchParams.set('hub.mode', 'subscribe');
      u.searchParams.set('hub.challenge', c);
      if (token !== undefined) u.searchParams.set('hub.verify_token', token);
      const o = await ctx.request('GET', u.toString());
      const refused = o.status !== undefined && o.status >= 400 && o.status < 500;
      const leaked = o.text.includes(c);
      if (!refused || leaked) passed = false;
      results.push(
        `${what} → ${describeOutcome(o)}${leaked ? ' echoing the challenge' : ''}${!refused && o.status !== undefined ? ' (expected 4xx)' : ''}`,
      );
    }
    return { passed, evidence: results.join('; ') };
  },
};

/** A signature case: a bad webhook must be refused with 4xx and change nothing; a good one right after must be stored. */
function signatureCase(
  id: string,
  title: string,
  rule: string,
  bad: (ctx: CaseContext, raw: string) => { raw: string; signing: Signing; what: string },
): ConformanceCaseDef {
  return {
    id,
    title,
    rule,
    source: SOURCES.signature,
    async run(ctx) {
      const customer = ctx.customer();
      const forged = ctx.wire.inboundText({
        waId: customer.waId,
        name: customer.name,
        text: probeText(`${id} (forged)`),
      });
      const b = bad(ctx, forged.raw);
      const badOutcome = await ctx.wire.post(b.raw, b.signing);
      // A control from the same customer, correctly signed: proves the connector stores what it accepts.
      const control = ctx.wire.inboundText({
        waId: customer.waId,
        name: customer.name,
        text: probeText(`${id} (control)`),
      });
      const controlOutcome = await ctx.wire.post(control.raw);
      const controlStored = await ctx.waitFor(() => stored(ctx, control.wamid) !== undefined, 10_000);
      // Anything the forged webhook caused would have been written by now; wait a little more anyway.
      await ctx.sleep(500);
      const forgedStored = stored(ctx, forged.wamid) !== undefined;
      const refused = badOutcome.status !== undefined && badOutcome.status >= 400 && badOutcome.status < 500;
      const passed = refused && !forgedStored && controlStored;
      return {
        passed,
        evidence: line(
          `${b.what} → ${describeOutcome(badOutcome)}${refused ? '' : ' (expected 401/403)'}`,
          forgedStored ? 'its message WAS stored in the CRM' : 'its message was not stored',
          `correctly signed control → ${describeOutcome(controlOutcome)}, ${controlStored ? 'stored' : 'NOT stored within 10 s (the case cannot tell a refusal from a connector that stores nothing)'}`,
        ),
      };
    },
  };
}

const signatureMissing = signatureCase(
  'signature-missing',
  'Rejects a webhook without X-Hub-Signature-256',
  'A POST without X-Hub-Signature-256 is refused (4xx) and not processed.',
  (_ctx, raw) => ({ raw, signing: { kind: 'none' }, what: 'inbound message without X-Hub-Signature-256' }),
);

const signatureMalformed = signatureCase(
  'signature-malformed',
  'Rejects a malformed X-Hub-Signature-256',
  'A POST whose X-Hub-Signature-256 is not sha256=<64 hex digits> of the body is refused (4xx) and not processed.',
  (_ctx, raw) => ({
    raw,
    signing: { kind: 'header', value: `sha256=${'zq'.repeat(32)}` },
    what: 'inbound message with X-Hub-Signature-256: sha256=zqzq… (not hex)',
  }),
);

const signatureWrongSecret = signatureCase(
  'signature-wrong-secret',
  'Rejects a signature made with another secret',
  'A POST signed with a secret other than the app secret is refused (4xx) and not processed.',
  (ctx, raw) => ({
    raw,
    signing: { kind: 'header', value: ctx.wire.sign(raw, `not-the-app-secret-${challenge()}`) },
    what: 'inbound message signed with a wrong secret',
  }),
);

const signatureBodyTampered = signatureCase(
  'signature-body-tampered',
  'Rejects a body changed after signing',
  'A POST whose body differs from the signed body (one word changed, same length) is refused (4xx) and not processed.',
  (ctx, raw) => {
    const tampered = raw.replace('hello there', 'HELLO THERE');
    return {
      raw: tampered,
      signing: { kind: 'header', value: ctx.wire.sign(raw) },
      what: 'inbound message changed after signing ("hello there" → "HELLO THERE")',
    };
  },
);

/** Customer text with accents, CJK, Arabic and an emoji: each becomes \uXXXX escapes on the wire. */
const UNICODE_TEXT = 'Olá, ¿qué tal? 確認 — مرحبا 😀 Ünïcödé probe';

const signatureEscapedUnicode: ConformanceCaseDef = {
  id: 'signature-escaped-unicode-accepted',
  title: 'Accepts a correct signature over escaped unicode',
  rule: 'A webhook whose raw body escapes non-ASCII characters (\\u00e1, surrogate pairs) and is signed over those exact bytes is accepted (2xx) and its text stored decoded.',
  source: SOURCES.signature,
  async run(ctx) {
    const customer = ctx.customer();
    const msg = ctx.wire.inboundText({ waId: customer.waId, name: customer.name, text: UNICODE_TEXT });
    const escapes = (msg.raw.match(/\\u[0-9a-f]{4}/g) ?? []).length;
    const o = await ctx.wire.post(msg.raw);
    const ok = await ctx.waitFor(() => stored(ctx, msg.wamid) !== undefined, 10_000);
    const body = stored(ctx, msg.wamid)?.body ?? null;
    const exact = body === UNICODE_TEXT;
    return {
      passed: isOk(o) && ok && exact,
      evidence: line(
        `inbound text with ${plural(escapes, '\\u escape')}, signed over the raw bytes → ${describeOutcome(o)}`,
        ok
          ? `stored as ${JSON.stringify(clip(body ?? '', 50))}${exact ? ' (decoded exactly)' : ' (NOT the text sent)'}`
          : 'not stored in the CRM within 10 s',
      ),
    };
  },
};

/** Adds fields a future Graph version might send, at every level of a messages webhook. */
function withUnknownFields(raw: string): string {
  const body = JSON.parse(raw) as {
    entry: Array<{ changes: Array<{ value: Record<string, unknown> }> } & Record<string, unknown>>;
  } & Record<string, unknown>;
  body['x_future_top'] = { rollout: 'beta', flags: [1, 2, 3] };
  const entry = body.entry[0];
  if (entry) {
    entry['x_entry_time_ms'] = 1750000000000;
    const value = entry.changes[0]?.value;
    if (value) {
      value['x_delivery_hint'] = 'priority';
      const contacts = value['contacts'] as Array<Record<string, unknown>> | undefined;
      const c0 = contacts?.[0];
      if (c0) {
        c0['user_id'] = 'US.13491208655302741918';
        (c0['profile'] as Record<string, unknown>)['x_locale'] = 'zh_TW';
      }
      const messages = value['messages'] as Array<Record<string, unknown>> | undefined;
      const m0 = messages?.[0];
      if (m0) {
        m0['x_channel'] = 'wa_app';
        m0['identity'] = { acknowledged: true, created_timestamp: 1750000000, hash: 'abc123' };
        (m0['text'] as Record<string, unknown>)['x_format'] = 'plain';
      }
    }
  }
  return metaJson(body);
}

const unknownFieldsIgnored: ConformanceCaseDef = {
  id: 'unknown-fields-ignored',
  title: 'Unknown fields in a webhook are ignored',
  rule: 'A messages webhook with fields the connector does not know (top level, entry, value, contact, profile, message, text) is accepted (2xx) and processed as if they were absent.',
  source: SOURCES.unknown,
  async run(ctx) {
    const customer = ctx.customer();
    const text = probeText('unknown-fields');
    const msg = ctx.wire.inboundText({ waId: customer.waId, name: customer.name, text });
    const raw = withUnknownFields(msg.raw);
    const o = await ctx.wire.post(raw);
    const ok = await ctx.waitFor(() => stored(ctx, msg.wamid) !== undefined, 10_000);
    const body = stored(ctx, msg.wamid)?.body;
    return {
      passed: isOk(o) && ok && body === text,
      evidence: line(
        `inbound message with 8 unknown fields at 7 levels → ${describeOutcome(o)}`,
        ok
          ? `stored${body === text ? ' with its text' : ` with a different text ${JSON.stringify(clip(body ?? ''))}`}`
          : 'not stored in the CRM within 10 s',
      ),
    };
  },
};

function envelope(
  ctx: CaseContext,
  field: string,
  value: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  return metaJson({
    object: 'whatsapp_business_account',
    entry: [{ id: ctx.wire.env.wabaId, time: ctx.wire.nowSec(), changes: [{ value, field }], ...extra }],
  });
}

const unknownWebhookField: ConformanceCaseDef = {
  id: 'unknown-webhook-field-ignored',
  title: 'Webhooks with other field values are acknowledged and ignored',
  rule: 'Webhooks whose change field is not messages (account_update, message_template_status_update, an unknown future field) are acknowledged with 2xx and do not stop the connector; a messages change next to an unknown one is still processed.',
  source: SOURCES.unknown,
  async run(ctx) {
    const env = ctx.wire.env;
    const probes: Array<[string, string]> = [
      [
        'account_update',
        envelope(ctx, 'account_update', { phone_number: env.displayPhoneNumber, event: 'VERIFIED_ACCOUNT' }),
      ],
      [
        'message_template_status_update',
        envelope(ctx, 'message_template_status_update', {
          event: 'APPROVED',
          message_template_id: 1234567890,
          message_template_name: 'hello_world',
          message_template_language: 'en_US',
          reason: 'NONE',
          message_template_category: 'UTILITY',
        }),
      ],
      ['x_future_field', envelope(ctx, 'x_future_field', { anything: { nested: [1, 'two'] } })],
    ];
    const parts: string[] = [];
    let allAcked = true;
    for (const [field, raw] of probes) {
      const o: HttpOutcome = await ctx.wire.post(raw);
      if (!isOk(o)) allAcked = false;
      parts.push(`${field} → ${describeOutcome(o)}`);
    }
    // One webhook with two changes: an unknown field first, then a real message.
    const customer = ctx.customer();
    const text = probeText('mixed-fields');
    const msg = ctx.wire.inboundText({ waId: customer.waId, name: customer.name, text });
    const parsed = JSON.parse(msg.raw) as { entry: Array<{ changes: unknown[] }> };
    parsed.entry[0]?.changes.unshift({ field: 'x_future_field', value: { anything: true } });
    const mixed = await ctx.wire.post(metaJson(parsed));
    const mixedStored = await ctx.waitFor(() => stored(ctx, msg.wamid) !== undefined, 10_000);
    // And the connector still takes ordinary messages afterwards.
    const after = ctx.wire.inboundText({
      waId: customer.waId,
      name: customer.name,
      text: probeText('after-unknown'),
    });
    const afterOutcome = await ctx.wire.post(after.raw);
    const afterStored = await ctx.waitFor(() => stored(ctx, after.wamid) !== undefined, 10_000);
    parts.push(
      `unknown change + message change in one webhook → ${describeOutcome(mixed)}, message ${mixedStored ? 'stored' : 'NOT stored'}`,
      `ordinary message afterwards → ${describeOutcome(afterOutcome)}, ${afterStored ? 'stored' : 'NOT stored'}`,
    );
    return {
      passed: allAcked && isOk(mixed) && mixedStored && isOk(afterOutcome) && afterStored,
      evidence: parts.join('; '),
    };
  },
};

/** The webhook-surface cases: handshake, signatures, unknown fields. */
export const WEBHOOK_CASES: readonly ConformanceCaseDef[] = [
  verifyHandshake,
  verifyRejectsWrongToken,
  signatureMissing,
  signatureMalformed,
  signatureWrongSecret,
  signatureBodyTampered,
  signatureEscapedUnicode,
];

/** The tolerance cases: unknown fields and field values. */
export const UNKNOWN_CASES: readonly ConformanceCaseDef[] = [unknownFieldsIgnored, unknownWebhookField];
