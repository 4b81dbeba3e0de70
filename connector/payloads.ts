/**
 * Reading webhook bodies: WhatsApp's `whatsapp_business_account` notifications and the CRM's
 * events. Tolerant by design: unknown fields and unknown `field` values are ignored (counted),
 * never an error, because Meta adds fields without notice.
 */
import { waIdToE164 } from './phone.js';
import { isWaStatus, type WaStatus } from './status.js';

/** One inbound customer message, as the connector needs it. */
export interface InboundMessage {
  wamid: string;
  /** The customer's wa_id (digits). */
  from: string;
  /** `+` + wa_id. */
  phone: string;
  /** `contacts[].profile.name` for this wa_id, when present. */
  name?: string;
  /** Unix seconds from the webhook (the time the customer wrote). */
  timestampSec: number;
  type: string;
  /** The text to record and match keywords in (text body, caption, button or list title…). */
  body?: string;
}

/** One status update of a message the business sent. */
export interface StatusUpdate {
  wamid: string;
  status: WaStatus;
  timestampSec: number;
  recipientId: string;
  bizOpaque?: string;
  error?: { code?: number; title?: string; message?: string; details?: string };
}

/** A system-level error notification (`value.errors`), e.g. 130429. */
export interface SystemError {
  code?: number;
  title?: string;
}

/** Everything one WhatsApp webhook carried. */
export interface WhatsAppBatch {
  messages: InboundMessage[];
  statuses: StatusUpdate[];
  systemErrors: SystemError[];
  /** Changes or items skipped: other `field` values, unknown statuses, malformed items. */
  ignored: number;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function seconds(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** The text worth recording for an inbound message of any type. */
export function messageText(m: Record<string, unknown>): string | undefined {
  const type = str(m['type']);
  const part = type ? obj(m[type]) : undefined;
  switch (type) {
    case 'text':
      return str(part?.['body']);
    case 'button':
      return str(part?.['text']) ?? str(part?.['payload']);
    case 'interactive': {
      const reply = obj(part?.['button_reply']) ?? obj(part?.['list_reply']);
      return str(reply?.['title']);
    }
    case 'image':
    case 'video':
    case 'document':
      return str(part?.['caption']);
    case 'location':
      return [str(part?.['name']), str(part?.['address'])].filter(Boolean).join(', ') || undefined;
    case 'reaction':
      return str(part?.['emoji']);
    case 'order':
      return str(part?.['text']);
    case 'system':
      return str(part?.['body']);
    default:
      return undefined;
  }
}

/** The CRM's message types; anything else WhatsApp sends is recorded as `unknown`. */
const CRM_MESSAGE_TYPES = new Set([
  'text',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'contacts',
  'interactive',
  'button',
  'reaction',
  'order',
  'system',
  'request_welcome',
  'unsupported',
]);

/** A WhatsApp message type as the CRM names it. */
export function crmMessageType(type: string): string {
  return CRM_MESSAGE_TYPES.has(type) ? type : 'unknown';
}

/** Reads a WhatsApp webhook body (already JSON-parsed). Never throws. */
export function parseWhatsAppPayload(body: unknown): WhatsAppBatch {
  const batch: WhatsAppBatch = { messages: [], statuses: [], systemErrors: [], ignored: 0 };
  const root = obj(body);
  if (!root) {
    batch.ignored++;
    return batch;
  }
  for (const entry of arr(root['entry'])) {
    for (const change of arr(obj(entry)?.['changes'])) {
      const c = obj(change);
      const value = obj(c?.['value']);
      if (c?.['field'] !== 'messages' || !value) {
        batch.ignored++;
        continue;
      }
      const names = new Map<string, string>();
      for (const contact of arr(value['contacts'])) {
        const waId = str(obj(contact)?.['wa_id']);
        const name = str(obj(obj(contact)?.['profile'])?.['name']);
        if (waId && name) names.set(waId, name);
      }
      for (const item of arr(value['messages'])) {
        const m = obj(item);
        const wamid = str(m?.['id']);
        const from = str(m?.['from']);
        const timestampSec = seconds(m?.['timestamp']);
        const type = str(m?.['type']);
        if (!m || !wamid || !from || !/\d/.test(from) || timestampSec === undefined || !type) {
          batch.ignored++;
          continue;
        }
        const name = names.get(from);
        const text = messageText(m);
        batch.messages.push({
          wamid,
          from,
          phone: waIdToE164(from),
          timestampSec,
          type,
          ...(name !== undefined ? { name } : {}),
          ...(text !== undefined ? { body: text } : {}),
        });
      }
      for (const item of arr(value['statuses'])) {
        const s = obj(item);
        const wamid = str(s?.['id']);
        const status = s?.['status'];
        const timestampSec = seconds(s?.['timestamp']);
        const recipientId = str(s?.['recipient_id']);
        if (!s || !wamid || !isWaStatus(status) || timestampSec === undefined || !recipientId) {
          batch.ignored++;
          continue;
        }
        const update: StatusUpdate = { wamid, status, timestampSec, recipientId };
        const bizOpaque = str(s['biz_opaque_callback_data']);
        if (bizOpaque) update.bizOpaque = bizOpaque;
        const e = obj(arr(s['errors'])[0]);
        if (e) {
          const code = typeof e['code'] === 'number' ? e['code'] : undefined;
          const details = str(obj(e['error_data'])?.['details']);
          update.error = {
            ...(code !== undefined ? { code } : {}),
            ...(str(e['title']) ? { title: str(e['title']) } : {}),
            ...(str(e['message']) ? { message: str(e['message']) } : {}),
            ...(details ? { details } : {}),
          };
        }
        batch.statuses.push(update);
      }
      for (const item of arr(value['errors'])) {
        const e = obj(item);
        if (!e) continue;
        batch.systemErrors.push({
          ...(typeof e['code'] === 'number' ? { code: e['code'] } : {}),
          ...(str(e['title']) ? { title: str(e['title']) } : {}),
        });
      }
    }
  }
  return batch;
}

/** A CRM event (docs/crm-api.md "Events to the connector"); only `id` is checked on receipt. */
export interface CrmEvent {
  id: string;
  type?: string;
  created_at?: string;
  contact?: Record<string, unknown>;
  data?: Record<string, unknown>;
  action?: Record<string, unknown>;
}

/** The event, or why the body cannot be one (answered 400). */
export function parseCrmEvent(body: unknown): { ok: true; event: CrmEvent } | { ok: false; reason: string } {
  const root = obj(body);
  if (!root) return { ok: false, reason: 'the body is not a JSON object' };
  const id = str(root['id']);
  if (!id) return { ok: false, reason: "the event has no 'id'" };
  return { ok: true, event: root as unknown as CrmEvent };
}
