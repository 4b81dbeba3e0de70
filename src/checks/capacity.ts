import type { FlowTrace } from '../flows/types.js';
import {
  judgeStep,
  type RampResult,
  type StepMeasurement,
  type StepRampPlan,
  type StepVerdict,
} from '../load/step-ramp.js';
import { Histogram } from '../metrics/histogram.js';
import type { ResourceSample } from '../metrics/resources.js';
import type { CapacityResult, CapacityStep } from '../result/run-result.js';
import type { Measure } from './measures.js';
import { classifyFlow } from './outcome.js';

/** One judged window of the ramp (a step after its warm-up, or a refinement probe), harness clock. */
export interface JudgedWindow {
  ratePerMin: number;
  /** Start and end of the step on the ramp's timeline (for the report). */
  startMs: number;
  endMs: number;
  /** The judged span on the harness clock: flows intended in [fromMs, toMs) count. */
  fromMs: number;
  toMs: number;
}

/** What {@link measureWindow} needs besides the flows: when we look and what the harness saw. */
export interface WindowLook {
  deadlineMs: number;
  /** Harness clock time of the look. */
  atMs: number;
  /** The suite is over: flows still pending are lost. */
  final: boolean;
  /** Connector resource samples (any span: only those inside the window count). */
  samples: readonly ResourceSample[];
  /** Whether the harness kept within its health bounds during the window. */
  harnessValid: boolean;
}

/**
 * Measures one judged window with {@link classifyFlow}: every flow intended in it is counted once
 * (a failed flow that synced late is failed, not also timed out), and its latency goes into the
 * window's histogram (failed and lost flows at their deadline, pending ones at their age).
 */
export function measureWindow(
  flows: readonly FlowTrace[],
  w: JudgedWindow,
  look: WindowLook,
): StepMeasurement {
  const latency = Histogram.create();
  let sent = 0;
  let completed = 0;
  let failed = 0;
  let timedOut = 0;
  let dropped = 0;
  for (const f of flows) {
    if (f.intendedAtMs < w.fromMs || f.intendedAtMs >= w.toMs) continue;
    sent++;
    const c = classifyFlow(f, look.deadlineMs, { atMs: look.atMs, final: look.final });
    if (c.latencyMs !== null) latency.record(Math.max(0, c.latencyMs));
    if (c.outcome === 'dropped') dropped++;
    else if (c.outcome === 'failed') failed++;
    else if (c.outcome === 'completed') completed++;
    else if (c.outcome === 'late' || c.outcome === 'lost') timedOut++;
  }
  const inside = look.samples.filter((x) => x.atMs >= w.fromMs && x.atMs < w.toMs && x.alive);
  return {
    ratePerMin: w.ratePerMin,
    startMs: w.startMs,
    endMs: w.endMs,
    latency,
    sent,
    completed,
    failed,
    timedOut,
    dropped,
    harnessValid: look.harnessValid,
    ...(inside.length > 0
      ? {
          connectorCpuPct: inside.reduce((a, x) => a + x.cpuPct, 0) / inside.length,
          connectorMemPct: Math.max(...inside.map((x) => x.memPct)),
        }
      : {}),
  };
}

/** Measures and judges one window against the plan's criteria. */
export function judgeWindow(
  flows: readonly FlowTrace[],
  w: JudgedWindow,
  look: WindowLook,
  criteria: StepRampPlan['criteria'],
): StepVerdict {
  return judgeStep(measureWindow(flows, w, look), criteria);
}

/** A verdict as the run result carries it (invalid harness windows name `harness_invalid`). */
export function capacityStepOf(v: StepVerdict): CapacityStep {
  return {
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
    ...(v.harnessLagged ? { harnessLagged: true } : {}),
    brokenCriteria: [...v.brokenCriteria, ...(v.harnessValid ? [] : ['harness_invalid'])],
  };
}

/**
 * The capacity result of a ramp: the step peak (last passing coarse step), and with a refinement the
 * refined peak (highest passing probe) and its probes; the criteria the windows were judged by.
 */
export function capacityResultOf(
  ramp: RampResult,
  plan: StepRampPlan,
  stepPeakPerMin: number | null,
  resolutionPerMin?: number,
): CapacityResult {
  return {
    peakCapacityPerMin: ramp.peakCapacityPerMin,
    firstFailingPerMin: ramp.firstFailingPerMin,
    brokenCriterion: ramp.brokenCriterion,
    stoppedBecause: ramp.stoppedBecause,
    harnessValid: ramp.harnessValid,
    criteria: { p95LatencyMs: plan.criteria.p95LatencyMs, errorRate: plan.criteria.errorRate },
    stepPeakPerMin,
    steps: ramp.steps.map(capacityStepOf),
    ...(ramp.refinement
      ? {
          refinement: {
            resolutionPerMin: resolutionPerMin ?? 0,
            lowPerMin: ramp.refinement.lowPerMin,
            highPerMin: ramp.refinement.highPerMin,
            probes: ramp.refinement.steps.map(capacityStepOf),
          },
        }
      : {}),
  };
}

/**
 * The graded `peak_capacity_msg_per_min` of a ramp (null when the harness saturated: no capacity is
 * then claimed). `wacrm run` and `wacrm collect` both judge their ramps with it.
 */
export function peakCapacityMeasure(
  ramp: RampResult,
  plan: StepRampPlan,
  stepPeakPerMin: number | null,
  resolutionPerMin?: number,
): Measure | null {
  if (!ramp.harnessValid) return null;
  const refined =
    ramp.refinement && stepPeakPerMin !== null
      ? `; refined to ${ramp.peakCapacityPerMin}/min by ${ramp.refinement.steps.length} probes (step peak ${stepPeakPerMin}/min, resolution ${resolutionPerMin}/min)`
      : '';
  return {
    value: ramp.peakCapacityPerMin ?? 0,
    evidence:
      ramp.peakCapacityPerMin === null
        ? `the first step (${plan.startPerMin}/min) already failed: ${ramp.brokenCriterion ?? 'unknown'}`
        : `last passing step ${stepPeakPerMin}/min; ` +
          (ramp.firstFailingPerMin !== null
            ? `${ramp.firstFailingPerMin}/min broke ${ramp.brokenCriterion}`
            : `the ramp reached its maximum (${plan.maxPerMin}/min) without failing`) +
          refined,
  };
}
