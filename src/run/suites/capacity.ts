import {
  capacityResultOf,
  type JudgedWindow,
  judgeWindow,
  peakCapacityMeasure,
} from '../../checks/capacity.js';
import { fmt } from '../../checks/measures.js';
import { countFlows } from '../../checks/outcome.js';
import type { SuiteOf } from '../../config/schema.js';
import type { FlowTrace } from '../../flows/types.js';
import { constantStages } from '../../load/profiles.js';
import {
  applyRefinementVerdict,
  nextRefinementRate,
  planSteps,
  rampStages,
  type StepVerdict,
  startRefinement,
  stepPlanOf,
  summarizeRamp,
  withRefinement,
} from '../../load/step-ramp.js';
import { type CostFigures, costBetween } from '../../metrics/cost.js';
import type { SuiteContext, SuiteOutput } from './context.js';
import { emptyJudgement, every, loadSource, mixedStart, play } from './context.js';
import { type RunExtras, registerSuite } from './registry.js';

/** A step's cost figures as CapacityStep fields (the connector's CPU % is there already). */
function stepCostFields(c: CostFigures | undefined): Partial<CostFigures> {
  if (!c) return {};
  const { connectorCpuPct: _, ...rest } = c;
  return rest;
}

/** ", harness CPU 85 % (310 µs/flow), loop p99 12 ms" for a step's log line. */
function costText(c: CostFigures | undefined): string {
  if (!c || c.harnessCpuPct === undefined) return '';
  const perFlow = c.harnessCpuUsPerFlow === undefined ? '' : ` (${fmt(c.harnessCpuUsPerFlow, 0)} µs/flow)`;
  const loop = c.loopDelayP99Ms === undefined ? '' : `, loop p99 ${fmt(c.loopDelayP99Ms, 0)} ms`;
  return `, harness CPU ${fmt(c.harnessCpuPct, 0)} %${perFlow}${loop}`;
}

/**
 * Capacity: the step ramp, each step judged on its own window after the warm-up, stopping at the
 * first failing step; with `refine`, probes bisect between the last passing and the first failing
 * rate (each judged like a step) until the interval is within `resolution`.
 */
