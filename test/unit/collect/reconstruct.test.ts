import { describe, expect, it } from 'vitest';
import { inboundWamid, k6EventId } from '../../../kernel/wire.js';
import { judgeCapacityFlows } from '../../../src/collect/judge.js';
import {
  type EpochEntry,
  estimateOrigin,
  K6FlowIndex,
  Reconstruction,
} from '../../../src/collect/reconstruct.js';
import type { SuiteOf } from '../../../src/config/index.js';
import type { PlannedInbound } from '../../../src/flows/inbound-plan.js';
import type { PlannedOutbound } from '../../../src/flows/outbound-plan.js';

const ORIGIN = Date.UTC(2026, 11, 3, 12, 0, 0);

const outboundPlan = {
  eventType: 'order.created',
  expectation: {
    eventType: 'order.created',
    templateName: 'order_confirmation',
    templateLanguage: 'en',
    category: 'UTILITY',
    toE164: '+14155550100',
    sendAllowed: true,
  },
} as unknown as PlannedOutbound;

const inboundPlan = (text: string, from: string) =>
  ({
    fromWaId: from,
    profileName: 'Ana',
    expectation: { fromWaId: from, conversationKey: from, text, expectedTags: [], expectAutoReply: false },
  }) as unknown as PlannedInbound;

const pools = { outbound: [outboundPlan], inbound: [inboundPlan('hi there', '14155550111')] };

const wa = (epochMs: number, kind: string, data: Record<string, unknown>): EpochEntry => ({
  epochMs,
  source: 'whatsapp',
  kind,
  data,
});
const crm = (epochMs: number, kind: string, data: Record<string, unknown>): EpochEntry => ({
  epochMs,
  source: 'crm',
  kind,
  data,
});

/** Flow 0 outbound (mix 1/2: odd iterations are CRM events), flow 1 inbound; k6 ran 3 iterations. */
function journals() {
  const evt = k6EventId(1, ORIGIN + 1000);
  const inWamid = inboundWamid('14155550111', 0, ORIGIN + 20);
  const setupWamid = inboundWamid('14155550111', 7, ORIGIN - 5000); // the mock's own, same layout
  return {
    evt,
    inWamid,
    entries: [
      wa(ORIGIN - 5000, 'inbound.created', { wamid: setupWamid, from: '14155550111' }),
      crm(ORIGIN - 4990, 'message.created', {
        direction: 'inbound',
        waMessageId: setupWamid,
        contactId: 'c1',
        body: 'Hello',
      }),
      crm(ORIGIN + 140, 'message.created', {
        direction: 'inbound',
        waMessageId: inWamid,
        contactId: 'c1',
        messageId: 'm1',
        body: 'hi there',
      }),
      wa(ORIGIN + 1100, 'message.accepted', {
        wamid: 'wamid.OUT1',
        bizOpaque: evt,
        to: '14155550100',
        type: 'template',
      }),
      crm(ORIGIN + 1180, 'message.created', {
        direction: 'outbound',
        waMessageId: 'wamid.OUT1',
        messageId: 'm2',
      }),
      wa(ORIGIN + 1300, 'status.emitted', { wamid: 'wamid.OUT1', status: 'sent' }),
      wa(ORIGIN + 1400, 'status.emitted', { wamid: 'wamid.OUT1', status: 'delivered' }),
      wa(ORIGIN + 1400, 'status.finished', { wamid: 'wamid.OUT1' }),
      crm(ORIGIN + 1350, 'message.status', { waMessageId: 'wamid.OUT1', status: 'sent' }),
      crm(ORIGIN + 1450, 'message.status', { waMessageId: 'wamid.OUT1', status: 'delivered' }),
      wa(ORIGIN + 1500, 'message.accepted', {
        wamid: 'wamid.X',
        bizOpaque: 'evt_123',
        to: '1',
        type: 'template',
      }),
    ].sort((a, b) => a.epochMs - b.epochMs),
  };
}

describe('journal → flows: which flows k6 started', () => {
  it('reads outbound flows from evt_k6 event ids and inbound ones from load-generator wamids, not the mock’s own', () => {
    const { entries, evt, inWamid } = journals();
    const index = new K6FlowIndex();
    for (const e of entries) index.observe(e);
    expect(index.flows()).toEqual([
      { seq: 0, intendedEpochMs: ORIGIN + 20, direction: 'inbound', id: inWamid },
      { seq: 1, intendedEpochMs: ORIGIN + 1000, direction: 'outbound', id: evt },
    ]);
  });
});

