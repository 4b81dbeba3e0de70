import { type EnvelopeConfig, type MessagesWebhook, messagesEnvelope } from '../../kernel/wire.js';
import { metaEscape, metaJson } from '../shared/meta-json.js';
import type { WebhookErrorObject } from './errors.js';
import type { TemplateRecord, TemplateStatus } from './templates.js';

// The envelope and the inbound webhook are kernel/wire.ts's: the exported k6 script builds them too.
export { type EnvelopeConfig, inboundWebhook, type MessagesWebhook } from '../../kernel/wire.js';

/** Per-message pricing as sent with PMP (per-message pricing, since July 2025). */
export interface PricingObject {
  billable: boolean;
  pricing_model: 'PMP';
  type: 'regular' | 'free_customer_service' | 'free_entry_point';
  category: 'marketing' | 'utility' | 'authentication' | 'service';
}

/** The `conversation` object that still accompanies statuses. */
export interface ConversationObject {
  id: string;
  expiration_timestamp?: string;
  origin: { type: string };
}

/** One entry of `value.statuses[]`. */
export interface StatusObject {
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  timestamp: string;
  recipient_id: string;
  biz_opaque_callback_data?: string;
  conversation?: ConversationObject;
  pricing?: PricingObject;
  errors?: WebhookErrorObject[];
}

/** A status webhook carrying one or more statuses (the mock sends one per webhook, as Meta usually does). */
export function statusWebhook(cfg: EnvelopeConfig, statuses: StatusObject[]): MessagesWebhook {
  return messagesEnvelope(cfg, { statuses });
}

/** A system-level error webhook (`value.errors[]`, no messages or statuses), e.g. 130429. */
export function errorsWebhook(cfg: EnvelopeConfig, errors: WebhookErrorObject[]): MessagesWebhook {
  return messagesEnvelope(cfg, { errors });
}

/** `message_template_status_update`: a template was approved, rejected, paused or disabled. */
export function templateStatusWebhook(
  cfg: EnvelopeConfig,
  epochS: number,
  rec: TemplateRecord,
  event: TemplateStatus,
  reason: string,
): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: cfg.wabaId,
        time: epochS,
        changes: [
          {
            value: {
              event,
              message_template_id: Number(rec.id),
              message_template_name: rec.name,
              message_template_language: rec.language,
              reason,
              message_template_category: rec.category,
            },
            field: 'message_template_status_update',
          },
        ],
      },
    ],
  };
}

const pricingJson = new WeakMap<PricingObject, string>();
const SAFE_ID = /^[A-Za-z0-9+/=._-]*$/;

/** An id of SAFE_ID's characters as Meta writes it: only `/` needs escaping. */
function safeId(id: string): string {
  return id.indexOf('/') < 0 ? id : id.replaceAll('/', '\\/');
}

/**
 * The part of a status's JSON that every status of one message repeats after its `timestamp`
 * (`recipient_id`, `biz_opaque_callback_data`), already in Meta's escaping, or null when the ids
 * are not plain. Worked out once per message and handed to {@link statusJson}.
 */
export function statusJsonTail(
  s: Pick<StatusObject, 'id' | 'recipient_id' | 'biz_opaque_callback_data'>,
): string | null {
  if (!SAFE_ID.test(s.id) || !SAFE_ID.test(s.recipient_id)) return null;
  let tail = `","recipient_id":"${s.recipient_id}"`;
  if (s.biz_opaque_callback_data !== undefined)
    tail += `,"biz_opaque_callback_data":${JSON.stringify(s.biz_opaque_callback_data)}`;
  return metaEscape(tail);
}

/**
 * JSON of one status in Meta's escaping, written by hand on the common path (ids, digits and shared
 * pricing objects need at most `/` escaped) and by {@link metaJson} otherwise; the text equals
 * metaJson(s) either way. `tail` is `statusJsonTail(s)`, when the caller keeps it per message.
 */
export function statusJson(s: StatusObject, tail: string | null = statusJsonTail(s)): string {
  if (tail === null || s.errors || !SAFE_ID.test(s.timestamp)) return metaJson(s);
  let out = `{"id":"${safeId(s.id)}","status":"${s.status}","timestamp":"${safeId(s.timestamp)}${tail}`;
  const c = s.conversation;
  if (c) {
    out += `,"conversation":{"id":"${c.id}"`;
    if (c.expiration_timestamp !== undefined) out += `,"expiration_timestamp":"${c.expiration_timestamp}"`;
    out += `,"origin":{"type":"${c.origin.type}"}}`;
  }
  if (s.pricing) {
    let pj = pricingJson.get(s.pricing);
    if (pj === undefined) {
      pj = metaJson(s.pricing);
      pricingJson.set(s.pricing, pj);
    }
    out += `,"pricing":${pj}`;
  }
  return `${out}}`;
}

/** Bytes being written (a batch of statuses): `length` bytes of `bytes` are in use. */
export interface ByteSink {
  bytes: Buffer;
  length: number;
}

/** Makes room for `n` more bytes in `sink` (its buffer grows, and stays grown, when it must). */
export function reserve(sink: ByteSink, n: number): void {
  const need = sink.length + n;
  if (need <= sink.bytes.length) return;
  const grown = Buffer.allocUnsafe(Math.max(need, 2 * sink.bytes.length));
  sink.bytes.copy(grown, 0, 0, sink.length);
  sink.bytes = grown;
}
