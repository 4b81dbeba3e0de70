import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../../kernel/clock.js';
import { createRng } from '../../kernel/random.js';
import { planConversations } from '../../src/flows/inbound-plan.js';
import { pickTemplates, planContacts, planTemplateSend } from '../../src/flows/outbound-plan.js';
import { FlowTracer } from '../../src/flows/tracer.js';
import type { FlowTrace } from '../../src/flows/types.js';
import { type Stack, startStack } from '../../src/run/stack.js';
import { Traffic } from '../../src/run/traffic.js';

// Mocks in this process, the reference connector as a real child process, real sockets.

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const fastStatuses = {
  sent: { kind: 'uniform', minMs: 20, maxMs: 120 },
  delivered: { kind: 'uniform', minMs: 150, maxMs: 500 },
  read: { kind: 'uniform', minMs: 600, maxMs: 1500 },
  readProbability: 0.5,
  failureRate: 0,
} as const;

async function run(
  faults: string[],
  outboundCount: number,
  inboundCount: number,
  spreadMs: number,
  waitMs = 30_000,
) {
  const clock = new RealClock();
  stack = await startStack({
    clock,
    seed: 11,
    whatsapp: { statusTiming: fastStatuses, throughputPerSec: 1000 },
    crm: { plan: 'enterprise', planLimits: { enterprise: 100_000 }, seedContacts: { count: 20 } },
    connector: {
      kind: 'reference',
      faults,
      args: ['--crm-rate-per-min', '100000', '--retry-delay-ms', '1000'],
    },
  });
  const tracer = new FlowTracer();
  tracer.attach(stack.whatsapp.journal);
  tracer.attach(stack.crm.journal);
  const traffic = new Traffic(stack, tracer, clock);
  const rng = createRng(5);
  const templates = pickTemplates(stack.whatsapp.templates(), 20);
  const contacts = planContacts(outboundCount, rng, { tiers: ['opted-in'] }); // every send must complete
  const outbound = contacts.map((c, i) => planTemplateSend(templates[i % templates.length]!, c, rng));
  const inbound = planConversations(
    { messages: inboundCount, conversations: Math.ceil(inboundCount / 2) },
    rng,
  );
  traffic.ensureContacts(contacts);

  const total = outbound.length + inbound.length;
  const start = clock.nowMs();
  const flows: FlowTrace[] = [];
  for (let i = 0, o = 0, n = 0; i < total; i++) {
    const at = start + (i * spreadMs) / total;
    const wait = at - clock.nowMs();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if ((i % 2 === 0 && o < outbound.length) || n >= inbound.length) {
      flows.push(traffic.startOutbound('e2e', at, outbound[o++]!));
    } else {
      flows.push(traffic.startInbound('e2e', at, inbound[n++]!));
    }
  }
  const deadline = clock.nowMs() + waitMs;
  while (clock.nowMs() < deadline && flows.some((f) => f.state === 'pending')) {
    await new Promise((r) => setTimeout(r, 200));
  }
  return { flows, tracer };
}

function latency(flows: FlowTrace[], hop: string): number[] {
  return flows
    .map((f) => {
      const h = f.hops.find((x) => x.name === hop);
      return h ? h.atMs - f.intendedAtMs : undefined;
    })
    .filter((x): x is number => x !== undefined)
    .sort((a, b) => a - b);
}

