import type { Clock } from '../../kernel/clock.js';
import { parseFaultSpec } from '../../kernel/fault-spec.js';
import { createRng } from '../../kernel/random.js';
import { fmt, hop, percentile } from '../checks/measures.js';
import { type SyncErrorLimit, syncErrorRule } from '../checks/soak-sync-error.js';
import {
  type AppliedFault,
  judgeConversationSync,
  judgeLoss,
  judgeRecovery,
  judgeTemplateDelivery,
  type SuiteJudgement,
} from '../checks/suites.js';
import type { SuiteOf } from '../config/schema.js';
import { planConversations } from '../flows/inbound-plan.js';
import { pickTemplates, planContacts, planDeliverySends } from '../flows/outbound-plan.js';
import type { FlowTracer } from '../flows/tracer.js';
import type { FlowTrace } from '../flows/types.js';
import { type CheckpointState, type JournalRecord, recordTypes } from '../journal/records.js';
import type { Arrival } from '../load/driver.js';
import { constantStages, type LoadShape, localMsOfDay, parseShape, shapeStages } from '../load/profiles.js';
import { offsetOfArrival, type RateStage, scaleStages } from '../load/schedule.js';
import { analyzeSoak, type SoakWindowInput } from '../load/soak.js';
import {
  judgeStep,
  planSteps,
  rampStages,
  type StepRampPlan,
  type StepVerdict,
  summarizeRamp,
} from '../load/step-ramp.js';
import { Histogram } from '../metrics/histogram.js';
import type { HarnessHealth } from '../metrics/loop.js';
import type { ResourceSample } from '../metrics/resources.js';
import type { CapacityResult, FaultOutcome, SoakResult } from '../report/model.js';
import { drive, type FlowWaiter } from './drive.js';
import { MixedSource } from './sources.js';
import type { Stack } from './stack.js';
import type { Traffic } from './traffic.js';

/** Live progress of a suite, for the terminal. */
export interface SuiteProgress {
  suite: string;
  label: string;
  done: number;
  total: number;
  p95Ms: number | null;
  errors: number;
}

/** What every suite runner gets. */
export interface SuiteContext {
  clock: Clock;
  stack: Stack;
  tracer: FlowTracer;
  traffic: Traffic;
  waiter: FlowWaiter;
  seed: number;
  /** Harness clock time the run started: report times are relative to it. */
  originMs: number;
  maxInFlight: number;
  lagBoundMs: number;
  health: HarnessHealth;
  /** API calls the connector made to both mocks so far, and how many succeeded (HTTP < 400). */
  apiCalls(): { total: number; ok: number };
  /** Connector resource samples taken so far (empty for an external connector). */
  connectorSamples(): ResourceSample[];
  /** Webhook attempts the connector left without an answer (timeouts, refused connections) so far. */
  connectorUnanswered?(): number;
  /** Aborted when the user interrupts the run: suites stop starting flows. */
  signal?: AbortSignal;
  progress(p: SuiteProgress): void;
  log(line: string): void;
}

/** What a suite hands back to the run. */
export interface SuiteOutput {
  kind: string;
  title: string;
  startedAtMs: number;
  endedAtMs: number;
  flows: FlowTrace[];
  judgement: SuiteJudgement;
  /** Flows that count toward the run-wide completeness and sync latency (functional suites). */
  functional: boolean;
  faults?: FaultOutcome[];
  capacity?: CapacityResult;
}

