import type { Clock } from '../../kernel/clock.js';
import { RecencyMap } from '../../kernel/recency-map.js';

// Floating-point refills leave tokens like 0.9999999999; treat anything this close to a whole token as one.
const EPSILON = 1e-9;

function checkPositive(what: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${what} must be a finite number > 0, got ${v}`);
}

/** Token bucket on an injected clock: `burst` tokens, refilled at `ratePerSec`, starts full. */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly clock: Clock,
    readonly ratePerSec: number,
    readonly burst: number,
  ) {
    checkPositive('ratePerSec', ratePerSec);
    checkPositive('burst', burst);
    this.tokens = burst;
    this.lastMs = clock.nowMs();
  }

  private refill(): void {
    const nowMs = this.clock.nowMs();
    if (nowMs > this.lastMs) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) * this.ratePerSec) / 1000);
      this.lastMs = nowMs;
    }
  }

  /** Takes `n` tokens if there are that many; false (and nothing taken) otherwise. */
  tryTake(n = 1): boolean {
    this.refill();
    if (this.tokens + EPSILON < n) return false;
    this.tokens = Math.max(0, this.tokens - n);
    return true;
  }

  /** Ms until `n` tokens are there (0 = now); Infinity when `n` exceeds the burst and never will be. */
  retryAfterMs(n = 1): number {
    if (n > this.burst) return Number.POSITIVE_INFINITY;
    this.refill();
    const missing = n - this.tokens;
    return missing <= EPSILON ? 0 : Math.ceil((missing * 1000) / this.ratePerSec);
  }
}

interface KeyedBucket {
  tokens: number;
  lastMs: number;
}

/**
 * One token bucket per key (e.g. the WhatsApp pair rate limit per business→customer pair).
 * A bucket that has refilled to full behaves exactly like a new one, so keys idle for the full
 * refill time (burst / rate) are dropped; the Map is kept in last-use order (delete + re-insert),
 * so the idle keys are always at its front and each call sweeps a bounded number of them:
 * amortised O(1) per call, memory bounded by the keys active within one refill time (and by
 * `maxKeys`, past which the least recently used key is forgotten, i.e. treated as full).
 */
export class KeyedTokenBuckets {
  private readonly buckets: RecencyMap<string, KeyedBucket>;
  private readonly fullRefillMs: number;

  constructor(
    private readonly clock: Clock,
    readonly ratePerSec: number,
    readonly burst: number,
    readonly maxKeys = 100_000,
  ) {
    checkPositive('ratePerSec', ratePerSec);
    checkPositive('burst', burst);
    checkPositive('maxKeys', maxKeys);
    this.fullRefillMs = (burst * 1000) / ratePerSec;
    this.buckets = new RecencyMap(maxKeys);
  }

  /** Number of keys held in memory (idle ones are evicted as calls come in). */
  size(): number {
    return this.buckets.size;
  }

  private evict(nowMs: number): void {
    // Two evictions per call outpace the at most one insertion per call, so the backlog drains.
    for (let budget = 64, o = this.buckets.oldest(); o && budget > 0; budget--, o = this.buckets.oldest()) {
      if (o.value.lastMs + this.fullRefillMs > nowMs) break;
      this.buckets.shift();
    }
  }

  private touch(key: string): KeyedBucket {
    const nowMs = this.clock.nowMs();
    this.evict(nowMs);
    let b = this.buckets.get(key);
    if (b) {
      if (nowMs > b.lastMs) {
        b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.lastMs) * this.ratePerSec) / 1000);
        b.lastMs = nowMs;
      }
    } else {
      b = { tokens: this.burst, lastMs: nowMs };
    }
    this.buckets.touch(key, b);
    return b;
  }

  /** Takes `n` tokens from `key`'s bucket if it has them. */
  tryTake(key: string, n = 1): boolean {
    const b = this.touch(key);
    if (b.tokens + EPSILON < n) return false;
    b.tokens = Math.max(0, b.tokens - n);
    return true;
  }

  /** Ms until `key` has `n` tokens again (0 = now; Infinity if `n` exceeds the burst). */
  retryAfterMs(key: string, n = 1): number {
    if (n > this.burst) return Number.POSITIVE_INFINITY;
    const b = this.buckets.get(key);
    if (!b) return 0;
    const tokens = Math.min(
      this.burst,
      b.tokens + (Math.max(0, this.clock.nowMs() - b.lastMs) * this.ratePerSec) / 1000,
    );
    const missing = n - tokens;
    return missing <= EPSILON ? 0 : Math.ceil((missing * 1000) / this.ratePerSec);
  }
}

/** Accepted hit times of one key, oldest first; `head` skips expired ones without shifting the array. */
interface HitLog {
  times: number[];
  head: number;
}

/**
 * Exact sliding-window limit per key (e.g. 300 requests per rolling minute per CRM token): a hit is
 * accepted while fewer than `limit` accepted hits fall in the last `windowMs`. Rejected hits are not
 * counted, so a client that backs off gets through once the window slides. Memory per key is at
 * most `limit` timestamps; keys whose last accepted hit left the window are evicted (kept in
 * last-accepted order, swept from the front: amortised O(1)).
 */
export class SlidingWindowCounter {
  private readonly logs = new RecencyMap<string, HitLog>();

  constructor(
    private readonly clock: Clock,
    readonly windowMs: number,
    readonly limit: number,
  ) {
    checkPositive('windowMs', windowMs);
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be an integer ≥ 1, got ${limit}`);
  }

  /** Number of keys held in memory. */
  size(): number {
    return this.logs.size;
  }

  private evict(nowMs: number): void {
    for (let budget = 64, o = this.logs.oldest(); o && budget > 0; budget--, o = this.logs.oldest()) {
      const newest = o.value.times[o.value.times.length - 1] ?? Number.NEGATIVE_INFINITY;
      if (newest > nowMs - this.windowMs) break;
      this.logs.shift();
    }
  }

  /** Counts a hit for `key` if under the limit; `count` = accepted hits in the window now, `retryAfterMs` = 0 when ok. */
  tryHit(key: string): { ok: boolean; count: number; retryAfterMs: number } {
    const nowMs = this.clock.nowMs();
    this.evict(nowMs);
    let log = this.logs.get(key);
    if (!log) {
      log = { times: [], head: 0 };
      this.logs.set(key, log);
    }
    const cutoffMs = nowMs - this.windowMs;
    while (log.head < log.times.length && (log.times[log.head] as number) <= cutoffMs) log.head++;
    if (log.head > 64 && log.head * 2 > log.times.length) {
      log.times = log.times.slice(log.head);
      log.head = 0;
    }
    const count = log.times.length - log.head;
    if (count >= this.limit) {
      // The oldest accepted hit in the window frees a slot when it slides out.
      const oldestMs = log.times[log.head] as number;
      return { ok: false, count, retryAfterMs: Math.max(1, Math.ceil(oldestMs + this.windowMs - nowMs)) };
    }
    log.times.push(nowMs);
    // Keeps the map ordered by last accepted hit (what eviction relies on).
    this.logs.touch(key, log);
    return { ok: true, count: count + 1, retryAfterMs: 0 };
  }
}

