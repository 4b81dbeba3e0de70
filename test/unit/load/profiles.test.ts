import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../../src/config/load.js';
import {
  constantStages,
  DIURNAL_HOUR_WEIGHTS,
  diurnalShapeFromPeaks,
  diurnalSoakStages,
  linearRampStages,
  localHourWindows,
  localMsOfDay,
  ProfileError,
  parseShape,
  shapeStages,
  timeZoneOffsetMs,
} from '../../../src/load/profiles.js';
import { rateAt, scheduleDurationMs, totalArrivals } from '../../../src/load/schedule.js';

const H = 3_600_000;
const MONDAY_UTC = Date.UTC(2026, 0, 5, 0, 0, 0);

/** Mean rate (msg/min) over an elapsed range, by sampling each minute. */
function meanRate(stages: ReturnType<typeof diurnalSoakStages>, fromMs: number, toMs: number): number {
  let sum = 0;
  let n = 0;
  for (let t = fromMs; t < toMs; t += 60_000) {
    sum += rateAt(stages, t + 30_000);
    n++;
  }
  return sum / n;
}

describe('simple profiles', () => {
  it('constant and linear ramp are one stage each, validated', () => {
    expect(constantStages(500, 60_000)).toEqual([{ durationMs: 60_000, startPerMin: 500, endPerMin: 500 }]);
    expect(linearRampStages(0, 1000, 120_000)).toEqual([
      { durationMs: 120_000, startPerMin: 0, endPerMin: 1000 },
    ]);
    expect(() => constantStages(-1, 1000)).toThrow(/startPerMin/);
  });
});

describe('time zones via Intl', () => {
  it('gives the offset at an instant, DST included', () => {
    expect(timeZoneOffsetMs('UTC', MONDAY_UTC)).toBe(0);
    expect(timeZoneOffsetMs('Asia/Taipei', MONDAY_UTC)).toBe(8 * H);
    expect(timeZoneOffsetMs('Asia/Kolkata', MONDAY_UTC)).toBe(5.5 * H);
    expect(timeZoneOffsetMs('America/New_York', MONDAY_UTC)).toBe(-5 * H);
    expect(timeZoneOffsetMs('America/New_York', Date.UTC(2026, 6, 1))).toBe(-4 * H);
    expect(localMsOfDay('Asia/Taipei', MONDAY_UTC + 90 * 60_000)).toBe(9.5 * H);
  });

  it('refuses an unknown zone with a ProfileError naming timeZone', () => {
    expect(() => timeZoneOffsetMs('Mars/Olympus', 0)).toThrow(ProfileError);
    expect(() => diurnalSoakStages({ startEpochMs: MONDAY_UTC, timeZone: 'Nowhere' })).toThrow(
      /timeZone: unknown time zone/,
    );
  });
});

