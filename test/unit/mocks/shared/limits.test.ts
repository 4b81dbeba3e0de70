import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../kernel/clock.js';
import {
  KeyedTokenBuckets,
  SlidingWindowCounter,
  TokenBucket,
  UniqueKeysWindow,
} from '../../../../mocks/shared/limits.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    const clock = new VirtualClock();
    const b = new TokenBucket(clock, 80, 80);
    for (let i = 0; i < 80; i++) expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(false);
    expect(b.retryAfterMs()).toBe(13); // 1 token at 80/s = 12.5 ms
    clock.advance(12);
    expect(b.tryTake()).toBe(false);
    clock.advance(1);
    expect(b.tryTake()).toBe(true);
    clock.advance(10_000);
    let taken = 0;
    while (b.tryTake() && taken < 1000) taken++;
    expect(taken).toBe(80); // never more than the burst, however long it idled
  });

  it('sustains exactly the rate over time', () => {
    const clock = new VirtualClock();
    const b = new TokenBucket(clock, 10, 1);
    let ok = 0;
    for (let ms = 0; ms < 10_000; ms += 10) {
      if (b.tryTake()) ok++;
      clock.advance(10);
    }
    expect(ok).toBe(100);
  });

  it('takes n tokens at once and reports impossible requests', () => {
    const clock = new VirtualClock();
    const b = new TokenBucket(clock, 1, 5);
    expect(b.tryTake(5)).toBe(true);
    expect(b.retryAfterMs(2)).toBe(2000);
    expect(b.retryAfterMs(6)).toBe(Number.POSITIVE_INFINITY);
    expect(b.tryTake(6)).toBe(false);
    expect(() => new TokenBucket(clock, 0, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(clock, 1, Number.NaN)).toThrow(RangeError);
  });
});

describe('KeyedTokenBuckets', () => {
  it('limits each key on its own (pair rate limit)', () => {
    const clock = new VirtualClock();
    const pairs = new KeyedTokenBuckets(clock, 1 / 6, 3);
    for (let i = 0; i < 3; i++) expect(pairs.tryTake('a')).toBe(true);
    expect(pairs.tryTake('a')).toBe(false);
    expect(pairs.retryAfterMs('a')).toBe(6000);
    expect(pairs.tryTake('b')).toBe(true);
    expect(pairs.retryAfterMs('b')).toBe(0);
    expect(pairs.retryAfterMs('never-seen')).toBe(0);
    clock.advance(6000);
    expect(pairs.tryTake('a')).toBe(true);
    expect(pairs.tryTake('a')).toBe(false);
  });

  it('evicts idle keys so memory stays bounded over a long soak', () => {
    const clock = new VirtualClock();
    const pairs = new KeyedTokenBuckets(clock, 1, 10); // full refill = 10 s
    // 72 h of 20 new keys per second: 5.2 M keys overall, never more than the last ~10 s alive.
    let maxSize = 0;
    let key = 0;
    for (let s = 0; s < 72 * 3600; s += 60) {
      for (let i = 0; i < 20; i++) pairs.tryTake(`k${key++}`);
      maxSize = Math.max(maxSize, pairs.size());
      clock.advance(60_000);
    }
    expect(key).toBe(86_400);
    expect(maxSize).toBeLessThanOrEqual(40);
    pairs.tryTake('last');
    expect(pairs.size()).toBeLessThanOrEqual(21);
  });

  it('an evicted key behaves like a full bucket, and maxKeys caps memory', () => {
    const clock = new VirtualClock();
    const pairs = new KeyedTokenBuckets(clock, 1, 2, 100);
    expect(pairs.tryTake('x', 2)).toBe(true);
    clock.advance(2000);
    pairs.tryTake('other');
    expect(pairs.tryTake('x', 2)).toBe(true);
    for (let i = 0; i < 500; i++) pairs.tryTake(`burst${i}`);
    expect(pairs.size()).toBeLessThanOrEqual(100);
  });
});

describe('SlidingWindowCounter', () => {
  it('allows `limit` hits per rolling window and says when the next one fits', () => {
    const clock = new VirtualClock();
    const w = new SlidingWindowCounter(clock, 60_000, 3);
    expect(w.tryHit('t')).toEqual({ ok: true, count: 1, retryAfterMs: 0 });
    clock.advance(10_000);
    expect(w.tryHit('t').count).toBe(2);
    clock.advance(10_000);
    expect(w.tryHit('t').count).toBe(3);
    expect(w.tryHit('t')).toEqual({ ok: false, count: 3, retryAfterMs: 40_000 });
    expect(w.tryHit('other').ok).toBe(true);
    clock.advance(40_000); // the first hit (t=0) slides out at t=60 s
    expect(w.tryHit('t')).toEqual({ ok: true, count: 3, retryAfterMs: 0 });
    expect(w.tryHit('t').ok).toBe(false);
  });

  it('is a sliding window, not fixed buckets: no double burst at a boundary', () => {
    const clock = new VirtualClock();
    const w = new SlidingWindowCounter(clock, 60_000, 300);
    clock.advance(59_000);
    for (let i = 0; i < 300; i++) expect(w.tryHit('tok').ok).toBe(true);
    clock.advance(2_000); // a new fixed minute would reset here; a sliding one does not
    expect(w.tryHit('tok').ok).toBe(false);
  });

  it('evicts idle keys', () => {
    const clock = new VirtualClock();
    const w = new SlidingWindowCounter(clock, 1000, 5);
    for (let i = 0; i < 1000; i++) {
      w.tryHit(`token${i}`);
      clock.advance(100);
    }
    expect(w.size()).toBeLessThanOrEqual(12);
  });
});

describe('UniqueKeysWindow', () => {
  it('counts unique keys in a rolling window and refreshes on re-add', () => {
    const clock = new VirtualClock();
    const day = 24 * 3600_000;
    const u = new UniqueKeysWindow(clock, day);
    expect(u.add('a')).toBe(1);
    expect(u.add('a')).toBe(1);
    expect(u.add('b')).toBe(2);
    clock.advance(20 * 3600_000);
    expect(u.add('a')).toBe(2); // refreshed
    clock.advance(5 * 3600_000); // b (t=0) is 25 h old now, a is 5 h old
    expect(u.has('b')).toBe(false);
    expect(u.has('a')).toBe(true);
    expect(u.count()).toBe(1);
  });

  it('memory stays bounded by the keys seen within the window', () => {
    const clock = new VirtualClock();
    const u = new UniqueKeysWindow(clock, 3600_000);
    for (let i = 0; i < 72 * 60; i++) {
      u.add(`user${i}`);
      clock.advance(60_000);
    }
    expect(u.count()).toBeLessThanOrEqual(60);
  });
});
