import { Histogram, type HistogramSummary } from './histogram.js';

/** One time window [startMs, endMs) of a run: histograms and counters by name, and why it is invalid, if it is. */
export interface MetricsWindow {
  index: number;
  startMs: number;
  endMs: number;
  histograms: Map<string, Histogram>;
  counters: Map<string, number>;
  /** Reasons this window cannot be trusted (harness lag, a gap after resume); empty when valid. */
  invalidReasons: string[];
}

/** A window as it is stored in the journal and summary.json: histograms encoded, maps as plain objects. */
export interface EncodedWindow {
  index: number;
  startMs: number;
  endMs: number;
  histograms: Record<string, string>;
  counters: Record<string, number>;
  invalidReasons?: string[];
}

/** Everything needed to rebuild a {@link WindowedMetrics}. */
export interface EncodedWindowSeries {
  v: 1;
  windowMs: number;
  originMs: number;
  endMs?: number;
  windows: EncodedWindow[];
}

/** Summary of one window for a report line or a progress snapshot. */
export interface WindowSummary {
  index: number;
  startMs: number;
  endMs: number;
  valid: boolean;
  counters: Record<string, number>;
  latency: Record<string, HistogramSummary>;
}

/**
 * Time-windowed histograms and counters, keyed by name ('e2e', 'hop.accepted', 'sent', 'failed', …).
 * Times are on the run's clock (virtual for a compressed soak) and windows are [origin + i·w,
 * origin + (i+1)·w). Windows exist only once something lands in them, so a sparse timeline costs
 * nothing; every window can be encoded for the journal and merged back after a resume.
 */
export class WindowedMetrics {
  readonly windowMs: number;
  readonly originMs: number;
  /** Times at or after this belong to the last window before it (the schedule's end); none by default. */
  readonly endMs: number | undefined;
  private readonly byIndex = new Map<number, MetricsWindow>();
  private closedUpTo = 0;

  constructor(opts: { windowMs: number; originMs?: number; endMs?: number }) {
    if (typeof opts.windowMs !== 'number' || !Number.isFinite(opts.windowMs) || opts.windowMs <= 0) {
      throw new RangeError(`windowMs must be a finite number > 0, got ${String(opts.windowMs)}`);
    }
    this.windowMs = opts.windowMs;
    this.originMs = opts.originMs ?? 0;
    this.endMs = opts.endMs;
  }

  /**
   * Index of the window holding time `tMs`. Times before the origin belong to window 0; with `endMs`,
   * times at or after it belong to the last window (the schedule's last arrival lands exactly on its
   * end, and must not open a window of its own).
   */
  indexAt(tMs: number): number {
    const i = Math.max(0, Math.floor((tMs - this.originMs) / this.windowMs));
    if (this.endMs === undefined) return i;
    const last = Math.max(0, Math.ceil((this.endMs - this.originMs) / this.windowMs) - 1);
    return Math.min(i, last);
  }

  /** The window at `index`, created empty if needed. */
  private at(index: number): MetricsWindow {
    let w = this.byIndex.get(index);
    if (!w) {
      const startMs = this.originMs + index * this.windowMs;
      w = {
        index,
        startMs,
        endMs: startMs + this.windowMs,
        histograms: new Map(),
        counters: new Map(),
        invalidReasons: [],
      };
      this.byIndex.set(index, w);
    }
    return w;
  }

  /** Records a value (ms) in histogram `name` of the window holding `tMs`. */
  record(name: string, tMs: number, valueMs: number): void {
    const w = this.at(this.indexAt(tMs));
    let h = w.histograms.get(name);
    if (!h) {
      h = Histogram.create();
      w.histograms.set(name, h);
    }
    h.record(valueMs);
  }

  /** Adds `n` to counter `name` of the window holding `tMs`. */
  add(name: string, tMs: number, n = 1): void {
    const w = this.at(this.indexAt(tMs));
    w.counters.set(name, (w.counters.get(name) ?? 0) + n);
  }

  /** Marks the window holding `tMs` invalid, with a reason a report can show (each reason once). */
  markInvalid(tMs: number, reason: string): void {
    const w = this.at(this.indexAt(tMs));
    if (!w.invalidReasons.includes(reason)) w.invalidReasons.push(reason);
  }

  /** The window at `index`, if anything was recorded in it. */
  get(index: number): MetricsWindow | undefined {
    return this.byIndex.get(index);
  }

  /** Every window with data, in time order. */
  windows(): MetricsWindow[] {
    return [...this.byIndex.values()].sort((a, b) => a.index - b.index);
  }