describe('the 72 h diurnal soak', () => {
  it('averages exactly 5,000 msg/hour: 360,000 arrivals over 72 h', () => {
    const stages = diurnalSoakStages({ startEpochMs: MONDAY_UTC });
    expect(scheduleDurationMs(stages)).toBeCloseTo(72 * H, 3);
    expect(totalArrivals(stages)).toBe(360_000);
  });

  it('peaks 09:00–11:00 and 19:00–21:00 local, with quiet nights, every day', () => {
    const stages = diurnalSoakStages({ startEpochMs: MONDAY_UTC });
    for (let day = 0; day < 3; day++) {
      const d = day * 24 * H;
      const morning = meanRate(stages, d + 9 * H, d + 11 * H);
      const evening = meanRate(stages, d + 19 * H, d + 21 * H);
      const night = meanRate(stages, d + 1 * H, d + 5 * H);
      const afternoon = meanRate(stages, d + 13 * H, d + 16 * H);
      expect(morning).toBeGreaterThan(1.5 * afternoon);
      expect(evening).toBeGreaterThan(1.5 * afternoon);
      expect(night).toBeLessThan(0.5 * afternoon);
    }
    // The peak rate is about twice the mean (5,000/h = 83.3/min).
    const peak = Math.max(...Array.from({ length: 72 * 60 }, (_, m) => rateAt(stages, m * 60_000)));
    expect(peak / (5000 / 60)).toBeGreaterThan(1.6);
    expect(peak / (5000 / 60)).toBeLessThan(2.6);
  });

  it('lays the peaks on local time in the configured zone (Taipei: 09:00 local = 01:00 UTC)', () => {
    const stages = diurnalSoakStages({ startEpochMs: MONDAY_UTC, timeZone: 'Asia/Taipei' });
    // Elapsed 1 h–3 h is 09:00–11:00 in Taipei; elapsed 17 h–21 h is 01:00–05:00 there: night.
    expect(meanRate(stages, 1 * H, 3 * H)).toBeGreaterThan(3 * meanRate(stages, 17 * H, 21 * H));
    expect(totalArrivals(stages)).toBe(360_000);
  });

  it('follows local time across a DST change and a half-hour zone, with no empty or negative stage', () => {
    // US DST begins 2026-03-08 at 02:00 local.
    const ny = diurnalSoakStages({ startEpochMs: Date.UTC(2026, 2, 7, 5), timeZone: 'America/New_York' });
    expect(totalArrivals(ny)).toBe(360_000);
    expect(ny.every((s) => s.durationMs > 0 && s.startPerMin >= 0 && s.endPerMin >= 0)).toBe(true);
    // Day 2 (after the change) still peaks at 09:00 local = 13:00 UTC = elapsed 32 h.
    expect(meanRate(ny, 32 * H, 34 * H)).toBeGreaterThan(1.5 * meanRate(ny, 37 * H, 40 * H));
    const kolkata = diurnalSoakStages({ startEpochMs: MONDAY_UTC + 17 * 60_000, timeZone: 'Asia/Kolkata' });
    expect(totalArrivals(kolkata)).toBe(360_000);
  });

  it('marks the peak windows on the elapsed axis', () => {
    const w = localHourWindows({ startEpochMs: MONDAY_UTC, durationMs: 72 * H });
    expect(w).toHaveLength(6);
    expect(w[0]).toEqual({ fromMs: 9 * H, toMs: 11 * H, fromHour: 9, toHour: 11 });
    expect(w[5]).toEqual({ fromMs: 67 * H, toMs: 69 * H, fromHour: 19, toHour: 21 });
    const taipei = localHourWindows({
      startEpochMs: MONDAY_UTC + 30 * 60_000,
      durationMs: 24 * H,
      timeZone: 'Asia/Taipei',
    });
    expect(taipei[0]).toEqual({ fromMs: 30 * 60_000, toMs: 150 * 60_000, fromHour: 9, toHour: 11 });
  });

  it('is the shape a soak suite with its defaults runs: one shape, not two', () => {
    const parsed = parseScenarioText('name: s\nsuites:\n  - kind: soak\n');
    if (!parsed.ok) throw new Error('scenario');
    const suite = parsed.value.suites[0] as {
      peaks: Array<{ startMs: number; endMs: number }>;
      peakFactor: number;
    };
    // What src/run/suites/soak.ts plays for that suite.
    const played = shapeStages(diurnalShapeFromPeaks(suite.peaks, suite.peakFactor), {
      startEpochMs: MONDAY_UTC,
      durationMs: 72 * H,
      meanPerHour: 5000,
      timeZone: 'UTC',
    });
    expect(played).toEqual(diurnalSoakStages({ startEpochMs: MONDAY_UTC }));
  });

  it('weights each local hour, puts whole peak hours at the factor and blends a partial one', () => {
    const peaks = [
      { startMs: 9 * H, endMs: 11 * H },
      { startMs: 19.5 * H, endMs: 21 * H },
    ];
    const shape = diurnalShapeFromPeaks(peaks, 3);
    if (shape.kind !== 'daily-hourly') throw new Error(shape.kind);
    expect(shape.perMin).toHaveLength(24);
    expect(shape.perMin[3]).toBe(0.25);
    expect(shape.perMin[13]).toBe(1);
    expect(shape.perMin[9]).toBe(3);
    expect(shape.perMin[10]).toBe(3);
    expect(shape.perMin[19]).toBe(2); // half off-peak (1), half peak (3)
    expect(shape.perMin[20]).toBe(3);
  });

  it('docs/load-model.md states the hour weights that run', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/load-model.md'), 'utf8');
    expect(doc).toContain(DIURNAL_HOUR_WEIGHTS.join(', '));
    expect(doc).toContain('diurnalShapeFromPeaks');
    expect(doc).not.toMatch(/30-minute ramps/);
  });
});

