import type { Clock, TimerHandle } from '../kernel/clock.js';
import { BoundedMap } from './cache.js';
import { pairBackoffMs } from './retry.js';

/**
 * FIFO waiters served by a `waitMs()` oracle: the head waits until the oracle says 0, takes the
 * slot, and the next one is looked at. One timer at most, so thousands of waiters cost nothing.
 */
abstract class FifoLimiter {
  private readonly waiters: Array<() => void> = [];
  private timer: TimerHandle | undefined;

  constructor(protected readonly clock: Clock) {}

  /** Ms until the next slot (0 = now). */
  protected abstract waitMs(): number;
  /** Books the slot the head waiter takes. */
  protected abstract take(): void;

  /** Resolves when the caller may send; callers are served in arrival order. */
  acquire(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (this.waiters.length === 1) this.pump();
    });
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  protected pump(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.waiters.length > 0) {
      const waitMs = this.waitMs();
      if (waitMs > 0) {
        this.timer = this.clock.setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, waitMs);
        return;
      }
      this.take();
      this.waiters.shift()?.();
    }
  }
}

/**
 * At most `limit` acquisitions in any sliding window of `windowMs` (the CRM counts its plan limit
 * over a sliding minute, so a token bucket, which allows a burst on top of the rate, could trip it).
 * The timestamps of the last `limit` acquisitions live in a ring buffer.
 */
export class SlidingWindowLimiter extends FifoLimiter {
  private readonly stamps: number[];
  private next = 0;
  private count = 0;

  constructor(
    clock: Clock,
    readonly limit: number,
    readonly windowMs: number,
  ) {
    super(clock);
    if (!(limit >= 1)) throw new RangeError(`limit must be >= 1, got ${limit}`);
    this.stamps = new Array<number>(limit).fill(0);
  }

  protected waitMs(): number {
    if (this.count < this.limit) return 0;
    // The oldest of the last `limit` stamps must have left the window.
    const oldest = this.stamps[this.next] as number;
    return Math.max(0, oldest + this.windowMs - this.clock.nowMs());
  }

  protected take(): void {
    this.stamps[this.next] = this.clock.nowMs();
    this.next = (this.next + 1) % this.limit;
    if (this.count < this.limit) this.count++;
  }

  /** Acquisitions in the current window. */
  inWindow(): number {
    const now = this.clock.nowMs();
    let n = 0;
    for (let i = 0; i < this.count; i++) if ((this.stamps[i] as number) > now - this.windowMs) n++;
    return n;
  }
}

/**
 * WhatsApp throughput: a token bucket at `ratePerSec` (burst of a fifth of a second's worth, so no
 * one-second window sees much more than the rate, whatever the server's window) whose rate is
 * halved on every 130429 ("Cloud API throughput reached") and comes back without one:
 * multiplicative decrease, then TCP-like recovery (doubling each second up to half the configured
 * rate, +25 % each second above it), so a storm's end costs seconds, not a minute.
 */
export class AdaptiveRateLimiter extends FifoLimiter {
  private tokens: number;
  private lastMs: number;
  private factor = 1;
  private lastRecoveryMs = Number.NEGATIVE_INFINITY;
  /** Lowest share of the configured rate the back-off goes down to. */
  static readonly MIN_FACTOR = 0.05;
  /** Quiet time after a throttle before the rate starts to recover, and between recovery steps. */
  static readonly RECOVERY_STEP_MS = 1000;

  constructor(
    clock: Clock,
    readonly ratePerSec: number,
  ) {
    super(clock);
    if (!(ratePerSec > 0)) throw new RangeError(`ratePerSec must be > 0, got ${ratePerSec}`);
    this.tokens = this.burst();
    this.lastMs = clock.nowMs();
  }

  /** The rate in force now (sends per second). */
  currentRatePerSec(): number {
    this.recover();
    return this.ratePerSec * this.factor;
  }

  /** Called on 130429: halve the rate and drop the banked burst. */
  onThrottle(): void {
    this.refill();
    const now = this.clock.nowMs();
    this.factor = Math.max(AdaptiveRateLimiter.MIN_FACTOR, this.factor / 2);
    this.tokens = Math.min(this.tokens, 0);
    this.lastRecoveryMs = now;
  }

  private recover(): void {
    const now = this.clock.nowMs();
    while (this.factor < 1 && now - this.lastRecoveryMs >= AdaptiveRateLimiter.RECOVERY_STEP_MS) {
      this.lastRecoveryMs += AdaptiveRateLimiter.RECOVERY_STEP_MS;
      this.factor = Math.min(1, this.factor < 0.5 ? Math.min(0.5, this.factor * 2) : this.factor * 1.25);
    }
  }

  private burst(): number {
    return Math.max(1, (this.ratePerSec * this.factor) / 5);
  }

  private refill(): void {
    this.recover();
    const now = this.clock.nowMs();
    const rate = this.ratePerSec * this.factor;
    if (now > this.lastMs) {
      this.tokens = Math.min(this.burst(), this.tokens + ((now - this.lastMs) * rate) / 1000);
      this.lastMs = now;
    }
  }

  protected waitMs(): number {
    this.refill();
    if (this.tokens >= 1 - 1e-9) return 0;
    return Math.ceil(((1 - this.tokens) * 1000) / (this.ratePerSec * this.factor));
  }

  protected take(): void {
    this.tokens -= 1;
  }
}

/** A global pause (the CRM's `Retry-After`): every caller waits until it has passed. */
export class PauseGate {
  private untilMs = 0;
  constructor(private readonly clock: Clock) {}

  /** Extends the pause to at least `ms` from now. */
  pauseFor(ms: number): void {
    this.untilMs = Math.max(this.untilMs, this.clock.nowMs() + ms);
  }

  /** Ms left of the pause (0 when open). */
  remainingMs(): number {
    return Math.max(0, this.untilMs - this.clock.nowMs());
  }
}

/**
 * Per-recipient back-off for WhatsApp 131056 (pair rate limit): after X consecutive hits, sends
 * to that customer wait 4^X s; a success resets X. Bounded: the oldest entries are forgotten.
 */
export class PairBackoff {
  private readonly entries: BoundedMap<string, { hits: number; untilMs: number }>;

  constructor(
    private readonly clock: Clock,
    maxKeys = 50_000,
  ) {
    this.entries = new BoundedMap(maxKeys);
  }

  /** Records a 131056 for `recipient`; returns the back-off now in force (ms). */
  onHit(recipient: string): number {
    const prev = this.entries.get(recipient);
    const hits = prev ? prev.hits + 1 : 0;
    const backoffMs = pairBackoffMs(hits);
    this.entries.set(recipient, { hits, untilMs: this.clock.nowMs() + backoffMs });
    return backoffMs;
  }

  /** A send to `recipient` went through. */
  onSuccess(recipient: string): void {
    this.entries.delete(recipient);
  }

  /** Ms to wait before sending to `recipient` (0 = now). */
  remainingMs(recipient: string): number {
    const e = this.entries.get(recipient);
    return e ? Math.max(0, e.untilMs - this.clock.nowMs()) : 0;
  }
}
