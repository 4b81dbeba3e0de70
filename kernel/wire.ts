/**
 * The bytes a webhook sender puts on the wire, with no imports and no Node API (no Buffer, no
 * node:crypto): the WhatsApp mock, the conformance kit and the k6 script `wacrm export k6` writes
 * all build their webhooks with these functions, so what k6 sends is what the tests prove the
 * connector accepts. HMAC is injected (node:crypto in Node, k6/crypto in k6): both compute the same
 * HMAC-SHA256 over the UTF-8 bytes of the string.
 */

// Meta writes webhook bodies the way PHP's json_encode does by default: pure ASCII, every character
// above U+007F as a lowercase `\uXXXX` escape (astral characters as their two surrogate escapes,
// since a JS string already holds them as two UTF-16 units) and `/` as `\/`. Receivers that follow
// Meta's advice re-escape the raw body before checking the signature, so the bytes must match.
const NEEDS_ESCAPE = /[\u0080-\uffff/]/;
const ESCAPE_ALL = /[\u0080-\uffff/]/g;

function escapeOne(ch: string): string {
  if (ch === '/') return '\\/';
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Rewrites JSON text into Meta's escaped, pure-ASCII form (the same value, other bytes). */
export function metaEscape(json: string): string {
  return NEEDS_ESCAPE.test(json) ? json.replace(ESCAPE_ALL, escapeOne) : json;
}

/** JSON.stringify, then Meta's escaping: the bytes a Meta webhook body carries for `value`. */
export function metaJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`${typeof value} is not JSON`);
  return metaEscape(json);
}

/** Who WhatsApp webhooks come from: the WABA (`entry[].id`) and the number (`metadata`). */
export interface EnvelopeConfig {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
}

/** The body of a `messages` webhook. */
export interface MessagesWebhook {
  object: 'whatsapp_business_account';
  entry: Array<{
    id: string;
    changes: Array<{ value: Record<string, unknown>; field: 'messages' }>;
  }>;
}

/** A `messages` webhook around `value` (statuses, messages or errors), keys in Meta's order. */
export function messagesEnvelope(cfg: EnvelopeConfig, value: Record<string, unknown>): MessagesWebhook {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: cfg.wabaId,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: cfg.displayPhoneNumber, phone_number_id: cfg.phoneNumberId },
              ...value,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

/** An inbound-message webhook; `contacts` is left out for system messages, as Meta does. */
export function inboundWebhook(
  cfg: EnvelopeConfig,
  message: Record<string, unknown>,
  contact: { name: string; waId: string } | undefined,
): MessagesWebhook {
  const value: Record<string, unknown> = {};
  if (contact) value['contacts'] = [{ profile: { name: contact.name }, wa_id: contact.waId }];
  value['messages'] = [message];
  return messagesEnvelope(cfg, value);
}

/** A customer's text message, as the WhatsApp mock writes `messages[0]` (key order included). */
export function inboundTextMessage(m: {
  from: string;
  wamid: string;
  timestampSec: number;
  text: string;
}): Record<string, unknown> {
  return {
    from: m.from,
    id: m.wamid,
    timestamp: String(m.timestampSec),
    type: 'text',
    text: { body: m.text },
  };
}

/** HMAC-SHA256 of the UTF-8 bytes of `body` keyed with `secret`, as lowercase hex. */
export type HmacSha256Hex = (secret: string, body: string) => string;

/** The `sha256=<hex>` value of `X-Hub-Signature-256` (and the CRM's `X-CRM-Signature`). */
export function signatureValue(hmac: HmacSha256Hex, secret: string, body: string): string {
  return `sha256=${hmac(secret, body)}`;
}

/** One POST as a sender makes it: the exact body and the headers that go with it. */
export interface SignedPost {
  body: string;
  headers: Record<string, string>;
}

