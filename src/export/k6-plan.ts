import type { SuiteOf } from '../config/schema.js';
import { diurnalShapeFromPeaks, type LoadShape, shapeStages } from '../load/profiles.js';
import { type RateStage, scaleStages } from '../load/schedule.js';
import { planSteps, rampStages, stepPlanOf } from '../load/step-ramp.js';

/** One k6 stage: the rate (iterations per `timeUnit`) reached linearly over `duration`. */
export interface K6Stage {
  target: number;
  duration: string;
}

/** A judged window of a capacity step: its k6 tag value and where it lies on the test's timeline. */
export interface K6StepWindow {
  index: number;
  ratePerMin: number;
  judgeFromMs: number;
  endMs: number;
}

/** Everything the script's `options` and per-iteration tagging need, worked out from one suite. */
export interface K6Plan {
  suiteKind: 'capacity' | 'soak';
  timeUnit: '1m' | '1h';
  startRate: number;
  stages: K6Stage[];
  preAllocatedVUs: number;
  maxVUs: number;
  /** k6 threshold expressions by metric (sub-metrics included), in a stable order. */
  thresholds: Record<string, string[]>;
  /** Share of iterations that are CRM events (the rest are customer messages). */
  outboundShare: number;
  durationMs: number;
  peakPerMin: number;
  /** Capacity only: the judged window of each step (after its warm-up), for `step` tags. */
  steps: K6StepWindow[];
  /** Where a rate had to be rounded to k6's whole iterations per time unit: the worst error, msg/min. */
  roundingPerMin: number;
}

/** How long one iteration (one webhook POST) holds a VU at most: the dispatcher's 10 s attempt timeout. */
export const K6_REQUEST_TIMEOUT_MS = 10_000;
/** A typical acknowledgement, for the VUs allocated up front (k6 adds more, up to maxVUs, when acks slow). */
const TYPICAL_ITERATION_MS = 1_000;

const MS_PER_MIN = 60_000;

