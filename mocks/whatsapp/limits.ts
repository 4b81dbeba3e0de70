import type { Clock } from '../../kernel/clock.js';
import { RecencyMap } from '../../kernel/recency-map.js';
import { KeyedTokenBuckets, TokenBucket, UniqueKeysWindow } from '../shared/limits.js';
import type { MessagingTier } from './options.js';

const DAY_MS = 24 * 3_600_000;
const MAX_WINDOWS = 1_000_000;

/**
 * The sending limits of one business number, all on the mock's clock:
 * - throughput: messages per second per number (token bucket, burst = one second's worth) → 130429;
 * - pair rate: messages to one user (token bucket per recipient with a burst allowance) → 131056;
 * - messaging tier: unique users reached by business-initiated templates in a rolling 24 h → 131048;
 * - the 24 h customer-service window per user, opened by each inbound message → 131047.
 */
export class SendLimits {
  private throughput!: TokenBucket;
  private pairs!: KeyedTokenBuckets;
  private tierUsers!: UniqueKeysWindow;
  /** wa_id → clock ms of the user's last inbound message, in last-message order (oldest first). */
  private readonly lastInboundMs = new RecencyMap<string, number>(MAX_WINDOWS);

  constructor(
    private readonly clock: Clock,
    private readonly cfg: {
      throughputPerSec: number;
      pairRate: { perSec: number; burst: number };
      tier: MessagingTier;
    },
  ) {
    this.reset();
  }

  /** Forgets every count and window. */
  reset(): void {
    const rate = this.cfg.throughputPerSec;
    this.throughput = new TokenBucket(this.clock, rate, Math.max(1, rate));
    this.pairs = new KeyedTokenBuckets(
      this.clock,
      this.cfg.pairRate.perSec,
      this.cfg.pairRate.burst,
      500_000,
    );
    this.tierUsers = new UniqueKeysWindow(this.clock, DAY_MS);
    this.lastInboundMs.clear();
  }

  /** Takes one message from the number's throughput; false → 130429. */
  takeThroughput(): boolean {
    return this.throughput.tryTake();
  }

  /** Ms until the number may send again (for Retry-After-style hints). */
  throughputRetryAfterMs(): number {
    return this.throughput.retryAfterMs();
  }

  /** Takes one message from the pair budget of `waId`; false → 131056. */
  takePair(waId: string): boolean {
    return this.pairs.tryTake(waId);
  }

  /**
   * Counts a business-initiated template to `waId` against the tier. True when allowed (a user
   * already reached in the window costs nothing); false when it would exceed the tier.
   */
  takeTier(waId: string): boolean {
    const tier = this.cfg.tier;
    if (tier === 'unlimited') return true;
    if (this.tierUsers.has(waId)) {
      this.tierUsers.add(waId);
      return true;
    }
    if (this.tierUsers.count() >= tier) return false;
    this.tierUsers.add(waId);
    return true;
  }

  /** Unique users reached by business-initiated messages in the last 24 h. */
  tierCount(): number {
    return this.tierUsers.count();
  }

  /** Records an inbound message from `waId`: opens (or refreshes) its 24 h window. */
  openWindow(waId: string): void {
    this.lastInboundMs.touch(waId, this.clock.nowMs());
  }

  /** Whether `waId` wrote within the last 24 h. */
  windowOpen(waId: string): boolean {
    const at = this.lastInboundMs.get(waId);
    return at !== undefined && this.clock.nowMs() - at < DAY_MS;
  }

  /** Users with an open window (expired ones are swept from the front first). */
  openWindows(): number {
    const cutoff = this.clock.nowMs() - DAY_MS;
    for (let o = this.lastInboundMs.oldest(); o && o.value <= cutoff; o = this.lastInboundMs.oldest()) {
      this.lastInboundMs.shift();
    }
    return this.lastInboundMs.size;
  }
}
