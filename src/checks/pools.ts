import type { FlowTrace } from '../flows/types.js';
import { Histogram } from '../metrics/histogram.js';
import { CENSORED_FAIL_SHARE } from './censored.js';
import { fmt, type Measure } from './measures.js';
import { fullyRecorded } from './suites.js';

/**
 * The one metrics path of the run-wide completeness and sync latency. A functional suite hands
 * back a pool (counts and an encoded HDR histogram per direction) instead of raw latencies; the
 * run result is always built by merging pools, whether they come from this process or from the
 * journal of a process that died (`wacrm resume`) — as autocannon merges its workers' histograms.
 * A fresh and a resumed run therefore compute the same p95 from the same flows.
 */
export interface FunctionalPool {
  /** Flows that should have reached the CRM (consent-forbidden sends and dropped arrivals excluded). */
  planned: { outbound: number; inbound: number };
  /** Of them, fully recorded in the CRM. */
  recorded: { outbound: number; inbound: number };
  /**
   * Histogram.encode() of the sync latencies of the planned flows that synced, per direction; the
   * planned flows missing from it never synced (censored at the deadline when merged).
   */
  latency: { outbound: string; inbound: string };
}

/** The pool of a functional suite's flows. */
export function poolOf(flows: readonly FlowTrace[]): FunctionalPool {
  const planned = flows.filter((f) => f.outbound?.sendAllowed !== false && f.state !== 'dropped');
  const dir = (d: string) => planned.filter((f) => f.direction === d);
  const synced = (fs: readonly FlowTrace[]) =>
    Histogram.of(fs.flatMap((f) => (f.syncLatencyMs === undefined ? [] : [f.syncLatencyMs])));
  return {
    planned: { outbound: dir('outbound').length, inbound: dir('inbound').length },
    recorded: {
      outbound: dir('outbound').filter(fullyRecorded).length,
      inbound: dir('inbound').filter(fullyRecorded).length,
    },
    latency: {
      outbound: synced(dir('outbound')).encode(),
      inbound: synced(dir('inbound')).encode(),
    },
  };
}

/**
 * p95 (or any p) over a pool: the synced latencies in `synced`, plus `neverSynced` flows ranked above
 * every measured value (censored at the deadline, see checks/censored.ts). Censored when the rank
 * falls among them, or when more than {@link CENSORED_FAIL_SHARE} never synced (p ≥ 95).
 */
export function pooledPercentile(
  synced: Histogram,
  neverSynced: number,
  deadlineMs: number,
  p: number,
): { valueMs: number; censored: boolean; total: number } | null {
  const total = synced.count + neverSynced;
  if (total === 0) return null;
  const rank = Math.min(total, Math.max(1, Math.ceil((p / 100) * total)));
  const tooMany = p >= 95 && neverSynced / total > CENSORED_FAIL_SHARE;
  if (rank > synced.count || tooMany) return { valueMs: deadlineMs, censored: true, total };
  // The rank-th smallest measured value: the histogram's percentile at rank / count.
  return { valueMs: synced.percentileMs((rank / synced.count) * 100), censored: false, total };
}

/**
 * Record completeness and the sync-latency p95 of the whole run, both ways, from merged pools.
 * Null entries when no flow was planned.
 */
export function functionalMetrics(
  pools: readonly FunctionalPool[],
  deadlineMs: number,
): { record_completeness?: Measure; sync_latency_p95_s?: Measure } {
  const sum = (f: (p: FunctionalPool) => number) => pools.reduce((a, p) => a + f(p), 0);
  const plannedOut = sum((p) => p.planned.outbound);
  const plannedIn = sum((p) => p.planned.inbound);
  const planned = plannedOut + plannedIn;
  if (planned === 0) return {};
  const recordedOut = sum((p) => p.recorded.outbound);
  const recordedIn = sum((p) => p.recorded.inbound);
  const out = Histogram.merged(pools.map((p) => Histogram.decode(p.latency.outbound)));
  const inb = Histogram.merged(pools.map((p) => Histogram.decode(p.latency.inbound)));
  const both = Histogram.merged([out, inb]);
  const neverOut = Math.max(0, plannedOut - out.count);
  const neverIn = Math.max(0, plannedIn - inb.count);
  const metrics: { record_completeness?: Measure; sync_latency_p95_s?: Measure } = {
    record_completeness: {
      value: (recordedOut + recordedIn) / planned,
      evidence:
        `${recordedOut + recordedIn} of ${planned} flows fully recorded in the CRM ` +
        `(outbound ${recordedOut}/${plannedOut}, inbound ${recordedIn}/${plannedIn})`,
    },
  };
  const p95 = pooledPercentile(both, neverOut + neverIn, deadlineMs, 95);
  if (p95 !== null) {
    const side = (h: Histogram, never: number) => {
      const m = pooledPercentile(h, never, deadlineMs, 95);
      return m === null ? 'n/a' : `${m.censored ? '> ' : ''}${fmt(m.valueMs / 1000, 3)} s`;
    };
    const never = neverOut + neverIn;
    metrics.sync_latency_p95_s = {
      value: p95.valueMs / 1000,
      evidence:
        `p95 of sync over ${p95.total} flows both ways` +
        (never > 0
          ? `; ${never} (${fmt((never / p95.total) * 100, 1)} %) never synced and count as > ${fmt(deadlineMs / 1000, 1)} s (the deadline)`
          : '') +
        `: outbound ${side(out, neverOut)}, inbound ${side(inb, neverIn)}`,
      ...(p95.censored ? { atLeast: true } : {}),
    };
  }
  return metrics;
}
