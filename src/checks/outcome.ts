import type { FlowTrace } from '../flows/types.js';

/**
 * How one flow ended, as every suite, the soak ledger and the report count it. One classifier, so
 * a flow is never counted twice (failed and late) nor completed in one table and timed out in
 * another:
 * - `dropped`: the harness could not start it (open model: in-flight cap, lag) — the harness's fault;
 * - `failed`: the connector or a mock refused it (a WhatsApp error, a refused event, a forbidden send);
 *   a failed flow stays failed even if a sync hop arrives later;
 * - `completed`: it reached the CRM (its sync hop) within the deadline; a flow whose right outcome is
 *   no send (consent) completes when the connector logs the refusal;
 * - `late`: it reached the CRM, but after the deadline;
 * - `lost`: the deadline passed (or the run ended) and it never reached the CRM;
 * - `pending`: still in flight and younger than its deadline (only before the final look).
 */
export type FlowOutcome = 'completed' | 'late' | 'failed' | 'lost' | 'dropped' | 'pending';

/** The outcome of a flow and the latency it contributes to a latency pool (null: none). */
export interface ClassifiedFlow {
  outcome: FlowOutcome;
  /**
   * Latency for a histogram: the sync latency when it synced; a flow that never did counts at least
   * its deadline (or its age, while pending), so an overloaded window never looks fast. Null for
   * dropped flows (nothing ran).
   */
  latencyMs: number | null;
}

/** When the flow reached the CRM (its sync hop), from its intended start; undefined while it has not. */
export function doneLatencyMs(f: FlowTrace): number | undefined {
  if (f.syncLatencyMs !== undefined) return f.syncLatencyMs;
  // A flow whose right outcome is no send completes without a sync hop (the refusal is logged).
  if (f.state === 'complete' && f.completedAtMs !== undefined) return f.completedAtMs - f.intendedAtMs;
  return undefined;
}

/**
 * Classifies one flow against its deadline. `atMs` is when we look (harness clock); with `final`
 * (the suite is over) a flow still pending is lost, otherwise it is pending until its deadline.
 */
export function classifyFlow(
  f: FlowTrace,
  deadlineMs: number,
  look: { atMs?: number; final?: boolean } = {},
): ClassifiedFlow {
  if (f.state === 'dropped') return { outcome: 'dropped', latencyMs: null };
  if (f.state === 'failed') return { outcome: 'failed', latencyMs: deadlineMs };
  const done = doneLatencyMs(f);
  if (done !== undefined) return { outcome: done <= deadlineMs ? 'completed' : 'late', latencyMs: done };
  const final = look.final ?? true;
  const age = look.atMs === undefined ? Number.POSITIVE_INFINITY : look.atMs - f.intendedAtMs;
  if (final || age > deadlineMs) {
    return { outcome: 'lost', latencyMs: Number.isFinite(age) ? Math.max(deadlineMs, age) : deadlineMs };
  }
  // Still in flight: its age is a lower bound of its latency (a live judgement must not look fast).
  return { outcome: 'pending', latencyMs: age };
}

/** Flow counts of a suite, one per outcome (`sent` counts every arrival, dropped ones included). */
export interface FlowCounts {
  sent: number;
  completed: number;
  failed: number;
  lost: number;
  dropped: number;
  late: number;
}

/** Counts flows by {@link classifyFlow} at the end of a suite. */
export function countFlows(flows: readonly FlowTrace[], deadlineMs: number): FlowCounts {
  const c: FlowCounts = { sent: flows.length, completed: 0, failed: 0, lost: 0, dropped: 0, late: 0 };
  for (const f of flows) {
    const { outcome } = classifyFlow(f, deadlineMs);
    if (outcome === 'pending') c.lost++;
    else c[outcome]++;
  }
  return c;
}

/** Errors of a load window: everything that did not complete in time (failed, late, lost, dropped). */
export function errorCount(c: Pick<FlowCounts, 'failed' | 'late' | 'lost' | 'dropped'>): number {
  return c.failed + c.late + c.lost + c.dropped;
}
