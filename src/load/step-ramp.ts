import type { Histogram } from '../metrics/histogram.js';
import type { RateStage } from './schedule.js';

/** A step ramp: constant steps from `startPerMin`, `stepPerMin` higher each, up to `maxPerMin`. */
export interface StepRampPlan {
  startPerMin: number;
  stepPerMin: number;
  stepDurationMs: number;
  /** The first slice of each step that is not judged (the connector settles into the new rate). */
  warmupMs: number;
  maxPerMin: number;
  /** A step fails when its p95 exceeds `p95LatencyMs` or its error rate exceeds `errorRate` (0..1). */
  criteria: { p95LatencyMs: number; errorRate: number };
}

/** The seed's ramp: 500 msg/min, +200 per step, 60 s steps (10 s warm-up), stop past 5 s p95 or 1 % errors. */
export const defaultStepRampPlan: StepRampPlan = {
  startPerMin: 500,
  stepPerMin: 200,
  stepDurationMs: 60_000,
  warmupMs: 10_000,
  maxPerMin: 10_000,
  criteria: { p95LatencyMs: 5_000, errorRate: 0.01 },
};

/** The seed's resource limits: CPU not sustained above 80 %, memory under 75 %. Flags, not stop rules. */
export const defaultResourceLimits = { cpuPct: 80, memPct: 75 };

/** One step of the plan on the ramp's timeline. */
export interface PlannedStep {
  index: number;
  ratePerMin: number;
  startMs: number;
  /** Start of the judged window (after the warm-up). */
  judgeFromMs: number;
  endMs: number;
}

/** Throws a RangeError naming the field when a plan cannot be run. */
export function validateStepRampPlan(plan: StepRampPlan): void {
  const num = (key: string, v: unknown, min: number, inclusive: boolean) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (inclusive ? v < min : v <= min)) {
      throw new RangeError(
        `${key} must be a finite number ${inclusive ? '≥' : '>'} ${min}, got ${String(v)}`,
      );
    }
  };
  num('startPerMin', plan.startPerMin, 0, false);
  num('stepPerMin', plan.stepPerMin, 0, false);
  num('stepDurationMs', plan.stepDurationMs, 0, false);
  num('warmupMs', plan.warmupMs, 0, true);
  num('maxPerMin', plan.maxPerMin, plan.startPerMin, true);
  num('criteria.p95LatencyMs', plan.criteria?.p95LatencyMs, 0, false);
  num('criteria.errorRate', plan.criteria?.errorRate, 0, true);
  if (plan.criteria.errorRate > 1)
    throw new RangeError(`criteria.errorRate is a ratio 0..1, got ${plan.criteria.errorRate}`);
  if (plan.warmupMs >= plan.stepDurationMs) {
    throw new RangeError(
      `warmupMs (${plan.warmupMs}) must be shorter than stepDurationMs (${plan.stepDurationMs}): nothing would be judged`,
    );
  }
}

/** The plan's steps: rates start, start + step, … while ≤ maxPerMin, each with its judged window. */
/**
 * The step plan of a capacity suite (or anything that carries the plan's fields, such as a parsed
 * `kind: capacity` suite): one copy, so the run, the k6 export and `wacrm collect` ramp alike.
 */
export function stepPlanOf(suite: StepRampPlan): StepRampPlan {
  return {
    startPerMin: suite.startPerMin,
    stepPerMin: suite.stepPerMin,
    stepDurationMs: suite.stepDurationMs,
    warmupMs: suite.warmupMs,
    maxPerMin: suite.maxPerMin,
    criteria: suite.criteria,
  };
}

export function planSteps(plan: StepRampPlan): PlannedStep[] {
  validateStepRampPlan(plan);
  const count = Math.floor((plan.maxPerMin - plan.startPerMin) / plan.stepPerMin + 1e-9) + 1;
  const steps: PlannedStep[] = [];
  for (let i = 0; i < count; i++) {
    const startMs = i * plan.stepDurationMs;
    steps.push({
      index: i,
      ratePerMin: plan.startPerMin + i * plan.stepPerMin,
      startMs,
      judgeFromMs: startMs + plan.warmupMs,
      endMs: startMs + plan.stepDurationMs,
    });
  }
  return steps;
}

/** The plan as a rate curve: one constant stage per step (the jumps between them are instant). */
export function rampStages(plan: StepRampPlan): RateStage[] {
  return planSteps(plan).map((s) => ({
    durationMs: plan.stepDurationMs,
    startPerMin: s.ratePerMin,
    endPerMin: s.ratePerMin,
  }));
}

