import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../kernel/clock.js';
import { createRng } from '../../../kernel/random.js';
import { countFlows } from '../../../src/checks/outcome.js';
import { planConversations } from '../../../src/flows/inbound-plan.js';
import { planContacts, planTemplateSend } from '../../../src/flows/outbound-plan.js';
import { FlowTracer } from '../../../src/flows/tracer.js';
import type { FlowTrace } from '../../../src/flows/types.js';
import type { Stack } from '../../../src/run/stack.js';
import { Traffic } from '../../../src/run/traffic.js';

// A stack whose mocks refuse everything the harness asks of them (e.g. a CRM contact they reject).
const refusingStack = {
  crm: {
    createContact: () => ({ id: 'c1' }),
    emitEvent: () => {
      throw new Error('contact c1 does not exist');
    },
  },
  whatsapp: {
    sendInbound: () => {
      throw new Error('(#100) Invalid parameter');
    },
  },
} as unknown as Stack;

describe('Traffic: a flow a mock refuses', () => {
  it('is a failed flow with the reason, never a dropped arrival (dropped = the harness could not start it)', () => {
    const clock = new VirtualClock({ startMs: 500 });
    const tracer = new FlowTracer();
    const settled: FlowTrace[] = [];
    tracer.on('failed', (f) => settled.push(f));
    const traffic = new Traffic(refusingStack, tracer, clock);
    const rng = createRng(1);
    const contact = planContacts(1, rng)[0]!;
    const out = traffic.startOutbound(
      'template-delivery',
      400,
      planTemplateSend(
        {
          name: 'order_update',
          language: 'en',
          category: 'UTILITY',
          status: 'APPROVED',
          components: [{ type: 'BODY', text: 'Your order shipped.' }],
        },
        contact,
        rng,
      ),
    );
    const inb = traffic.startInbound(
      'conversation-sync',
      450,
      planConversations({ messages: 1, conversations: 1 }, rng)[0]!,
    );
    expect(out.state).toBe('failed');
    expect(out.failure).toMatch(/the CRM refused the event: contact c1 does not exist/);
    expect(out.startedAtMs).toBe(500);
    expect(inb.state).toBe('failed');
    expect(inb.failure).toMatch(/WhatsApp refused the message/);
    // Failed flows are journaled (the tracer emits them) and counted as failures, not drops.
    expect(settled.map((f) => f.flowId)).toEqual([out.flowId, inb.flowId]);
    expect(countFlows([out, inb], 10_000)).toMatchObject({ failed: 2, dropped: 0 });
  });
});

describe('Traffic: the consent a template send is judged by', () => {
  it('is the contact as the CRM holds it when the event goes out, not the plan (the customer opted out since)', () => {
    const clock = new VirtualClock({ startMs: 0 });
    const tracer = new FlowTracer();
    const stored = new Map<string, { consent: string; opted_out: boolean }>();
    const stack = {
      crm: {
        createContact: (c: { consent: string; opted_out: boolean }) => {
          stored.set('c1', { consent: c.consent, opted_out: c.opted_out });
          return { id: 'c1' };
        },
        emitEvent: () => ({ eventId: 'evt_1' }),
        contact: (id: string) => stored.get(id),
      },
    } as unknown as Stack;
    const traffic = new Traffic(stack, tracer, clock);
    const rng = createRng(2);
    const contact = planContacts(1, rng, { tiers: ['opted-in'] })[0]!;
    const marketing = {
      name: 'spring_sale',
      language: 'en',
      category: 'MARKETING' as const,
      status: 'APPROVED',
      components: [{ type: 'BODY', text: 'Spring sale: 20 % off.' }],
    };
    const plan = planTemplateSend(marketing, contact, rng);
    expect(plan.expectation.sendAllowed).toBe(true);
    traffic.ensureContacts([contact]);
    stored.set('c1', { consent: 'marketing', opted_out: true });
    const flow = traffic.startOutbound('template-delivery', 0, plan);
    expect(flow.outbound?.sendAllowed).toBe(false);
    expect(flow.outbound?.eventId).toBe('evt_1');
  });
});
