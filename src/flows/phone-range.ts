/**
 * A share of the phone-number space: the numbers whose E.164 digits, read as an integer, leave
 * `index` when divided by `count`. Two ranges of the same `count` with different indexes share no
 * number, whatever country prefixes and lengths the planners draw from, so the suites of one run
 * can each plan customers in their own range and never plan the same phone twice.
 */
export interface PhoneRange {
  index: number;
  count: number;
}

/** Every number (one range of one). */
export const WHOLE_RANGE: PhoneRange = { index: 0, count: 1 };

function checkRange(r: PhoneRange): void {
  if (
    !Number.isInteger(r.count) ||
    r.count < 1 ||
    !Number.isInteger(r.index) ||
    r.index < 0 ||
    r.index >= r.count
  ) {
    throw new RangeError(`bad phone range ${r.index} of ${r.count}`);
  }
}

/** Whether a number (E.164 with or without `+`) lies in the range. */
export function inRange(e164: string, range: PhoneRange): boolean {
  const digits = e164.replace(/\D/g, '');
  // E.164 has at most 15 digits, below 2^53: the integer is exact.
  return Number(digits) % range.count === range.index;
}

/**
 * Part `part` of `parts` disjoint sub-ranges of a range (a source that plans batch after batch gives
 * each batch its own part): residue index + count × part modulo count × parts.
 */
export function subRange(range: PhoneRange, part: number, parts: number): PhoneRange {
  checkRange(range);
  const p = ((part % parts) + parts) % parts;
  return { index: range.index + range.count * p, count: range.count * parts };
}

/**
 * Moves a drawn tail (the free digits after a fixed prefix) to the nearest tail above it whose full
 * number lies in the range, wrapping within the tail's digits; undefined when the tail has too few
 * digits to reach every residue. Only the tail changes, so the prefix (country, mobile range) stays.
 */
export function tailInRange(prefix: string, tail: string, range: PhoneRange): string | undefined {
  checkRange(range);
  const span = 10 ** tail.length;
  if (range.count > span) return undefined;
  const value = Number(prefix.replace(/\D/g, '') + tail);
  const shift = (((range.index - (value % range.count)) % range.count) + range.count) % range.count;
  let moved = Number(tail) + shift;
  // Subtracting whole multiples of count keeps the residue; count ≤ span keeps the tail ≥ 0.
  if (moved >= span) moved -= range.count * Math.ceil((moved - span + 1) / range.count);
  return String(moved).padStart(tail.length, '0');
}

/** The two ranges of one suite: customers its CRM events go to, and customers who write in. */
export interface SuitePhoneRanges {
  outbound: PhoneRange;
  inbound: PhoneRange;
}

/**
 * The ranges of suite `suiteIndex` of a run of `suiteCount` suites: 2 × suiteCount ranges, two per
 * suite, rotated by the seed (another seed puts each suite in other numbers, the same seed in the
 * same ones, so a resumed soak plans the numbers the dead process planned).
 */
export function suitePhoneRanges(suiteIndex: number, suiteCount: number, seed: number): SuitePhoneRanges {
  const count = 2 * Math.max(suiteCount, suiteIndex + 1, 1);
  const rotation = ((Math.trunc(seed) % count) + count) % count;
  return {
    outbound: { index: (2 * suiteIndex + rotation) % count, count },
    inbound: { index: (2 * suiteIndex + 1 + rotation) % count, count },
  };
}
