import { Histogram } from '../metrics/histogram.js';

const MS_PER_MIN = 60_000;
const MS_PER_HOUR = 3_600_000;

/** What was measured in one window of a soak (times are virtual: the report's axis). */
export interface SoakWindowInput {
  startMs: number;
  endMs: number;
  /** End-to-end latency of the flows that arrived in the window (timed-out flows at their deadline). */
  latency: Histogram;
  /** Arrivals scheduled in the window (launched + dropped). */
  sent: number;
  completed: number;
  failed: number;
  timedOut: number;
  dropped: number;
  /** Flows handled within the response target (20 s); derived from `latency` when absent. */
  handledWithinTarget?: number;
  /** Connector RSS in the window (its last or peak sample). */
  connectorRssBytes?: number;
  /** Mean connector CPU % in the window. */
  connectorCpuPct?: number;
  /** Peak connector memory in % of the machine. */
  connectorMemPct?: number;
  harnessValid: boolean;
}

/** The seed's monitoring rules, and the drift limit; every field has the seed's default. */
export interface SoakRules {
  /** Per-minute volume band around the expected volume: 0.7–1.3. */
  volumeBandLow: number;
  volumeBandHigh: number;
  /** Minutes expecting fewer arrivals than this are not judged (one late flow is 20 % of five). */
  minExpectedPerMinute: number;
  /** Response target: 20 s … */
  handledWithinMs: number;
  /** … met by at least 85 % of the flows. */
  minHandledShare: number;
  /** p95 of the last window may be at most this × the first. Default 1.2. */
  maxP95DriftRatio: number;
  /**
   * … unless it grew by no more than this many ms: at millisecond latencies a ratio is noise (6 ms →
   * 16 ms is ×2.7 and means nothing), so drift counts only when it is both relative and absolute.
   * Default 100 ms.
   */
  minP95DriftMs: number;
}

/** Default soak rules (the seed's monitoring section). */
export const defaultSoakRules: SoakRules = {
  volumeBandLow: 0.7,
  volumeBandHigh: 1.3,
  minExpectedPerMinute: 5,
  handledWithinMs: 20_000,
  minHandledShare: 0.85,
  maxP95DriftRatio: 1.2,
  minP95DriftMs: 100,
};

/** Options of {@link analyzeSoak}. */
export interface SoakAnalysisOptions {
  /** Length of a load snapshot: 4 h (the seed: "record system load every 4 hours"). */
  snapshotEveryMs?: number;
  /** Length of a report day: 24 h of virtual time from the start. */
  dayMs?: number;
  /**
   * Per-minute volume: `expected[i]` = arrivals the schedule offered in minute i (arrivalsPerWindow),
   * `actual[i]` = flows the connector finished in minute i (by completion time).
   */
  perMinute?: { expected: readonly number[]; actual: readonly number[] };
  rules?: Partial<SoakRules>;
}

/** Totals and percentiles of a group of windows (a snapshot, a day, the whole run). */
export interface SoakAggregate {
  startMs: number;
  endMs: number;
  sent: number;
  completed: number;
  failed: number;
  timedOut: number;
  dropped: number;
  /** (failed + timedOut + dropped) / sent. */
  errorRate: number;
  /** Offered load: sent per minute of the group. */
  ratePerMin: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  handledWithinTarget: number;
  /** handledWithinTarget / sent. */
  handledShare: number;
  connectorCpuMeanPct?: number;
  connectorRssMaxBytes?: number;
  connectorMemMaxPct?: number;
  harnessValid: boolean;
}

/** The per-minute volume rule over a span of minutes. */
export interface VolumeRuleResult {
  minutesJudged: number;
  minutesOutside: number;
  shareOutside: number;
  /** Up to 10 worst minutes (furthest from 1), for the report. */
  worst: Array<{ minute: number; expected: number; actual: number; ratio: number }>;
  passed: boolean;
}

