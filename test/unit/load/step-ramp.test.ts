import { describe, expect, it } from 'vitest';
import { totalArrivals } from '../../../src/load/schedule.js';
import {
  applyRefinementVerdict,
  defaultStepRampPlan,
  judgeStep,
  nextRefinementRate,
  planSteps,
  rampStages,
  type StepMeasurement,
  type StepRampPlan,
  type StepVerdict,
  startRefinement,
  summarizeRamp,
  withRefinement,
} from '../../../src/load/step-ramp.js';
import { Histogram } from '../../../src/metrics/histogram.js';

const plan: StepRampPlan = { ...defaultStepRampPlan, maxPerMin: 1500 };

function measurement(over: Partial<StepMeasurement> & { p95Ms?: number } = {}): StepMeasurement {
  const p95 = over.p95Ms ?? 800;
  // 100 latencies: 94 at 200 ms and 6 at the wanted p95, so p95 lands on it (HDR: within 1 %).
  const latency = Histogram.of([
    ...Array.from({ length: 94 }, () => 200),
    ...Array.from({ length: 6 }, () => p95),
  ]);
  return {
    ratePerMin: 500,
    startMs: 10_000,
    endMs: 60_000,
    latency,
    sent: 1000,
    completed: 1000,
    failed: 0,
    timedOut: 0,
    dropped: 0,
    harnessValid: true,
    ...over,
  };
}

const verdict = (ratePerMin: number, passed: boolean, extra: Partial<StepVerdict> = {}): StepVerdict => ({
  ratePerMin,
  p50Ms: 100,
  p95Ms: passed ? 900 : 6000,
  p99Ms: 1000,
  errorRate: 0,
  sent: 100,
  completed: 100,
  failed: 0,
  timedOut: 0,
  dropped: 0,
  harnessValid: true,
  harnessLagged: false,
  passed,
  brokenCriteria: passed ? [] : ['p95_latency'],
  ...extra,
});

describe('the step plan', () => {
  it('follows the seed: 500 msg/min, +200 per step, 60 s steps, judged after the warm-up', () => {
    const steps = planSteps(plan);
    expect(steps.map((s) => s.ratePerMin)).toEqual([500, 700, 900, 1100, 1300, 1500]);
    expect(steps[1]).toEqual({
      index: 1,
      ratePerMin: 700,
      startMs: 60_000,
      judgeFromMs: 70_000,
      endMs: 120_000,
    });
    const stages = rampStages(plan);
    expect(stages[2]).toEqual({ durationMs: 60_000, startPerMin: 900, endPerMin: 900 });
    expect(totalArrivals(stages)).toBe(500 + 700 + 900 + 1100 + 1300 + 1500);
  });

  it('names the field of a plan that cannot run', () => {
    expect(() => planSteps({ ...plan, stepPerMin: 0 })).toThrow(/stepPerMin must be a finite number > 0/);
    expect(() => planSteps({ ...plan, warmupMs: 60_000 })).toThrow(/warmupMs \(60000\) must be shorter/);
    expect(() => planSteps({ ...plan, maxPerMin: 100 })).toThrow(/maxPerMin/);
    expect(() => planSteps({ ...plan, criteria: { p95LatencyMs: 5000, errorRate: 5 } })).toThrow(
      /ratio 0..1/,
    );
  });
});

