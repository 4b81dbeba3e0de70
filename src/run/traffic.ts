import type { Clock } from '../../kernel/clock.js';
import type { PlannedInbound } from '../flows/inbound-plan.js';
import {
  contactRecord,
  type PlannedContact,
  type PlannedOutbound,
  sendAllowedFor,
} from '../flows/outbound-plan.js';
import type { FlowTracer } from '../flows/tracer.js';
import type { FlowTrace } from '../flows/types.js';
import type { Stack } from './stack.js';

/**
 * Starts flows on a running stack: an outbound flow is a CRM event (the CRM mock signs and posts
 * it to the connector), an inbound flow is a customer message (the WhatsApp mock posts the
 * webhook). Each flow is registered with the tracer before its first hop can happen.
 */
export class Traffic {
  private readonly contactIds = new Map<string, string>();
  private seq = 0;

  constructor(
    private readonly stack: Stack,
    private readonly tracer: FlowTracer,
    private readonly clock: Clock,
  ) {}

  /** Creates the planned customers in the CRM (setup, outside the measured traffic). */
  ensureContacts(contacts: readonly PlannedContact[]): void {
    for (const c of contacts) {
      if (this.contactIds.has(c.phone)) continue;
      const created = this.stack.crm.createContact(contactRecord(c));
      this.contactIds.set(c.phone, created.id);
    }
  }

  /** Emits one CRM event; returns the flow (already failed, never dropped, if the CRM refused the event). */
  startOutbound(suite: string, intendedAtMs: number, plan: PlannedOutbound): FlowTrace {
    const flowId = `${suite}-o${++this.seq}`;
    this.ensureContacts([plan.contact]);
    const contactId = this.contactIds.get(plan.contact.phone) as string;
    // The event id is only known once the CRM accepts the event, but the connector may react before
    // emitEvent returns: reserve the flow under a provisional id and let the tracer replay.
    let eventId: string;
    try {
      eventId = this.stack.crm.emitEvent({
        type: plan.eventType,
        contact_id: contactId,
        data: plan.data,
        action: plan.action,
      } as Parameters<Stack['crm']['emitEvent']>[0]).eventId;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return this.tracer.markRefused(
        flowId,
        suite,
        'outbound',
        intendedAtMs,
        this.clock.nowMs(),
        `the CRM refused the event: ${why}`,
      );
    }
    // The ground truth is the contact as the CRM holds it when the event goes out: suites plan
    // disjoint phone ranges (src/flows/phone-range.ts), but the customer may have opted out since or
    // a caller may plan without ranges, and the connector rightly reads the CRM, not the plan.
    const stored = this.stack.crm.contact(contactId);
    const sendAllowed = stored
      ? sendAllowedFor(plan.expectation.category, { consent: stored.consent, opted_out: stored.opted_out })
      : plan.expectation.sendAllowed;
    return this.tracer.startOutbound(flowId, suite, intendedAtMs, this.clock.nowMs(), {
      ...plan.expectation,
      sendAllowed,
      eventId,
    });
  }

  /** Makes one customer send one message; returns the flow (already failed if WhatsApp refused it). */
  startInbound(suite: string, intendedAtMs: number, plan: PlannedInbound): FlowTrace {
    const flowId = `${suite}-i${++this.seq}`;
    let wamid: string;
    try {
      wamid = this.stack.whatsapp.sendInbound({
        from: plan.fromWaId,
        type: 'text',
        text: { body: plan.expectation.text },
        profile: { name: plan.profileName },
      } as Parameters<Stack['whatsapp']['sendInbound']>[0]).wamid;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return this.tracer.markRefused(
        flowId,
        suite,
        'inbound',
        intendedAtMs,
        this.clock.nowMs(),
        `WhatsApp refused the message: ${why}`,
      );
    }
    return this.tracer.startInbound(flowId, suite, intendedAtMs, this.clock.nowMs(), wamid, plan.expectation);
  }
}
