import type { Clock } from '../../../kernel/clock.js';
import type { WhatsAppLedger } from '../../checks/consistency.js';
import { percentile } from '../../checks/measures.js';
import { classifyFlow } from '../../checks/outcome.js';
import type { FunctionalPool } from '../../checks/pools.js';
import type { SuiteJudgement } from '../../checks/suites.js';
import { type SuitePhoneRanges, suitePhoneRanges } from '../../flows/phone-range.js';
import type { FlowTracer } from '../../flows/tracer.js';
import type { FlowTrace } from '../../flows/types.js';
import type { Arrival } from '../../load/driver.js';
import { constantStages } from '../../load/profiles.js';
import type { RateStage } from '../../load/schedule.js';
import type { CostSeries } from '../../metrics/cost.js';
import type { HarnessHealth } from '../../metrics/loop.js';
import type { ResourceSample } from '../../metrics/resources.js';
import type { CapacityResult, FaultOutcome, SoakResult } from '../../result/run-result.js';
import { type DriveOptions, drive, type FlowWaiter } from '../drive.js';
import { MixedSource } from '../sources.js';
import type { Stack } from '../stack.js';
import type { Traffic } from '../traffic.js';
import type { RunExtras } from './registry.js';

/** Live progress of a suite, for the terminal. */
export interface SuiteProgress {
  suite: string;
  label: string;
  done: number;
  total: number;
  p95Ms: number | null;
  errors: number;
  /**
   * The suite writes its own log line per step (the capacity ramp): in a log, where nothing is
   * rewritten in place, the periodic progress line would say each step a second time in another format.
   */
  stepsLogged?: boolean;
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
  /** Every message WhatsApp saw since the stack started: the consistency audit's ground truth. */
  waLedger: WhatsAppLedger;
  /** API calls the connector made to both mocks so far, and how many succeeded (HTTP < 400). */
  apiCalls(): { total: number; ok: number };
  /** Connector resource samples taken so far (empty for an external connector). */
  connectorSamples(): ResourceSample[];
  /** The harness's and the connector's CPU and the harness's loop delay so far (cost figures). */
  costSeries?(): CostSeries;
  /** Webhook attempts the connector left without an answer (timeouts, refused connections) so far. */
  connectorUnanswered?(): number;
  /** Aborted when the user interrupts the run: suites stop starting flows. */
  signal?: AbortSignal;
  progress(p: SuiteProgress): void;
  log(line: string): void;
}

/** Whether the harness kept up during a suite's own window (its metrics are void when it did not). */
export interface SuiteHarness {
  valid: boolean;
  reasons: string[];
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
  /** Completeness and sync latency of a functional suite, as pools the run result merges. */
  pool?: FunctionalPool;
  /**
   * The harness's health over the windows the suite judged; absent: the runner checks the suite's
   * whole span. A saturated window voids the suite's metrics (the harness's numbers, not the connector's).
   */
  harness?: SuiteHarness;
  faults?: FaultOutcome[];
  capacity?: CapacityResult;
  soak?: SoakResult;
}

/** A repeating timer on the injected clock (virtual in tests); returns its stop function. */
export function every(clock: Clock, periodMs: number, fn: () => void): () => void {
  let stopped = false;
  let handle = clock.setTimeout(function tick() {
    if (stopped) return;
    fn();
    if (!stopped) handle = clock.setTimeout(tick, periodMs);
  }, periodMs);
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}

/** A constant rate that yields exactly `count` arrivals (the n-th arrival is where the area reaches n). */
export function exactly(count: number, ratePerMin: number): RateStage[] {
  return constantStages(ratePerMin, ((count + 0.5) * 60_000) / ratePerMin);
}

/**
 * The phone ranges of a suite in its run: each suite plans customers in numbers no other suite of
 * the run plans, so one suite's consent tiers and conversations never meet another's. Without
 * extras (a suite called on its own) the suite is alone in its run.
 */
export function suitePhones(
  ctx: Pick<SuiteContext, 'seed'>,
  extras?: Pick<RunExtras, 'suiteIndex' | 'suiteCount'>,
): SuitePhoneRanges {
  const index = extras?.suiteIndex ?? 0;
  return suitePhoneRanges(index, extras?.suiteCount ?? index + 1, ctx.seed);
}

/**
 * The mixed flow source of a load suite (capacity, soak, fault recovery), seeded with the run's seed
 * and the suite's own salt, planning in the suite's phone ranges; its customers are created in the
 * CRM before the load starts.
 */
