/** A source of uniform numbers in [0, 1); every random decision in the mocks goes through one. */
export interface Rng {
  /** Next uniform number in [0, 1). */
  next(): number;
}

/**
 * Seeded, reproducible generator (sfc32, state expanded from the seed with splitmix32). sfc32 passes
 * PractRand well beyond what a test run draws, costs a few integer ops, and any 32-bit seed gives an
 * independent-looking stream, so seeds 1, 2, 3 are fine to use.
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  // Fold fractional and large seeds into 32 bits so every finite number is a valid seed.
  let s = (Math.trunc(seed) ^ Math.trunc(seed / 0x1_0000_0000)) >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = 1;
  const next32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // Discard the first outputs: sfc32 mixes its state over its first dozen rounds.
  for (let i = 0; i < 12; i++) next32();
  return { next: () => next32() / 0x1_0000_0000 };
}

/** One element of `items`, uniformly; throws a RangeError on an empty list (a caller bug). */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick() needs at least one item');
  return items[Math.floor(rng.next() * items.length)] as T;
}

/**
 * True with probability `p`. p ≤ 0 is always false and p ≥ 1 always true, without drawing, so a
 * rule at rate 1 does not shift the stream of the rules after it.
 */
export function chance(rng: Rng, p: number): boolean {
  if (!(p > 0)) return false;
  if (p >= 1) return true;
  return rng.next() < p;
}
