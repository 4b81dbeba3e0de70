/**
 * A flow is one unit of traffic whose every hop carries a correlation id (the CRM event id, the
 * WhatsApp message id, the CRM message id). Hops are stamped on the harness clock, which is the
 * clock the in-process mocks stamp their journals with.
 */

/** Which way a flow goes. */
export type FlowDirection = 'outbound' | 'inbound';

/** Names of the hops a flow can pass through, in the order they usually happen. */
export type HopName =
  // outbound: CRM event → connector → WhatsApp → statuses → CRM
  | 'crm.event.acked'
  | 'wa.message.accepted'
  | 'wa.message.rejected'
  | 'crm.message.recorded'
  | 'wa.status.sent'
  | 'wa.status.delivered'
  | 'wa.status.read'
  | 'wa.status.failed'
  | 'crm.status.sent'
  | 'crm.status.delivered'
  | 'crm.status.read'
  | 'crm.status.failed'
  | 'crm.errorlog'
  // inbound: customer → WhatsApp → connector → CRM (+ tags, handover, auto-reply)
  | 'wa.inbound.created'
  | 'wa.webhook.acked'
  | 'crm.tags.added'
  | 'crm.handover.created'
  | 'wa.autoreply.accepted';

/** One hop of a flow: when it happened on the harness clock. */
export interface Hop {
  name: HopName;
  atMs: number;
  /** Small evidence (ids, codes); never secrets. */
  data?: Record<string, unknown>;
}

/** Ground truth the generator knows about an outbound flow. */
export interface OutboundExpectation {
  eventId: string;
  eventType: string;
  templateName: string;
  templateLanguage: string;
  category: 'UTILITY' | 'MARKETING' | 'AUTHENTICATION';
  /** The E.164 number the message must go to. */
  toE164: string;
  /** The body text the CRM data implies (for content accuracy); undefined when not checked. */
  expectedText?: string;
  /** False when the contact's consent forbids this send: the right outcome is no send. */
  sendAllowed: boolean;
}

/** Ground truth the generator knows about an inbound flow. */
export interface InboundExpectation {
  fromWaId: string;
  conversationKey: string;
  text: string;
  expectedTags: string[];
  /** Handover reason this message must trigger, if any. */
  expectedHandover?: 'complaint' | 'long_conversation';
  expectAutoReply: boolean;
}

/** Where a flow stands. */
export type FlowState = 'pending' | 'complete' | 'failed' | 'dropped';

/** Everything known about one flow. */
export interface FlowTrace {
  flowId: string;
  direction: FlowDirection;
  /** Suite that generated it. */
  suite: string;
  /** Intended start on the harness clock (open model: latency counts from here). */
  intendedAtMs: number;
  /** When the harness actually started it. */
  startedAtMs?: number;
  hops: Hop[];
  wamid?: string;
  crmMessageId?: string;
  outbound?: OutboundExpectation;
  inbound?: InboundExpectation;
  /** Statuses WhatsApp emitted for this message so far (each must reach the CRM). */
  statusesScheduled: string[];
  /** WhatsApp has emitted every status it will for this message (`status.finished`). */
  statusesFinal?: boolean;
  state: FlowState;
  /** Intended start → the flow's sync hop (WhatsApp accepted + CRM record, or CRM record of an inbound). */
  syncLatencyMs?: number;
  /** When the last expected hop arrived. */
  completedAtMs?: number;
  /** Why the flow failed, if it did (WhatsApp error code, error-log kind, …). */
  failure?: string;
}
