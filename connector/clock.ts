import { performance } from 'node:perf_hooks';

/** Handle of a pending timer, passed back to {@link Clock.clearTimeout}. */
export type TimerHandle = unknown;

/**
 * The connector's notion of time. Production uses {@link realClock}; unit tests inject a manual
 * clock so retry and rate-limit timing is checked without waiting. (The connector cannot share the
 * harness's clock module: it is a separate program that imports nothing from src/ or mocks/.)
 */
export interface Clock {
  /** Monotonic milliseconds (origin arbitrary). */
  nowMs(): number;
  /** Wall-clock milliseconds since the Unix epoch (for CRM timestamps and the 24 h window). */
  epochMs(): number;
  /** Runs `fn` once `delayMs` have passed. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  /** Cancels a pending timer; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The machine's clock. Timers are unref'd: pending retries never keep a stopped process alive. */
export const realClock: Clock = {
  nowMs: () => performance.now(),
  epochMs: () => Date.now(),
  setTimeout(fn, delayMs) {
    const t = setTimeout(fn, Math.max(0, delayMs));
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** Resolves after `delayMs` on `clock` (immediately for 0 or less). */
export function sleep(clock: Clock, delayMs: number): Promise<void> {
  if (!(delayMs > 0)) return Promise.resolve();
  return new Promise((resolve) => {
    clock.setTimeout(resolve, delayMs);
  });
}