describe('judgeStep', () => {
  it('passes a step under both criteria', () => {
    const v = judgeStep(measurement(), plan.criteria);
    expect(v).toMatchObject({ passed: true, brokenCriteria: [], errorRate: 0 });
    expect(v.p50Ms / 200).toBeCloseTo(1, 2);
    expect(v.p95Ms / 800).toBeCloseTo(1, 2);
  });

  it('fails a step whose p95 exceeds 5 s', () => {
    const v = judgeStep(measurement({ p95Ms: 5200 }), plan.criteria);
    expect(v.passed).toBe(false);
    expect(v.brokenCriteria).toEqual(['p95_latency']);
  });

  it('counts failed, timed-out and dropped arrivals as errors over everything sent', () => {
    const at1pct = judgeStep(measurement({ failed: 4, timedOut: 3, dropped: 3 }), plan.criteria);
    expect(at1pct.errorRate).toBe(0.01);
    expect(at1pct.passed).toBe(true); // "exceeds 1 %" fails; exactly 1 % does not
    const over = judgeStep(measurement({ failed: 4, timedOut: 3, dropped: 4, p95Ms: 9000 }), plan.criteria);
    expect(over.errorRate).toBeCloseTo(0.011, 9);
    expect(over.brokenCriteria).toEqual(['p95_latency', 'error_rate']);
  });

  it('treats a step that sent nothing as all errors', () => {
    expect(judgeStep(measurement({ sent: 0, completed: 0 }), plan.criteria)).toMatchObject({
      errorRate: 1,
      passed: false,
      brokenCriteria: ['error_rate'],
    });
  });

  it('flags connector CPU above 80 % and memory at 75 % without failing the step', () => {
    const v = judgeStep(measurement({ connectorCpuPct: 91, connectorMemPct: 75 }), plan.criteria);
    expect(v).toMatchObject({ passed: true, cpuOverLimit: true, memOverLimit: true, connectorCpuPct: 91 });
    const calm = judgeStep(measurement({ connectorCpuPct: 40, connectorMemPct: 20 }), plan.criteria);
    expect(calm).toMatchObject({ cpuOverLimit: false, memOverLimit: false });
    expect(judgeStep(measurement(), plan.criteria).cpuOverLimit).toBeUndefined();
  });
});

describe('a step judged while the harness lagged', () => {
  // Latency runs from intended starts and unstarted arrivals are errors: lag only counts against the
  // connector. So a pass under lag is a pass; a failure under lag may be the harness's and is void.
  it('stands when it passed, flagged as lagged', () => {
    const v = judgeStep(measurement({ harnessValid: false }), plan.criteria);
    expect(v).toMatchObject({ passed: true, harnessValid: true, harnessLagged: true });
  });

  it('is void when it failed', () => {
    const v = judgeStep(measurement({ harnessValid: false, p95Ms: 6000 }), plan.criteria);
    expect(v).toMatchObject({ passed: false, harnessValid: false, harnessLagged: true });
    const failing = judgeStep(measurement({ harnessValid: false, timedOut: 50 }), plan.criteria);
    expect(failing).toMatchObject({ passed: false, harnessValid: false, brokenCriteria: ['error_rate'] });
  });

  it('lets a ramp go on past a lagged pass and stop as invalid at a lagged failure', () => {
    const lagged = judgeStep(measurement({ ratePerMin: 700, harnessValid: false }), plan.criteria);
    const laggedFail = judgeStep(
      measurement({ ratePerMin: 900, harnessValid: false, p95Ms: 6000 }),
      plan.criteria,
    );
    const r = summarizeRamp([verdict(500, true), lagged, laggedFail], plan);
    expect(r).toMatchObject({
      peakCapacityPerMin: 700,
      stoppedBecause: 'harness_invalid',
      harnessValid: false,
    });
    const healthy = judgeStep(measurement({ ratePerMin: 900, p95Ms: 6000 }), plan.criteria);
    expect(summarizeRamp([verdict(500, true), lagged, healthy], plan)).toMatchObject({
      peakCapacityPerMin: 700,
      firstFailingPerMin: 900,
      stoppedBecause: 'criterion',
      harnessValid: true,
    });
  });
});

