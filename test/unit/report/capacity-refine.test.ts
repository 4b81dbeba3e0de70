import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../../src/config/load.js';
import type { SuiteOf } from '../../../src/config/schema.js';
import { grade } from '../../../src/grading/grade.js';
import { renderHtml } from '../../../src/report/html.js';
import { capacitySentence } from '../../../src/report/markdown.js';
import { buildSummary } from '../../../src/report/summary.js';
import { renderCapacityLine } from '../../../src/report/terminal.js';
import type { CapacityResult, RunResult } from '../../../src/result/run-result.js';
import { runCapacity } from '../../../src/run/suites/capacity.js';
import { standIn } from '../run/suites/stand-in.js';
import { fixture, shippedTable } from './fixtures.js';

const table = shippedTable();

function capacitySuite(refine: boolean): SuiteOf<'capacity'> {
  const out = parseScenarioText(
    `name: cap\nsuites:\n  - kind: capacity\n    start: 600/min\n    step: 300/min\n    stepDuration: 20s\n    warmup: 5s\n    maxRate: 3000/min\n    deadline: 10s\n${refine ? '    refine: true\n' : ''}`,
  );
  if (!out.ok) throw new Error(out.issues.map((i) => i.message).join('; '));
  return out.value.suites[0] as SuiteOf<'capacity'>;
}

/** A capacity result from a real ramp on a virtual clock: a stand-in that holds 1,030 msg/min. */
async function rampOf(refine: boolean): Promise<CapacityResult> {
  const s = standIn({ capacityPerMin: 1030 });
  const out = await s.run(runCapacity(s.ctx, capacitySuite(refine)));
  if (!out.capacity) throw new Error('the capacity runner returned no capacity result');
  return out.capacity;
}

function withCapacity(capacity: CapacityResult): RunResult {
  return { ...fixture('pass'), capacity };
}

/** The capacity section of report.html. */
function capacityHtml(result: RunResult): string {
  const html = renderHtml(result, grade(result, table));
  const from = html.indexOf('<section id="capacity">');
  expect(from).toBeGreaterThan(0);
  return html.slice(from, html.indexOf('</section>', from));
}

describe('the report charts the refinement probes', () => {
  it('draws each probe as a diamond apart from the steps, with the step peak and the refined peak marked', async () => {
    const capacity = await rampOf(true);
    // 900/min is the last passing step; the probes bisected [900, 1200] to 1000 (pass) / 1100 (fail).
    expect(capacity.stepPeakPerMin).toBe(900);
    expect(capacity.peakCapacityPerMin).toBe(1000);
    const probes = capacity.refinement?.probes ?? [];
    expect(probes).toHaveLength(2);
    const section = capacityHtml(withCapacity(capacity));
    // Two charts (latency, error rate), one diamond per probe in each, plus each chart's legend entry.
    const diamonds = section.match(/<path class="probe" /g) ?? [];
    expect(diamonds).toHaveLength(probes.length * 2);
    // Steps stay dots: three steps × (p50, p95, p99) on the latency chart, error rate on the other.
    expect(section.match(/<circle class="dot" /g)?.length).toBeGreaterThanOrEqual(capacity.steps.length * 4);
    expect(section).toContain('probe p95');
    expect(section).toContain('probe error rate');
    expect(section).toContain('step peak 900/min');
    expect(section).toContain('refined peak 1,000/min');
    expect(section).toContain('1,100 (probe 1)');
    expect(section).toContain('1,000 (probe 2)');
    expect(section).toContain('Per-step results (3 steps, 2 refinement probes)');
    expect(section).not.toContain('NaN');
  });

  it('each probe diamond sits at its own rate on the x axis, between the steps that bracket it', async () => {
    const capacity = await rampOf(true);
    const section = capacityHtml(withCapacity(capacity));
    const charts = section.split('<svg').slice(1);
    expect(charts).toHaveLength(2);
    for (const svg of charts) {
      const diamonds = [...svg.matchAll(/<path class="probe" d="M([\d.]+),/g)].map((m) => Number(m[1]));
      const dots = [...svg.matchAll(/<circle class="dot" cx="([\d.]+)"/g)].map((m) => Number(m[1]));
      const stepXs = [...new Set(dots)].sort((a, b) => a - b);
      // Steps at 600, 900 and 1,200/min; the probes at 1,100 then 1,000 fall strictly between the last two,
      // the 1,000 probe a third of the way from 900 and the 1,100 one two thirds.
      expect(stepXs).toHaveLength(3);
      const [, x900, x1200] = stepXs as [number, number, number];
      expect(diamonds).toHaveLength(2);
      expect(diamonds[0]).toBeCloseTo(x900 + ((x1200 - x900) * 2) / 3, 0);
      expect(diamonds[1]).toBeCloseTo(x900 + (x1200 - x900) / 3, 0);
    }
  });

  it('without refine: no probe is drawn and the one peak is labelled plainly', async () => {
    const capacity = await rampOf(false);
    const section = capacityHtml(withCapacity(capacity));
    expect(section).not.toContain('class="probe"');
    expect(section).toContain('peak 900/min');
    expect(section).not.toContain('refined peak');
    expect(section).toContain('Per-step results (3 steps)');
    expect(renderCapacityLine({ capacity })).toBe('capacity: step peak 900 msg/min');
  });

  it('summary.json, the terminal and summary.md state both peaks', async () => {
    const capacity = await rampOf(true);
    const result = withCapacity(capacity);
    const summary = buildSummary(result, grade(result, table));
    expect(summary.capacity).toMatchObject({
      stepPeakPerMin: 900,
      refinedPeakPerMin: 1000,
      peakCapacityPerMin: 1000,
    });
    expect(summary.capacity?.refinement?.probes.map((p) => p.ratePerMin)).toEqual([1100, 1000]);
    expect(renderCapacityLine(result)).toBe(
      'capacity: step peak 900 msg/min, refined peak 1,000 msg/min (probes: 1100 fail, 1000 pass; within 100 msg/min)',
    );
    expect(capacitySentence(result)).toMatch(
      /^peak 1,000 msg\/min; step peak 900 msg\/min, refined by 2 probes to within 100 msg\/min; first failing 1,100 msg\/min/,
    );
  });

  it('summary.json names no refined peak for a ramp without refine, and keeps the step peak', async () => {
    const capacity = await rampOf(false);
    const result = withCapacity(capacity);
    expect(buildSummary(result, grade(result, table)).capacity).toMatchObject({
      stepPeakPerMin: 900,
      refinedPeakPerMin: null,
    });
  });
});
