import { describe, expect, it } from 'vitest';
import { grade } from '../../../src/grading/grade.js';
import { costBetween } from '../../../src/metrics/cost.js';
import type { LoopSample } from '../../../src/metrics/loop.js';
import type { ResourceSample } from '../../../src/metrics/resources.js';
import { renderHtml } from '../../../src/report/html.js';
import { renderCostTable } from '../../../src/report/terminal.js';
import { fixture, shippedTable } from '../report/fixtures.js';

const cpu = (atMs: number, cpuPct: number, alive = true): ResourceSample => ({
  atMs,
  cpuPct,
  rssBytes: 1,
  memPct: 0,
  alive,
});
const loop = (atMs: number, delayP99Ms: number): LoopSample => ({
  atMs,
  delayP50Ms: 1,
  delayP99Ms,
  delayMaxMs: delayP99Ms + 1,
  delayMeanMs: 1,
});

describe('costBetween', () => {
  it('puts the harness beside the connector: CPU share, µs per flow, worst loop delay', () => {
    // 10 s at a mean 80 % of a core for 2,000 flows: 8 s of CPU, 4,000 µs per flow.
    const series = {
      harness: [
        cpu(1000, 50),
        ...Array.from({ length: 10 }, (_, i) => cpu(2000 + i * 1000, i < 5 ? 60 : 100)),
      ],
      connector: Array.from({ length: 10 }, (_, i) => cpu(2000 + i * 1000, 20)),
      loop: [loop(1500, 300), loop(3000, 12), loop(9000, 40), loop(20_000, 500)],
    };
    const c = costBetween(1000, 11_000, 2000, series);
    expect(c.harnessCpuPct).toBeCloseTo(80, 9);
    expect(c.harnessCpuUsPerFlow).toBeCloseTo(4000, 6);
    expect(c.connectorCpuPct).toBeCloseTo(20, 9);
    expect(c.connectorCpuUsPerFlow).toBeCloseTo(1000, 6);
    // The sample at 1,000 covers the second before the stretch; the one at 20,000 is after it.
    expect(c.loopDelayP99Ms).toBe(300);
  });

  it('says nothing it did not measure', () => {
    expect(costBetween(0, 500, 10, { harness: [], connector: [], loop: [] })).toEqual({});
    const dead = costBetween(0, 5000, 0, {
      harness: [cpu(1000, 90)],
      connector: [cpu(1000, 0, false)],
      loop: [],
    });
    expect(dead).toEqual({ harnessCpuPct: 90 });
  });
});

describe('cost in the reports', () => {
  const result = fixture('pass');
  result.suites[0] = {
    ...(result.suites[0] as (typeof result.suites)[number]),
    cost: { harnessCpuPct: 97, harnessCpuUsPerFlow: 1234, loopDelayP99Ms: 88.5, connectorCpuPct: 12 },
  };
  const step = result.capacity?.steps[0];
  if (step) Object.assign(step, { harnessCpuPct: 99, harnessCpuUsPerFlow: 777, loopDelayP99Ms: 61 });

  it('prints a cost table in the terminal, suites and capacity steps', () => {
    const text = renderCostTable(result);
    expect(text).toContain('Harness µs/flow');
    expect(text).toContain('1234 µs');
    expect(text).toContain('88.5 ms');
    expect(step).toBeDefined();
    expect(text).toContain('777 µs');
    expect(renderCostTable({ suites: [], capacity: undefined })).toBe('');
  });

  it('has a cost section and per-step harness columns in report.html', () => {
    const html = renderHtml(result, grade(result, shippedTable()));
    expect(html).toContain('id="cost"');
    expect(html).toContain('1234 µs');
    expect(html).toContain('777 µs');
  });
});
