import type { FlowTrace } from '../flows/types.js';
import { fmt, type Measure } from './measures.js';

/**
 * Censored latency. A flow that never completed has a latency of at least its deadline; leaving it
 * out of the percentile (as counting only completed flows does) lets a connector that lost most of
 * its traffic grade as fast. Like wrk2 counting requests from their intended start, every flow that
 * was sent enters the percentile: completed ones with their measured latency, the others ranked
 * above every measured value (their true latency is unknown and may be infinite). When the rank of
 * the percentile falls among them, the percentile is "> deadline": it can only prove a failure.
 */

/** Above this share of never-completed flows a p95 is worse than any threshold (issue #18). */
export const CENSORED_FAIL_SHARE = 0.05;

/** A percentile over completed and never-completed flows. */
export interface CensoredPercentile {
  /** The percentile in ms; when `censored`, the deadline (the true value is above it). */
  valueMs: number;
  /** The percentile's rank fell among flows that never completed (or too many never did). */
  censored: boolean;
  /** Flows that entered the percentile. */
  total: number;
  /** Of them, flows that never completed within the run. */
  neverCompleted: number;
}

/**
 * Nearest-rank percentile (p in 0..100) over `completedMs` plus `neverCompleted` flows censored at
 * `deadlineMs`; null when there is no flow at all. Over more than {@link CENSORED_FAIL_SHARE} of
 * never-completed flows a p ≥ 95 is censored whatever the rank says.
 */
export function censoredPercentile(
  completedMs: readonly number[],
  neverCompleted: number,
  deadlineMs: number,
  p: number,
): CensoredPercentile | null {
  const total = completedMs.length + neverCompleted;
  if (total === 0) return null;
  const rank = Math.min(total, Math.max(1, Math.ceil((p / 100) * total)));
  const tooMany = p >= 95 && neverCompleted / total > CENSORED_FAIL_SHARE;
  if (rank > completedMs.length || tooMany) {
    return { valueMs: deadlineMs, censored: true, total, neverCompleted };
  }
  const sorted = [...completedMs].sort((a, b) => a - b);
  return { valueMs: sorted[rank - 1] as number, censored: false, total, neverCompleted };
}

/**
 * Splits flows into measured latencies (where `latencyOf` gives one) and a count of flows that
 * never got there. Dropped flows (never sent: the harness's own shortfall) are left out.
 */
export function latenciesWithCensored(
  flows: readonly FlowTrace[],
  latencyOf: (f: FlowTrace) => number | undefined,
): { completedMs: number[]; neverCompleted: number } {
  const completedMs: number[] = [];
  let neverCompleted = 0;
  for (const f of flows) {
    if (f.state === 'dropped') continue;
    const v = latencyOf(f);
    if (v === undefined) neverCompleted++;
    else completedMs.push(v);
  }
  return { completedMs, neverCompleted };
}

/**
 * A p95 measure in seconds over flows, censored at the deadline. `what` names the measured span
 * (e.g. "customer message → CRM record"), `unit` the flows ("messages"). Null without flows.
 */
export function censoredP95Measure(
  flows: readonly FlowTrace[],
  latencyOf: (f: FlowTrace) => number | undefined,
  deadlineMs: number,
  what: string,
  unit: string,
): Measure | null {
  const { completedMs, neverCompleted } = latenciesWithCensored(flows, latencyOf);
  const c = censoredPercentile(completedMs, neverCompleted, deadlineMs, 95);
  if (c === null) return null;
  const share = neverCompleted / c.total;
  const tail =
    neverCompleted === 0
      ? ''
      : `; ${neverCompleted} (${fmt(share * 100, 1)} %) never completed and count as > ${fmt(deadlineMs / 1000, 1)} s (the deadline)`;
  return {
    value: c.valueMs / 1000,
    evidence: `p95 of ${what} over ${c.total} ${unit}${tail}`,
    ...(c.censored ? { atLeast: true } : {}),
  };
}
