import { performance } from 'node:perf_hooks';

/** Handle returned by {@link Clock.setTimeout}; pass it back to {@link Clock.clearTimeout}. */
export interface TimerHandle {
  readonly id: number;
}

/**
 * The one notion of time the mocks (and the harness) use. Real time and virtual time are two
 * implementations of this interface, never `if` statements in the callers.
 */
export interface Clock {
  /** Monotonic milliseconds on this clock (origin arbitrary, comparable only within one clock). */
  nowMs(): number;
  /** Wall-clock milliseconds since the Unix epoch, as this clock sees it (for payload timestamps). */
  epochMs(): number;
  /**
   * Optional: `epochMs()` at the moment this clock read `nowMs` (so a caller that has just read
   * `nowMs()` gets both stamps from one reading). Without it, callers read `epochMs()` again.
   */
  epochAt?(nowMs: number): number;
  /** Runs `fn` once `delayMs` of this clock's time has passed. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  /** Cancels a pending timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

let nextTimerId = 1;

/** The machine's clock: `performance.now()` and Node timers. Timers never keep the process alive. */
export class RealClock implements Clock {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly epochOriginMs = Date.now() - performance.now();

  nowMs(): number {
    return performance.now();
  }
  epochMs(): number {
    return this.epochOriginMs + performance.now();
  }
  epochAt(nowMs: number): number {
    return this.epochOriginMs + nowMs;
  }
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = nextTimerId++;
    const t = setTimeout(
      () => {
        this.timers.delete(id);
        fn();
      },
      Math.max(0, delayMs),
    );
    t.unref();
    this.timers.set(id, t);
    return { id };
  }
  clearTimeout(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t) {
      clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }
}

interface PendingTimer {
  id: number;
  dueMs: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to: `advance(ms)` fires due timers in due order (ties in
 * creation order), with `nowMs()` equal to each timer's due time while it runs. Deterministic, for
 * unit tests and for compressed time where the driver decides how fast time goes.
 */
export class VirtualClock implements Clock {
  private currentMs: number;
  private readonly epochOriginMs: number;
  private pending: PendingTimer[] = [];

  constructor(opts: { startMs?: number; epochMs?: number } = {}) {
    this.currentMs = opts.startMs ?? 0;
    this.epochOriginMs = (opts.epochMs ?? Date.UTC(2026, 0, 5, 0, 0, 0)) - this.currentMs;
  }

  nowMs(): number {
    return this.currentMs;
  }
  epochMs(): number {
    return this.epochOriginMs + this.currentMs;
  }
  epochAt(nowMs: number): number {
    return this.epochOriginMs + nowMs;
  }
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = nextTimerId++;
    this.pending.push({ id, dueMs: this.currentMs + Math.max(0, delayMs), fn });
    return { id };
  }
  clearTimeout(handle: TimerHandle): void {
    this.pending = this.pending.filter((p) => p.id !== handle.id);
  }
  /** Number of timers not yet fired. */
  pendingCount(): number {
    return this.pending.length;
  }
  /** Moves time forward by `ms`, firing every timer that falls due on the way (including new ones). */
  advance(ms: number): void {
    const targetMs = this.currentMs + Math.max(0, ms);
    for (;;) {
      let next: PendingTimer | undefined;
      for (const p of this.pending) {
        if (
          p.dueMs <= targetMs &&
          (!next || p.dueMs < next.dueMs || (p.dueMs === next.dueMs && p.id < next.id))
        ) {
          next = p;
        }
      }
      if (!next) break;
      const due = next;
      this.pending = this.pending.filter((p) => p !== due);
      this.currentMs = Math.max(this.currentMs, due.dueMs);
      due.fn();
    }
    this.currentMs = targetMs;
  }
  /** Sets the clock to an absolute time (never backwards), firing due timers. */
  advanceTo(ms: number): void {
    this.advance(ms - this.currentMs);
  }
}

/**
 * Compressed real time: `timeScale` virtual milliseconds pass per real millisecond. A 72 h timeline
 * with timeScale 72 plays in one real hour. Timers are real timers scaled down.
 */
export class ScaledClock implements Clock {
  private readonly real = new RealClock();
  private readonly realOriginMs: number;
  private readonly epochOriginMs: number;

  constructor(
    readonly timeScale: number,
    opts: { epochMs?: number; startMs?: number } = {},
  ) {
    if (!(timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
    this.realOriginMs = this.real.nowMs() - (opts.startMs ?? 0) / timeScale;
    this.epochOriginMs = opts.epochMs ?? Date.now();
  }
  nowMs(): number {
    return (this.real.nowMs() - this.realOriginMs) * this.timeScale;
  }
  epochMs(): number {
    return this.epochOriginMs + this.nowMs();
  }
  epochAt(nowMs: number): number {
    return this.epochOriginMs + nowMs;
  }
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return this.real.setTimeout(fn, delayMs / this.timeScale);
  }
  clearTimeout(handle: TimerHandle): void {
    this.real.clearTimeout(handle);
  }
}

/** Resolves after `delayMs` on `clock` (at once for 0 or less), so waits follow virtual time in tests. */
export function sleep(clock: Clock, delayMs: number): Promise<void> {
  if (!(delayMs > 0)) return Promise.resolve();
  return new Promise((resolve) => {
    clock.setTimeout(resolve, delayMs);
  });
}
