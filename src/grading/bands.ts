import type { Direction } from '../config/acceptance.js';

/** The band of a graded metric, worst to best; `not_measured` when the run did not measure it. */
export type Band = 'fail' | 'qualified' | 'average' | 'best' | 'not_measured';

/** Bands in order, worst first (not_measured is outside the order). */
export const BANDS_WORST_FIRST = ['fail', 'qualified', 'average', 'best'] as const;

/** Rank of a band for comparisons: fail 0 … best 3; not_measured -1. */
export function bandRank(band: Band): number {
  return band === 'not_measured' ? -1 : BANDS_WORST_FIRST.indexOf(band);
}

/**
 * Relative tolerance of threshold comparisons. Measured ratios come out of divisions and sums
 * (0.1 + 0.2 ≠ 0.3), so a value that prints as the threshold must count as the threshold.
 */
export const THRESHOLD_EPSILON = 1e-9;

function tolerance(threshold: number): number {
  return THRESHOLD_EPSILON * Math.max(1, Math.abs(threshold));
}

/** True when `value` is at least as good as `threshold` (≥ for higher-is-better, ≤ for lower). */
export function atLeastAsGood(value: number, threshold: number, direction: Direction): boolean {
  const tol = tolerance(threshold);
  return direction === 'higher' ? value >= threshold - tol : value <= threshold + tol;
}

/** True when `value` is strictly better than `threshold` (> or <), beyond rounding noise. */
export function strictlyBetter(value: number, threshold: number, direction: Direction): boolean {
  const tol = tolerance(threshold);
  return direction === 'higher' ? value > threshold + tol : value < threshold - tol;
}

/**
 * The band of a measured value: best when at least as good as the industry best, average when at
 * least as good as the average actual, qualified when at least as good as the pass mark, else fail.
 * A value that is not a finite number is a fail (the grader cannot vouch for it).
 */
export function bandFor(
  value: number,
  thresholds: { qualified: number; average: number; best: number },
  direction: Direction,
): Exclude<Band, 'not_measured'> {
  if (!Number.isFinite(value)) return 'fail';
  if (atLeastAsGood(value, thresholds.best, direction)) return 'best';
  if (atLeastAsGood(value, thresholds.average, direction)) return 'average';
  if (atLeastAsGood(value, thresholds.qualified, direction)) return 'qualified';
  return 'fail';
}

/** Whether a check passes: inclusive thresholds pass at the threshold itself, exclusive ones must beat it. */
export function checkPasses(
  value: number,
  threshold: number,
  direction: Direction,
  inclusive: boolean,
): boolean {
  if (!Number.isFinite(value)) return false;
  return inclusive ? atLeastAsGood(value, threshold, direction) : strictlyBetter(value, threshold, direction);
}

/** The comparison a check or pass mark applies, as a symbol: ≥ > ≤ <. */
export function comparator(direction: Direction, inclusive: boolean): string {
  if (direction === 'higher') return inclusive ? '≥' : '>';
  return inclusive ? '≤' : '<';
}