/**
 * Unique keys seen in a rolling window (e.g. unique customers messaged in the last 24 h, the
 * WhatsApp messaging-limit tier). Adding a key again refreshes it. Map in last-seen order, swept
 * from the front: amortised O(1) per call, memory = keys seen within the window.
 */
export class UniqueKeysWindow {
  private readonly lastSeenMs = new RecencyMap<string, number>();

  constructor(
    private readonly clock: Clock,
    readonly windowMs: number,
  ) {
    checkPositive('windowMs', windowMs);
  }

  private evict(): void {
    const cutoffMs = this.clock.nowMs() - this.windowMs;
    for (let o = this.lastSeenMs.oldest(); o && o.value <= cutoffMs; o = this.lastSeenMs.oldest()) {
      this.lastSeenMs.shift();
    }
  }

  /** Records `key` as seen now; returns the number of unique keys in the window, this one included. */
  add(key: string): number {
    this.evict();
    this.lastSeenMs.touch(key, this.clock.nowMs());
    return this.lastSeenMs.size;
  }

  /** Whether `key` was seen within the window. */
  has(key: string): boolean {
    this.evict();
    return this.lastSeenMs.has(key);
  }

  /** Unique keys seen within the window. */
  count(): number {
    this.evict();
    return this.lastSeenMs.size;
  }
}