describe('end to end through the reference connector', () => {
  it('completes 200 outbound and 200 inbound flows with every hop on record', async () => {
    const { flows } = await run([], 200, 200, 8_000);
    const incomplete = flows.filter((f) => f.state !== 'complete');
    expect(
      incomplete.map(
        (f) => `${f.flowId} ${f.state} ${f.failure ?? ''} ${f.hops.map((h) => h.name).join(',')}`,
      ),
    ).toEqual([]);
    const out = flows.filter((f) => f.direction === 'outbound');
    const inn = flows.filter((f) => f.direction === 'inbound');
    expect(out).toHaveLength(200);
    expect(inn).toHaveLength(200);
    // Every status WhatsApp emitted was stored in the CRM.
    for (const f of out) {
      expect(f.statusesScheduled.length).toBeGreaterThan(0);
      for (const s of f.statusesScheduled)
        expect(f.hops.some((h) => h.name === `crm.status.${s}`)).toBe(true);
      const accepted = f.hops.find((h) => h.name === 'wa.message.accepted');
      expect(accepted?.data?.['renderedText']).toBe(f.outbound?.expectedText);
    }
    // Per-hop latencies exist and the sync hop is well under the seed's bounds.
    const accepted = latency(out, 'wa.message.accepted');
    const recorded = latency(inn, 'crm.message.recorded');
    expect(accepted).toHaveLength(200);
    expect(recorded).toHaveLength(200);
    expect(accepted[Math.floor(accepted.length * 0.95)]).toBeLessThan(2_000);
    expect(recorded[Math.floor(recorded.length * 0.95)]).toBeLessThan(3_000);
    // Tags and handovers as the generator intended.
    const handovers = inn.filter((f) => f.inbound?.expectedHandover);
    expect(handovers.length).toBeGreaterThan(0);
    for (const f of handovers) expect(f.hops.some((h) => h.name === 'crm.handover.created')).toBe(true);
  }, 90_000);

  it('shows the damage a connector that drops inbound messages does', async () => {
    const { flows } = await run(['drop-inbound=0.2'], 20, 100, 3_000, 8_000);
    // Dropped messages never reach the CRM; a kept message may still wait for a handover that the
    // drops made impossible (its conversation lost messages), so count what never got recorded.
    const inbound = flows.filter((f) => f.direction === 'inbound');
    const lost = inbound.filter((f) => !f.hops.some((h) => h.name === 'crm.message.recorded'));
    expect(lost.length).toBeGreaterThan(5);
    expect(lost.length).toBeLessThan(50);
    for (const f of lost) expect(f.state).toBe('pending');
  }, 90_000);

  it('shows missing statuses when the connector drops status write-backs', async () => {
    const { flows } = await run(['drop-status=0.3'], 60, 0, 2_000, 8_000);
    const missing = flows.filter((f) => f.state === 'pending');
    expect(missing.length).toBeGreaterThan(3);
    for (const f of missing) {
      const stored = f.hops.filter((h) => h.name.startsWith('crm.status.')).length;
      expect(stored).toBeLessThan(f.statusesScheduled.length);
    }
  }, 90_000);

  it('shows late flows when the connector is slow to write to the CRM', async () => {
    const { flows } = await run(['slow-crm=400ms'], 0, 40, 2_000, 10_000);
    const sync = flows.map((f) => f.syncLatencyMs ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
    // Every CRM call of an inbound message is 400 ms late (a healthy run syncs in ~10 ms).
    expect(sync[0]).toBeGreaterThan(350);
    expect(sync[Math.floor(sync.length / 2)]).toBeGreaterThan(700);
  }, 90_000);

  it('shows forged webhooks accepted when the connector skips the signature check', async () => {
    const forge = async (faults: string[]) => {
      await run(faults, 0, 0, 0, 0);
      const s = stack!;
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: s.credentials.wabaId,
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: {
                    display_phone_number: s.credentials.displayPhoneNumber,
                    phone_number_id: s.credentials.phoneNumberId,
                  },
                  contacts: [{ profile: { name: 'Mallory' }, wa_id: '14155550100' }],
                  messages: [
                    {
                      from: '14155550100',
                      id: 'wamid.FORGED',
                      timestamp: '1767600000',
                      type: 'text',
                      text: { body: 'hi' },
                    },
                  ],
                },
              },
            ],
          },
        ],
      });
      const res = await fetch(`${s.connectorUrl}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) },
        body,
      });
      await new Promise((r) => setTimeout(r, 1_500));
      // The WhatsApp mock never sent this message: a CRM record of it is forged data.
      return { status: res.status, recorded: s.crm.messageByWaId('wamid.FORGED') !== undefined };
    };
    const good = await forge([]);
    expect([401, 403]).toContain(good.status);
    expect(good.recorded).toBe(false);
    await stack?.close();
    stack = undefined;
    const bad = await forge(['skip-signature-check']);
    expect(bad.recorded).toBe(true);
  }, 90_000);
});
