import type { Clock, TimerHandle } from '../../kernel/clock.js';
import { Histogram } from '../metrics/histogram.js';

/** One arrival handed to `launch`: its position in the schedule and the time it was meant to start. */
export interface Arrival {
  /** 0-based position in the schedule (arrival n of arrivalOffsets() has index n − 1 + firstIndex). */
  index: number;
  /** Intended start on the driver's clock; measure latency from here, never from the actual start. */
  scheduledAtMs: number;
}

/** Where the driver reports each started arrival's lag (e.g. a {@link HarnessHealth}). */
export interface LagSink {
  recordSchedulerLag(tMs: number, lagMs: number, late: boolean): void;
}

/** Options of {@link runOpenModel}. */
export interface DriverOptions {
  /** One clock for everything: RealClock, VirtualClock (tests, `advance()` drives it) or ScaledClock. */
  clock: Clock;
  /** Offsets in ms from `startAtMs`, non-decreasing: arrivalOffsets() output. */
  offsetsMs: Iterable<number>;
  /** Clock time of offset 0. */
  startAtMs: number;
  /** An arrival that finds this many launches in flight is DROPPED (counted), never delayed. */
  maxInFlight: number;
  /** Starts one flow. The driver does not await it before the next arrival (open model). */
  launch: (arrival: Arrival) => Promise<void>;
  /** An arrival started more than this after its intended time counts as a late start. Default 50. */
  lagBoundMs?: number;
  /** Called for each dropped arrival (the caller journals and counts it as an error of its step). */
  onDrop?: (arrival: Arrival) => void;
  /** Stops launching; `done` resolves once in-flight launches settle. */
  signal?: AbortSignal;
  /** Index of the first offset (a resumed run continues the numbering). Default 0. */
  firstIndex?: number;
  /**
   * Arrivals due within this many ms after the current time are launched in the same wake-up. Node
   * timers fire on a 1 ms grid and typically ~0.5 ms late, so waiting for an arrival 0.3 ms away costs
   * more than starting it 0.3 ms early; 0.5 centres the start error on zero (measured by
   * bench/scheduler.ts). 0 gives exact start times on a VirtualClock.
   */
  coalesceMs?: number;
  /** Receives every started arrival's lag. */
  health?: LagSink;
}

/** What the driver did. `lag` is live: clone it to keep a frozen copy. */
export interface DriverStats {
  launched: number;
  dropped: number;
  /** Launches whose promise resolved. */
  completed: number;
  /** Launches that threw or rejected (a launch should settle its own errors; this counts the rest). */
  failed: number;
  inFlight: number;
  /** Started later than `lagBoundMs` after the intended time. */
  lateStarts: number;
  /** Start lag (actual − intended start, ≥ 0) of every launched arrival, in ms. */
  lag: Histogram;
  maxLagMs: number;
  /** Index the next arrival would get: the schedule position to checkpoint. */
  nextIndex: number;
  /** Intended time of the last arrival handled (launched or dropped), or null before the first. */
  lastScheduledAtMs: number | null;
  aborted: boolean;
  /** No more arrivals will be launched (schedule exhausted or aborted). */
  schedulingDone: boolean;
}

/**
 * Upper bound of arrivals started in one wake-up. After a long stall (a GC pause, a laptop lid) the
 * backlog is started in slices with a zero-delay timer in between, so sockets and the event loop get
 * a turn and the lag of each arrival is measured honestly instead of as one frozen instant.
 */
const MAX_BATCH = 256;

/**
 * The open-model driver: starts every arrival at its scheduled time on `clock`, whatever the connector
 * does. It never waits for a launch before the next arrival (no coordinated omission); latency is the
 * caller's to measure from `scheduledAtMs`; an arrival that finds `maxInFlight` launches running is
 * dropped and counted, not queued. One timer at a time, set for the next due arrival: no interval per
 * arrival, no recursion, so 1,000 arrivals/s cost one wake-up per millisecond at most.
 */
