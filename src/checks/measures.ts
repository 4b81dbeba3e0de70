import type { FlowTrace, HopName } from '../flows/types.js';

/**
 * Small pure helpers the suites share: hop lookups, nearest-rank percentiles, ratios. Suites
 * judge a handful of thousands of flows, so exact percentiles over sorted arrays are cheap and
 * need no histogram; the load engine uses HDR histograms for the millions of a soak.
 */

/** The first hop of this name, if the flow reached it. */
export function hop(flow: FlowTrace, name: HopName): number | undefined {
  for (const h of flow.hops) if (h.name === name) return h.atMs;
  return undefined;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least p % of the values at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** n / d, or null when d is 0 (nothing to judge is not a perfect score). */
export function ratio(n: number, d: number): number | null {
  return d === 0 ? null : n / d;
}

/** A measured value with the evidence a person needs to trust or question it. */
export interface Measure {
  value: number;
  evidence: string;
  /** The true value is at least `value` and was never reached (it can only prove a failure). */
  atLeast?: boolean;
}

/** Rounds for evidence strings. */
export function fmt(v: number | null, digits = 4): string {
  if (v === null) return 'n/a';
  return Number.isInteger(v) ? String(v) : v.toFixed(digits).replace(/0+$/, '').replace(/\.$/, '');
}

/** Lists up to `max` examples as `id (detail)` for evidence. */
export function examples(flows: readonly FlowTrace[], detail: (f: FlowTrace) => string, max = 3): string {
  if (flows.length === 0) return '';
  const shown = flows.slice(0, max).map((f) => `${f.flowId} (${detail(f)})`);
  return ` e.g. ${shown.join('; ')}${flows.length > max ? ` and ${flows.length - max} more` : ''}`;
}

/** The statuses of an outbound flow that WhatsApp emitted and the CRM stored. */
export function statusWriteback(flow: FlowTrace): { emitted: number; stored: number } {
  let emitted = 0;
  let stored = 0;
  for (const s of ['sent', 'delivered', 'read', 'failed'] as const) {
    if (hop(flow, `wa.status.${s}`) === undefined) continue;
    emitted++;
    if (hop(flow, `crm.status.${s}`) !== undefined) stored++;
  }
  return { emitted, stored };
}