describe('journal → flows: the timeline', () => {
  it('puts the test’s start at the median of intended time − scheduled offset, and says how far flows sit from it', () => {
    // 60/min: iteration n due at n s. Flows started 0–30 ms late, one 900 ms late.
    const offsetOf = (n: number) => n * 1000;
    const flows = [0, 1, 2, 3, 4].map((n) => ({
      seq: n,
      intendedEpochMs: ORIGIN + n * 1000 + (n === 4 ? 900 : n * 10),
      direction: 'inbound' as const,
      id: `w${n}`,
    }));
    const o = estimateOrigin(flows, offsetOf);
    expect(o?.originEpochMs).toBe(ORIGIN + 20);
    expect(o?.maxResidualMs).toBe(880);
    expect(o?.flows).toBe(5);
    expect(estimateOrigin([], offsetOf)).toBeUndefined();
  });
});

describe('journal → flows: the traces', () => {
  function rebuild(iterations?: number) {
    const { entries } = journals();
    const index = new K6FlowIndex();
    for (const e of entries) index.observe(e);
    const rec = new Reconstruction(index.flows(), {
      suite: 'capacity',
      pools,
      outboundShare: 0.5,
      originEpochMs: ORIGIN,
      offsetOf: (n) => n * 1000,
      ...(iterations !== undefined ? { iterations } : {}),
    });
    for (const e of entries) rec.ingest(e);
    return rec.finish();
  }

  it('builds the traces the harness’s tracer builds, latency from the intended time in the id', () => {
    const r = rebuild();
    expect(r.wrongDirection).toBe(0);
    expect(r.wrongText).toBe(0);
    const [inbound, outbound] = r.flows;
    expect(inbound?.direction).toBe('inbound');
    expect(inbound?.intendedAtMs).toBe(20);
    expect(inbound?.state).toBe('complete');
    expect(inbound?.syncLatencyMs).toBe(120);
    expect(outbound?.direction).toBe('outbound');
    expect(outbound?.state).toBe('complete');
    // accepted at +1100, recorded at +1180, intended at +1000
    expect(outbound?.syncLatencyMs).toBe(180);
    expect(outbound?.completedAtMs).toBe(1450);
    expect(outbound?.hops.map((h) => h.name)).toEqual([
      'wa.message.accepted',
      'crm.message.recorded',
      'wa.status.sent',
      'crm.status.sent',
      'wa.status.delivered',
      'crm.status.delivered',
    ]);
  });

  it('counts an iteration k6 ran that no mock saw as a lost flow, due when the schedule says', () => {
    const r = rebuild(3);
    expect(r.unseen).toBe(1);
    const lost = r.flows.find((f) => f.flowId === 'capacity-i2');
    expect(lost?.state).toBe('pending');
    expect(lost?.intendedAtMs).toBe(2000);
    expect(lost?.hops).toEqual([]);
  });

  it('flags flows whose number the scenario’s mix gives another direction, or whose text differs from the plan', () => {
    const { entries } = journals();
    const index = new K6FlowIndex();
    for (const e of entries) index.observe(e);
    const rec = new Reconstruction(index.flows(), {
      suite: 'capacity',
      pools: { outbound: [outboundPlan], inbound: [inboundPlan('something else', '14155550111')] },
      outboundShare: 1,
      originEpochMs: ORIGIN,
      offsetOf: (n) => n * 1000,
    });
    for (const e of entries) rec.ingest(e);
    const r = rec.finish();
    expect(r.wrongDirection).toBe(1);
    expect(r.wrongText).toBe(1);
  });

  it('judges the rebuilt flows with the step judges: a lost flow breaks the step’s error rate', () => {
    const suite = {
      kind: 'capacity',
      startPerMin: 60,
      stepPerMin: 60,
      stepDurationMs: 3000,
      warmupMs: 0,
      maxPerMin: 60,
      deadlineMs: 10_000,
      criteria: { p95LatencyMs: 5000, errorRate: 0.01 },
    } as unknown as SuiteOf<'capacity'>;
    const clean = judgeCapacityFlows(rebuild(2).flows, suite, { atMs: 5000, harnessValid: true });
    expect(clean.capacity.steps[0]).toMatchObject({ sent: 2, completed: 2, passed: true });
    expect(clean.peak?.value).toBe(60);
    const lossy = judgeCapacityFlows(rebuild(3).flows, suite, { atMs: 5000, harnessValid: true });
    expect(lossy.capacity.steps[0]).toMatchObject({ sent: 3, completed: 2, passed: false });
    expect(lossy.peak?.value).toBe(0);
    // The lost flow counts at its deadline in the latency pool and as an error.
    expect(lossy.capacity.steps[0]?.brokenCriteria).toEqual(expect.arrayContaining(['p95_latency']));
    expect(lossy.capacity.steps[0]?.errorRate).toBeCloseTo(1 / 3, 6);
  });
});
