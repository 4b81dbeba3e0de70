import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arrivalOffsets,
  arrivalsInRange,
  arrivalsPerWindow,
  cumulativeArrivals,
  offsetOfArrival,
  type RateStage,
  rateAt,
  scaleStages,
  scheduleDurationMs,
  totalArrivals,
} from '../../../src/load/schedule.js';

const all = (stages: RateStage[], from?: number) => [...arrivalOffsets(stages, from)];

/**
 * Slow reference, independent of the closed form: A(t) by Simpson's rule on each stage piece (exact
 * for a linear rate, so the only error is the bisection), then bisection on t until A(t) = n.
 */
function referenceOffset(stages: RateStage[], n: number): number {
  const rate = (t: number) => rateAt(stages, t) / 60_000;
  const area = (t: number) => {
    let total = 0;
    let start = 0;
    for (const s of stages) {
      const end = Math.min(t, start + s.durationMs);
      if (end > start) {
        const mid = (start + end) / 2;
        // Evaluate the rate just inside the piece so a jump at a boundary is not sampled from the next stage.
        const eps = (end - start) * 1e-12;
        total += ((end - start) / 6) * (rate(start + eps) + 4 * rate(mid) + rate(end - eps));
      }
      start += s.durationMs;
      if (start >= t) break;
    }
    return total;
  };
  let lo = 0;
  let hi = scheduleDurationMs(stages);
  for (let i = 0; i < 200 && hi - lo > 1e-9; i++) {
    const mid = (lo + hi) / 2;
    if (area(mid) >= n) hi = mid;
    else lo = mid;
  }
  return hi;
}

describe('arrivalOffsets: golden timestamps', () => {
  it('spaces a constant 500/min evenly: 120 ms apart, the 500th exactly at the end of the minute', () => {
    const offsets = all([{ durationMs: 60_000, startPerMin: 500, endPerMin: 500 }]);
    expect(offsets).toHaveLength(500);
    expect(offsets.slice(0, 3)).toEqual([120, 240, 360]);
    expect(offsets[499]).toBe(60_000);
  });

  it('places a 0 → 60/min ramp over 60 s at t = √(n · 1.2e8) ms', () => {
    const offsets = all([{ durationMs: 60_000, startPerMin: 0, endPerMin: 60 }]);
    expect(offsets).toHaveLength(30);
    expect(offsets[0]).toBeCloseTo(10_954.45115010332, 9);
    expect(offsets[1]).toBeCloseTo(15_491.93338482967, 9);
    expect(offsets[29]).toBeCloseTo(60_000, 9);
  });

  it('places a falling 60 → 0/min ramp (the mirror image of the rising one)', () => {
    const offsets = all([{ durationMs: 60_000, startPerMin: 60, endPerMin: 0 }]);
    expect(offsets).toHaveLength(30);
    // Mirror: arrival n of the falling ramp is at T − (time of arrival 30 − n of the rising ramp).
    expect(offsets[0]).toBeCloseTo(60_000 - Math.sqrt(29 * 1.2e8), 6);
    expect(offsets[28]).toBeCloseTo(60_000 - Math.sqrt(1 * 1.2e8), 6);
    expect(offsets[29]).toBeCloseTo(60_000, 6);
  });

  it('carries the fractional area from one stage into the next', () => {
    // 90/min for 1 s is 1.5 arrivals: the second arrival needs half of the next stage.
    const offsets = all([
      { durationMs: 1000, startPerMin: 90, endPerMin: 90 },
      { durationMs: 1000, startPerMin: 90, endPerMin: 90 },
    ]);
    expect(offsets).toHaveLength(3);
    expect(offsets[0]).toBeCloseTo(666.6666666666666, 9);
    expect(offsets[1]).toBeCloseTo(1333.3333333333333, 9);
    expect(offsets[2]).toBeCloseTo(2000, 9);
  });

  it('keeps an arrival that lands exactly on a stage end in that stage, then continues at the new rate', () => {
    const offsets = all([
      { durationMs: 60_000, startPerMin: 30, endPerMin: 30 },
      { durationMs: 60_000, startPerMin: 60, endPerMin: 60 },
    ]);
    expect(offsets).toHaveLength(90);
    expect(offsets[29]).toBe(60_000);
    expect(offsets[30]).toBe(61_000);
    expect(offsets[89]).toBe(120_000);
  });

  it('treats a zero-duration stage as an instant jump and a zero-rate stage as a pause', () => {
    const offsets = all([
      { durationMs: 2000, startPerMin: 60, endPerMin: 60 },
      { durationMs: 0, startPerMin: 60, endPerMin: 6000 },
      { durationMs: 3000, startPerMin: 0, endPerMin: 0 },
      { durationMs: 1000, startPerMin: 120, endPerMin: 120 },
    ]);
    expect(offsets).toEqual([1000, 2000, 5500, 6000]);
  });

  it('does not lose the last arrival to rounding when stage areas sum to a whole number', () => {
    // Ten stages of 0.1 arrival each: the floating-point sum is 0.9999999999999999, not 1.
    const stages = Array.from({ length: 10 }, () => ({ durationMs: 6000, startPerMin: 1, endPerMin: 1 }));
    expect(totalArrivals(stages)).toBe(1);
    const offsets = all(stages);
    expect(offsets).toHaveLength(1);
    expect(offsets[0]).toBeCloseTo(60_000, 6);
  });

  it('is lazy: a 72 h soak yields its first arrivals without generating the other 360,000', () => {
    const it = arrivalOffsets([{ durationMs: 72 * 3_600_000, startPerMin: 5000 / 60, endPerMin: 5000 / 60 }]);
    expect(it.next().value).toBeCloseTo(720, 9);
    expect(it.next().value).toBeCloseTo(1440, 9);
  });

  it('starts at arrival n (a resumed run) with the same offsets as the full sequence', () => {
    const stages: RateStage[] = [
      { durationMs: 30_000, startPerMin: 0, endPerMin: 600 },
      { durationMs: 30_000, startPerMin: 600, endPerMin: 200 },
    ];
    const full = all(stages);
    expect(all(stages, 101)).toEqual(full.slice(100));
    expect(offsetOfArrival(stages, 101)).toBe(full[100]);
    expect(offsetOfArrival(stages, full.length + 1)).toBeUndefined();
  });
});

