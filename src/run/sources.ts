import { createRng, type Rng } from '../../kernel/random.js';
import { type PlannedInbound, planConversations } from '../flows/inbound-plan.js';
import {
  type PlannedContact,
  type PlannedOutbound,
  pickTemplates,
  planContacts,
  planTemplateSend,
  type TemplateInfo,
} from '../flows/outbound-plan.js';
import { type SuitePhoneRanges, subRange, WHOLE_RANGE } from '../flows/phone-range.js';

/**
 * An endless supply of realistic flows for load suites (capacity, soak, fault recovery): template
 * sends round-robin over the approved templates and a pool of customers, and customer messages in
 * batches of freshly planned conversations.
 */
export class MixedSource {
  private readonly templates: TemplateInfo[];
  private readonly contacts: Array<PlannedContact & { e164: string }>;
  private nextTemplate = 0;
  private nextContact = 0;
  private inboundBatch: PlannedInbound[] = [];
  private batchNo = 0;
  private readonly rng: Rng;
  private readonly phones: SuitePhoneRanges;

  /** `opts.phones`: the suite's phone ranges (default: all numbers), see src/flows/phone-range.ts. */
  constructor(
    templates: TemplateInfo[],
    seed: number,
    opts: { contactPool?: number; templateCount?: number; phones?: SuitePhoneRanges } = {},
  ) {
    this.phones = opts.phones ?? { outbound: WHOLE_RANGE, inbound: WHOLE_RANGE };
    this.rng = createRng(seed);
    // Authentication templates carry one-time codes; a load mix is order, payment and shipping traffic.
    this.templates = pickTemplates(templates, opts.templateCount ?? 40).filter(
      (t) => t.category !== 'AUTHENTICATION',
    );
    if (this.templates.length === 0) throw new Error('the WhatsApp mock has no approved templates to send');
    // Load suites measure throughput, so every planned send must be made: opted-in customers only
    // (the template-delivery suite is where consent is judged).
    this.contacts = planContacts(opts.contactPool ?? 600, this.rng, {
      localShare: 0.2,
      tiers: ['opted-in'],
      range: this.phones.outbound,
    });
  }

  /** Every customer the outbound flows may go to (create them in the CRM before the load). */
  allContacts(): PlannedContact[] {
    return this.contacts;
  }

  /** The next template send. */
  outbound(): PlannedOutbound {
    const t = this.templates[this.nextTemplate++ % this.templates.length] as TemplateInfo;
    const c = this.contacts[this.nextContact++ % this.contacts.length] as PlannedContact & { e164: string };
    return planTemplateSend(t, c, this.rng);
  }

  /** The next customer message. */
  inbound(): PlannedInbound {
    if (this.inboundBatch.length === 0) {
      // Ten batches in a row write from disjoint numbers (a tenth of the suite's inbound range each),
      // so a customer's conversation is not continued by a later batch's plan until the cycle repeats.
      this.inboundBatch = planConversations(
        {
          messages: 1000,
          conversations: 1000,
          range: subRange(this.phones.inbound, this.batchNo++ % 10, 10),
          complaintShare: 0.05,
        },
        this.rng,
      ).reverse();
    }
    return this.inboundBatch.pop() as PlannedInbound;
  }

  /** Picks a direction by the mix (share of outbound flows). */
  isOutbound(outboundShare: number): boolean {
    return this.rng.next() < outboundShare;
  }
}
