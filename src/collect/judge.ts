import { capacityResultOf, type JudgedWindow, judgeWindow, peakCapacityMeasure } from '../checks/capacity.js';
import type { Measure } from '../checks/measures.js';
import { countFlows } from '../checks/outcome.js';
import type { SuiteOf } from '../config/index.js';
import type { FlowTrace } from '../flows/types.js';
import { planSteps, type StepRampPlan, stepPlanOf as stepPlan, summarizeRamp } from '../load/step-ramp.js';
import type { CapacityResult, FlowCounts } from '../result/run-result.js';

/** A capacity suite's step plan (the ramp k6 played: the export's stages come from the same plan). */
export const stepPlanOf: (suite: SuiteOf<'capacity'>) => StepRampPlan = stepPlan;

/** A judged capacity ramp: the result, the graded peak (null when invalid) and the flow counts. */
export interface CapacityJudgement {
  capacity: CapacityResult;
  peak: Measure | null;
  flows: FlowCounts;
}

/**
 * Judges a played ramp with `wacrm run`'s own judges: each step's window after its warm-up
 * (timeline ms from the ramp's start: flows intended in [judgeFrom, end) count), {@link judgeWindow}
 * with the suite's deadline and criteria at `atMs` as a final look, then the ramp's summary and
 * peak. The steps judged are those any flow was intended in (the first one always).
 */
export function judgeCapacityFlows(
  flows: readonly FlowTrace[],
  suite: SuiteOf<'capacity'>,
  look: { atMs: number; harnessValid: boolean },
): CapacityJudgement {
  const plan = stepPlanOf(suite);
  const lastIntended = flows.reduce((m, f) => Math.max(m, f.intendedAtMs), 0);
  const windows: JudgedWindow[] = planSteps(plan)
    .filter((s, i) => i === 0 || s.startMs <= lastIntended)
    .map((s) => ({
      ratePerMin: s.ratePerMin,
      startMs: s.startMs,
      endMs: s.endMs,
      fromMs: s.judgeFromMs,
      toMs: s.endMs,
    }));
  const verdicts = windows.map((w) =>
    judgeWindow(
      flows,
      w,
      {
        deadlineMs: suite.deadlineMs,
        atMs: look.atMs,
        final: true,
        samples: [],
        harnessValid: look.harnessValid,
      },
      suite.criteria,
    ),
  );
  const ramp = summarizeRamp(verdicts, plan);
  return {
    capacity: capacityResultOf(ramp, plan, ramp.peakCapacityPerMin),
    peak: peakCapacityMeasure(ramp, plan, ramp.peakCapacityPerMin),
    flows: countFlows(flows, suite.deadlineMs),
  };
}