describe('arrivalOffsets against a slow exact reference', () => {
  const stageArb = fc.record({
    durationMs: fc.integer({ min: 0, max: 90_000 }),
    startPerMin: fc.integer({ min: 0, max: 900 }),
    endPerMin: fc.integer({ min: 0, max: 900 }),
  });

  it('matches numeric integration + bisection for random piecewise-linear curves', () => {
    fc.assert(
      fc.property(fc.array(stageArb, { minLength: 1, maxLength: 4 }), (stages) => {
        const offsets = all(stages);
        expect(offsets).toHaveLength(totalArrivals(stages));
        // Check a spread of arrivals (all of them would make the reference too slow for a unit test).
        const step = Math.max(1, Math.floor(offsets.length / 25));
        for (let i = 0; i < offsets.length; i += step) {
          const ref = referenceOffset(stages, i + 1);
          expect(Math.abs((offsets[i] as number) - ref)).toBeLessThan(1e-6 * Math.max(1, ref));
        }
      }),
      { numRuns: 60, seed: 42 },
    );
  });

  it('yields non-decreasing offsets inside the schedule, and A(offset_n) = n', () => {
    fc.assert(
      fc.property(fc.array(stageArb, { minLength: 1, maxLength: 5 }), (stages) => {
        let prev = 0;
        let n = 0;
        let worst = 0;
        let ordered = true;
        const end = scheduleDurationMs(stages);
        for (const t of arrivalOffsets(stages)) {
          n++;
          ordered &&= t >= prev && t <= end;
          worst = Math.max(worst, Math.abs(cumulativeArrivals(stages, t) - n));
          prev = t;
        }
        // One expect per run: an expect per arrival would dominate the test's time.
        expect(ordered).toBe(true);
        expect(worst).toBeLessThan(1e-6);
      }),
      { numRuns: 80, seed: 7 },
    );
  });
});

