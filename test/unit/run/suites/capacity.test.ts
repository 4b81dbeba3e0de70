import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../../../src/config/load.js';
import type { SuiteOf } from '../../../../src/config/schema.js';
import { runCapacity } from '../../../../src/run/suites/capacity.js';
import type { SuiteProgress } from '../../../../src/run/suites/index.js';
import { standIn } from './stand-in.js';

function capacitySuite(extra: string): SuiteOf<'capacity'> {
  const out = parseScenarioText(
    `name: cap\nsuites:\n  - kind: capacity\n    start: 600/min\n    step: 300/min\n    stepDuration: 20s\n    warmup: 5s\n    maxRate: 3000/min\n    deadline: 10s\n${extra}`,
  );
  if (!out.ok) throw new Error(out.issues.map((i) => i.message).join('; '));
  return out.value.suites[0] as SuiteOf<'capacity'>;
}

describe('capacity runner on a virtual clock', () => {
  it('stops at the first failing step and carries the criteria it judged by', async () => {
    const s = standIn({ capacityPerMin: 1030 });
    const out = await s.run(runCapacity(s.ctx, capacitySuite('')));
    const c = out.capacity;
    expect(c?.criteria).toEqual({ p95LatencyMs: 5000, errorRate: 0.01 });
    expect(c?.steps.map((x) => [x.ratePerMin, x.passed])).toEqual([
      [600, true],
      [900, true],
      [1200, false],
    ]);
    expect(c?.stepPeakPerMin).toBe(900);
    expect(c?.peakCapacityPerMin).toBe(900);
    expect(c?.refinement).toBeUndefined();
    expect(out.harness).toEqual({ valid: true, reasons: [] });
  });

  it('refine: bisects between the last passing and the first failing rate until within the resolution', async () => {
    const s = standIn({ capacityPerMin: 1030 });
    const out = await s.run(runCapacity(s.ctx, capacitySuite('    refine: true\n')));
    const c = out.capacity;
    expect(c?.stepPeakPerMin).toBe(900);
    // [900, 1200] → 1100 fails → [900, 1100] → 1000 passes → [1000, 1100]: 100 apart, the resolution.
    expect(c?.refinement?.probes.map((p) => [p.ratePerMin, p.passed])).toEqual([
      [1100, false],
      [1000, true],
    ]);
    expect(c?.refinement?.resolutionPerMin).toBe(100);
    expect(c?.peakCapacityPerMin).toBe(1000);
    expect(c?.firstFailingPerMin).toBe(1100);
    // Each probe is judged on its own window after the warm-up, like a step: 15 s at its rate.
    for (const p of c?.refinement?.probes ?? []) expect(p.sent).toBe(Math.round((p.ratePerMin * 15) / 60));
    expect(out.judgement.metrics['peak_capacity_msg_per_min']?.value).toBe(1000);
    expect(out.judgement.metrics['peak_capacity_msg_per_min']?.evidence).toMatch(/step peak 900\/min/);
  });

  it('marks its progress as logged per step, so a log gets each step once (its verdict line)', async () => {
    const s = standIn({ capacityPerMin: 1030 });
    const seen: SuiteProgress[] = [];
    s.ctx.progress = (p) => seen.push(p);
    const lines: string[] = [];
    s.ctx.log = (l) => lines.push(l);
    await s.run(runCapacity(s.ctx, capacitySuite('')));
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.every((p) => p.stepsLogged === true)).toBe(true);
    expect(lines.filter((l) => /^step \d+\/\d+ /.test(l))).toHaveLength(3);
  });

  it('a coarser resolution stops the bisection sooner', async () => {
    const s = standIn({ capacityPerMin: 1030 });
    const out = await s.run(runCapacity(s.ctx, capacitySuite('    refine: true\n    resolution: 200/min\n')));
    expect(out.capacity?.refinement?.probes.map((p) => p.ratePerMin)).toEqual([1000]);
    expect(out.capacity?.peakCapacityPerMin).toBe(1000);
  });

  it('a step that failed while the harness lagged voids the suite (never a slow connector)', async () => {
    // Step 3 (1,200/min, judged 45–60 s) fails against a 1,030/min connector while the harness lags.
    const s = standIn({ capacityPerMin: 1030, saturate: { fromMs: 45_000, toMs: 50_000 } });
    const out = await s.run(runCapacity(s.ctx, capacitySuite('')));
    expect(out.harness?.valid).toBe(false);
    expect(out.harness?.reasons.join(' ')).toMatch(/1200\/min window/);
    expect(out.capacity?.harnessValid).toBe(false);
    expect(out.capacity?.steps.at(-1)).toMatchObject({
      ratePerMin: 1200,
      passed: false,
      harnessLagged: true,
    });
    expect(out.capacity?.steps.at(-1)?.brokenCriteria).toContain('harness_invalid');
    expect(out.judgement.metrics['peak_capacity_msg_per_min']).toBeUndefined();
  });

  it('a window after the step that ended the ramp decides nothing, saturated or not', async () => {
    // 1,200/min fails at 60 s; the stop reaches the driver 5 s later, so step 4 (1,500/min, judged
    // from 65 s) got arrivals. The harness lagging there does not void a ramp that was already decided.
    const s = standIn({ capacityPerMin: 1030, saturate: { fromMs: 65_000, toMs: 75_000 } });
    const out = await s.run(runCapacity(s.ctx, capacitySuite('')));
    expect(out.capacity?.steps.map((x) => x.ratePerMin)).toEqual([600, 900, 1200]);
    expect(out.harness).toEqual({ valid: true, reasons: [] });
    expect(out.judgement.metrics['peak_capacity_msg_per_min']?.value).toBe(900);
  });

  it('a step that passed while the harness lagged stands: lag only counts against the connector', async () => {
    // The lag falls in step 2 (900/min, judged 25–40 s); a connector far above the ramp passes it.
    const s = standIn({ capacityPerMin: 100_000, saturate: { fromMs: 30_000, toMs: 35_000 } });
    const out = await s.run(runCapacity(s.ctx, capacitySuite('')));
    expect(out.harness).toEqual({ valid: true, reasons: [] });
    expect(out.capacity?.harnessValid).toBe(true);
    expect(out.capacity?.steps[1]).toMatchObject({ ratePerMin: 900, passed: true, harnessLagged: true });
    expect(out.capacity?.steps[0]?.harnessLagged).toBeUndefined();
    expect(out.judgement.metrics['peak_capacity_msg_per_min']?.value).toBe(3000);
    expect(out.judgement.notes.join(' ')).toMatch(/lagged past its bounds at 900\/min.*they stand/);
  });
});
