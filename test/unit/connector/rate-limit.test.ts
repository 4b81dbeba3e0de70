import { describe, expect, it } from 'vitest';
import {
  AdaptiveRateLimiter,
  PairBackoff,
  PauseGate,
  SlidingWindowLimiter,
} from '../../../connector/rate-limit.js';
import { ManualClock } from './helpers.js';

/** Starts `n` acquisitions; returns the clock times at which each was granted. */
function grants(limiter: { acquire(): Promise<void> }, clock: ManualClock, n: number): number[] {
  const at: number[] = [];
  for (let i = 0; i < n; i++) void limiter.acquire().then(() => at.push(clock.nowMs()));
  return at;
}

describe('CRM sliding-minute budget', () => {
  it('never lets more than the limit through in any 60 s window, in arrival order', async () => {
    const clock = new ManualClock();
    const limiter = new SlidingWindowLimiter(clock, 5, 60_000);
    const at = grants(limiter, clock, 12);
    await clock.advance(0);
    expect(at).toEqual([0, 0, 0, 0, 0]);
    await clock.advance(59_999);
    expect(at).toHaveLength(5);
    await clock.advance(1);
    expect(at).toHaveLength(10);
    await clock.advance(60_000);
    expect(at).toHaveLength(12);
    // Every window of 60 s holds at most 5 grants.
    for (const t of at) expect(at.filter((u) => u >= t && u < t + 60_000).length).toBeLessThanOrEqual(5);
  });
});

describe('WhatsApp throughput', () => {
  it('paces sends at the rate after a small burst', async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveRateLimiter(clock, 10);
    const at = grants(limiter, clock, 12);
    await clock.advance(1000);
    // Burst of 2 (a fifth of a second), then one every 100 ms.
    expect(at.length).toBeGreaterThanOrEqual(11);
    expect(at.length).toBeLessThanOrEqual(12);
    await clock.advance(1000);
    expect(at).toHaveLength(12);
    expect(at[at.length - 1]).toBeGreaterThanOrEqual(900);
  });

  it('halves the rate on every 130429 and recovers it without one', async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveRateLimiter(clock, 80);
    limiter.onThrottle();
    expect(limiter.currentRatePerSec()).toBe(40);
    limiter.onThrottle();
    expect(limiter.currentRatePerSec()).toBe(20);
    // Quiet: 25 % a second above half the rate, doubling below it.
    await clock.advance(1000);
    expect(limiter.currentRatePerSec()).toBe(40);
    await clock.advance(1000);
    expect(limiter.currentRatePerSec()).toBe(50);
    await clock.advance(60_000);
    expect(limiter.currentRatePerSec()).toBe(80);
  });

  it('goes down to its floor under a storm and is back at the full rate within 8 s of its end', async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveRateLimiter(clock, 80);
    // 30 s of 130429s, four bursts a second.
    for (let i = 0; i < 120; i++) {
      limiter.onThrottle();
      await clock.advance(250);
    }
    expect(limiter.currentRatePerSec()).toBeCloseTo(80 * AdaptiveRateLimiter.MIN_FACTOR);
    // 0.05 → 0.1 → 0.2 → 0.4 → 0.5 → 0.625 → 0.78 → 0.98 → 1.
    await clock.advance(7000);
    expect(limiter.currentRatePerSec()).toBeLessThan(80);
    await clock.advance(1000);
    expect(limiter.currentRatePerSec()).toBe(80);
  });
});

describe('pauses and pair back-off', () => {
  it('pauses for the longest Retry-After asked', async () => {
    const clock = new ManualClock();
    const gate = new PauseGate(clock);
    expect(gate.remainingMs()).toBe(0);
    gate.pauseFor(7000);
    gate.pauseFor(2000);
    expect(gate.remainingMs()).toBe(7000);
    await clock.advance(7000);
    expect(gate.remainingMs()).toBe(0);
  });

  it('waits 4^X s per recipient after consecutive 131056, reset by a success', async () => {
    const clock = new ManualClock();
    const pb = new PairBackoff(clock);
    expect(pb.onHit('+1')).toBe(1000);
    expect(pb.onHit('+1')).toBe(4000);
    expect(pb.onHit('+1')).toBe(16_000);
    expect(pb.remainingMs('+1')).toBe(16_000);
    expect(pb.remainingMs('+2')).toBe(0);
    pb.onSuccess('+1');
    expect(pb.remainingMs('+1')).toBe(0);
    expect(pb.onHit('+1')).toBe(1000);
  });
});
