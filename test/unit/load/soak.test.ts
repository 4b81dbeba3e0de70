import { describe, expect, it } from 'vitest';
import { diurnalSoakStages } from '../../../src/load/profiles.js';
import { arrivalsPerWindow } from '../../../src/load/schedule.js';
import { analyzeSoak, defaultSoakRules, type SoakWindowInput, volumeRule } from '../../../src/load/soak.js';
import { Histogram } from '../../../src/metrics/histogram.js';

const H = 3_600_000;
const WINDOW = 10 * 60_000;

/** 72 h of 10-minute windows: latency creeping from 300 to ~390 ms, RSS growing 1 MB/hour. */
function soakWindows(opts: { invalidAt?: number; slowFrom?: number } = {}): SoakWindowInput[] {
  const out: SoakWindowInput[] = [];
  for (let i = 0; i < (72 * H) / WINDOW; i++) {
    const startMs = i * WINDOW;
    const base = 300 + (90 * startMs) / (72 * H);
    const slow = opts.slowFrom !== undefined && startMs >= opts.slowFrom;
    // 100 flows: 94 fast, 6 at twice that (so p95 = 2 × base), or 25 slower than 20 s when degraded.
    const values = [
      ...Array.from({ length: slow ? 75 : 94 }, () => base),
      ...Array.from({ length: slow ? 25 : 6 }, () => (slow ? 25_000 : base * 2)),
    ];
    out.push({
      startMs,
      endMs: startMs + WINDOW,
      latency: Histogram.of(values),
      sent: 100,
      completed: i === 5 ? 98 : 100,
      failed: i === 5 ? 1 : 0,
      timedOut: 0,
      dropped: i === 5 ? 1 : 0,
      connectorRssBytes: 100e6 + (startMs / H) * 1e6,
      connectorCpuPct: 20,
      connectorMemPct: 5,
      harnessValid: i !== opts.invalidAt,
    });
  }
  return out;
}

