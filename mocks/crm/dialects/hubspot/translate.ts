import type { HubSpotRecord } from '../../types.js';
import type { HubSpotContext } from './context.js';
import { isClosedStage } from './pipelines.js';

/**
 * How HubSpot records become the native model's messages, statuses, handovers and error logs, so
 * the tracer, the suites and the consistency audit read the same journal kinds and records in
 * either dialect. HubSpot has no field for a WhatsApp message id, so the rules read it from the
 * text an integration logs (docs/crm-hubspot.md, "How records map to grades"):
 *
 * - a `WHATS_APP` communication associated to a contact whose body holds a `wamid.` token not yet
 *   known is a message of that contact's conversation;
 * - one whose body says "status" and names a known message (by wamid or by the id of the
 *   communication that logged it) plus one of sent/delivered/read/failed is a status of it;
 * - a ticket associated to a contact is a handover (reason: its subject after the last colon),
 *   resolved when the ticket moves to a closed stage;
 * - a note is an error-log entry (kind: the word between the first two colons, else `note`).
 */

const WAMID_RE = /wamid\.[A-Za-z0-9+/=_-]+/;
const STATUS_RE = /\b(sent|delivered|read|failed)\b/i;

function textOf(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * The direction a Meta message id encodes: its base64 payload carries 0x11 (sent by the business)
 * or 0x12 (received) after the counterparty's number. Undefined for ids of another shape.
 */
export function wamidDirection(wamid: string): 'inbound' | 'outbound' | undefined {
  const blob = Buffer.from(wamid.slice('wamid.'.length), 'base64');
  if (blob.length < 10 || blob[0] !== 0x1c || blob[1] !== 0x18) return undefined;
  const at = 3 + (blob[2] as number) + 3;
  const flag = blob[at];
  return flag === 0x11 ? 'outbound' : flag === 0x12 ? 'inbound' : undefined;
}

/** Saves a translated record, unless it is a new one not yet inserted (its creator inserts it). */
function persist(ctx: HubSpotContext, rec: HubSpotRecord): void {
  if (ctx.crm.store.hubspot.get(rec.id)) ctx.crm.store.hubspot.update(rec);
}

function contactOf(rec: HubSpotRecord): string | undefined {
  return rec.associations['contacts']?.[0]?.id;
}

function conversationFor(ctx: HubSpotContext, contactId: string): string | undefined {
  const { service, store } = ctx.crm;
  if (!store.contacts.get(contactId)) return undefined;
  return service.openConversation({ contact_id: contactId }).conversation.id;
}

function messageFromCommunication(ctx: HubSpotContext, rec: HubSpotRecord, contactId: string): void {
  const { service, store } = ctx.crm;
  const text = textOf(rec.properties['hs_communication_body'] ?? '');
  const wamid = WAMID_RE.exec(text)?.[0];
  const at = rec.properties['hs_timestamp'] ?? rec.createdAt;
  if (/\bstatus\b/i.test(text)) {
    const status = STATUS_RE.exec(text.replace(WAMID_RE, ''))?.[1]?.toLowerCase();
    let target = wamid ? service.messageByWaId(wamid) : undefined;
    if (!target) {
      for (const id of text.match(/\b\d{5,}\b/g) ?? []) {
        const comm = store.hubspot.get(`communications:${id}`);
        const msg = comm?.nativeId ? store.messages.get(comm.nativeId) : undefined;
        if (msg) {
          target = msg;
          break;
        }
      }
    }
    if (target && status) {
      const body: Record<string, unknown> = { status, at };
      if (status === 'failed') body['error'] = text.slice(0, 1000);
      service.addStatus(target.id, body);
      return;
    }
  }
  if (!wamid) return;
  const known = service.messageByWaId(wamid);
  if (known) {
    rec.nativeId = known.id;
    return;
  }
  const conversationId = conversationFor(ctx, contactId);
  if (!conversationId) return;
  const direction =
    wamidDirection(wamid) ?? (/\b(received|inbound|incoming)\b/i.test(text) ? 'inbound' : 'outbound');
  const template = /\bTemplate (\S+) \(([^)\s]+)\)/.exec(text);
  const after = text.indexOf(wamid) + wamid.length;
  const rest = text.slice(after).replace(/^\]?\s*:?\s*/, '');
  const body: Record<string, unknown> = {
    direction,
    wa_message_id: wamid,
    at,
    ...(template
      ? { type: 'template', template_name: template[1], template_language: template[2] }
      : { type: 'text', body: (rest === '' ? text : rest).slice(0, 4096) }),
  };
  rec.nativeId = service.addMessage(conversationId, body).message.id;
}