/** What was measured in one step's judged window (after the warm-up). */
export interface StepMeasurement {
  ratePerMin: number;
  startMs: number;
  endMs: number;
  /**
   * End-to-end latency from each flow's intended start, over the judged window. Flows that timed out
   * belong in it at their deadline (leaving them out would make an overloaded step look fast).
   */
  latency: Histogram;
  /** Arrivals scheduled in the window: launched + dropped. */
  sent: number;
  completed: number;
  failed: number;
  /** Not completed within the flow deadline. */
  timedOut: number;
  dropped: number;
  connectorCpuPct?: number;
  connectorMemPct?: number;
  /** Whether the harness kept within its health bounds during the window (its own measurement). */
  harnessValid: boolean;
}

/** The judgement of one step. */
export interface StepVerdict {
  ratePerMin: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errorRate: number;
  sent: number;
  completed: number;
  failed: number;
  timedOut: number;
  dropped: number;
  connectorCpuPct?: number;
  connectorMemPct?: number;
  /** CPU above the seed's 80 % (a flag for the report, not a stop rule). */
  cpuOverLimit?: boolean;
  /** Memory at or above the seed's 75 % (a flag for the report, not a stop rule). */
  memOverLimit?: boolean;
  /**
   * Whether the verdict is the connector's. Latency runs from each flow's intended start and an
   * arrival the harness could not start is an error, so a harness that lags can only make a step look
   * worse: a step that passed with the harness lagging still passed (see `harnessLagged`); a step that
   * failed while it lagged may have failed because of the harness and is void.
   */
  harnessValid: boolean;
  /** The harness broke its health bounds during the window (the verdict stands only if it passed). */
  harnessLagged: boolean;
  passed: boolean;
  brokenCriteria: Array<'p95_latency' | 'error_rate'>;
}

/** The outcome of a whole ramp. */
export interface RampResult {
  /** Last passing rate before the first failing step (= peak capacity); null when the first step failed. */
  peakCapacityPerMin: number | null;
  firstFailingPerMin: number | null;
  brokenCriterion: 'p95_latency' | 'error_rate' | null;
  steps: StepVerdict[];
  stoppedBecause: 'criterion' | 'max_rate' | 'harness_invalid' | 'aborted';
  harnessValid: boolean;
  refinement?: { lowPerMin: number; highPerMin: number; steps: StepVerdict[] };
}

/**
 * Judges one step: error rate = (failed + timedOut + dropped) / sent; it fails when p95 > the latency
 * criterion or the error rate > the error criterion. A failure in a window where the harness lagged
 * is void (`harnessValid: false`); a pass in one stands, flagged `harnessLagged`. A step in which nothing was sent cannot show
 * capacity: its error rate is 1. CPU and memory are flagged against `limits`, never a reason to fail.
 */
export function judgeStep(
  m: StepMeasurement,
  criteria: StepRampPlan['criteria'],
  limits: { cpuPct: number; memPct: number } = defaultResourceLimits,
): StepVerdict {
  const errors = m.failed + m.timedOut + m.dropped;
  const errorRate = m.sent > 0 ? Math.min(1, errors / m.sent) : 1;
  const p95Ms = m.latency.percentileMs(95);
  const broken: StepVerdict['brokenCriteria'] = [];
  if (p95Ms > criteria.p95LatencyMs) broken.push('p95_latency');
  if (errorRate > criteria.errorRate) broken.push('error_rate');
  const v: StepVerdict = {
    ratePerMin: m.ratePerMin,
    p50Ms: m.latency.percentileMs(50),
    p95Ms,
    p99Ms: m.latency.percentileMs(99),
    errorRate,
    sent: m.sent,
    completed: m.completed,
    failed: m.failed,
    timedOut: m.timedOut,
    dropped: m.dropped,
    harnessValid: m.harnessValid || broken.length === 0,
    harnessLagged: !m.harnessValid,
    passed: broken.length === 0,
    brokenCriteria: broken,
  };
  if (m.connectorCpuPct !== undefined) {
    v.connectorCpuPct = m.connectorCpuPct;
    v.cpuOverLimit = m.connectorCpuPct > limits.cpuPct;
  }
  if (m.connectorMemPct !== undefined) {
    v.connectorMemPct = m.connectorMemPct;
    v.memOverLimit = m.connectorMemPct >= limits.memPct;
  }
  return v;
}