describe('shapes from a file', () => {
  it('reads a 24-entry hourly table as a daily shape (msg per hour, constant within each hour)', () => {
    const hourly = Array.from({ length: 24 }, (_, h) => (h >= 9 && h < 11 ? 12_000 : 3000));
    const { shape } = parseShape({ hourly });
    expect(shape.kind).toBe('daily-hourly');
    const stages = shapeStages(shape, { startEpochMs: MONDAY_UTC, durationMs: 24 * H });
    expect(stages).toHaveLength(24);
    expect(stages[9]).toEqual({ durationMs: H, startPerMin: 200, endPerMin: 200 });
    expect(totalArrivals(stages)).toBe(2 * 12_000 + 22 * 3000);
  });

  it('reads any other hourly length as a timeline from the start, rate texts allowed', () => {
    const { shape, meanPerHour } = parseShape({ hourly: [600, '20/min', 1800], meanPerHour: '1500/h' });
    expect(shape).toEqual({ kind: 'timeline-hourly', perMin: [10, 20, 30] });
    expect(meanPerHour).toBeCloseTo(1500, 6);
    const stages = shapeStages(shape, { startEpochMs: MONDAY_UTC, meanPerHour: 1500 });
    expect(totalArrivals(stages)).toBe(4500);
  });

  it('reads daily points (linear between them, wrapping at midnight)', () => {
    const { shape } = parseShape({
      points: [
        { at: '06:00', rate: '60/min' },
        { at: '18:00', rate: 120 },
      ],
    });
    const stages = shapeStages(shape, { startEpochMs: MONDAY_UTC, durationMs: 24 * H });
    expect(rateAt(stages, 12 * H)).toBeCloseTo(90, 6);
    expect(rateAt(stages, 0)).toBeCloseTo(90, 6); // halfway from 18:00 (120) back to 06:00 (60)
    // The average of a symmetric triangle wave between 60 and 120 is 90/min.
    expect(totalArrivals(stages)).toBe(90 * 1440);
  });

  it('reads timeline points (offsets from the start, held after the last one)', () => {
    const { shape } = parseShape({
      points: [
        { after: '0s', rate: 0 },
        { after: '10m', rate: '100/min' },
      ],
    });
    const stages = shapeStages(shape, { startEpochMs: 0, durationMs: 20 * 60_000 });
    expect(stages).toEqual([
      { durationMs: 600_000, startPerMin: 0, endPerMin: 100 },
      { durationMs: 600_000, startPerMin: 100, endPerMin: 100 },
    ]);
  });

  it('names the field of every mistake', () => {
    const err = (data: unknown) => {
      try {
        parseShape(data);
      } catch (e) {
        expect(e).toBeInstanceOf(ProfileError);
        return (e as ProfileError).path;
      }
      throw new Error('expected a ProfileError');
    };
    expect(err(null)).toBe('shape');
    expect(err({ hourly: [1], points: [] })).toBe('shape');
    expect(err({ hourly: [1], extra: 1 })).toBe('extra');
    expect(err({ hourly: [1, 'lots'] })).toBe('hourly[1]');
    expect(err({ points: [{ at: '25:00', rate: 1 }] })).toBe('points[0].at');
    expect(
      err({
        points: [
          { at: '10:00', rate: 1 },
          { at: '09:00', rate: 1 },
        ],
      }),
    ).toBe('points[1].at');
    expect(
      err({
        points: [
          { at: '10:00', rate: 1 },
          { after: '1h', rate: 1 },
        ],
      }),
    ).toBe('points');
    expect(err({ points: [{ after: '1h', rate: 1 }] })).toBe('points[0].after');
    expect(err({ points: [{ after: 'soon', rate: 1 }] })).toBe('points[0].after');
    expect(err({ points: [{ at: '10:00', rate: '5/fortnight' }] })).toBe('points[0].rate');
  });

  it('refuses to scale a shape that is zero everywhere', () => {
    const { shape } = parseShape({ hourly: [0, 0] });
    expect(() => shapeStages(shape, { startEpochMs: 0, meanPerHour: 100 })).toThrow(/zero everywhere/);
  });
});