describe('summarizeRamp', () => {
  it('stops at the first failing step: peak = the last passing rate', () => {
    const r = summarizeRamp(
      [verdict(500, true), verdict(700, true), verdict(900, false), verdict(1100, false)],
      plan,
    );
    expect(r).toMatchObject({
      peakCapacityPerMin: 700,
      firstFailingPerMin: 900,
      brokenCriterion: 'p95_latency',
      stoppedBecause: 'criterion',
      harnessValid: true,
    });
    expect(r.steps.map((s) => s.ratePerMin)).toEqual([500, 700, 900]);
  });

  it('has no peak when the first step already fails', () => {
    const r = summarizeRamp([verdict(500, false, { brokenCriteria: ['error_rate'] })], plan);
    expect(r).toMatchObject({
      peakCapacityPerMin: null,
      firstFailingPerMin: 500,
      brokenCriterion: 'error_rate',
    });
  });

  it("reports 'max_rate' when every planned step passed and 'aborted' when the run ended early", () => {
    const all = planSteps(plan).map((s) => verdict(s.ratePerMin, true));
    expect(summarizeRamp(all, plan)).toMatchObject({ peakCapacityPerMin: 1500, stoppedBecause: 'max_rate' });
    expect(summarizeRamp(all.slice(0, 2), plan)).toMatchObject({
      peakCapacityPerMin: 700,
      stoppedBecause: 'aborted',
    });
  });

  it('never reports a capacity from a step in which the harness itself lagged', () => {
    const r = summarizeRamp([verdict(500, true), verdict(700, false, { harnessValid: false })], plan);
    expect(r).toMatchObject({
      peakCapacityPerMin: 500,
      firstFailingPerMin: null,
      brokenCriterion: null,
      stoppedBecause: 'harness_invalid',
      harnessValid: false,
    });
  });
});

describe('refinement between the last passing and the first failing rate', () => {
  it('bisects to within the resolution, against a connector whose true capacity is 1,234 msg/min', () => {
    const coarse = summarizeRamp(
      [500, 700, 900, 1100, 1300].map((r) => verdict(r, r <= 1234)),
      plan,
    );
    let state = startRefinement(coarse);
    expect(state).toEqual({ lowPerMin: 1100, highPerMin: 1300, steps: [] });
    const tried: number[] = [];
    for (let i = 0; i < 20 && state; i++) {
      const rate = nextRefinementRate(state, 20);
      if (rate === null) break;
      tried.push(rate);
      state = applyRefinementVerdict(state, verdict(rate, rate <= 1234));
    }
    expect(tried).toEqual([1200, 1260, 1240, 1220]);
    expect(state).toMatchObject({ lowPerMin: 1220, highPerMin: 1240 });
    const refined = withRefinement(coarse, state!);
    expect(refined).toMatchObject({
      peakCapacityPerMin: 1220,
      firstFailingPerMin: 1240,
      brokenCriterion: 'p95_latency',
    });
    expect(refined.refinement?.steps.map((s) => s.ratePerMin)).toEqual(tried);
    expect(refined.steps).toHaveLength(5);
  });

  it('ignores an invalid refinement step for the bounds but keeps it for the report', () => {
    const state = { lowPerMin: 1100, highPerMin: 1300, steps: [] };
    const next = applyRefinementVerdict(state, verdict(1200, false, { harnessValid: false }));
    expect(next).toMatchObject({ lowPerMin: 1100, highPerMin: 1300 });
    expect(next.steps).toHaveLength(1);
    expect(
      withRefinement(summarizeRamp([verdict(500, true), verdict(700, false)], plan), next).harnessValid,
    ).toBe(false);
  });

  it('has nothing to refine without a passing and a failing step', () => {
    expect(startRefinement(summarizeRamp([verdict(500, false)], plan))).toBeNull();
    expect(startRefinement(summarizeRamp([verdict(500, true)], plan))).toBeNull();
    expect(nextRefinementRate({ lowPerMin: 700, highPerMin: 710, steps: [] }, 20)).toBeNull();
    expect(() => nextRefinementRate({ lowPerMin: 0, highPerMin: 1, steps: [] }, 0)).toThrow(
      /resolutionPerMin/,
    );
  });
});