describe('analyzeSoak', () => {
  it('gives a snapshot every 4 h and a section per day', () => {
    const r = analyzeSoak(soakWindows());
    expect(r.snapshots).toHaveLength(18);
    expect(r.snapshots[1]).toMatchObject({ index: 1, startMs: 4 * H, endMs: 8 * H, sent: 2400 });
    expect(r.snapshots[1]?.ratePerMin).toBeCloseTo(10, 9);
    expect(r.days.map((d) => [d.day, d.startMs, d.endMs, d.sent])).toEqual([
      [1, 0, 24 * H, 14_400],
      [2, 24 * H, 48 * H, 14_400],
      [3, 48 * H, 72 * H, 14_400],
    ]);
    expect(r.overall.sent).toBe(43_200);
    expect(r.overall.errorRate).toBeCloseTo(2 / 43_200, 12);
    expect(r.days[0]?.errorRate).toBeCloseTo(2 / 14_400, 12);
    expect(r.overall.connectorCpuMeanPct).toBe(20);
  });

  it('measures p95 drift between the first and the last snapshot, and at the same time of day', () => {
    const r = analyzeSoak(soakWindows());
    expect(r.drift.firstP95Ms / 600).toBeCloseTo(1, 1);
    expect(r.drift.ratio).toBeGreaterThan(1.2);
    expect(r.drift.exceeded).toBe(true);
    expect(r.drift.sameTimeOfDay?.lastStartMs).toBe(48 * H);
    expect(r.drift.sameTimeOfDay?.ratio).toBeGreaterThan(1.1);
    const lenient = analyzeSoak(soakWindows(), { rules: { maxP95DriftRatio: 1.5 } });
    expect(lenient.drift.exceeded).toBe(false);
    // The same ×1.3 growth is noise when it is only a few ms: 180 ms here, under a 200 ms floor.
    const floored = analyzeSoak(soakWindows(), { rules: { minP95DriftMs: 200 } });
    expect(floored.drift.ratio).toBeGreaterThan(1.2);
    expect(floored.drift.exceeded).toBe(false);
  });

  it('reports connector memory growth and its slope per hour', () => {
    const m = analyzeSoak(soakWindows()).memory!;
    expect(m.firstRssBytes).toBe(100e6);
    expect(m.lastRssBytes).toBeCloseTo(100e6 + ((72 * H - WINDOW) / H) * 1e6, 0);
    expect(m.slopeBytesPerHour).toBeCloseTo(1e6, 0);
    expect(m.growthPct).toBeCloseTo(71.83, 1);
  });

  it("measures the sync error rate and applies the seed's ≥ 85 % handled within 20 s", () => {
    const good = analyzeSoak(soakWindows());
    // Measured only: the limit is the acceptance table's (test/unit/checks/soak-sync-error.test.ts).
    expect(good.rules.syncErrorRate.value).toBeLessThan(0.001);
    expect(good.rules.handledWithinTarget).toMatchObject({
      share: 1,
      limit: 0.85,
      withinMs: 20_000,
      passed: true,
    });
    // Degrade day 3: a quarter of the flows take 25 s.
    const bad = analyzeSoak(soakWindows({ slowFrom: 48 * H }));
    expect(bad.days[0]?.rules.handledWithinTarget.passed).toBe(true);
    expect(bad.days[2]?.rules.handledWithinTarget).toMatchObject({ share: 0.75, passed: false });
    expect(bad.rules.handledWithinTarget.share).toBeCloseTo((2 + 0.75) / 3, 9);
    // Over the whole run 91.7 % were handled in time: the daily section is where the bad day shows.
    expect(bad.rules.handledWithinTarget.passed).toBe(true);
  });

  it('uses explicit handled counts when the caller has them', () => {
    const ws = soakWindows().map((w) => ({ ...w, handledWithinTarget: 80 }));
    expect(analyzeSoak(ws).rules.handledWithinTarget).toMatchObject({ share: 0.8, passed: false });
  });

  it('says which windows the harness could not be trusted in', () => {
    const r = analyzeSoak(soakWindows({ invalidAt: 30 }));
    expect(r.harnessValid).toBe(false);
    expect(r.invalidWindows).toEqual([{ startMs: 30 * WINDOW, endMs: 31 * WINDOW }]);
    expect(r.snapshots[1]?.harnessValid).toBe(false);
    expect(r.snapshots[0]?.harnessValid).toBe(true);
  });

  it('judges per-minute volume against what the schedule offered in each minute', () => {
    const stages = diurnalSoakStages({ startEpochMs: Date.UTC(2026, 0, 5) });
    const expected = arrivalsPerWindow(stages, 60_000);
    expect(expected).toHaveLength(72 * 60);
    const actual = [...expected];
    actual[10 * 60] = Math.floor((expected[10 * 60] as number) * 0.5); // a stall at 10:00 on day 1
    actual[50 * 60] = Math.ceil((expected[50 * 60] as number) * 1.5); // a burst on day 3
    const r = analyzeSoak(soakWindows(), { perMinute: { expected, actual } });
    expect(r.rules.volume).toMatchObject({ minutesOutside: 2, passed: false });
    expect(r.rules.volume?.worst.map((w) => w.minute).sort((a, b) => a - b)).toEqual([600, 3000]);
    expect(r.days[0]?.rules.volume?.minutesOutside).toBe(1);
    expect(r.days[1]?.rules.volume).toMatchObject({ minutesOutside: 0, passed: true });
    expect(r.days[0]?.peakMinuteVolume).toBe(Math.max(...actual.slice(0, 1440)));
    // Night minutes carry ~20 arrivals, so every minute of this profile is judged.
    expect(r.rules.volume?.minutesJudged).toBe(72 * 60);
  });

  it('skips minutes with too few expected arrivals for a ratio to mean anything', () => {
    const v = volumeRule([2, 10, 10], [0, 10, 6], 0, 3, defaultSoakRules);
    expect(v).toMatchObject({ minutesJudged: 2, minutesOutside: 1, shareOutside: 0.5 });
    expect(v.worst).toEqual([{ minute: 2, expected: 10, actual: 6, ratio: 0.6 }]);
  });

  it('copes with an empty soak', () => {
    const r = analyzeSoak([]);
    expect(r.snapshots).toEqual([]);
    expect(r.memory).toBeNull();
    expect(r.drift.ratio).toBeNull();
    expect(r.rules.handledWithinTarget.passed).toBe(false);
  });
});