export function runOpenModel(opts: DriverOptions): { done: Promise<DriverStats>; stats(): DriverStats } {
  const { clock, startAtMs, launch } = opts;
  if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1) {
    throw new RangeError(`maxInFlight must be an integer ≥ 1, got ${String(opts.maxInFlight)}`);
  }
  if (typeof startAtMs !== 'number' || !Number.isFinite(startAtMs)) {
    throw new RangeError(`startAtMs must be a finite number, got ${String(startAtMs)}`);
  }
  const maxInFlight = opts.maxInFlight;
  const lagBoundMs = opts.lagBoundMs ?? 50;
  const coalesceMs = Math.max(0, opts.coalesceMs ?? 0.5);
  const iterator = opts.offsetsMs[Symbol.iterator]();
  let pending = iterator.next();

  const lag = Histogram.create();
  let launched = 0;
  let dropped = 0;
  let completed = 0;
  let failed = 0;
  let inFlight = 0;
  let lateStarts = 0;
  let maxLagMs = 0;
  let nextIndex = opts.firstIndex ?? 0;
  let lastScheduledAtMs: number | null = null;
  let aborted = false;
  let schedulingDone = false;
  let timer: TimerHandle | null = null;
  let resolveDone: (stats: DriverStats) => void = () => {};
  const done = new Promise<DriverStats>((resolve) => {
    resolveDone = resolve;
  });

  const stats = (): DriverStats => ({
    launched,
    dropped,
    completed,
    failed,
    inFlight,
    lateStarts,
    lag,
    maxLagMs,
    nextIndex,
    lastScheduledAtMs,
    aborted,
    schedulingDone,
  });

  const maybeResolve = () => {
    if (schedulingDone && inFlight === 0) resolveDone(stats());
  };

  const settle = (ok: boolean) => {
    inFlight--;
    if (ok) completed++;
    else failed++;
    maybeResolve();
  };

  const start = (arrival: Arrival, nowMs: number) => {
    if (inFlight >= maxInFlight) {
      dropped++;
      opts.onDrop?.(arrival);
      return;
    }
    const lagMs = Math.max(0, nowMs - arrival.scheduledAtMs);
    const late = lagMs > lagBoundMs;
    lag.record(lagMs);
    if (lagMs > maxLagMs) maxLagMs = lagMs;
    if (late) lateStarts++;
    opts.health?.recordSchedulerLag(arrival.scheduledAtMs, lagMs, late);
    inFlight++;
    launched++;
    let p: Promise<void>;
    try {
      p = launch(arrival);
    } catch {
      settle(false);
      return;
    }
    Promise.resolve(p).then(
      () => settle(true),
      () => settle(false),
    );
  };

  const onAbort = () => {
    aborted = true;
    finishScheduling();
  };

  const finishScheduling = () => {
    if (schedulingDone) return;
    schedulingDone = true;
    if (timer) clock.clearTimeout(timer);
    timer = null;
    opts.signal?.removeEventListener('abort', onAbort);
    maybeResolve();
  };

  const arm = (delayMs: number) => {
    timer = clock.setTimeout(tick, Math.max(0, delayMs));
  };

  function tick(): void {
    timer = null;
    if (aborted || schedulingDone) return;
    let nowMs = clock.nowMs();
    let batch = 0;
    while (!pending.done) {
      const dueMs = startAtMs + pending.value;
      if (dueMs > nowMs + coalesceMs) {
        arm(dueMs - nowMs);
        return;
      }
      if (batch >= MAX_BATCH) {
        arm(0);
        return;
      }
      lastScheduledAtMs = dueMs;
      start({ index: nextIndex, scheduledAtMs: dueMs }, nowMs);
      nextIndex++;
      batch++;
      if (aborted) return;
      pending = iterator.next();
      // launch() may take real time (it builds a request); the next arrival's lag must see that.
      nowMs = clock.nowMs();
    }
    finishScheduling();
  }

  if (opts.signal?.aborted) onAbort();
  else {
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // Never launch synchronously inside runOpenModel: the caller gets its handles first.
    const firstDue = pending.done ? clock.nowMs() : startAtMs + pending.value;
    arm(firstDue - clock.nowMs());
  }

  return { done, stats };
}