/**
 * Reads a ramp's verdicts in order and says where it stopped. A step the harness could not keep up
 * with ends the ramp as 'harness_invalid' (its numbers are the harness's, not the connector's): the
 * peak is then the last passing valid step and no failing rate is claimed. The first failing step ends
 * it as 'criterion'. All steps up to the plan's maximum passing is 'max_rate' (the connector is faster
 * than the plan asked); fewer verdicts than planned steps without a failure is 'aborted'.
 */
export function summarizeRamp(verdicts: StepVerdict[], plan: StepRampPlan): RampResult {
  const planned = planSteps(plan).length;
  const steps: StepVerdict[] = [];
  let peak: number | null = null;
  for (const v of verdicts) {
    steps.push(v);
    if (!v.harnessValid) {
      return {
        peakCapacityPerMin: peak,
        firstFailingPerMin: null,
        brokenCriterion: null,
        steps,
        stoppedBecause: 'harness_invalid',
        harnessValid: false,
      };
    }
    if (!v.passed) {
      return {
        peakCapacityPerMin: peak,
        firstFailingPerMin: v.ratePerMin,
        brokenCriterion: v.brokenCriteria[0] ?? null,
        steps,
        stoppedBecause: 'criterion',
        harnessValid: true,
      };
    }
    peak = v.ratePerMin;
  }
  return {
    peakCapacityPerMin: peak,
    firstFailingPerMin: null,
    brokenCriterion: null,
    steps,
    stoppedBecause: steps.length >= planned ? 'max_rate' : 'aborted',
    harnessValid: true,
  };
}

/** State of an optional refinement: bisecting between the last passing and the first failing rate. */
export interface RefinementState {
  lowPerMin: number;
  highPerMin: number;
  steps: StepVerdict[];
}

/**
 * Starts a refinement from a ramp that stopped on a criterion with a passing step before it; null when
 * there is nothing to refine (first step failed, no failure, harness invalid).
 */
export function startRefinement(result: RampResult): RefinementState | null {
  if (result.stoppedBecause !== 'criterion') return null;
  if (result.peakCapacityPerMin === null || result.firstFailingPerMin === null) return null;
  return { lowPerMin: result.peakCapacityPerMin, highPerMin: result.firstFailingPerMin, steps: [] };
}

/**
 * The next rate to try: the midpoint of [low, high], rounded to `resolutionPerMin`, or null when the
 * interval is already within one resolution (or the midpoint rounds onto a bound). Pure: the caller
 * runs a step at that rate, judges it and feeds the verdict to {@link applyRefinementVerdict}.
 */
export function nextRefinementRate(state: RefinementState, resolutionPerMin = 20): number | null {
  if (!(resolutionPerMin > 0)) throw new RangeError(`resolutionPerMin must be > 0, got ${resolutionPerMin}`);
  if (state.highPerMin - state.lowPerMin <= resolutionPerMin) return null;
  const mid = Math.round((state.lowPerMin + state.highPerMin) / 2 / resolutionPerMin) * resolutionPerMin;
  if (mid <= state.lowPerMin || mid >= state.highPerMin) return null;
  return mid;
}

/**
 * Narrows the interval with one judged refinement step: a pass raises the low bound, a failure lowers
 * the high bound. An invalid (harness-lagged) step changes neither bound; it is kept for the report.
 */
export function applyRefinementVerdict(state: RefinementState, verdict: StepVerdict): RefinementState {
  const steps = [...state.steps, verdict];
  if (!verdict.harnessValid) return { ...state, steps };
  if (verdict.ratePerMin <= state.lowPerMin || verdict.ratePerMin >= state.highPerMin)
    return { ...state, steps };
  return verdict.passed
    ? { lowPerMin: verdict.ratePerMin, highPerMin: state.highPerMin, steps }
    : { lowPerMin: state.lowPerMin, highPerMin: verdict.ratePerMin, steps };
}

/**
 * The ramp result with the refinement folded in: the peak becomes the highest passing refined rate and
 * the first failing rate the lowest failing one (with the criterion it broke); coarse steps stay as they were.
 */
export function withRefinement(result: RampResult, state: RefinementState): RampResult {
  const invalid = state.steps.some((s) => !s.harnessValid);
  const failing = state.steps.find((s) => s.harnessValid && !s.passed && s.ratePerMin === state.highPerMin);
  return {
    ...result,
    peakCapacityPerMin: state.lowPerMin,
    firstFailingPerMin: state.highPerMin,
    brokenCriterion: failing ? (failing.brokenCriteria[0] ?? null) : result.brokenCriterion,
    harnessValid: result.harnessValid && !invalid,
    refinement: { lowPerMin: state.lowPerMin, highPerMin: state.highPerMin, steps: state.steps },
  };
}
