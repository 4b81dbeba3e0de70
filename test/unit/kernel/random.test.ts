import { describe, expect, it } from 'vitest';
import { chance, createRng, pick } from '../../../kernel/random.js';

describe('createRng', () => {
  it('is reproducible for a seed and differs between seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    const seqB = Array.from({ length: 20 }, () => b.next());
    const seqC = Array.from({ length: 20 }, () => c.next());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
  });

  it('stays in [0,1) and is roughly uniform', () => {
    const rng = createRng(7);
    const bins = new Array(10).fill(0);
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const v = rng.next();
      expect(v >= 0 && v < 1).toBe(true);
      bins[Math.floor(v * 10)]++;
    }
    // Each bin expects 2000 with sd ≈ 42: ±250 is > 5 sd, so only a broken generator fails.
    for (const count of bins) expect(Math.abs(count - n / 10)).toBeLessThan(250);
  });

  it('accepts seed 0, negative and fractional seeds, and rejects NaN', () => {
    expect(createRng(0).next()).not.toBe(createRng(1).next());
    expect(createRng(-5).next()).toBeGreaterThanOrEqual(0);
    expect(createRng(1.5).next()).toBeLessThan(1);
    expect(() => createRng(Number.NaN)).toThrow(RangeError);
  });
});

describe('pick and chance', () => {
  it('pick reaches every item and throws on an empty list', () => {
    const rng = createRng(1);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(pick(rng, ['a', 'b', 'c']));
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
    expect(() => pick(rng, [])).toThrow(/at least one/);
  });

  it('chance respects the probability and its edges without drawing', () => {
    const rng = createRng(3);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (chance(rng, 0.3)) hits++;
    expect(hits).toBeGreaterThan(2_800);
    expect(hits).toBeLessThan(3_200);
    const counting = {
      calls: 0,
      next(): number {
        this.calls++;
        return 0.5;
      },
    };
    expect(chance(counting, 0)).toBe(false);
    expect(chance(counting, 1)).toBe(true);
    expect(chance(counting, Number.NaN)).toBe(false);
    expect(counting.calls).toBe(0);
  });
});