/** The seed's three monitoring rules over a span. */
export interface SoakRuleResults {
  volume: VolumeRuleResult | null;
  /** Measured only: its limit lives in the acceptance table (src/checks/soak-sync-error.ts judges it). */
  syncErrorRate: { value: number };
  handledWithinTarget: { share: number; limit: number; withinMs: number; passed: boolean };
}

/** One day of the soak. */
export interface SoakDay extends SoakAggregate {
  /** 1-based. */
  day: number;
  /** Highest per-minute completions in the day (null without per-minute data). */
  peakMinuteVolume: number | null;
  rules: SoakRuleResults;
}

/** The soak's analysis, ready for summary.json and the report. */
export interface SoakReport {
  overall: SoakAggregate;
  snapshots: Array<SoakAggregate & { index: number }>;
  days: SoakDay[];
  /**
   * p95 of the last snapshot over the first (the spec's drift). `sameTimeOfDay` compares the first
   * snapshot with the last one at the same time of day, which takes the diurnal load out of the ratio.
   */
  drift: {
    firstP95Ms: number;
    lastP95Ms: number;
    ratio: number | null;
    sameTimeOfDay: {
      firstP95Ms: number;
      lastP95Ms: number;
      ratio: number | null;
      lastStartMs: number;
    } | null;
    limit: number;
    /** Growth below this (ms) never counts as drift. */
    minGrowthMs: number;
    exceeded: boolean;
  };
  /** Connector memory: first and last window, growth, and the least-squares slope over the windows. */
  memory: {
    firstRssBytes: number;
    lastRssBytes: number;
    growthBytes: number;
    growthPct: number;
    slopeBytesPerHour: number;
  } | null;
  rules: SoakRuleResults;
  harnessValid: boolean;
  invalidWindows: Array<{ startMs: number; endMs: number }>;
}