  /** Windows whose start lies in [fromMs, toMs), in time order. */
  windowsBetween(fromMs: number, toMs: number): MetricsWindow[] {
    return this.windows().filter((w) => w.startMs >= fromMs && w.startMs < toMs);
  }

  /** Histogram `name` merged over the windows starting in [fromMs, toMs) (default: all). */
  histogram(name: string, fromMs = Number.NEGATIVE_INFINITY, toMs = Number.POSITIVE_INFINITY): Histogram {
    return Histogram.merged(
      this.windowsBetween(fromMs, toMs).flatMap((w) => {
        const h = w.histograms.get(name);
        return h ? [h] : [];
      }),
    );
  }

  /** Counter `name` summed over the windows starting in [fromMs, toMs) (default: all). */
  counter(name: string, fromMs = Number.NEGATIVE_INFINITY, toMs = Number.POSITIVE_INFINITY): number {
    let total = 0;
    for (const w of this.windowsBetween(fromMs, toMs)) total += w.counters.get(name) ?? 0;
    return total;
  }

  /** True when no window starting in [fromMs, toMs) is marked invalid. */
  isValid(fromMs = Number.NEGATIVE_INFINITY, toMs = Number.POSITIVE_INFINITY): boolean {
    return this.windowsBetween(fromMs, toMs).every((w) => w.invalidReasons.length === 0);
  }

  /**
   * Windows that ended at or before `tMs` and were not returned by an earlier call, in time order:
   * what to append to the journal as each window closes. The windows stay in memory for the report.
   */
  takeClosed(tMs: number): MetricsWindow[] {
    const out = this.windows().filter((w) => w.endMs <= tMs && w.index >= this.closedUpTo);
    const last = out[out.length - 1];
    if (last) this.closedUpTo = last.index + 1;
    return out;
  }

  /** The journal form of one window. */
  static encodeWindow(w: MetricsWindow): EncodedWindow {
    const histograms: Record<string, string> = {};
    for (const [name, h] of w.histograms) histograms[name] = h.encode();
    const out: EncodedWindow = {
      index: w.index,
      startMs: w.startMs,
      endMs: w.endMs,
      histograms,
      counters: Object.fromEntries(w.counters),
    };
    if (w.invalidReasons.length > 0) out.invalidReasons = [...w.invalidReasons];
    return out;
  }

  /** Summary of one window (counters and percentiles of every histogram). */
  static summarizeWindow(w: MetricsWindow): WindowSummary {
    const latency: Record<string, HistogramSummary> = {};
    for (const [name, h] of w.histograms) latency[name] = h.summary();
    return {
      index: w.index,
      startMs: w.startMs,
      endMs: w.endMs,
      valid: w.invalidReasons.length === 0,
      counters: Object.fromEntries(w.counters),
      latency,
    };
  }

  /** The whole series in journal form. */
  encode(): EncodedWindowSeries {
    const out: EncodedWindowSeries = {
      v: 1,
      windowMs: this.windowMs,
      originMs: this.originMs,
      windows: this.windows().map((w) => WindowedMetrics.encodeWindow(w)),
    };
    if (this.endMs !== undefined) out.endMs = this.endMs;
    return out;
  }

  /** Adds an encoded window into this series (values merge, counters add, reasons union). */
  mergeWindow(enc: EncodedWindow): void {
    const w = this.at(this.indexAt(enc.startMs));
    for (const [name, text] of Object.entries(enc.histograms ?? {})) {
      const h = w.histograms.get(name);
      const incoming = Histogram.decode(text);
      if (h) h.merge(incoming);
      else w.histograms.set(name, incoming);
    }
    for (const [name, n] of Object.entries(enc.counters ?? {})) {
      if (typeof n === 'number' && Number.isFinite(n)) w.counters.set(name, (w.counters.get(name) ?? 0) + n);
    }
    for (const r of enc.invalidReasons ?? []) if (!w.invalidReasons.includes(r)) w.invalidReasons.push(r);
  }

  /** Rebuilds a series from {@link WindowedMetrics.encode} output; throws a RangeError on a bad shape. */
  static decode(data: EncodedWindowSeries): WindowedMetrics {
    if (!data || typeof data !== 'object' || !Array.isArray(data.windows)) {
      throw new RangeError('encoded window series must be an object with a windows array');
    }
    const series = new WindowedMetrics({
      windowMs: data.windowMs,
      originMs: data.originMs,
      ...(data.endMs !== undefined ? { endMs: data.endMs } : {}),
    });
    for (const w of data.windows) series.mergeWindow(w);
    return series;
  }
}
