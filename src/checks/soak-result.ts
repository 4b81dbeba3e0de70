import { analyzeSoak, type SoakWindowInput } from '../load/soak.js';
import type { EncodedSoakWindow } from '../load/soak-ledger.js';
import { Histogram } from '../metrics/histogram.js';
import type { SoakResult } from '../report/model.js';
import { fmt } from './measures.js';
import { type SyncErrorLimit, syncErrorRule } from './soak-sync-error.js';

const HOUR_MS = 3_600_000;

/** What {@link judgeSoak} needs besides the ledger's closed windows. */
export interface SoakJudgeOptions {
  timeScale: number;
  virtualDurationMs: number;
  /** Whether a virtual time (ms from the soak's start) falls in a local peak. */
  isPeak: (virtualMs: number) => boolean;
  /** The acceptance table's sync-error limit (its one home); null: the rule is not listed. */
  syncErrorLimit: SyncErrorLimit | null;
  gaps: NonNullable<SoakResult['gaps']>;
}

/**
 * Judges a soak from its closed windows alone (what the journal keeps, so a resumed soak is judged
 * the same way): the windows on the virtual axis, the 4-hour snapshots and days, p95 drift, memory
 * growth and the seed's monitoring rules; latencies stay real (the connector worked in real time).
 */
export function judgeSoak(
  closed: readonly EncodedSoakWindow[],
  opts: SoakJudgeOptions,
): { soak: SoakResult; syncErrorRate: number; sent: number } {
  const inputs: SoakWindowInput[] = closed.map((w) => ({
    startMs: w.startMs,
    endMs: w.endMs,
    latency: Histogram.decode(w.latency),
    sent: w.sent,
    completed: w.completed,
    failed: w.failed,
    timedOut: w.timedOut,
    dropped: w.dropped,
    ...(w.rssMaxBytes !== undefined ? { connectorRssBytes: w.rssMaxBytes } : {}),
    harnessValid: w.harnessValid,
  }));
  const report = analyzeSoak(inputs, { snapshotEveryMs: 4 * HOUR_MS, dayMs: 24 * HOUR_MS });
  const r = report.rules;
  const soak: SoakResult = {
    timeScale: opts.timeScale,
    virtualDurationMs: opts.virtualDurationMs,
    windows: inputs.map((w) => ({
      startMs: w.startMs,
      endMs: w.endMs,
      sent: w.sent,
      completed: w.completed,
      errorRate: w.sent > 0 ? (w.failed + w.timedOut + w.dropped) / w.sent : 0,
      p95Ms: w.latency.count > 0 ? w.latency.percentileMs(95) : null,
      ...(w.connectorRssBytes !== undefined ? { connectorRssBytes: w.connectorRssBytes } : {}),
      isPeak: opts.isPeak((w.startMs + w.endMs) / 2),
    })),
    p95DriftMs: report.drift.lastP95Ms - report.drift.firstP95Ms,
    memoryGrowthBytes: report.memory ? report.memory.growthBytes : null,
    rules: [
      ...(opts.syncErrorLimit
        ? [syncErrorRule(r.syncErrorRate.value, report.overall.sent, opts.syncErrorLimit)]
        : []),
      {
        rule: `≥ 85 % handled within ${r.handledWithinTarget.withinMs / 1000} s`,
        passed: r.handledWithinTarget.passed,
        evidence: `${fmt(r.handledWithinTarget.share * 100, 2)} % handled in time`,
      },
      {
        rule: `p95 drift first → last snapshot ≤ ×${report.drift.limit} (or under +${report.drift.minGrowthMs} ms)`,
        passed: !report.drift.exceeded,
        evidence: `p95 ${fmt(report.drift.firstP95Ms, 0)} ms → ${fmt(report.drift.lastP95Ms, 0)} ms`,
      },
      ...(r.volume
        ? [
            {
              rule: 'per-minute volume within 70–130 % of the expected',
              passed: r.volume.passed,
              evidence: `${r.volume.minutesOutside} of ${r.volume.minutesJudged} minutes outside the band`,
            },
          ]
        : []),
    ],
    ...(opts.gaps.length > 0 ? { gaps: opts.gaps } : {}),
  };
  return { soak, syncErrorRate: r.syncErrorRate.value, sent: report.overall.sent };
}