function ratioOrNull(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

/** Handled-within-target per window, computed once (walking a histogram is the costly part). */
type HandledOf = (w: SoakWindowInput) => number;

function aggregate(windows: readonly SoakWindowInput[], handledOf: HandledOf): SoakAggregate {
  const first = windows[0];
  const last = windows[windows.length - 1];
  const startMs = first ? first.startMs : 0;
  const endMs = last ? last.endMs : 0;
  let sent = 0;
  let completed = 0;
  let failed = 0;
  let timedOut = 0;
  let dropped = 0;
  let handled = 0;
  let cpuSum = 0;
  let cpuN = 0;
  let rssMax: number | undefined;
  let memMax: number | undefined;
  let valid = true;
  const latency = Histogram.create();
  for (const w of windows) {
    sent += w.sent;
    completed += w.completed;
    failed += w.failed;
    timedOut += w.timedOut;
    dropped += w.dropped;
    handled += handledOf(w);
    latency.merge(w.latency);
    if (w.connectorCpuPct !== undefined) {
      cpuSum += w.connectorCpuPct;
      cpuN++;
    }
    if (w.connectorRssBytes !== undefined) rssMax = Math.max(rssMax ?? 0, w.connectorRssBytes);
    if (w.connectorMemPct !== undefined) memMax = Math.max(memMax ?? 0, w.connectorMemPct);
    valid &&= w.harnessValid;
  }
  const minutes = (endMs - startMs) / MS_PER_MIN;
  const out: SoakAggregate = {
    startMs,
    endMs,
    sent,
    completed,
    failed,
    timedOut,
    dropped,
    errorRate: sent > 0 ? (failed + timedOut + dropped) / sent : 0,
    ratePerMin: minutes > 0 ? sent / minutes : 0,
    p50Ms: latency.percentileMs(50),
    p95Ms: latency.percentileMs(95),
    p99Ms: latency.percentileMs(99),
    handledWithinTarget: handled,
    handledShare: sent > 0 ? handled / sent : 0,
    harnessValid: valid,
  };
  if (cpuN > 0) out.connectorCpuMeanPct = cpuSum / cpuN;
  if (rssMax !== undefined) out.connectorRssMaxBytes = rssMax;
  if (memMax !== undefined) out.connectorMemMaxPct = memMax;
  return out;
}

/**
 * The per-minute volume rule: a minute is an anomaly when the flows finished in it fall outside
 * 70–130 % of what the schedule offered in it. The seed's band is "of the mean"; under a diurnal load
 * the mean that matters is the one the load itself asks for minute by minute, otherwise every night
 * and every peak would be flagged for following the profile it was given.
 */
export function volumeRule(
  expected: readonly number[],
  actual: readonly number[],
  fromMinute: number,
  toMinute: number,
  rules: SoakRules,
): VolumeRuleResult {
  let judged = 0;
  let outside = 0;
  const flagged: VolumeRuleResult['worst'] = [];
  const end = Math.min(toMinute, expected.length);
  for (let m = Math.max(0, fromMinute); m < end; m++) {
    const exp = expected[m] ?? 0;
    if (exp < rules.minExpectedPerMinute) continue;
    const act = actual[m] ?? 0;
    const ratio = act / exp;
    judged++;
    if (ratio < rules.volumeBandLow || ratio > rules.volumeBandHigh) {
      outside++;
      flagged.push({ minute: m, expected: exp, actual: act, ratio });
    }
  }
  flagged.sort((a, b) => Math.abs(b.ratio - 1) - Math.abs(a.ratio - 1) || a.minute - b.minute);
  return {
    minutesJudged: judged,
    minutesOutside: outside,
    shareOutside: judged > 0 ? outside / judged : 0,
    worst: flagged.slice(0, 10),
    passed: outside === 0,
  };
}

function ruleResults(
  agg: SoakAggregate,
  rules: SoakRules,
  perMinute: SoakAnalysisOptions['perMinute'],
  fromMs: number,
  toMs: number,
): SoakRuleResults {
  return {
    volume: perMinute
      ? volumeRule(
          perMinute.expected,
          perMinute.actual,
          Math.floor(fromMs / MS_PER_MIN),
          Math.ceil(toMs / MS_PER_MIN),
          rules,
        )
      : null,
    syncErrorRate: { value: agg.errorRate },
    handledWithinTarget: {
      share: agg.handledShare,
      limit: rules.minHandledShare,
      withinMs: rules.handledWithinMs,
      passed: agg.sent > 0 && agg.handledShare >= rules.minHandledShare,
    },
  };
}

function groupBy(windows: readonly SoakWindowInput[], sizeMs: number): Map<number, SoakWindowInput[]> {
  const groups = new Map<number, SoakWindowInput[]>();
  for (const w of windows) {
    const k = Math.floor(w.startMs / sizeMs);
    const g = groups.get(k);
    if (g) g.push(w);
    else groups.set(k, [w]);
  }
  return groups;
}

/** Least-squares slope of y over x (0 with fewer than two distinct x). */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) * (x - mx);
  }
  return den > 0 ? num / den : 0;
}

/**
 * Analyses a soak from its windows (any size that divides 4 h, e.g. 5 or 10 min of virtual time):
 * a load snapshot every 4 h, a section per 24 h day, p95 drift between the first and last snapshot,
 * connector memory growth, and the seed's monitoring rules per day and overall. Pure: the same
 * windows always give the same report, so `wacrm report` re-renders it from the journal.
 */
