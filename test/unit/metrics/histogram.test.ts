import { describe, expect, it } from 'vitest';
import { Histogram, HistogramDecodeError } from '../../../src/metrics/histogram.js';

describe('Histogram', () => {
  it('gives percentiles of ms values within 1 %', () => {
    const h = Histogram.of(Array.from({ length: 1000 }, (_, i) => i + 1));
    const s = h.summary();
    expect(s.count).toBe(1000);
    expect(s.min).toBe(1);
    expect(s.p50).toBeGreaterThanOrEqual(500);
    expect(s.p50).toBeLessThanOrEqual(500 * 1.01);
    expect(s.p95).toBeGreaterThanOrEqual(950);
    expect(s.p95).toBeLessThanOrEqual(950 * 1.01);
    expect(s.p99).toBeGreaterThanOrEqual(990);
    expect(s.max).toBeGreaterThanOrEqual(1000);
    expect(s.max).toBeLessThanOrEqual(1010);
    expect(s.mean).toBeCloseTo(500.5, 0);
  });

  it('resolves single µs below 0.256 ms and stays within 1 % above', () => {
    const h = Histogram.of([0.25, 0.25, 0.001, 1.234]);
    expect(h.minMs).toBe(0.001);
    expect(h.percentileMs(50)).toBe(0.25);
    expect(h.maxMs).toBeGreaterThanOrEqual(1.234);
    expect(h.maxMs).toBeLessThan(1.234 * 1.01);
  });

  it('is all zeros when empty, and encodes as an empty string that decodes back to empty', () => {
    const h = Histogram.create();
    expect(h.summary()).toEqual({ count: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0 });
    expect(h.encode()).toBe('');
    expect(Histogram.decode('').count).toBe(0);
  });

  it('round-trips through encode/decode with the same summary', () => {
    const h = Histogram.of(Array.from({ length: 5000 }, (_, i) => (i % 97) * 13.7 + 0.5));
    const text = h.encode();
    expect(typeof text).toBe('string');
    expect(text.length).toBeLessThan(4000);
    expect(Histogram.decode(text).summary()).toEqual(h.summary());
  });

  it('merges: two halves give the same percentiles as the whole', () => {
    const values = Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 2000) + 1);
    const whole = Histogram.of(values);
    const a = Histogram.of(values.slice(0, 1000));
    const b = Histogram.of(values.slice(1000));
    const merged = Histogram.merged([a, Histogram.decode(b.encode())]);
    expect(merged.summary()).toEqual(whole.summary());
    // merge() does not change its argument.
    expect(a.count).toBe(1000);
    const copy = a.clone();
    copy.record(5);
    expect(a.count).toBe(1000);
    expect(copy.count).toBe(1001);
  });

  it('counts bad values instead of throwing, and clamps negative jitter to 0', () => {
    const h = Histogram.create();
    h.record(Number.NaN);
    h.record(Number.POSITIVE_INFINITY);
    h.record(-0.4);
    h.recordCount(10, 3);
    expect(h.rejected).toBe(2);
    expect(h.count).toBe(4);
    expect(h.minMs).toBe(0);
    h.reset();
    expect(h.count).toBe(0);
    expect(h.rejected).toBe(0);
  });

  it('handles latencies from 1 µs to hours', () => {
    const h = Histogram.of([0.001, 3_600_000 * 5]);
    expect(h.minMs).toBe(0.001);
    expect(h.maxMs).toBeGreaterThanOrEqual(18_000_000);
    expect(h.maxMs).toBeLessThan(18_000_000 * 1.01);
  });

  it('counts values at or below a limit (handled within 20 s)', () => {
    const h = Histogram.of([100, 5000, 19_000, 20_000, 20_500, 60_000]);
    expect(h.countAtOrBelowMs(20_000)).toBe(4);
    expect(h.countAtOrBelowMs(50)).toBe(0);
    expect(h.countAtOrBelowMs(1e9)).toBe(6);
    expect(Histogram.create().countAtOrBelowMs(1)).toBe(0);
  });

  it('refuses text that is not an encoded histogram with a named error', () => {
    expect(() => Histogram.decode('bm90IGEgaGlzdG9ncmFt')).toThrow(HistogramDecodeError);
    expect(() => Histogram.decode(42 as unknown as string)).toThrow(/must be a string/);
  });

  it('stays small: a window histogram of a few thousand latencies is tens of KB at most', () => {
    const h = Histogram.of(Array.from({ length: 3000 }, (_, i) => 50 + (i % 500) * 3));
    expect(h.footprintBytes).toBeLessThan(64 * 1024);
  });
});