/** The run-wide settings every suite's driver shares (clock, flow waiter, in-flight cap, lag bound, health). */
function driverSettings(ctx: SuiteContext) {
  return {
    clock: ctx.clock,
    waiter: ctx.waiter,
    maxInFlight: ctx.maxInFlight,
    lagBoundMs: ctx.lagBoundMs,
    health: ctx.health,
    // An interrupted run (Ctrl-C) starts no new arrivals; flows in flight still get their deadline.
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}

/** A constant rate that yields exactly `count` arrivals (the n-th arrival is where the area reaches n). */
function exactly(count: number, ratePerMin: number): RateStage[] {
  return constantStages(ratePerMin, ((count + 0.5) * 60_000) / ratePerMin);
}

/** Reports progress every second while a suite runs. */
function ticker(
  ctx: SuiteContext,
  suite: string,
  label: string | (() => string),
  flows: () => FlowTrace[],
  total: number,
): () => void {
  const timer = setInterval(() => {
    const fs = flows();
    const lat: number[] = [];
    let errors = 0;
    for (const f of fs) {
      if (f.syncLatencyMs !== undefined) lat.push(f.syncLatencyMs);
      if (f.state === 'failed' || f.state === 'dropped') errors++;
    }
    // Webhooks the connector never answered are errors even before their flows time out.
    errors += ctx.connectorUnanswered?.() ?? 0;
    ctx.progress({
      suite,
      label: typeof label === 'string' ? label : label(),
      done: fs.length,
      total,
      p95Ms: percentile(lat.slice(-500), 95),
      errors,
    });
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}

function dropped(ctx: SuiteContext, suite: string, direction: 'outbound' | 'inbound', a: Arrival): FlowTrace {
  return ctx.tracer.markDropped(`${suite}-d${a.index}`, suite, direction, a.scheduledAtMs);
}

/** Template delivery: ≥ 20 approved templates × ≥ 50 sends through the connector. */
export async function runTemplateDelivery(
  ctx: SuiteContext,
  suite: SuiteOf<'template-delivery'>,
): Promise<SuiteOutput> {
  const startedAtMs = ctx.clock.nowMs();
  const rng = createRng(ctx.seed ^ 0x7d1);
  const templates = pickTemplates(ctx.stack.whatsapp.templates(), suite.templates);
  const notes: string[] = [];
  if (templates.length < suite.templates) {
    notes.push(`only ${templates.length} approved templates exist; the suite asked for ${suite.templates}`);
  }
  const total = templates.length * suite.sendsPerTemplate;
  const contacts = planContacts(Math.min(total, 500), rng);
  ctx.traffic.ensureContacts(contacts);
  const plans = planDeliverySends(templates, suite.sendsPerTemplate, contacts, rng);
  const all: FlowTrace[] = [];
  const stop = ticker(ctx, 'template-delivery', 'template sends', () => all, total);
  const { flows } = await drive({
    ...driverSettings(ctx),
    flows: all,
    stages: exactly(total, suite.ratePerMin),
    deadlineMs: suite.deadlineMs,
    start: (a) =>
      ctx.traffic.startOutbound('template-delivery', a.scheduledAtMs, plans[a.index % plans.length]!),
    drop: (a) => dropped(ctx, 'template-delivery', 'outbound', a),
  }).finally(stop);
  const judgement = judgeTemplateDelivery(flows, suite.deadlineMs);
  judgement.notes.push(
    ...notes,
    `${templates.length} templates × ${suite.sendsPerTemplate} sends at ${suite.ratePerMin}/min`,
  );
  return {
    kind: suite.kind,
    title: 'Template delivery',
    startedAtMs,
    endedAtMs: ctx.clock.nowMs(),
    flows,
    judgement,
    functional: true,
  };
}

/** Conversation sync: random customer messages over ≥ 200 conversations. */
export async function runConversationSync(
  ctx: SuiteContext,
  suite: SuiteOf<'conversation-sync'>,
): Promise<SuiteOutput> {
  const startedAtMs = ctx.clock.nowMs();
  const plan = planConversations(
    { messages: suite.messages, conversations: suite.conversations },
    createRng(ctx.seed ^ 0x5c2),
  );
  const all: FlowTrace[] = [];
  const stop = ticker(ctx, 'conversation-sync', 'customer messages', () => all, plan.length);
  const { flows } = await drive({
    ...driverSettings(ctx),
    flows: all,
    stages: exactly(plan.length, suite.ratePerMin),
    deadlineMs: suite.deadlineMs,
    start: (a) =>
      ctx.traffic.startInbound('conversation-sync', a.scheduledAtMs, plan[a.index % plan.length]!),
    drop: (a) => dropped(ctx, 'conversation-sync', 'inbound', a),
  }).finally(stop);
  const judgement = judgeConversationSync(flows, suite.deadlineMs);
  judgement.notes.push(
    `${plan.length} messages over ${suite.conversations} conversations at ${suite.ratePerMin}/min`,
  );
  return {
    kind: suite.kind,
    title: 'Conversation sync',
    startedAtMs,
    endedAtMs: ctx.clock.nowMs(),
    flows,
    judgement,
    functional: true,
  };
}

function mixedStart(ctx: SuiteContext, source: MixedSource, suite: string, outboundShare: number) {
  return (a: Arrival): FlowTrace =>
    source.isOutbound(outboundShare)
      ? ctx.traffic.startOutbound(suite, a.scheduledAtMs, source.outbound())
      : ctx.traffic.startInbound(suite, a.scheduledAtMs, source.inbound());
}

/** Fault recovery: steady traffic while scheduled faults hit the mocks; recovery time and loss. */
export async function runFaultRecovery(
  ctx: SuiteContext,
  suite: SuiteOf<'fault-recovery'>,
): Promise<SuiteOutput> {
  const startedAtMs = ctx.clock.nowMs();
  const source = new MixedSource(ctx.stack.whatsapp.templates(), ctx.seed ^ 0xfa1);
  ctx.traffic.ensureContacts(source.allContacts());
  const applied: AppliedFault[] = [];
  const t0 = ctx.clock.nowMs() + 50;
  for (const f of suite.faults) {
    const mock = f.target === 'whatsapp' ? ctx.stack.whatsapp : ctx.stack.crm;
    const rule = parseFaultSpec(f.spec, t0);
    const added = mock.faults.add({ ...rule, startMs: t0 + f.atMs, endMs: t0 + f.atMs + f.forMs });
    applied.push({ target: f.target, spec: f.spec, startMs: t0 + f.atMs, endMs: t0 + f.atMs + f.forMs });
    ctx.log(
      `fault scheduled: ${f.target} ${f.spec} at +${f.atMs / 1000}s for ${f.forMs / 1000}s (${added.id})`,
    );
  }
  const all: FlowTrace[] = [];
  const total = Math.round((suite.ratePerMin * suite.durationMs) / 60_000);
  const stop = ticker(ctx, 'fault-recovery', 'flows under faults', () => all, total);
  const { flows } = await drive({
    ...driverSettings(ctx),
    flows: all,
    stages: constantStages(suite.ratePerMin, suite.durationMs),
    startAtMs: t0,
    deadlineMs: suite.deadlineMs,
    start: mixedStart(ctx, source, 'fault-recovery', suite.mix.outbound),
    drop: (a) => dropped(ctx, 'fault-recovery', 'outbound', a),
  }).finally(stop);
  for (const f of suite.faults) {
    const mock = f.target === 'whatsapp' ? ctx.stack.whatsapp : ctx.stack.crm;
    mock.faults.clear();
  }
  // "Normal" latency: what flows before the first fault saw (at least 3 s, the seed's sync bound).
  const firstFaultMs = Math.min(...applied.map((a) => a.startMs));
  const before = flows.filter((f) => f.intendedAtMs < firstFaultMs && f.syncLatencyMs !== undefined);
  const normalMs = Math.max(
    3_000,
    2 *
      (percentile(
        before.map((f) => f.syncLatencyMs as number),
        95,
      ) ?? 0),
  );
  const outcomes: FaultOutcome[] = [];
  const judgement: SuiteJudgement = {
    metrics: {},
    checks: {},
    flows: countFlows(flows),
    notes: [],
  };
  let worst: number | null = 0;
  const endedAtMs = ctx.clock.nowMs();
  const evidence: string[] = [];
  for (const fault of applied) {
    const r = judgeRecovery(flows, fault, normalMs);
    outcomes.push({
      target: fault.target,
      spec: fault.spec,
      startMs: fault.startMs - ctx.originMs,
      endMs: fault.endMs - ctx.originMs,
      recoveryMs: r.recoveryMs,
      lost: r.lost,
      retryTiming: retryTiming(flows, fault),
    });
    evidence.push(r.evidence);
    worst = worst === null || r.recoveryMs === null ? null : Math.max(worst, r.recoveryMs);
  }
  const lastEnd = Math.max(...applied.map((a) => a.endMs));
  judgement.metrics['error_recovery_s'] = {
    value: worst === null ? (endedAtMs - lastEnd) / 1000 : worst / 1000,
    ...(worst === null ? { atLeast: true } : {}),
    evidence:
      (worst === null
        ? `did not recover (watched for ${fmt((endedAtMs - lastEnd) / 1000, 1)} s after the fault); `
        : '') +
      evidence.join(' | ') +
      ` (normal = sync within ${fmt(normalMs / 1000, 1)} s)`,
  };
  judgement.checks['messages_lost'] = judgeLoss(flows);
  judgement.flows = countFlows(flows);
  judgement.notes.push(`${flows.length} flows at ${suite.ratePerMin}/min over ${suite.durationMs / 1000} s`);
  return {
    kind: suite.kind,
    title: 'Fault recovery',
    startedAtMs,
    endedAtMs,
    flows,
    judgement,
    functional: false,
    faults: outcomes,
  };
}

/**
 * How the connector retried the flows the fault caught: the spread between the fault's start and
 * when those flows finally synced, against the three-level policy (≤ 1 s, ~30 s, then a log).
 */
function retryTiming(flows: readonly FlowTrace[], fault: AppliedFault): string {
  const caught = flows.filter(
    (f) => f.intendedAtMs >= fault.startMs && f.intendedAtMs <= fault.endMs && f.syncLatencyMs !== undefined,
  );
  if (caught.length === 0) return 'no flow started during the fault reached the CRM';
  const waits = caught.map((f) => f.syncLatencyMs as number);
  const logged = flows.filter(
    (f) => f.intendedAtMs >= fault.startMs && hop(f, 'crm.errorlog') !== undefined,
  ).length;
  return (
    `${caught.length} flows started during the fault synced after p50 ${fmt((percentile(waits, 50) ?? 0) / 1000, 1)} s, ` +
    `max ${fmt(Math.max(...waits) / 1000, 1)} s; ${logged} error-log entries`
  );
}

/** Capacity: the step ramp; each step judged on its own window after the warm-up. */
export async function runCapacity(ctx: SuiteContext, suite: SuiteOf<'capacity'>): Promise<SuiteOutput> {
  const startedAtMs = ctx.clock.nowMs();
  const plan: StepRampPlan = {
    startPerMin: suite.startPerMin,
    stepPerMin: suite.stepPerMin,
    stepDurationMs: suite.stepDurationMs,
    warmupMs: suite.warmupMs,
    maxPerMin: suite.maxPerMin,
    criteria: suite.criteria,
  };
  const steps = planSteps(plan);
  const source = new MixedSource(ctx.stack.whatsapp.templates(), ctx.seed ^ 0xca9);
  ctx.traffic.ensureContacts(source.allContacts());
  const all: FlowTrace[] = [];
  const abort = new AbortController();
  const t0 = ctx.clock.nowMs() + 50;
  const measure = (i: number, atMs: number, final: boolean): StepVerdict => {
    const s = steps[i]!;
    const from = t0 + s.judgeFromMs;
    const to = t0 + s.endMs;
    const inWindow = all.filter((f) => f.intendedAtMs >= from && f.intendedAtMs < to);
    const latency = Histogram.create();
    let completed = 0;
    let failed = 0;
    let timedOut = 0;
    let droppedCount = 0;
    for (const f of inWindow) {
      if (f.state === 'dropped') {
        droppedCount++;
        continue;
      }
      if (f.state === 'failed') failed++;
      if (f.syncLatencyMs !== undefined) {
        latency.record(f.syncLatencyMs);
        if (f.syncLatencyMs > suite.deadlineMs) timedOut++;
        else if (f.state !== 'failed') completed++;
      } else if (f.state !== 'failed') {
        // Not synced yet: its latency is at least its age; past the deadline it is an error.
        const age = atMs - f.intendedAtMs;
        latency.record(age + 1);
        if (final || age > suite.deadlineMs) timedOut++;
      } else {
        // Failed without syncing: it never completed, so its latency is at least the deadline.
        latency.record(suite.deadlineMs);
      }
    }
    const samples = ctx.connectorSamples().filter((x) => x.atMs >= from && x.atMs < to && x.alive);
    const health = ctx.health.validBetween(from, to);
    const m = {
      ratePerMin: s.ratePerMin,
      startMs: s.startMs,
      endMs: s.endMs,
      latency,
      sent: inWindow.length,
      completed,
      failed,
      timedOut,
      dropped: droppedCount,
      harnessValid: health.valid,
      ...(samples.length > 0
        ? {
            connectorCpuPct: samples.reduce((a, x) => a + x.cpuPct, 0) / samples.length,
            connectorMemPct: Math.max(...samples.map((x) => x.memPct)),
          }
        : {}),
    };
    return judgeStep(m, suite.criteria);
  };
  // Judge each step once its flows had the latency criterion's time to sync; stop at the first failure.
  let judged = 0;
  let stoppedAt: number | null = null;
  const judgeTimer = setInterval(() => {
    const now = ctx.clock.nowMs();
    while (judged < steps.length && now >= t0 + steps[judged]!.endMs + suite.criteria.p95LatencyMs) {
      const v = measure(judged, now, false);
      ctx.log(
        `step ${judged + 1}/${steps.length} ${v.ratePerMin}/min: p95 ${fmt(v.p95Ms, 0)} ms, errors ${fmt(v.errorRate * 100, 2)} %` +
          (v.passed ? '' : ` → stop (${v.brokenCriteria.join(', ') || 'harness invalid'})`),
      );
      judged++;
      if (!v.passed || !v.harnessValid) {
        stoppedAt = judged - 1;
        abort.abort();
        break;
      }
    }
  }, 250);
  judgeTimer.unref();
  const stepLabel = () => {
    const elapsed = ctx.clock.nowMs() - t0;
    const i = Math.min(steps.length - 1, Math.max(0, Math.floor(elapsed / plan.stepDurationMs)));
    // Time to the end of the planned ramp: the run stops earlier when a step breaks a criterion.
    const leftS = Math.max(0, Math.round((steps.length * plan.stepDurationMs - elapsed) / 1000));
    const left =
      leftS >= 60 ? `${Math.floor(leftS / 60)}m${String(leftS % 60).padStart(2, '0')}s` : `${leftS}s`;
    return `step ${i + 1}/${steps.length} at ${steps[i]?.ratePerMin}/min, ramp ends in ${left} unless a step breaks`;
  };
  const stop = ticker(ctx, 'capacity', stepLabel, () => all, 0);
  const { flows } = await drive({
    ...driverSettings(ctx),
    flows: all,
    stages: rampStages(plan),
    startAtMs: t0,
    deadlineMs: suite.deadlineMs,
    signal: abort.signal,
    start: mixedStart(ctx, source, 'capacity', suite.mix.outbound),
    drop: (a) => dropped(ctx, 'capacity', 'outbound', a),
  }).finally(() => {
    clearInterval(judgeTimer);
    stop();
  });
  // Final verdicts with everything settled, up to the step that stopped the ramp.
  const lastStep =
    stoppedAt ?? Math.min(steps.length - 1, Math.max(judged - 1, lastStartedStep(steps, t0, flows)));
  const verdicts: StepVerdict[] = [];
  for (let i = 0; i <= lastStep; i++) verdicts.push(measure(i, ctx.clock.nowMs(), true));
  const ramp = summarizeRamp(verdicts, plan);
  const capacity: CapacityResult = {
    peakCapacityPerMin: ramp.peakCapacityPerMin,
    firstFailingPerMin: ramp.firstFailingPerMin,
    brokenCriterion: ramp.brokenCriterion,
    stoppedBecause: ramp.stoppedBecause,
    harnessValid: ramp.harnessValid,
    steps: ramp.steps.map((v) => ({
      ratePerMin: v.ratePerMin,
      p50Ms: v.p50Ms,
      p95Ms: v.p95Ms,
      p99Ms: v.p99Ms,
      errorRate: v.errorRate,
      sent: v.sent,
      completed: v.completed,
      dropped: v.dropped,
      ...(v.connectorCpuPct !== undefined ? { connectorCpuPct: v.connectorCpuPct } : {}),
      ...(v.connectorMemPct !== undefined ? { connectorMemPct: v.connectorMemPct } : {}),
      passed: v.passed,
      brokenCriteria: [...v.brokenCriteria, ...(v.harnessValid ? [] : ['harness_invalid'])],
    })),
  };
  const judgement: SuiteJudgement = { metrics: {}, checks: {}, flows: countFlows(flows), notes: [] };
  const peakStep = [...ramp.steps].reverse().find((v) => v.passed);
  if (peakStep?.connectorCpuPct !== undefined) {
    judgement.checks['connector_cpu_peak_pct'] = {
      value: peakStep.connectorCpuPct,
      evidence: `mean connector CPU during the ${peakStep.ratePerMin}/min step (100 % = one core)`,
    };
  }
  if (peakStep?.connectorMemPct !== undefined) {
    judgement.checks['connector_memory_peak_pct'] = {
      value: peakStep.connectorMemPct,
      evidence: `peak connector memory during the ${peakStep.ratePerMin}/min step, of the machine's memory`,
    };
  }
  if (ramp.harnessValid) {
    judgement.metrics['peak_capacity_msg_per_min'] = {
      value: ramp.peakCapacityPerMin ?? 0,
      evidence:
        ramp.peakCapacityPerMin === null
          ? `the first step (${plan.startPerMin}/min) already failed: ${ramp.brokenCriterion ?? 'unknown'}`
          : `last passing step ${ramp.peakCapacityPerMin}/min; ` +
            (ramp.firstFailingPerMin !== null
              ? `${ramp.firstFailingPerMin}/min broke ${ramp.brokenCriterion}`
              : `the ramp reached its maximum (${plan.maxPerMin}/min) without failing`),
    };
  } else {
    judgement.notes.push('the harness itself saturated during the ramp: no capacity is reported');
  }
  return {
    kind: suite.kind,
    title: 'Capacity (step ramp)',
    startedAtMs,
    endedAtMs: ctx.clock.nowMs(),
    flows,
    judgement,
    functional: false,
    capacity,
  };
}

function lastStartedStep(
  steps: ReturnType<typeof planSteps>,
  t0: number,
  flows: readonly FlowTrace[],
): number {
  let last = 0;
  for (const f of flows) {
    const i = steps.findIndex((s) => f.intendedAtMs >= t0 + s.startMs && f.intendedAtMs < t0 + s.endMs);
    if (i > last) last = i;
  }
  return last;
}

function countFlows(flows: readonly FlowTrace[]): SuiteJudgement['flows'] {
  const c = { sent: flows.length, completed: 0, failed: 0, lost: 0, dropped: 0, late: 0 };
  for (const f of flows) {
    if (f.state === 'complete') c.completed++;
    else if (f.state === 'failed') c.failed++;
    else if (f.state === 'dropped') c.dropped++;
    else if (f.syncLatencyMs !== undefined) c.late++;
    else c.lost++;
  }
  return c;
}

/** Consistency audit: a sample of conversations compared between the WhatsApp journal and the CRM. */
export function runConsistencyAudit(ctx: SuiteContext, suite: SuiteOf<'consistency-audit'>): SuiteOutput {
  const startedAtMs = ctx.clock.nowMs();
  const rng = createRng(ctx.seed ^ 0xa0d);
  const waSeen = new Map<string, { direction: 'inbound' | 'outbound'; text?: string }>();
  for (const e of ctx.stack.whatsapp.journal.query({ kind: ['message.accepted', 'inbound.created'] })) {
    const wamid = e.data['wamid'];
    if (typeof wamid !== 'string') continue;
    const text = e.kind === 'inbound.created' ? e.data['text'] : e.data['renderedText'];
    waSeen.set(wamid, {
      direction: e.kind === 'inbound.created' ? 'inbound' : 'outbound',
      ...(typeof text === 'string' ? { text } : {}),
    });
  }
  const conversations = ctx.stack.crm.conversations();
  const messages = ctx.stack.crm.messages();
  const byConversation = new Map<string, typeof messages>();
  for (const m of messages) {
    const list = byConversation.get(m.conversation_id) ?? [];
    list.push(m);
    byConversation.set(m.conversation_id, list);
  }
  // Random sample without replacement (partial Fisher–Yates).
  const ids = conversations.map((c) => c.id);
  const n = Math.min(suite.sample, ids.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng.next() * (ids.length - i));
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  let matched = 0;
  const mismatches: string[] = [];
  for (const id of ids.slice(0, n)) {
    const problems: string[] = [];
    for (const m of byConversation.get(id) ?? []) {
      if (!m.wa_message_id) continue;
      const seen = waSeen.get(m.wa_message_id);
      if (!seen) problems.push(`${m.wa_message_id} is in the CRM but WhatsApp never saw it`);
      else if (seen.direction !== m.direction)
        problems.push(`${m.wa_message_id} direction ${m.direction} ≠ ${seen.direction}`);
      else if (m.direction === 'inbound' && seen.text !== undefined && m.body !== seen.text) {
        problems.push(`${m.wa_message_id} text differs`);
      }
    }
    if (problems.length === 0) matched++;
    else if (mismatches.length < 3) mismatches.push(`${id}: ${problems[0]}`);
  }
  // The other way round: every message WhatsApp saw is in the CRM.
  const crmWamids = new Set(
    messages.map((m) => m.wa_message_id).filter((w): w is string => typeof w === 'string'),
  );
  const missingInCrm = [...waSeen.keys()].filter((w) => !crmWamids.has(w)).length;
  const judgement: SuiteJudgement = {
    metrics: {},
    checks: {},
    flows: { sent: 0, completed: 0, failed: 0, lost: 0, dropped: 0, late: 0 },
    notes: [],
  };
  if (n > 0) {
    judgement.checks['consistency_match_rate'] = {
      value: matched / n,
      evidence:
        `${matched} of ${n} sampled conversations match what WhatsApp saw` +
        (mismatches.length > 0 ? `; e.g. ${mismatches.join('; ')}` : '') +
        `; ${missingInCrm} of ${waSeen.size} WhatsApp messages have no CRM record`,
    };
  } else judgement.notes.push('no conversation in the CRM to audit');
  return {
    kind: suite.kind,
    title: 'Consistency audit',
    startedAtMs,
    endedAtMs: ctx.clock.nowMs(),
    flows: [],
    judgement,
    functional: false,
  };
}

const HOUR_MS = 3_600_000;

/**
 * The daily shape of a soak from its peaks: quiet nights, a working day at 1, the peaks at
 * `peakFactor` (hours partly inside a peak get the share they overlap).
 */
export function diurnalShapeFromPeaks(
  peaks: ReadonlyArray<{ startMs: number; endMs: number }>,
  peakFactor: number,
): LoadShape {
  const base = [
    0.3, 0.3, 0.25, 0.25, 0.25, 0.3, 0.5, 0.8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.8, 0.5,
  ];
  const perMin = base.map((b, h) => {
    let inPeak = 0;
    for (const p of peaks) {
      const from = Math.max(p.startMs, h * HOUR_MS);
      const to = Math.min(p.endMs, (h + 1) * HOUR_MS);
      if (to > from) inPeak += (to - from) / HOUR_MS;
    }
    return b * (1 - inPeak) + peakFactor * inPeak;
  });
  return { kind: 'daily-hourly', perMin };
}

/** A soak window on the virtual axis as the journal carries it once it is final (`window.closed`). */
export interface EncodedSoakWindow {
  index: number;
  startMs: number;
  endMs: number;
  sent: number;
  completed: number;
  failed: number;
  timedOut: number;
  dropped: number;
  /** Flows in flight when the harness died (a resumed soak); also counted in `timedOut`. */
  lost: number;
  /** Histogram.encode() of the window's latencies (timed-out and lost flows at the deadline). */
  latency: string;
  rssMaxBytes?: number;
  harnessValid: boolean;
}

/** How one soak flow ended, as journaled in its `flow.settled` record. */
export type SoakOutcome = 'completed' | 'failed' | 'timed_out' | 'dropped' | 'lost';

interface SoakTally {
  sent: number;
  completed: number;
  failed: number;
  timedOut: number;
  dropped: number;
  lost: number;
  latency: Histogram;
  /** Launched and not yet settled. */
  inFlight: number;
  /** What earlier processes measured of this window (a resumed soak). */
  carriedValid: boolean;
  carriedRssBytes?: number;
}

/** The soak part of a checkpoint: the open windows (histograms go in CheckpointState.histograms). */
export interface SoakCheckpoint {
  suiteIndex: number;
  nextClose: number;
  highestVirtualMs: number;
  open: Array<{
    index: number;
    sent: number;
    completed: number;
    failed: number;
    timedOut: number;
    dropped: number;
    lost: number;
    harnessValid: boolean;
    rssMaxBytes?: number;
  }>;
  /** [arrival index, window index] of every flow in flight. */
  inFlight: Array<[number, number]>;
  /** Calls the connector made to the mocks during the soak so far, all processes together. */
  apiCalls: { total: number; ok: number };
  gaps: Array<{ startMs: number; endMs: number; reason: string }>;
}

/** Where soak records go (a RunJournal). */
export interface SoakJournal {
  append(record: JournalRecord): void;
  checkpoint(state: CheckpointState): void;
}

/** Journal flow id of a soak arrival: its schedule index, which stays unique across resumes. */
export function soakFlowId(index: number): string {
  return `soak#${index}`;
}

function emptyTally(): SoakTally {
  return {
    sent: 0,
    completed: 0,
    failed: 0,
    timedOut: 0,
    dropped: 0,
    lost: 0,
    latency: Histogram.create(),
    inFlight: 0,
    carriedValid: true,
  };
}

/**
 * The soak's windows, tallied flow by flow as flows settle (not recomputed at the end), so a run
 * can be checkpointed and resumed: each window is journaled once as `window.closed` when every
 * arrival in it is handled and settled, and a checkpoint carries only the windows still open.
 */
export class SoakLedger {
  /** Final windows, in order. */
  readonly closed: EncodedSoakWindow[] = [];
  private readonly open = new Map<number, SoakTally>();
  private readonly inFlight = new Map<number, number>();
  private nextClose = 0;
  private highestVirtualMs = -1;
  private nextIndex = 0;
  private restoring = false;
  private readonly count: number;

  constructor(
    private readonly cfg: {
      windowMs: number;
      durationMs: number;
      deadlineMs: number;
      journal?: SoakJournal;
      /** Harness validity and connector peak RSS this process saw in a window (virtual span). */
      measure?: (startMs: number, endMs: number) => { harnessValid: boolean; rssMaxBytes?: number };
    },
  ) {
    this.count = Math.max(1, Math.ceil(cfg.durationMs / cfg.windowMs));
  }

  /** The next arrival index to play (one past the highest handled). */
  get nextArrivalIndex(): number {
    return this.nextIndex;
  }

  /** Virtual time of the last arrival handled, or −1 before the first. */
  get lastVirtualMs(): number {
    return this.highestVirtualMs;
  }

  /** Arrivals launched and not settled. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private windowOf(virtualMs: number): number {
    return Math.min(this.count - 1, Math.max(0, Math.floor(virtualMs / this.cfg.windowMs)));
  }

  private tally(w: number): SoakTally {
    let t = this.open.get(w);
    if (!t) {
      t = emptyTally();
      this.open.set(w, t);
    }
    return t;
  }

  private note(index: number, virtualMs: number): void {
    this.nextIndex = Math.max(this.nextIndex, index + 1);
    this.highestVirtualMs = Math.max(this.highestVirtualMs, virtualMs);
  }

  /** An arrival the driver launched. */
  launched(index: number, virtualMs: number, journal = true): void {
    const w = this.windowOf(virtualMs);
    const t = this.tally(w);
    t.sent++;
    t.inFlight++;
    this.inFlight.set(index, w);
    this.note(index, virtualMs);
    if (journal) {
      this.cfg.journal?.append({
        type: recordTypes.flowLaunched,
        flowId: soakFlowId(index),
        suite: 'soak',
        index,
        window: w,
        virtualMs: Math.round(virtualMs),
      });
    }
  }

  /** An arrival the driver dropped (in-flight cap): an error of its window. */
  dropped(index: number, virtualMs: number, journal = true): void {
    const w = this.windowOf(virtualMs);
    const t = this.tally(w);
    t.sent++;
    t.dropped++;
    this.note(index, virtualMs);
    if (journal) {
      this.cfg.journal?.append({
        type: recordTypes.flowDropped,
        flowId: soakFlowId(index),
        suite: 'soak',
        index,
        window: w,
        virtualMs: Math.round(virtualMs),
      });
    }
    this.closeReady(false);
  }

  /** A launched flow settled (or its deadline passed): classified as the soak judges it. */
  settled(index: number, flow: FlowTrace): void {
    let outcome: SoakOutcome;
    let latencyMs: number | null = null;
    if (flow.state === 'dropped') outcome = 'dropped';
    else if (flow.state === 'failed') outcome = 'failed';
    else if (flow.syncLatencyMs === undefined || flow.syncLatencyMs > this.cfg.deadlineMs) {
      outcome = 'timed_out';
    } else {
      outcome = 'completed';
      latencyMs = flow.syncLatencyMs;
    }
    this.settle(index, outcome, latencyMs, true);
  }

  /**
   * Applies one settled outcome to the flow's window (live, or replayed from the journal). Returns
   * false for a flow not in flight: settled twice, or never launched; it is not counted again.
   */
  settle(index: number, outcome: SoakOutcome, latencyMs: number | null, journal: boolean): boolean {
    const w = this.inFlight.get(index);
    if (w === undefined) return false;
    this.inFlight.delete(index);
    const t = this.tally(w);
    t.inFlight--;
    if (outcome === 'dropped') t.dropped++;
    else if (outcome === 'failed') t.failed++;
    else if (outcome === 'completed' && latencyMs !== null) {
      t.completed++;
      t.latency.record(latencyMs);
    } else {
      t.timedOut++;
      if (outcome === 'lost') t.lost++;
      t.latency.record(this.cfg.deadlineMs);
    }
    if (journal) {
      this.cfg.journal?.append({
        type: recordTypes.flowSettled,
        flowId: soakFlowId(index),
        suite: 'soak',
        index,
        window: w,
        outcome,
        latencyMs,
      });
    }
    this.closeReady(false);
    return true;
  }

  /** Counts every flow still in flight as lost (the process that ran it died) and journals it. */
  loseInFlight(): number {
    const lost = [...this.inFlight.keys()];
    for (const index of lost) this.settle(index, 'lost', null, true);
    return lost.length;
  }

  /**
   * Journals every window that is final: every arrival in it handled (an arrival at or past its end
   * was) and none in flight; with `final`, all the rest (the schedule is over).
   */
  closeReady(final: boolean): void {
    if (this.restoring) return;
    while (this.nextClose < this.count) {
      const i = this.nextClose;
      const startMs = i * this.cfg.windowMs;
      const endMs = Math.min(this.cfg.durationMs, (i + 1) * this.cfg.windowMs);
      const t = this.open.get(i) ?? emptyTally();
      if (!final && (this.highestVirtualMs < (i + 1) * this.cfg.windowMs || t.inFlight > 0)) return;
      const seen = this.cfg.measure?.(startMs, endMs) ?? { harnessValid: true };
      const rss = [seen.rssMaxBytes, t.carriedRssBytes].filter((x): x is number => x !== undefined);
      const window: EncodedSoakWindow = {
        index: i,
        startMs,
        endMs,
        sent: t.sent,
        completed: t.completed,
        failed: t.failed,
        timedOut: t.timedOut,
        dropped: t.dropped,
        lost: t.lost,
        latency: t.latency.encode(),
        ...(rss.length > 0 ? { rssMaxBytes: Math.max(...rss) } : {}),
        harnessValid: seen.harnessValid && t.carriedValid,
      };
      this.adoptClosed(window);
      this.cfg.journal?.append({ type: recordTypes.windowClosed, suite: 'soak', window });
    }
  }

  /** Takes a window that is already final (live, or a `window.closed` record of an earlier process). */
  adoptClosed(window: EncodedSoakWindow): void {
    if (window.index < this.nextClose) return;
    this.closed.push(window);
    this.open.delete(window.index);
    this.nextClose = window.index + 1;
  }

  /** The windows still open, for a checkpoint (histograms keyed `window.<i>`). */
  snapshot(): {
    histograms: Record<string, string>;
    soak: Pick<SoakCheckpoint, 'nextClose' | 'highestVirtualMs' | 'open' | 'inFlight'>;
  } {
    const histograms: Record<string, string> = {};
    const open: SoakCheckpoint['open'] = [];
    for (const [index, t] of this.open) {
      histograms[`window.${index}`] = t.latency.encode();
      const seen = this.cfg.measure?.(
        index * this.cfg.windowMs,
        Math.min(this.cfg.durationMs, (index + 1) * this.cfg.windowMs),
      ) ?? { harnessValid: true };
      const rss = [seen.rssMaxBytes, t.carriedRssBytes].filter((x): x is number => x !== undefined);
      open.push({
        index,
        sent: t.sent,
        completed: t.completed,
        failed: t.failed,
        timedOut: t.timedOut,
        dropped: t.dropped,
        lost: t.lost,
        harnessValid: seen.harnessValid && t.carriedValid,
        ...(rss.length > 0 ? { rssMaxBytes: Math.max(...rss) } : {}),
      });
    }
    return {
      histograms,
      soak: {
        nextClose: this.nextClose,
        highestVirtualMs: this.highestVirtualMs,
        open,
        inFlight: [...this.inFlight],
      },
    };
  }

  /**
   * Rebuilds the ledger of a dead process: the windows it closed, the open windows of its last
   * checkpoint, then the soak records it journaled after that checkpoint replayed on top. Flows still
   * in flight afterwards are the ones the crash caught (see {@link loseInFlight}).
   */
  restore(
    closed: readonly EncodedSoakWindow[],
    checkpoint: { histograms: Record<string, string>; soak: SoakCheckpoint },
    after: readonly JournalRecord[],
  ): void {
    const cp = checkpoint.soak;
    this.restoring = true;
    for (const o of cp.open) {
      const enc = checkpoint.histograms[`window.${o.index}`];
      this.open.set(o.index, {
        sent: o.sent,
        completed: o.completed,
        failed: o.failed,
        timedOut: o.timedOut,
        dropped: o.dropped,
        lost: o.lost,
        // A decoded HDR histogram does not grow its range: copy it into one that does before recording.
        latency: enc ? Histogram.create().merge(Histogram.decode(enc)) : Histogram.create(),
        inFlight: 0,
        carriedValid: o.harnessValid,
        ...(o.rssMaxBytes !== undefined ? { carriedRssBytes: o.rssMaxBytes } : {}),
      });
    }
    for (const [index, w] of cp.inFlight) {
      this.inFlight.set(index, w);
      this.tally(w).inFlight++;
      this.nextIndex = Math.max(this.nextIndex, index + 1);
    }
    this.nextClose = cp.nextClose;
    this.highestVirtualMs = cp.highestVirtualMs;
    for (const r of after) {
      if (r['suite'] !== 'soak') continue;
      const index = typeof r['index'] === 'number' ? r['index'] : undefined;
      const virtualMs = typeof r['virtualMs'] === 'number' ? r['virtualMs'] : undefined;
      if (r.type === recordTypes.flowLaunched && index !== undefined && virtualMs !== undefined) {
        this.launched(index, virtualMs, false);
      } else if (r.type === recordTypes.flowDropped && index !== undefined && virtualMs !== undefined) {
        this.dropped(index, virtualMs, false);
      } else if (r.type === recordTypes.flowSettled && index !== undefined) {
        const latency = typeof r['latencyMs'] === 'number' ? r['latencyMs'] : null;
        this.settle(index, r['outcome'] as SoakOutcome, latency, false);
      }
    }
    // Windows the dead process closed are final: their journaled figures replace any replayed tally.
    for (const w of [...closed].sort((a, b) => a.index - b.index)) {
      if (this.closed.some((c) => c.index === w.index)) continue;
      this.closed.push(w);
      this.open.delete(w.index);
      this.nextClose = Math.max(this.nextClose, w.index + 1);
    }
    for (const [index, w] of this.inFlight) if (w < this.nextClose) this.inFlight.delete(index);
    this.restoring = false;
  }

  /** Totals over the closed windows. */
  totals(): {
    sent: number;
    completed: number;
    failed: number;
    timedOut: number;
    dropped: number;
    lost: number;
  } {
    const t = { sent: 0, completed: 0, failed: 0, timedOut: 0, dropped: 0, lost: 0 };
    for (const w of this.closed) {
      t.sent += w.sent;
      t.completed += w.completed;
      t.failed += w.failed;
      t.timedOut += w.timedOut;
      t.dropped += w.dropped;
      t.lost += w.lost;
    }
    return t;
  }
}

/** What a soak checkpoint needs to continue the run in another process (`wacrm resume`). */
export interface SoakRunInfo {
  /** Absolute path of the scenario file. */
  scenarioFile: string;
  runId: string;
  /** The run directory (`--out`). */
  outDir: string;
  startedAt: string;
  timeScale?: number;
  connectorUrl?: string;
  whatsappPort?: number;
  crmPort?: number;
}

/** A soak continued by `wacrm resume`: where it stopped and what the dead process left. */
export interface SoakResumeState {
  checkpoint: CheckpointState & { soak: SoakCheckpoint };
  /** Every `window.closed` window of the soak in the journal. */
  closed: EncodedSoakWindow[];
  /** Journal records after the last checkpoint (deduplicated). */
  after: JournalRecord[];
  /** Where the schedule continues. */
  nextArrivalIndex: number;
}

/** Options the run passes to the soak that the scenario cannot know. */
export interface SoakRunOptions {
  timeScale?: number;
  /** Reads the profile file named by the scenario (already resolved to a path). */
  readProfile?: (file: string) => unknown;
  startEpochMs: number;
  /** The run journal: flows, closed windows and checkpoints go there. */
  journal?: SoakJournal;
  /** Stored in every checkpoint so `wacrm resume` can continue with the same options. */
  runInfo?: SoakRunInfo;
  /** Position of the soak in the scenario's suites. */
  suiteIndex?: number;
  /** Real ms between checkpoints. Default 2,000 (≤ 5 s). */
  checkpointEveryMs?: number;
  /** Continue a soak a dead process started. */
  resume?: SoakResumeState;
  /** The acceptance table's sync-error limit (its one home); none: the rule is not listed. */
  syncErrorLimit?: SyncErrorLimit | null;
}

/**
 * Soak: a diurnal profile (or a shape file) played in real time or compressed by `timeScale`
 * (virtual time on the report's axis); every window judged, then the 4-hour snapshots, days,
 * p95 drift, connector memory growth and the seed's monitoring rules. With a journal, each window
 * is journaled once it is final and a checkpoint is written every few seconds; with `resume`, the
 * schedule continues at the checkpointed arrival and the dead process's in-flight flows count as lost.
 */
export async function runSoak(
  ctx: SuiteContext,
  suite: SuiteOf<'soak'>,
  opts: SoakRunOptions,
): Promise<SuiteOutput & { soak: SoakResult }> {
  const startedAtMs = ctx.clock.nowMs();
  const timeScale = opts.timeScale ?? suite.timeScale;
  let shape: LoadShape = diurnalShapeFromPeaks(suite.peaks, suite.peakFactor);
  let meanPerHour = suite.averageRatePerMin * 60;
  if (suite.profileFile && opts.readProfile) {
    const parsed = parseShape(opts.readProfile(suite.profileFile));
    shape = parsed.shape;
    if (parsed.meanPerHour !== undefined) meanPerHour = parsed.meanPerHour;
  }
  const virtual = shapeStages(shape, {
    startEpochMs: opts.startEpochMs,
    durationMs: suite.durationMs,
    timeZone: suite.timezone,
    meanPerHour,
  });
  const real = scaleStages(virtual, timeScale, suite.volume);
  const source = new MixedSource(ctx.stack.whatsapp.templates(), ctx.seed ^ 0x50a);
  ctx.traffic.ensureContacts(source.allContacts());
  const callsBefore = ctx.apiCalls();
  const resume = opts.resume;
  const firstIndex = resume?.nextArrivalIndex ?? 0;
  // A resumed soak plays arrival firstIndex + 1 now: its offset on the schedule is mapped to now.
  const realDurationMs = suite.durationMs / timeScale;
  const resumeOffsetMs = resume ? (offsetOfArrival(real, firstIndex + 1) ?? realDurationMs) : 0;
  const t0 = ctx.clock.nowMs() + 50 - resumeOffsetMs;
  const toVirtual = (realAtMs: number) => (realAtMs - t0) * timeScale;
  const toReal = (virtualMs: number) => t0 + virtualMs / timeScale;
  const samples = ctx.connectorSamples;
  const ledger = new SoakLedger({
    windowMs: suite.windowMs,
    durationMs: suite.durationMs,
    deadlineMs: suite.deadlineMs,
    ...(opts.journal ? { journal: opts.journal } : {}),
    measure: (startMs, endMs) => {
      const from = toReal(startMs);
      const to = toReal(endMs);
      const rss = samples()
        .filter((s) => s.alive && s.atMs >= from && s.atMs < to)
        .map((s) => s.rssBytes);
      return {
        harnessValid: ctx.health.validBetween(from, to).valid,
        ...(rss.length > 0 ? { rssMaxBytes: Math.max(...rss) } : {}),
      };
    },
  });
  const gaps: NonNullable<SoakResult['gaps']> = [...(resume?.checkpoint.soak.gaps ?? [])];
  const carriedCalls = resume?.checkpoint.soak.apiCalls ?? { total: 0, ok: 0 };
  let lostAtCrash = 0;
  if (resume) {
    ledger.restore(resume.closed, resume.checkpoint, resume.after);
    lostAtCrash = ledger.loseInFlight();
    const gapStartMs = Math.max(0, ledger.lastVirtualMs, resume.checkpoint.position.virtualMs);
    const gapEndMs = Math.max(gapStartMs, Math.min(suite.durationMs, resumeOffsetMs * timeScale));
    gaps.push({
      startMs: Math.round(gapStartMs),
      endMs: Math.round(gapEndMs),
      reason:
        `the harness died here and the soak was resumed at arrival ${firstIndex}` +
        (lostAtCrash > 0 ? `; ${lostAtCrash} flows in flight at the crash count as lost` : ''),
    });
    ctx.log(
      `soak resumed at arrival ${firstIndex} (virtual ${fmt(gapEndMs / HOUR_MS, 2)} h); ${lostAtCrash} flows lost in the crash`,
    );
  }
  const apiCallsNow = () => {
    const c = ctx.apiCalls();
    return {
      total: carriedCalls.total + c.total - callsBefore.total,
      ok: carriedCalls.ok + c.ok - callsBefore.ok,
    };
  };
  const checkpoint = () => {
    if (!opts.journal) return;
    const snap = ledger.snapshot();
    const calls = apiCallsNow();
    opts.journal.checkpoint({
      position: {
        nextArrivalIndex: ledger.nextArrivalIndex,
        virtualMs: Math.round(Math.min(suite.durationMs, Math.max(0, toVirtual(ctx.clock.nowMs())))),
      },
      seed: ctx.seed,
      histograms: snap.histograms,
      counters: { apiCallsTotal: calls.total, apiCallsOk: calls.ok, lostAtCrash },
      startEpochMs: opts.startEpochMs,
      ...(opts.runInfo ? { run: opts.runInfo } : {}),
      soak: { suiteIndex: opts.suiteIndex ?? 0, ...snap.soak, apiCalls: calls, gaps },
    });
  };
  checkpoint();
  const everyMs = Math.min(5_000, Math.max(100, opts.checkpointEveryMs ?? 2_000));
  const checkpointTimer = setInterval(checkpoint, everyMs);
  checkpointTimer.unref();
  const all: FlowTrace[] = [];
  const virtualLabel = () => {
    const v = Math.max(0, toVirtual(ctx.clock.nowMs()));
    return `virtual ${Math.floor(v / HOUR_MS)}h of ${suite.durationMs / HOUR_MS}h (×${timeScale})`;
  };
  const stop = ticker(ctx, 'soak', virtualLabel, () => all, 0);
  const start = mixedStart(ctx, source, 'soak', suite.mix.outbound);
  const { flows } = await drive({
    ...driverSettings(ctx),
    flows: all,
    stages: real,
    startAtMs: t0,
    firstIndex,
    deadlineMs: suite.deadlineMs,
    start: (a) => {
      ledger.launched(a.index, toVirtual(a.scheduledAtMs));
      return start(a);
    },
    onSettled: (a, f) => ledger.settled(a.index, f),
    drop: (a) => {
      ledger.dropped(a.index, toVirtual(a.scheduledAtMs));
      return dropped(ctx, 'soak', 'outbound', a);
    },
  }).finally(() => {
    clearInterval(checkpointTimer);
    stop();
  });
  ledger.closeReady(true);
  checkpoint();
  // Windows on the virtual axis; latencies stay real (the connector worked in real time).
  const inputs: SoakWindowInput[] = ledger.closed.map((w) => ({
    startMs: w.startMs,
    endMs: w.endMs,
    latency: Histogram.decode(w.latency),
    sent: w.sent,
    completed: w.completed,
    failed: w.failed,
    timedOut: w.timedOut,
    dropped: w.dropped,
    ...(w.rssMaxBytes !== undefined ? { connectorRssBytes: w.rssMaxBytes } : {}),
    harnessValid: w.harnessValid,
  }));
  const report = analyzeSoak(inputs, { snapshotEveryMs: 4 * HOUR_MS, dayMs: 24 * HOUR_MS });
  const localPeak = (virtualMs: number) => {
    const ms = localMsOfDay(suite.timezone, opts.startEpochMs + virtualMs);
    return suite.peaks.some((p) => ms >= p.startMs && ms < p.endMs);
  };
  const r = report.rules;
  const soak: SoakResult = {
    timeScale,
    virtualDurationMs: suite.durationMs,
    windows: inputs.map((w) => ({
      startMs: w.startMs,
      endMs: w.endMs,
      sent: w.sent,
      completed: w.completed,
      errorRate: w.sent > 0 ? (w.failed + w.timedOut + w.dropped) / w.sent : 0,
      p95Ms: w.latency.count > 0 ? w.latency.percentileMs(95) : null,
      ...(w.connectorRssBytes !== undefined ? { connectorRssBytes: w.connectorRssBytes } : {}),
      isPeak: localPeak((w.startMs + w.endMs) / 2),
    })),
    p95DriftMs: report.drift.lastP95Ms - report.drift.firstP95Ms,
    memoryGrowthBytes: report.memory ? report.memory.growthBytes : null,
    rules: [
      ...(opts.syncErrorLimit
        ? [syncErrorRule(r.syncErrorRate.value, report.overall.sent, opts.syncErrorLimit)]
        : []),
      {
        rule: `≥ 85 % handled within ${r.handledWithinTarget.withinMs / 1000} s`,
        passed: r.handledWithinTarget.passed,
        evidence: `${fmt(r.handledWithinTarget.share * 100, 2)} % handled in time`,
      },
      {
        rule: `p95 drift first → last snapshot ≤ ×${report.drift.limit} (or under +${report.drift.minGrowthMs} ms)`,
        passed: !report.drift.exceeded,
        evidence: `p95 ${fmt(report.drift.firstP95Ms, 0)} ms → ${fmt(report.drift.lastP95Ms, 0)} ms`,
      },
      ...(r.volume
        ? [
            {
              rule: 'per-minute volume within 70–130 % of the expected',
              passed: r.volume.passed,
              evidence: `${r.volume.minutesOutside} of ${r.volume.minutesJudged} minutes outside the band`,
            },
          ]
        : []),
    ],
    ...(gaps.length > 0 ? { gaps } : {}),
  };
  const totals = ledger.totals();
  // Flow counts over the whole soak (every process), from the windows: flows of dead processes are gone.
  const lateCount = flows.filter(
    (f) => f.state !== 'complete' && f.state !== 'failed' && f.syncLatencyMs !== undefined,
  ).length;
  const judgement: SuiteJudgement = {
    metrics: {},
    checks: {},
    flows: {
      sent: totals.sent,
      completed: totals.completed,
      failed: totals.failed,
      dropped: totals.dropped,
      late: Math.min(lateCount, totals.timedOut),
      lost: totals.timedOut - Math.min(lateCount, totals.timedOut),
    },
    notes: [],
  };
  const calls = apiCallsNow();
  if (calls.total > 0) {
    judgement.checks['api_success_rate'] = {
      value: calls.ok / calls.total,
      evidence: `${calls.ok} of ${calls.total} calls the connector made to WhatsApp and the CRM succeeded during the soak`,
    };
  }
  judgement.checks['soak_sync_error_rate'] = {
    value: r.syncErrorRate.value,
    evidence: `${fmt(r.syncErrorRate.value * 100, 3)} % of ${report.overall.sent} flows failed, timed out or were dropped`,
  };
  judgement.notes.push(
    `${totals.sent} flows over ${suite.durationMs / HOUR_MS} h of virtual time at ×${timeScale} (${suite.volume})`,
  );
  for (const g of gaps) {
    judgement.notes.push(
      `resumed soak: virtual ${fmt(g.startMs / HOUR_MS, 2)}–${fmt(g.endMs / HOUR_MS, 2)} h was not watched live (${g.reason}); ` +
        'the connector and the mocks were restarted there, so memory growth spans two connector processes',
    );
  }
  return {
    kind: suite.kind,
    title: 'Soak',
    startedAtMs,
    endedAtMs: ctx.clock.nowMs(),
    flows,
    judgement,
    functional: false,
    soak,
  };
}