export function analyzeSoak(windows: readonly SoakWindowInput[], opts: SoakAnalysisOptions = {}): SoakReport {
  const rules: SoakRules = { ...defaultSoakRules, ...opts.rules };
  const snapshotMs = opts.snapshotEveryMs ?? 4 * MS_PER_HOUR;
  const dayMs = opts.dayMs ?? 24 * MS_PER_HOUR;
  if (!(snapshotMs > 0) || !(dayMs > 0)) throw new RangeError('snapshotEveryMs and dayMs must be > 0');
  const sorted = [...windows].sort((a, b) => a.startMs - b.startMs);
  const handledCache = new Map<SoakWindowInput, number>();
  for (const w of sorted) {
    handledCache.set(w, w.handledWithinTarget ?? w.latency.countAtOrBelowMs(rules.handledWithinMs));
  }
  const handledOf: HandledOf = (w) => handledCache.get(w) ?? 0;

  const snapshots = [...groupBy(sorted, snapshotMs).entries()].map(([index, ws]) => {
    const agg = aggregate(ws, handledOf);
    return { index, ...agg, startMs: index * snapshotMs, endMs: Math.max(agg.endMs, index * snapshotMs) };
  });

  const days: SoakDay[] = [...groupBy(sorted, dayMs).entries()].map(([k, ws]) => {
    const agg = aggregate(ws, handledOf);
    const fromMs = k * dayMs;
    const toMs = agg.endMs;
    let peak: number | null = null;
    if (opts.perMinute) {
      for (let m = Math.floor(fromMs / MS_PER_MIN); m < Math.ceil(toMs / MS_PER_MIN); m++) {
        peak = Math.max(peak ?? 0, opts.perMinute.actual[m] ?? 0);
      }
    }
    return {
      day: k + 1,
      ...agg,
      startMs: fromMs,
      peakMinuteVolume: peak,
      rules: ruleResults(agg, rules, opts.perMinute, fromMs, toMs),
    };
  });

  const overall = aggregate(sorted, handledOf);
  const first = snapshots[0];
  const last = snapshots[snapshots.length - 1];
  const firstP95 = first?.p95Ms ?? 0;
  const lastP95 = last?.p95Ms ?? 0;
  const ratio = first && last && first !== last ? ratioOrNull(lastP95, firstP95) : null;
  let sameTimeOfDay: SoakReport['drift']['sameTimeOfDay'] = null;
  if (first) {
    const slot = ((first.startMs % dayMs) + dayMs) % dayMs;
    const match = [...snapshots]
      .reverse()
      .find((s) => s !== first && ((s.startMs % dayMs) + dayMs) % dayMs === slot);
    if (match) {
      sameTimeOfDay = {
        firstP95Ms: first.p95Ms,
        lastP95Ms: match.p95Ms,
        ratio: ratioOrNull(match.p95Ms, first.p95Ms),
        lastStartMs: match.startMs,
      };
    }
  }

  const rssPoints = sorted
    .filter((w) => w.connectorRssBytes !== undefined)
    .map((w) => [w.endMs / MS_PER_HOUR, w.connectorRssBytes as number] as const);
  let memory: SoakReport['memory'] = null;
  const firstRss = rssPoints[0];
  const lastRss = rssPoints[rssPoints.length - 1];
  if (firstRss && lastRss) {
    const growth = lastRss[1] - firstRss[1];
    memory = {
      firstRssBytes: firstRss[1],
      lastRssBytes: lastRss[1],
      growthBytes: growth,
      growthPct: firstRss[1] > 0 ? (growth / firstRss[1]) * 100 : 0,
      slopeBytesPerHour: slope(rssPoints),
    };
  }

  return {
    overall,
    snapshots,
    days,
    drift: {
      firstP95Ms: firstP95,
      lastP95Ms: lastP95,
      ratio,
      sameTimeOfDay,
      limit: rules.maxP95DriftRatio,
      minGrowthMs: rules.minP95DriftMs,
      exceeded: ratio !== null && ratio > rules.maxP95DriftRatio && lastP95 - firstP95 > rules.minP95DriftMs,
    },
    memory,
    rules: ruleResults(overall, rules, opts.perMinute, overall.startMs, overall.endMs),
    harnessValid: overall.harnessValid,
    invalidWindows: sorted
      .filter((w) => !w.harnessValid)
      .map((w) => ({ startMs: w.startMs, endMs: w.endMs })),
  };
}
