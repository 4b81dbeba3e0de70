import type { AcceptanceTable } from '../config/acceptance.js';

/**
 * The soak's sync-error rule, judged from its one home: the `soak_sync_error_rate` row of the
 * acceptance table. The soak measures the rate; this module states the rule and its verdict from
 * the row, so editing the table changes both the grade and the rule's text in the report.
 */

/** The acceptance table's key for the soak's sync error rate. */
export const SOAK_SYNC_ERROR_KEY = 'soak_sync_error_rate';

/** The pass mark of the rule: a ratio, and whether the mark itself passes. */
export interface SyncErrorLimit {
  threshold: number;
  inclusive: boolean;
}

/** One soak rule as the report lists it. */
export interface SoakRuleLine {
  rule: string;
  passed: boolean;
  evidence: string;
}

/** The limit from the acceptance table, or null when the table has no such row (then nothing is judged). */
export function syncErrorLimit(table: AcceptanceTable): SyncErrorLimit | null {
  const row = table.checks[SOAK_SYNC_ERROR_KEY];
  return row ? { threshold: row.threshold, inclusive: row.inclusive } : null;
}

/** Percent text without float noise: 0.005 → "0.5", 0.0125 → "1.25". */
function percent(ratio: number): string {
  return String(Number((ratio * 100).toPrecision(6)));
}

/** Whether `value` meets the limit (an error rate: lower is better). */
export function meetsSyncErrorLimit(value: number, limit: SyncErrorLimit): boolean {
  return limit.inclusive ? value <= limit.threshold : value < limit.threshold;
}

/** The rule's line for the report: text from the limit, verdict from the measured rate over `sent` flows. */
export function syncErrorRule(value: number, sent: number, limit: SyncErrorLimit): SoakRuleLine {
  return {
    rule: `sync error rate ${limit.inclusive ? '≤' : '<'} ${percent(limit.threshold)} %`,
    passed: meetsSyncErrorLimit(value, limit),
    evidence: `${Number((value * 100).toFixed(3))} % of ${sent} flows failed, timed out or were dropped`,
  };
}