describe('counting helpers', () => {
  const stages: RateStage[] = [
    { durationMs: 120_000, startPerMin: 100, endPerMin: 100 },
    { durationMs: 120_000, startPerMin: 100, endPerMin: 300 },
  ];

  it('totalArrivals is the floor of the area', () => {
    expect(totalArrivals(stages)).toBe(200 + 400);
    expect(totalArrivals([{ durationMs: 1000, startPerMin: 90, endPerMin: 90 }])).toBe(1);
    expect(totalArrivals([])).toBe(0);
  });

  it('arrivalsPerWindow splits the schedule into minutes that add up to the total', () => {
    const perMin = arrivalsPerWindow(stages, 60_000);
    // Windows are [from, to): the 100th arrival of the first minute lands exactly on 60,000 and counts in
    // the next minute, like a measurement bucketed by floor(t / 60,000) would.
    expect(perMin).toEqual([99, 100, 150, 251]);
    expect(perMin.reduce((a, b) => a + b, 0)).toBe(totalArrivals(stages));
  });

  it('arrivalsInRange counts offsets in [from, to)', () => {
    const offsets = all(stages);
    const count = (a: number, b: number) => offsets.filter((t) => t >= a && t < b).length;
    for (const [a, b] of [
      [0, 60_000],
      [60_000, 61_200],
      [30_000, 200_000],
      [239_000, 240_000],
    ] as const) {
      expect(arrivalsInRange(stages, a, b)).toBe(count(a, b));
    }
    expect(arrivalsInRange(stages, 5, 5)).toBe(0);
  });
});

describe('scaleStages', () => {
  const soak: RateStage[] = [
    { durationMs: 3_600_000, startPerMin: 50, endPerMin: 150 },
    { durationMs: 3_600_000, startPerMin: 150, endPerMin: 150 },
  ];

  it("'keep-total' plays the whole volume in 1/N of the time", () => {
    const fast = scaleStages(soak, 60, 'keep-total');
    expect(scheduleDurationMs(fast)).toBe(120_000);
    expect(fast[0]).toEqual({ durationMs: 60_000, startPerMin: 3000, endPerMin: 9000 });
    expect(totalArrivals(fast)).toBe(totalArrivals(soak));
  });

  it("'keep-rate' keeps the rates and plays a 1/N sample of the flows", () => {
    const sample = scaleStages(soak, 60, 'keep-rate');
    expect(sample[1]).toEqual({ durationMs: 60_000, startPerMin: 150, endPerMin: 150 });
    expect(totalArrivals(sample)).toBe(Math.floor(totalArrivals(soak) / 60));
  });

  it('rejects a bad factor or volume mode with a clear error', () => {
    expect(() => scaleStages(soak, 0, 'keep-rate')).toThrow(/timeScale must be a finite number > 0/);
    expect(() => scaleStages(soak, Number.NaN, 'keep-rate')).toThrow(/timeScale/);
    expect(() => scaleStages(soak, 2, 'double' as never)).toThrow(/keep-rate' or 'keep-total/);
  });
});

describe('validation', () => {
  it('names the stage and field of a bad rate curve', () => {
    const bad = [
      { durationMs: 1000, startPerMin: 1, endPerMin: 1 },
      { durationMs: 1000, startPerMin: -5, endPerMin: 1 },
    ];
    expect(() => totalArrivals(bad)).toThrow('stages[1].startPerMin must be a finite number ≥ 0, got -5');
    expect(() => all([{ durationMs: Number.POSITIVE_INFINITY, startPerMin: 1, endPerMin: 1 }])).toThrow(
      /stages\[0\]\.durationMs/,
    );
    expect(() => arrivalsPerWindow([], 0)).toThrow(/windowMs/);
  });
});