/** Native side effects of a communication (called after create and after a new contact association). */
export function translateCommunication(ctx: HubSpotContext, rec: HubSpotRecord): void {
  if (rec.nativeId !== null || rec.properties['hs_communication_channel_type'] !== 'WHATS_APP') return;
  const contactId = contactOf(rec);
  if (!contactId) return;
  messageFromCommunication(ctx, rec, contactId);
  if (rec.nativeId !== null) persist(ctx, rec);
}

/** Native side effects of a ticket: a handover when it has a contact, resolved when closed. */
export function translateTicket(ctx: HubSpotContext, rec: HubSpotRecord): void {
  const { service, store } = ctx.crm;
  if (rec.nativeId === null) {
    const contactId = contactOf(rec);
    if (!contactId) return;
    const conversationId = conversationFor(ctx, contactId);
    if (!conversationId) return;
    const subject = (rec.properties['subject'] ?? '').trim();
    const colon = subject.lastIndexOf(':');
    const reason = (colon >= 0 ? subject.slice(colon + 1) : subject).trim().slice(0, 200) || 'ticket';
    const content = rec.properties['content'];
    const h = service.createHandover({
      conversation_id: conversationId,
      reason,
      ...(content ? { note: content.slice(0, 2000) } : {}),
    }).handover;
    rec.nativeId = h.id;
    persist(ctx, rec);
  }
  const native = store.handovers.get(rec.nativeId);
  if (
    native &&
    native.status === 'queued' &&
    isClosedStage(rec.properties['hs_pipeline'] ?? '0', rec.properties['hs_pipeline_stage'] ?? '')
  )
    service.resolveHandover(native.id);
}

/** Native side effects of a note: one error-log entry. */
export function translateNote(ctx: HubSpotContext, rec: HubSpotRecord): void {
  if (rec.nativeId !== null) return;
  const text = textOf(rec.properties['hs_note_body'] ?? '').trim();
  const m = /^[^:]{0,200}:\s*([A-Za-z0-9_.:-]{1,64}?):\s+([\s\S]*)$/.exec(text);
  const kind = m?.[1] ?? 'note';
  const message = (m?.[2] ?? text).slice(0, 2000) || '(empty note)';
  const wamid = WAMID_RE.exec(text)?.[0];
  const eventId = /\bevt_[0-9a-z]+\b/.exec(text)?.[0];
  const contactId = contactOf(rec);
  const e = ctx.crm.service.createErrorLog({
    kind,
    message,
    ...(wamid ? { wa_message_id: wamid } : {}),
    ...(eventId ? { event_id: eventId } : {}),
    context: { note_id: rec.objectId, ...(contactId ? { contact_id: contactId } : {}) },
  });
  rec.nativeId = e.id;
  persist(ctx, rec);
}

/**
 * Runs the translation that fits the record's type. HubSpot itself knows nothing of messages, so a
 * record the native model refuses (say a 5,000-character message) is still a stored HubSpot
 * record: the refusal is journalled (`hubspot.untranslated`) rather than answered.
 */
export function translate(ctx: HubSpotContext, rec: HubSpotRecord): void {
  if (rec.archived) return;
  try {
    if (rec.objectType === 'communications') translateCommunication(ctx, rec);
    else if (rec.objectType === 'tickets') translateTicket(ctx, rec);
    else if (rec.objectType === 'notes') translateNote(ctx, rec);
  } catch (err) {
    ctx.crm.journal.append('hubspot.untranslated', {
      objectType: rec.objectType,
      objectId: rec.objectId,
      reason: err instanceof Error ? err.message.slice(0, 300) : String(err),
    });
  }
}
