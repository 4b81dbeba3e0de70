/** How much messaging a contact agreed to: nothing, transactional only, or marketing too. */
export type Consent = 'none' | 'transactional' | 'marketing';

/** The stages a CRM contact moves through. */
export type LifecycleStage = 'subscriber' | 'lead' | 'opportunity' | 'customer' | 'evangelist' | 'other';

/** Values a custom field may hold. */
export type CustomFieldValue = string | number | boolean;

/** A CRM contact, exactly as `/api/v1/contacts` returns it (docs/crm-api.md). */
export interface Contact {
  id: string;
  name: string | null;
  phone: string;
  country: string | null;
  language: string | null;
  email: string | null;
  company: string | null;
  owner: string | null;
  lifecycle_stage: LifecycleStage;
  consent: Consent;
  opted_out: boolean;
  tags: string[];
  timezone: string | null;
  last_inbound_at: string | null;
  created_at: string;
  updated_at: string;
  custom_fields: Record<string, CustomFieldValue>;
}

/** Lifecycle of a conversation: `handed_over` while a handover is queued. */
export type ConversationStatus = 'open' | 'handed_over' | 'closed';

/** A conversation between the business and one contact on WhatsApp. */
export interface Conversation {
  id: string;
  contact_id: string;
  channel: 'whatsapp';
  status: ConversationStatus;
  handed_over: boolean;
  handover_id: string | null;
  message_count: number;
  inbound_count: number;
  outbound_count: number;
  last_message_at: string | null;
  created_at: string;
  updated_at: string;
}

/** Delivery statuses the connector writes back (plus `received` for inbound messages). */
export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed';

/** One entry of a message's status history, in the order written. */
export interface StatusEntry {
  status: DeliveryStatus;
  at: string;
  recorded_at: string;
  error: unknown;
}

/** A message stored in the CRM. */
export interface CrmMessage {
  id: string;
  conversation_id: string;
  contact_id: string;
  direction: 'inbound' | 'outbound';
  type: string;
  body: string | null;
  template_name: string | null;
  template_language: string | null;
  template_params: unknown;
  wa_message_id: string;
  at: string;
  status: DeliveryStatus | 'received' | null;
  status_history: StatusEntry[];
  error: unknown;
  created_at: string;
}

/** A conversation in the human-agent queue. */
export interface Handover {
  id: string;
  conversation_id: string;
  contact_id: string;
  reason: string;
  note: string | null;
  queue: 'human';
  status: 'queued' | 'resolved';
  created_at: string;
  resolved_at: string | null;
}

/** What the connector could not do after its last retry. */
export interface ErrorLog {
  id: string;
  kind: string;
  message: string;
  wa_message_id: string | null;
  event_id: string | null;
  context: Record<string, unknown> | null;
  created_at: string;
}

/** A reference to a value of the event: a path (`data.order_id`), or a currency, media or coupon built from paths. */
export type ParamRef =
  | string
  | { type: 'currency'; amount: string; code: string; fallback: string }
  | { type: 'image' | 'video' | 'document'; link: string }
  | { type: 'coupon_code'; value: string };

/** How a CRM workflow step maps template components to event fields. */
export interface TemplateParameters {
  header?: ParamRef[] | Record<string, ParamRef>;
  body?: ParamRef[] | Record<string, ParamRef>;
  buttons?: Array<{ index: number; sub_type: string; ref: ParamRef }>;
}

/** The workflow action attached to an event: which template to send and how to fill it. */
export interface EventAction {
  channel: 'whatsapp';
  template: string;
  language: string;
  category: 'UTILITY' | 'MARKETING' | 'AUTHENTICATION';
  parameters: TemplateParameters;
}

/** What the harness (or `POST /_mock/events`) gives to emit an event. */
export interface CrmEventInput {
  type: string;
  contact_id: string;
  data: Record<string, unknown>;
  action: EventAction;
}

/** The body POSTed (signed) to the connector's CRM webhook. */
export interface CrmEventPayload {
  id: string;
  type: string;
  created_at: string;
  contact: Contact;
  data: Record<string, unknown>;
  action: EventAction;
}

/** Delivery state of one emitted event, as the dispatcher reported it. */
export interface EventDelivery {
  state: 'pending' | 'delivered' | 'abandoned';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: string | null;
}

/** An emitted event with its delivery state (admin API, audits). */
export interface CrmEventRecord {
  id: string;
  payload: CrmEventPayload;
  delivery: EventDelivery;
}

/** The truth about a seeded contact, for the harness's checks (never served on /api/v1). */
export interface SeedInfo {
  id: string;
  e164: string;
  dirty: string[];
  duplicate_of: string | null;
  locale: string;
}

/** An association of a HubSpot record to another record: the other id and the type ids (directional). */
export interface HubSpotAssociation {
  id: string;
  types: Array<{ category: string; typeId: number; label: string | null }>;
}

/**
 * A record of the HubSpot dialect that the native model has no place for: a communication, note or
 * ticket (with `nativeId` = the message, error log or handover it became), a contact's extra
 * properties, archive flag and associations, or a custom property definition.
 */
export interface HubSpotRecord {
  /** `<objectType>:<objectId>`. */
  id: string;
  objectType: string;
  objectId: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt: string | null;
  /** By the other side's object type (plural name). */
  associations: Record<string, HubSpotAssociation[]>;
  nativeId: string | null;
  /** Property definitions only: the definition as HubSpot returns it. */
  definition?: Record<string, unknown>;
}
