import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../../kernel/clock.js';
import { Histogram } from './histogram.js';
import { WindowedMetrics } from './windows.js';

/** Event-loop delay over one sampling interval, in ms. */
export interface LoopSample {
  atMs: number;
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  delayMeanMs: number;
}

/** A running event-loop monitor. */
export interface LoopMonitor {
  /** Reads and resets the delay histogram now (also what the timer calls). */
  sampleNow(): LoopSample;
  stop(): void;
}

const NS_PER_MS = 1e6;

/**
 * Watches the harness's own event loop with perf_hooks.monitorEventLoopDelay: a timer inside Node that
 * fires every `resolutionMs` and records how late it ran. A busy loop delays every timer the driver
 * sets, so this is the first sign that the harness, not the connector, is the bottleneck. Sampled and
 * reset every `intervalMs` on `timer` (a real clock in a real run).
 */
export function startLoopMonitor(opts: {
  timer: Clock;
  intervalMs?: number;
  resolutionMs?: number;
  stampMs?: () => number;
  onSample?: (sample: LoopSample) => void;
}): LoopMonitor {
  const intervalMs = opts.intervalMs ?? 1000;
  if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: Math.max(1, opts.resolutionMs ?? 10) });
  h.enable();
  const stamp = opts.stampMs ?? (() => opts.timer.nowMs());
  let handle: TimerHandle | null = null;
  let stopped = false;
  const startedMs = opts.timer.nowMs();
  let ticks = 0;

  const sampleNow = (): LoopSample => {
    // An empty histogram reports min = 9.2e18 and NaN mean: treat "no data" as "no delay".
    const has = h.count > 0;
    const sample: LoopSample = {
      atMs: stamp(),
      delayP50Ms: has ? h.percentile(50) / NS_PER_MS : 0,
      delayP99Ms: has ? h.percentile(99) / NS_PER_MS : 0,
      delayMaxMs: has ? h.max / NS_PER_MS : 0,
      delayMeanMs: has ? h.mean / NS_PER_MS : 0,
    };
    h.reset();
    opts.onSample?.(sample);
    return sample;
  };

  const arm = () => {
    if (stopped) return;
    ticks++;
    handle = opts.timer.setTimeout(
      () => {
        sampleNow();
        arm();
      },
      Math.max(0, startedMs + ticks * intervalMs - opts.timer.nowMs()),
    );
  };
  arm();

  return {
    sampleNow,
    stop() {
      stopped = true;
      if (handle) opts.timer.clearTimeout(handle);
      handle = null;
      h.disable();
    },
  };
}

/** The bounds beyond which a window of the run is invalid (the harness, not the connector, was slow). */
export interface HealthBounds {
  /** p99 of arrival start lag (actual − intended start) in a window. Default 50 ms. */
  maxSchedulerLagP99Ms: number;
  /** Worst event-loop delay p99 of any loop sample in a window. Default 100 ms. */
  maxLoopDelayP99Ms: number;
  /** Share of arrivals that started later than the driver's lag bound. Default 0.01 (1 %). */
  maxLateShare: number;
}

/** Default health bounds. */
export const defaultHealthBounds: HealthBounds = {
  maxSchedulerLagP99Ms: 50,
  maxLoopDelayP99Ms: 100,
  maxLateShare: 0.01,
};

/** The harness's health in one window. */
export interface HealthWindow {
  index: number;
  startMs: number;
  endMs: number;
  arrivals: number;
  lateStarts: number;
  schedulerLagP99Ms: number;
  schedulerLagMaxMs: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  valid: boolean;
  reasons: string[];
}

/**
 * The harness watching itself, per time window: scheduler lag of every arrival (from the driver) and
 * event-loop delay samples (from {@link startLoopMonitor}). A window where either exceeds its bound is
 * invalid: its latencies say more about the harness than about the connector, and a step ramp that
 * would stop there stops as "harness invalid" instead of reporting a capacity.
 */
export class HarnessHealth {
  private readonly series: WindowedMetrics;
  private readonly loopMax = new Map<number, { p99: number; max: number }>();
  readonly bounds: HealthBounds;

  constructor(opts: { windowMs: number; originMs?: number; endMs?: number; bounds?: Partial<HealthBounds> }) {
    this.series = new WindowedMetrics({
      windowMs: opts.windowMs,
      originMs: opts.originMs ?? 0,
      ...(opts.endMs !== undefined ? { endMs: opts.endMs } : {}),
    });
    this.bounds = { ...defaultHealthBounds, ...opts.bounds };
  }

  /** One arrival started `lagMs` after its intended time `tMs`; `late` = beyond the driver's lag bound. */
  recordSchedulerLag(tMs: number, lagMs: number, late = lagMs > this.bounds.maxSchedulerLagP99Ms): void {
    this.series.record('scheduler_lag', tMs, lagMs);
    this.series.add('arrivals', tMs);
    if (late) this.series.add('late', tMs);
  }

  /** One event-loop sample (its `atMs` on the run's clock). */
  recordLoopSample(sample: LoopSample): void {
    const index = this.series.indexAt(sample.atMs);
    this.series.add('loop_samples', sample.atMs);
    const cur = this.loopMax.get(index) ?? { p99: 0, max: 0 };
    cur.p99 = Math.max(cur.p99, sample.delayP99Ms);
    cur.max = Math.max(cur.max, sample.delayMaxMs);
    this.loopMax.set(index, cur);
  }

  /** Every window with data, judged against the bounds. */
  windows(): HealthWindow[] {
    return this.series.windows().map((w) => {
      const lag = w.histograms.get('scheduler_lag') ?? Histogram.create();
      const arrivals = w.counters.get('arrivals') ?? 0;
      const late = w.counters.get('late') ?? 0;
      const loop = this.loopMax.get(w.index) ?? { p99: 0, max: 0 };
      const reasons: string[] = [];
      const lagP99 = lag.percentileMs(99);
      if (lagP99 > this.bounds.maxSchedulerLagP99Ms) {
        reasons.push(`scheduler lag p99 ${lagP99.toFixed(1)} ms > ${this.bounds.maxSchedulerLagP99Ms} ms`);
      }
      if (arrivals > 0 && late / arrivals > this.bounds.maxLateShare) {
        reasons.push(
          `${((late / arrivals) * 100).toFixed(1)} % of arrivals started late > ${this.bounds.maxLateShare * 100} %`,
        );
      }
      if (loop.p99 > this.bounds.maxLoopDelayP99Ms) {
        reasons.push(`event-loop delay p99 ${loop.p99.toFixed(1)} ms > ${this.bounds.maxLoopDelayP99Ms} ms`);
      }
      return {
        index: w.index,
        startMs: w.startMs,
        endMs: w.endMs,
        arrivals,
        lateStarts: late,
        schedulerLagP99Ms: lagP99,
        schedulerLagMaxMs: lag.maxMs,
        loopDelayP99Ms: loop.p99,
        loopDelayMaxMs: loop.max,
        valid: reasons.length === 0,
        reasons,
      };
    });
  }

  /** Whether every window starting in [fromMs, toMs) stayed within bounds, and the reasons if not. */
  validBetween(fromMs: number, toMs: number): { valid: boolean; reasons: string[] } {
    const reasons = this.windows()
      .filter((w) => w.startMs >= fromMs && w.startMs < toMs)
      .flatMap((w) => w.reasons.map((r) => `window ${w.index}: ${r}`));
    return { valid: reasons.length === 0, reasons };
  }
}