export async function runCapacity(
  ctx: SuiteContext,
  suite: SuiteOf<'capacity'>,
  extras?: RunExtras,
): Promise<SuiteOutput> {
  const startedAtMs = ctx.clock.nowMs();
  const plan = stepPlanOf(suite);
  const steps = planSteps(plan);
  const source = loadSource(ctx, 0xca9, extras);
  const start = mixedStart(ctx, source, suite.kind, suite.mix.outbound);
  const all: FlowTrace[] = [];
  const probeWindows: JudgedWindow[] = [];
  const series = ctx.costSeries?.();
  const costOf = (w: JudgedWindow, flows: number): CostFigures | undefined =>
    series ? costBetween(w.fromMs, w.toMs, flows, series) : undefined;
  const judge = (w: JudgedWindow, final: boolean): StepVerdict =>
    judgeWindow(
      all,
      w,
      {
        deadlineMs: suite.deadlineMs,
        atMs: ctx.clock.nowMs(),
        final,
        samples: ctx.connectorSamples(),
        harnessValid: ctx.health.spanHealth(w.fromMs, w.toMs).valid,
      },
      suite.criteria,
    );
  const t0 = ctx.clock.nowMs() + 50;
  const windows = steps.map((s) => ({
    ratePerMin: s.ratePerMin,
    startMs: s.startMs,
    endMs: s.endMs,
    fromMs: t0 + s.judgeFromMs,
    toMs: t0 + s.endMs,
  }));
  // Judge each step once its flows had the latency criterion's time to sync; stop at the first failure.
  const abort = new AbortController();
  let live = 0;
  const stopJudge = every(ctx.clock, 250, () => {
    while (
      !abort.signal.aborted &&
      live < windows.length &&
      ctx.clock.nowMs() >= windows[live]!.toMs + suite.criteria.p95LatencyMs
    ) {
      const w = windows[live]!;
      const v = judge(w, false);
      live++;
      ctx.log(
        `step ${live}/${steps.length} ${v.ratePerMin}/min: p95 ${fmt(v.p95Ms, 0)} ms, errors ${fmt(v.errorRate * 100, 2)} %` +
          costText(costOf(w, v.sent)) +
          (v.passed && v.harnessValid ? '' : ` → stop (${v.brokenCriteria.join(', ') || 'harness invalid'})`),
      );
      if (!v.passed || !v.harnessValid) {
        abort.abort();
        break;
      }
    }
  });
  const stepLabel = () => {
    const elapsed = ctx.clock.nowMs() - t0;
    const i = Math.min(steps.length - 1, Math.max(0, Math.floor(elapsed / plan.stepDurationMs)));
    // Time to the end of the planned ramp: the run stops earlier when a step breaks a criterion.
    const leftS = Math.max(0, Math.round((steps.length * plan.stepDurationMs - elapsed) / 1000));
    const left =
      leftS >= 60 ? `${Math.floor(leftS / 60)}m${String(leftS % 60).padStart(2, '0')}s` : `${leftS}s`;
    return `step ${i + 1}/${steps.length} at ${steps[i]?.ratePerMin}/min, ramp ends in ${left} unless a step breaks`;
  };
  await play(ctx, {
    suite: suite.kind,
    label: stepLabel,
    total: 0,
    stages: rampStages(plan),
    startAtMs: t0,
    deadlineMs: suite.deadlineMs,
    direction: 'outbound',
    signal: abort.signal,
    start,
    flows: all,
    stepsLogged: true,
  }).finally(stopJudge);
  // Final verdicts with everything settled, up to the last step any arrival was scheduled in.
  const lastAt = all.reduce((m, f) => Math.max(m, f.intendedAtMs), t0);
  const reached = windows.filter((w, i) => i === 0 || w.startMs + t0 <= lastAt);
  const verdicts = reached.map((w) => judge(w, true));
  let ramp = summarizeRamp(verdicts, plan);
  const stepPeakPerMin = ramp.peakCapacityPerMin;
  let state = suite.refine ? startRefinement(ramp) : null;
  if (state) {
    for (;;) {
      const rate = nextRefinementRate(state, suite.resolutionPerMin);
      if (rate === null || ctx.signal?.aborted) break;
      const p0 = ctx.clock.nowMs() + 50;
      const w = {
        ratePerMin: rate,
        startMs: p0 - t0,
        endMs: p0 - t0 + plan.stepDurationMs,
        fromMs: p0 + plan.warmupMs,
        toMs: p0 + plan.stepDurationMs,
      };
      ctx.log(`refining: probe at ${rate}/min (between ${state.lowPerMin} and ${state.highPerMin}/min)`);
      await play(ctx, {
        suite: suite.kind,
        label: `refinement probe at ${rate}/min (${state.lowPerMin}–${state.highPerMin}/min)`,
        total: 0,
        stages: constantStages(rate, plan.stepDurationMs),
        startAtMs: p0,
        deadlineMs: suite.deadlineMs,
        direction: 'outbound',
        start,
        flows: all,
        stepsLogged: true,
      });
      const v = judge(w, true);
      probeWindows.push(w);
      ctx.log(
        `probe ${rate}/min: p95 ${fmt(v.p95Ms, 0)} ms, errors ${fmt(v.errorRate * 100, 2)} % → ${v.passed ? 'pass' : 'fail'}`,
      );
      state = applyRefinementVerdict(state, v);
      // A probe the harness could not keep up with says nothing about the connector: stop refining.
      if (!v.harnessValid) break;
    }
    ramp = withRefinement(ramp, state);
  }
  const capacity = capacityResultOf(
    ramp,
    plan,
    stepPeakPerMin,
    suite.refine ? suite.resolutionPerMin : undefined,
  );
  // Each step's cost beside the connector's: the steps are the judged windows, in order.
  capacity.steps = capacity.steps.map((step, i) => {
    const w = reached[i];
    return w ? { ...step, ...stepCostFields(costOf(w, step.sent)) } : step;
  });
  // And each probe's, so a saturated probe shows where its saturation came from like a step does.
  if (capacity.refinement) {
    capacity.refinement.probes = capacity.refinement.probes.map((probe, i) => {
      const w = probeWindows[i];
      return w ? { ...probe, ...stepCostFields(costOf(w, probe.sent)) } : probe;
    });
  }
  const judgement = emptyJudgement();
  judgement.flows = countFlows(all, suite.deadlineMs);
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
  // Only a window whose verdict the lag could have caused voids the suite: a failing one. A window
  // that passed with the harness lagging passed in spite of it; the report says so.
  // Windows after the step that ended the ramp decide nothing (their arrivals were scheduled before
  // the stop reached the driver), so their health does not count either.
  const decided = [
    ...reached.slice(0, ramp.steps.length).map((w, i) => ({ w, v: ramp.steps[i] })),
    ...probeWindows.map((w, i) => ({ w, v: state?.steps[i] })),
  ];
  const reasons: string[] = [];
  const laggedPasses: number[] = [];
  decided.forEach(({ w, v }) => {
    const health = ctx.health.spanHealth(w.fromMs, w.toMs);
    if (health.valid) return;
    if (v?.harnessValid) laggedPasses.push(w.ratePerMin);
    else reasons.push(...health.reasons.map((r) => `${w.ratePerMin}/min window: ${r}`));
  });
  if (laggedPasses.length > 0) {
    judgement.notes.push(
      `the harness lagged past its bounds at ${laggedPasses.map((r) => `${r}/min`).join(', ')}; ` +
        'those steps passed anyway (lag counts against the connector: latency runs from intended starts), so they stand',
    );
  }
  const peak = peakCapacityMeasure(
    ramp,
    plan,
    stepPeakPerMin,
    suite.refine ? suite.resolutionPerMin : undefined,
  );
  if (peak) judgement.metrics['peak_capacity_msg_per_min'] = peak;
  else judgement.notes.push('the harness itself saturated during the ramp: no capacity is reported');
  return {
    kind: suite.kind,
    title: 'Capacity (step ramp)',
    startedAtMs,
    endedAtMs: ctx.clock.nowMs(),
    flows: all,
    judgement,
    functional: false,
    capacity,
    // Only the judged windows count: a saturated warm-up says nothing about the connector.
    harness: { valid: ramp.harnessValid && reasons.length === 0, reasons },
  };
}

registerSuite({
  kind: 'capacity',
  reads: [
    'start',
    'step',
    'stepDuration',
    'warmup',
    'maxRate',
    'deadline',
    'mix',
    'criteria',
    'refine',
    'resolution',
  ],
  run: runCapacity,
});