/** A k6 duration: whole seconds as `Ns`, anything finer as `Nms`. */
export function k6Duration(ms: number): string {
  const whole = Math.round(ms);
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

/**
 * Rate stages as k6 `ramping-arrival-rate` stages. k6 ramps linearly from the previous target to
 * each stage's target, so a stage that starts at another rate than the last one ended at is
 * preceded by a 0-second stage (an instant jump: k6's scheduler integrates the curve, a 0 s stage
 * adds no area). k6 takes whole iterations per time unit: per minute when every rate is whole per
 * minute, else per hour (rounded; the worst rounding is returned, at most 1/120 msg/min).
 */
export function k6Stages(stages: readonly RateStage[]): {
  timeUnit: '1m' | '1h';
  startRate: number;
  stages: K6Stage[];
  roundingPerMin: number;
} {
  const whole = (v: number) => Math.abs(v - Math.round(v)) < 1e-9;
  const perMinute = stages.every((s) => whole(s.startPerMin) && whole(s.endPerMin));
  const factor = perMinute ? 1 : 60;
  let rounding = 0;
  const unit = (perMin: number) => {
    const r = Math.round(perMin * factor);
    rounding = Math.max(rounding, Math.abs(r / factor - perMin));
    return r;
  };
  const first = stages[0];
  const startRate = first ? unit(first.startPerMin) : 0;
  const out: K6Stage[] = [];
  let current = startRate;
  for (const s of stages) {
    const from = unit(s.startPerMin);
    if (from !== current) out.push({ target: from, duration: '0s' });
    const to = unit(s.endPerMin);
    out.push({ target: to, duration: k6Duration(s.durationMs) });
    current = to;
  }
  return { timeUnit: perMinute ? '1m' : '1h', startRate, stages: out, roundingPerMin: rounding };
}

/**
 * VUs for a peak rate. An arrival-rate executor needs a free VU for each iteration that starts
 * while others still wait for their acknowledgement (Little's law: VUs = rate × time in flight):
 * allocated up front for a typical 1 s acknowledgement, and allowed up to the 10 s request timeout
 * so a slow connector shows as slow acks rather than dropped iterations.
 */
export function k6Vus(peakPerMin: number): { preAllocatedVUs: number; maxVUs: number } {
  const perSec = peakPerMin / 60;
  const preAllocatedVUs = Math.max(2, Math.ceil((perSec * TYPICAL_ITERATION_MS) / 1000));
  const maxVUs = Math.max(preAllocatedVUs, Math.ceil((perSec * K6_REQUEST_TIMEOUT_MS) / 1000));
  return { preAllocatedVUs, maxVUs };
}

function peakOf(stages: readonly RateStage[]): number {
  let peak = 0;
  for (const s of stages) peak = Math.max(peak, s.startPerMin, s.endPerMin);
  return peak;
}

function durationOf(stages: readonly RateStage[]): number {
  let total = 0;
  for (const s of stages) total += s.durationMs;
  return total;
}

/**
 * The plan of a capacity suite: the step ramp's steps as stages (to the plan's maximum rate: k6
 * cannot stop at the first failing step nor bisect), and thresholds k6 can judge on its own
 * requests: dropped iterations (the harness's own rule: an arrival it could not start makes the
 * numbers the generator's), and per step, over the step's window after its warm-up, the step's
 * criteria applied to the acknowledgements (`http_req_duration{step:N}` p95, `http_req_failed{step:N}`).
 */
export function capacityK6Plan(suite: SuiteOf<'capacity'>): K6Plan {
  const plan = stepPlanOf(suite);
  const rate = rampStages(plan);
  const k = k6Stages(rate);
  const peak = peakOf(rate);
  const steps = planSteps(plan).map((s) => ({
    index: s.index,
    ratePerMin: s.ratePerMin,
    judgeFromMs: s.judgeFromMs,
    endMs: s.endMs,
  }));
  const thresholds: Record<string, string[]> = {
    dropped_iterations: ['count==0'],
    'http_req_failed{phase:load}': [`rate<=${suite.criteria.errorRate}`],
    'http_req_duration{phase:load}': [`p(95)<=${suite.criteria.p95LatencyMs}`],
  };
  for (const s of steps) {
    thresholds[`http_req_duration{step:${s.index}}`] = [`p(95)<=${suite.criteria.p95LatencyMs}`];
    thresholds[`http_req_failed{step:${s.index}}`] = [`rate<=${suite.criteria.errorRate}`];
  }
  return {
    suiteKind: 'capacity',
    ...k,
    ...k6Vus(peak),
    thresholds,
    outboundShare: suite.mix.outbound,
    durationMs: durationOf(rate),
    peakPerMin: peak,
    steps,
  };
}

/** The seed's soak rule k6 can apply to acknowledgements: 85 % handled within 20 s (docs/load-model.md). */
const SOAK_HANDLED_SHARE_PCT = 85;
const SOAK_HANDLED_WITHIN_MS = 20_000;

/**
 * The plan of a soak suite: the same rate curve `wacrm run` plays (the diurnal shape or the shape
 * file, laid on the local days from `startEpochMs`, compressed by the time scale), with thresholds
 * on dropped iterations and the seed's "85 % within 20 s" applied to acknowledgements.
 */
export function soakK6Plan(
  suite: SuiteOf<'soak'>,
  opts: { startEpochMs: number; timeScale?: number; shape?: { shape: LoadShape; meanPerHour?: number } },
): K6Plan {
  const timeScale = opts.timeScale ?? suite.timeScale;
  const shape = opts.shape?.shape ?? diurnalShapeFromPeaks(suite.peaks, suite.peakFactor);
  const meanPerHour = opts.shape?.meanPerHour ?? suite.averageRatePerMin * 60;
  const virtual = shapeStages(shape, {
    startEpochMs: opts.startEpochMs,
    durationMs: suite.durationMs,
    timeZone: suite.timezone,
    meanPerHour,
  });
  const rate = scaleStages(virtual, timeScale, suite.volume);
  const k = k6Stages(rate);
  const peak = peakOf(rate);
  return {
    suiteKind: 'soak',
    ...k,
    ...k6Vus(peak),
    thresholds: {
      dropped_iterations: ['count==0'],
      'http_req_duration{phase:load}': [`p(${SOAK_HANDLED_SHARE_PCT})<${SOAK_HANDLED_WITHIN_MS}`],
    },
    outboundShare: suite.mix.outbound,
    durationMs: durationOf(rate),
    peakPerMin: peak,
    steps: [],
  };
}

/** Expected iterations of a plan (the area under its rate curve), for the docs and the terminal. */
export function expectedIterations(plan: K6Plan): number {
  const perMin = plan.timeUnit === '1m' ? 1 : 1 / 60;
  let area = 0;
  let prev = plan.startRate;
  for (const s of plan.stages) {
    const ms = s.duration.endsWith('ms')
      ? Number(s.duration.slice(0, -2))
      : Number(s.duration.slice(0, -1)) * 1000;
    area += (((prev + s.target) / 2) * perMin * ms) / MS_PER_MIN;
    prev = s.target;
  }
  return Math.floor(area + 1e-9);
}