/** Headers of a WhatsApp webhook delivery (Meta's user agent, the signature over the exact bytes). */
export function whatsappWebhookPost(body: string, appSecret: string, hmac: HmacSha256Hex): SignedPost {
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'facebookexternalua',
      'x-hub-signature-256': signatureValue(hmac, appSecret, body),
    },
  };
}

/** Headers of a CRM event delivery (`X-CRM-Signature` over the exact bytes, docs/crm-api.md). */
export function crmEventPost(body: string, webhookSecret: string, hmac: HmacSha256Hex): SignedPost {
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-crm-signature': signatureValue(hmac, webhookSecret, body),
    },
  };
}

/** What the CRM posts for one event (docs/crm-api.md "Events to the connector"), key order included. */
export interface CrmEventBody {
  id: string;
  type: string;
  created_at: string;
  contact: Record<string, unknown>;
  data: Record<string, unknown>;
  action: Record<string, unknown>;
}

/** The bytes of a CRM event delivery: plain JSON.stringify, as the CRM's dispatcher writes it. */
export function crmEventJson(event: CrmEventBody): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    created_at: event.created_at,
    contact: event.contact,
    data: event.data,
    action: event.action,
  });
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (with padding) of bytes 0–255. */
function base64(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += B64[(n >>> 18) & 63];
    out += B64[(n >>> 12) & 63];
    out += b === undefined ? '=' : B64[(n >>> 6) & 63];
    out += c === undefined ? '=' : B64[n & 63];
  }
  return out;
}

/**
 * The 20 hex digits a load generator's wamid carries as its token: the flow's number (8 digits,
 * modulo 2³²) and its intended time in epoch ms (12 digits), so the id names the flow and when it
 * was due without a random source or a send log.
 */
export function flowToken(seq: number, intendedEpochMs: number): string {
  const n = Math.max(0, Math.floor(seq)) % 0x1_0000_0000;
  const ms = Math.max(0, Math.floor(intendedEpochMs)) % 0x1_0000_0000_0000;
  return (n.toString(16).padStart(8, '0') + ms.toString(16).padStart(12, '0')).toUpperCase();
}

/**
 * A Meta-shaped inbound wamid (the layout the WhatsApp mock's ids have: `wamid.` + base64 of
 * 1C 18 <len> <wa_id> 15 02 00 12 18 <len> <token> 00) around a 20-digit {@link flowToken}.
 */
export function inboundWamid(waId: string, seq: number, intendedEpochMs: number): string {
  const digits = waId.length > 0 && waId.length < 64 ? waId : '0';
  const token = flowToken(seq, intendedEpochMs);
  const bytes: number[] = [0x1c, 0x18, digits.length];
  for (let i = 0; i < digits.length; i++) bytes.push(digits.charCodeAt(i) & 0xff);
  bytes.push(0x15, 0x02, 0x00, 0x12, 0x18, token.length);
  for (let i = 0; i < token.length; i++) bytes.push(token.charCodeAt(i));
  bytes.push(0);
  return `wamid.${base64(bytes)}`;
}

/**
 * The flow number and intended time of a wamid made by {@link inboundWamid}; undefined for ids of
 * another layout (an outbound wamid, not base64). The mock's own inbound ids have the same layout
 * with a random token, so only ids known to come from a load generator should be read this way.
 */
export function readFlowToken(wamid: string): { seq: number; intendedEpochMs: number } | undefined {
  if (!wamid.startsWith('wamid.')) return undefined;
  const bytes = unbase64(wamid.slice(6));
  if (bytes === undefined || bytes.length < 3) return undefined;
  // After the wa_id: 15 02 00, the inbound flag 12, then 18 and the token's length (20).
  const o = 3 + (bytes[2] as number);
  const head = [0x15, 0x02, 0x00, 0x12, 0x18, 20];
  if (bytes.length < o + head.length + 20 || head.some((b, i) => bytes[o + i] !== b)) return undefined;
  const at = o + head.length;
  let token = '';
  for (let i = at; i < at + 20; i++) token += String.fromCharCode(bytes[i] as number);
  if (!/^[0-9A-F]{20}$/.test(token)) return undefined;
  return {
    seq: Number.parseInt(token.slice(0, 8), 16),
    intendedEpochMs: Number.parseInt(token.slice(8), 16),
  };
}

