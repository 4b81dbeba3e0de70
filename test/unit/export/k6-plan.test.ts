import { describe, expect, it } from 'vitest';
import { parseScenarioText, type SuiteOf } from '../../../src/config/index.js';
import {
  capacityK6Plan,
  expectedIterations,
  k6Options,
  k6Stages,
  k6Vus,
  soakK6Plan,
} from '../../../src/export/index.js';

function suiteOf<K extends 'capacity' | 'soak'>(kind: K, yaml: string): SuiteOf<K> {
  const parsed = parseScenarioText(`name: t\nsuites:\n  - kind: ${kind}\n${yaml}`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const suite = parsed.value.suites[0];
  if (suite?.kind !== kind) throw new Error('no suite');
  return suite as SuiteOf<K>;
}

/**
 * The k6 stages of a staircase, from a table of [rate, hold]: each step is held for its duration,
 * and a 0 s stage jumps to the next rate (k6 ramps linearly over a stage, so a jump takes none).
 */
function stairs(
  steps: Array<[target: number, duration: string]>,
): Array<{ target: number; duration: string }> {
  return steps.flatMap(([target, duration], i) => [
    ...(i > 0 ? [{ target, duration: '0s' }] : []),
    { target, duration },
  ]);
}

describe('k6 stages from rate stages', () => {
  it('a staircase: hold each step, jump between them with 0 s stages', () => {
    const k = k6Stages([
      { durationMs: 60_000, startPerMin: 500, endPerMin: 500 },
      { durationMs: 60_000, startPerMin: 700, endPerMin: 700 },
      { durationMs: 30_500, startPerMin: 900, endPerMin: 900 },
    ]);
    expect(k).toEqual({
      timeUnit: '1m',
      startRate: 500,
      roundingPerMin: 0,
      stages: stairs([
        [500, '60s'],
        [700, '60s'],
        [900, '30500ms'],
      ]),
    });
    // The table's expansion, spelled out once: the jump to a new step is a 0 s stage at its rate.
    expect(k.stages.slice(0, 3)).toEqual([
      { target: 500, duration: '60s' },
      { target: 700, duration: '0s' },
      { target: 700, duration: '60s' },
    ]);
  });

  it('a linear ramp continues without a jump; fractional per-minute rates go per hour, rounded', () => {
    const k = k6Stages([
      { durationMs: 3_600_000, startPerMin: 10.25, endPerMin: 20.5 },
      { durationMs: 3_600_000, startPerMin: 20.5, endPerMin: 20.5 },
    ]);
    expect(k.timeUnit).toBe('1h');
    expect(k.startRate).toBe(615);
    expect(k.stages).toEqual([
      { target: 1230, duration: '3600s' },
      { target: 1230, duration: '3600s' },
    ]);
    expect(k.roundingPerMin).toBe(0);
    const r = k6Stages([{ durationMs: 1000, startPerMin: 1 / 7, endPerMin: 1 / 7 }]);
    expect(r.startRate).toBe(9); // 60/7 = 8.57 per hour
    expect(r.roundingPerMin).toBeCloseTo(9 / 60 - 1 / 7, 12);
    expect(r.roundingPerMin).toBeLessThanOrEqual(1 / 120);
  });

  it('VUs follow the peak rate: 1 s of arrivals up front, 10 s (the request timeout) at most', () => {
    expect(k6Vus(600)).toEqual({ preAllocatedVUs: 10, maxVUs: 100 });
    expect(k6Vus(60_000)).toEqual({ preAllocatedVUs: 1000, maxVUs: 10_000 });
    expect(k6Vus(1)).toEqual({ preAllocatedVUs: 2, maxVUs: 2 });
  });
});

describe('capacity suite → k6 plan (golden)', () => {
  const suite = suiteOf(
    'capacity',
    '    start: 500/min\n    step: 200/min\n    stepDuration: 60s\n    warmup: 10s\n    maxRate: 900/min\n    criteria: { p95Latency: 5s, errorRate: 0.01 }\n    mix: { outbound: 0.25, inbound: 0.75 }\n',
  );
  const plan = capacityK6Plan(suite);

  it('stages equal the step plan; thresholds per judged step window', () => {
    expect(k6Options(plan)).toEqual({
      scenarios: {
        capacity: {
          executor: 'ramping-arrival-rate',
          startRate: 500,
          timeUnit: '1m',
          preAllocatedVUs: 15,
          maxVUs: 150,
          stages: stairs([
            [500, '60s'],
            [700, '60s'],
            [900, '60s'],
          ]),
          gracefulStop: '10s',
        },
      },
      thresholds: {
        dropped_iterations: ['count==0'],
        'http_req_failed{phase:load}': ['rate<=0.01'],
        'http_req_duration{phase:load}': ['p(95)<=5000'],
        // The criteria again for each judged step's window.
        ...Object.fromEntries(
          [0, 1, 2].flatMap((step) => [
            [`http_req_duration{step:${step}}`, ['p(95)<=5000']],
            [`http_req_failed{step:${step}}`, ['rate<=0.01']],
          ]),
        ),
      },
      setupTimeout: '10m',
      summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
    });
    expect(plan.steps).toEqual([
      { index: 0, ratePerMin: 500, judgeFromMs: 10_000, endMs: 60_000 },
      { index: 1, ratePerMin: 700, judgeFromMs: 70_000, endMs: 120_000 },
      { index: 2, ratePerMin: 900, judgeFromMs: 130_000, endMs: 180_000 },
    ]);
    expect(plan.outboundShare).toBe(0.25);
    expect(plan.durationMs).toBe(180_000);
  });

  it('k6 plays as many iterations as the harness schedules arrivals', () => {
    expect(expectedIterations(plan)).toBe(500 + 700 + 900);
  });
});

describe('soak suite → k6 plan', () => {
  it('the diurnal day compressed ×24: hourly stages per hour-of-day, per-hour units, the 85 % within 20 s rule', () => {
    const suite = suiteOf('soak', '    duration: 24h\n    averageRate: 5000/h\n    window: 1h\n');
    const plan = soakK6Plan(suite, { startEpochMs: Date.UTC(2026, 0, 1), timeScale: 24 });
    expect(plan.durationMs).toBe(3_600_000);
    // Every hour of the day is its own constant stage; the jumps between them add 0 s stages.
    const held = plan.stages.filter((s) => s.duration !== '0s');
    expect(held).toHaveLength(24);
    expect(held.every((s) => s.duration === '150s')).toBe(true);
    expect(plan.thresholds).toEqual({
      dropped_iterations: ['count==0'],
      'http_req_duration{phase:load}': ['p(85)<20000'],
    });
    // keep-rate: the compressed hour plays 1/24 of the day's 120,000 messages, within rounding.
    expect(Math.abs(expectedIterations(plan) - 5000)).toBeLessThanOrEqual(24);
    expect(plan.peakPerMin).toBeGreaterThan(5000 / 60);
  });

  it('a soak started at 09:00 UTC opens on the peak; one started at 00:00 on the night', () => {
    const suite = suiteOf('soak', '    duration: 24h\n    window: 1h\n');
    const nine = soakK6Plan(suite, { startEpochMs: Date.UTC(2026, 0, 1, 9) });
    const midnight = soakK6Plan(suite, { startEpochMs: Date.UTC(2026, 0, 1, 0) });
    expect(nine.startRate).toBeGreaterThan(midnight.startRate * 3);
  });
});