export function loadSource(
  ctx: SuiteContext,
  seedSalt: number,
  extras?: Pick<RunExtras, 'suiteIndex' | 'suiteCount'>,
): MixedSource {
  const source = new MixedSource(ctx.stack.whatsapp.templates(), ctx.seed ^ seedSalt, {
    phones: suitePhones(ctx, extras),
  });
  ctx.traffic.ensureContacts(source.allContacts());
  return source;
}

/** Starts mixed traffic: an outbound or an inbound flow per arrival, by the suite's share. */
export function mixedStart(ctx: SuiteContext, source: MixedSource, suite: string, outboundShare: number) {
  return (a: Arrival): FlowTrace =>
    source.isOutbound(outboundShare)
      ? ctx.traffic.startOutbound(suite, a.scheduledAtMs, source.outbound())
      : ctx.traffic.startInbound(suite, a.scheduledAtMs, source.inbound());
}

/** What one suite plays: the rate curve, how an arrival starts, and what the terminal shows. */
export interface Play {
  suite: string;
  label: string | (() => string);
  /** Arrivals planned (0 when open-ended). */
  total: number;
  stages: readonly RateStage[];
  deadlineMs: number;
  direction: 'outbound' | 'inbound';
  start: (a: Arrival) => FlowTrace;
  startAtMs?: number;
  firstIndex?: number;
  signal?: AbortSignal;
  onSettled?: DriveOptions['onSettled'];
  onDrop?: (a: Arrival) => void;
  /** Where flows go as they start (a suite that judges live passes its own list). */
  flows?: FlowTrace[];
  /** The suite logs a line per step itself (see {@link SuiteProgress.stepsLogged}). */
  stepsLogged?: boolean;
}

/**
 * The one runner skeleton: plays a rate curve on the open-model driver with the run's shared
 * settings (clock, waiter, in-flight cap, lag bound, health, interruption), reports progress every
 * second on the injected clock, and records the arrivals the driver could not start as dropped.
 */
export async function play(ctx: SuiteContext, p: Play): Promise<FlowTrace[]> {
  const all = p.flows ?? [];
  const stopTicker = every(ctx.clock, 1000, () => {
    let errors = 0;
    const lat: number[] = [];
    const now = ctx.clock.nowMs();
    for (const f of all) {
      const c = classifyFlow(f, p.deadlineMs, { atMs: now, final: false });
      if (c.outcome === 'completed' || c.outcome === 'late') lat.push(c.latencyMs as number);
      else if (c.outcome !== 'pending') errors++;
    }
    // Webhooks the connector never answered are errors even before their flows time out.
    errors += ctx.connectorUnanswered?.() ?? 0;
    ctx.progress({
      suite: p.suite,
      label: typeof p.label === 'string' ? p.label : p.label(),
      done: all.length,
      total: p.total,
      p95Ms: percentile(lat.slice(-500), 95),
      errors,
      ...(p.stepsLogged ? { stepsLogged: true } : {}),
    });
  });
  const signals = [p.signal, ctx.signal].filter((s): s is AbortSignal => s !== undefined);
  try {
    const { flows } = await drive({
      clock: ctx.clock,
      waiter: ctx.waiter,
      maxInFlight: ctx.maxInFlight,
      lagBoundMs: ctx.lagBoundMs,
      health: ctx.health,
      // An interrupted run (Ctrl-C) starts no new arrivals; flows in flight still get their deadline.
      ...(signals.length > 0
        ? { signal: signals.length === 1 ? signals[0]! : AbortSignal.any(signals) }
        : {}),
      flows: all,
      stages: p.stages,
      deadlineMs: p.deadlineMs,
      ...(p.startAtMs !== undefined ? { startAtMs: p.startAtMs } : {}),
      ...(p.firstIndex !== undefined ? { firstIndex: p.firstIndex } : {}),
      ...(p.onSettled ? { onSettled: p.onSettled } : {}),
      start: p.start,
      drop: (a) => {
        p.onDrop?.(a);
        return ctx.tracer.markDropped(`${p.suite}-d${a.index}`, p.suite, p.direction, a.scheduledAtMs);
      },
    });
    return flows;
  } finally {
    stopTicker();
  }
}

/** An empty judgement with the suite's flow counts filled in later. */
export function emptyJudgement(): SuiteJudgement {
  return {
    metrics: {},
    checks: {},
    flows: { sent: 0, completed: 0, failed: 0, lost: 0, dropped: 0, late: 0 },
    notes: [],
  };
}