function unbase64(text: string): number[] | undefined {
  const clean = text.replace(/=+$/, '');
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of clean) {
    const v = B64.indexOf(ch);
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
    }
  }
  return out;
}

/**
 * The id of a load generator's CRM event: `evt_k6`, the flow's number and its intended time in epoch
 * ms, both in base 36 (`evt_k6<n>_<ms>`), so the event names its flow and when it was due.
 */
export function k6EventId(seq: number, intendedEpochMs: number): string {
  const n = Math.max(0, Math.floor(seq));
  const ms = Math.max(0, Math.floor(intendedEpochMs));
  return `evt_k6${n.toString(36)}_${ms.toString(36)}`;
}

const K6_EVENT_ID = /^evt_k6([0-9a-z]{1,11})_([0-9a-z]{1,11})$/;

/** The flow number and intended time of an id made by {@link k6EventId}; undefined for any other id. */
export function readK6EventId(id: string): { seq: number; intendedEpochMs: number } | undefined {
  const m = K6_EVENT_ID.exec(id);
  if (!m) return undefined;
  return { seq: Number.parseInt(m[1] as string, 36), intendedEpochMs: Number.parseInt(m[2] as string, 36) };
}

/** A customer's text message the way a load generator sends it: one per flow, numbered by `seq`. */
export interface CustomerText {
  from: string;
  name: string;
  text: string;
}

/**
 * The signed webhook POST of one customer text message (what the WhatsApp mock sends for
 * `sendInbound({type: 'text'})`): a wamid naming flow `seq` and its intended time, Meta's
 * timestamp (that time in seconds), Meta's escaping, `X-Hub-Signature-256` over those bytes.
 * Returns the wamid with the POST.
 */
export function inboundTextPost(
  cfg: EnvelopeConfig,
  m: CustomerText,
  seq: number,
  intendedEpochMs: number,
  appSecret: string,
  hmac: HmacSha256Hex,
): SignedPost & { wamid: string } {
  const wamid = inboundWamid(m.from, seq, intendedEpochMs);
  const timestampSec = Math.floor(intendedEpochMs / 1000);
  const message = inboundTextMessage({ from: m.from, wamid, timestampSec, text: m.text });
  const body = metaJson(inboundWebhook(cfg, message, { name: m.name, waId: m.from }));
  return { wamid, ...whatsappWebhookPost(body, appSecret, hmac) };
}

/** The signed POST of one CRM event (what the CRM mock's dispatcher sends for an emitted event). */
export function crmEventSignedPost(
  event: CrmEventBody,
  webhookSecret: string,
  hmac: HmacSha256Hex,
): SignedPost {
  return crmEventPost(crmEventJson(event), webhookSecret, hmac);
}

/**
 * Whether flow n (0-based) of a mix is a CRM event: when (n + 1)·share crosses a whole number, so
 * the share holds over every run of iterations (⌊N·share⌋ of the first N), without a random source.
 */
export function isOutboundFlow(n: number, outboundShare: number): boolean {
  return Math.floor((n + 1) * outboundShare) > Math.floor(n * outboundShare);
}

/** A judged window of a step on the test's timeline, ms from its start. */
export interface StepWindow {
  index: number;
  fromMs: number;
  toMs: number;
}

/** The index of the step whose judged window holds `elapsedMs` (windows are [from, to)), or undefined. */
export function stepAt(steps: readonly StepWindow[], elapsedMs: number): number | undefined {
  for (const s of steps) if (elapsedMs >= s.fromMs && elapsedMs < s.toMs) return s.index;
  return undefined;
}
