import type { Clock } from '../../kernel/clock.js';
import { BoundedMap } from '../cache.js';
import type { CrmResult } from '../crm-client.js';
import type { CrmGateway } from '../crm-gateway.js';
import type { Failure } from '../retry.js';
import type { ContactResult, GatewayResult, HubSpotGateway } from './gateway.js';

/** How many message ids the translation remembers (wamid → communication, communication → contact). */
const MEMORY = 200_000;

type Out<T> = CrmResult<T>;

function failed(r: { ok: false; failure: Failure }): { ok: false; failure: Failure } {
  return { ok: false, failure: r.failure };
}

function answered(r: GatewayResult, status = 201): Out<Record<string, unknown>> {
  return r.ok ? { ok: true, status: r.created ? status : 200, data: { id: r.id } } : failed(r);
}

/** The text a communication shows on the contact's timeline for one message. */
export function communicationText(message: Record<string, unknown>): string {
  const wamid = typeof message['wa_message_id'] === 'string' ? message['wa_message_id'] : '';
  const direction = message['direction'] === 'outbound' ? 'Sent' : 'Received';
  let text: string;
  if (message['type'] === 'template') {
    const params = message['template_params'];
    text = `Template ${String(message['template_name'])} (${String(message['template_language'])})`;
    if (params !== undefined) text += ` ${JSON.stringify(params)}`;
  } else {
    text = typeof message['body'] === 'string' ? message['body'] : `(${String(message['type'])})`;
  }
  return `${direction} on WhatsApp [${wamid}]: ${text}`;
}

/**
 * The engine's CRM operations in HubSpot's model. HubSpot has no conversations: the contact's
 * timeline is the conversation, so a conversation id here *is* the contact id, a message is a
 * `WHATS_APP` communication, a status is one more communication on the same contact, a handover is a
 * ticket and an error-log entry is a note. HubSpot takes no idempotency keys, so `key` is unused:
 * the engine's per-job state already stops a retry from repeating a step that succeeded.
 */
export class HubSpotCrmGateway implements CrmGateway {
  readonly dialect = 'hubspot' as const;
  private readonly commByWamid = new BoundedMap<string, string>(MEMORY);
  private readonly contactByComm = new BoundedMap<string, string>(MEMORY);
  private prepared = false;

  constructor(
    private readonly hs: HubSpotGateway,
    private readonly clock: Clock,
  ) {}

  private now(): string {
    return new Date(this.clock.epochMs()).toISOString();
  }

  /** Creates the tags and opt-out properties when the account lacks them. */
  async prepare(): Promise<Out<unknown>> {
    if (this.prepared) return { ok: true, status: 200, data: undefined };
    const r = await this.hs.ensureProperties();
    if (!r.ok) return failed(r);
    this.prepared = true;
    return { ok: true, status: 200, data: { created: r.created } };
  }

  /** Search by phone, then create: answers the native shape `{id, name, opted_out}`. */
  async upsertContact(input: Record<string, unknown>): Promise<Out<Record<string, unknown>>> {
    const name = typeof input['name'] === 'string' ? input['name'] : undefined;
    const r: ContactResult = await this.hs.findOrCreateContact(String(input['phone'] ?? ''), name);
    if (!r.ok) return failed(r);
    const data: Record<string, unknown> = { id: r.id, opted_out: r.optedOut };
    if (r.name !== undefined) data['name'] = r.name;
    return { ok: true, status: r.created ? 201 : 200, data };
  }

  /** No conversations in HubSpot: the contact is the conversation. */
  async openConversation(contactId: string): Promise<Out<Record<string, unknown>>> {
    return { ok: true, status: 200, data: { id: contactId } };
  }

  /** One `WHATS_APP` communication on the contact, remembered by wamid for its statuses. */
  async writeMessage(conversationId: string, message: Record<string, unknown>) {
    const at = typeof message['at'] === 'string' ? message['at'] : this.now();
    const r = await this.hs.logCommunication(conversationId, communicationText(message), at);
    if (r.ok) {
      const wamid = message['wa_message_id'];
      if (typeof wamid === 'string') this.commByWamid.set(wamid, r.id);
      this.contactByComm.set(r.id, conversationId);
    }
    return answered(r);
  }

  /** A ticket in the configured pipeline and stage, associated to the contact. */
  async handover(conversationId: string, reason: string) {
    const detail =
      reason === 'complaint'
        ? 'The customer complained on WhatsApp; a human should take over.'
        : 'The WhatsApp conversation is long; a human should take over.';
    return answered(await this.hs.openHandoverTicket(conversationId, reason, detail));
  }

  /** Merges the tags into the contact's multi-value tags property. */
  async addTags(contactId: string, tags: readonly string[]) {
    if (!this.prepared) {
      const p = await this.prepare();
      if (!p.ok) return p;
    }
    return answered(await this.hs.addTags(contactId, tags), 200);
  }

  /** Sets the contact's opt-out property. */
  async optOut(contactId: string) {
    if (!this.prepared) {
      const p = await this.prepare();
      if (!p.ok) return p;
    }
    return answered(await this.hs.optOut(contactId), 200);
  }

  /** The communication this process logged for `wamid` (HubSpot cannot be searched by it). */
  async findMessage(wamid: string): Promise<Out<{ id?: string }>> {
    const id = this.commByWamid.get(wamid);
    return { ok: true, status: 200, data: id ? { id } : {} };
  }

  /** A status becomes one more communication on the message's contact. */
  async writeStatus(messageId: string, status: Record<string, unknown>): Promise<Out<unknown>> {
    const contactId = this.contactByComm.get(messageId);
    if (!contactId) {
      return {
        ok: false,
        failure: {
          side: 'crm',
          kind: 'http',
          httpStatus: 404,
          message: `no contact known for communication ${messageId}`,
          retryable: false,
        },
      };
    }
    const err = status['error'] as { code?: unknown; title?: unknown } | undefined;
    const text =
      `WhatsApp status of communication ${messageId}: ${String(status['status'])}` +
      (err ? ` (${String(err.code ?? '?')} ${String(err.title ?? '')})`.trimEnd() : '');
    const at = typeof status['at'] === 'string' ? status['at'] : this.now();
    return answered(await this.hs.logCommunication(contactId, text, at));
  }

  /** A note for a human, associated to the contact when the entry names one. */
  async writeErrorLog(entry: Record<string, unknown>): Promise<Out<unknown>> {
    const context = entry['context'] as Record<string, unknown> | undefined;
    const contactId = typeof context?.['contact_id'] === 'string' ? context['contact_id'] : undefined;
    const body = `WhatsApp connector: ${String(entry['kind'])}: ${String(entry['message'])}`;
    return answered(await this.hs.logNote(body, this.now(), contactId));
  }
}
