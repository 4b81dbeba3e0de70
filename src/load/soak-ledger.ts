import { classifyFlow } from '../checks/outcome.js';
import type { FlowTrace } from '../flows/types.js';
import { type CheckpointState, type JournalRecord, recordTypes } from '../journal/records.js';
import { Histogram } from '../metrics/histogram.js';

/** A soak window's flow counts: what every window, tally, checkpoint and total carries. */
export interface SoakCounts {
  sent: number;
  completed: number;
  failed: number;
  timedOut: number;
  dropped: number;
  /** Flows in flight when the harness died (a resumed soak); also counted in `timedOut`. */
  lost: number;
}

const COUNT_KEYS = ['sent', 'completed', 'failed', 'timedOut', 'dropped', 'lost'] as const;

function zeroCounts(): SoakCounts {
  return { sent: 0, completed: 0, failed: 0, timedOut: 0, dropped: 0, lost: 0 };
}

/** The counts of anything that carries them (a tally, a checkpointed window), copied. */
function countsOf(c: SoakCounts): SoakCounts {
  const out = zeroCounts();
  for (const k of COUNT_KEYS) out[k] = c[k];
  return out;
}

/** A soak window on the virtual axis as the journal carries it once it is final (`window.closed`). */
export interface EncodedSoakWindow extends SoakCounts {
  index: number;
  startMs: number;
  endMs: number;
  /** Histogram.encode() of the window's latencies (timed-out and lost flows at the deadline). */
  latency: string;
  rssMaxBytes?: number;
  harnessValid: boolean;
}

/** How one soak flow ended, as journaled in its `flow.settled` record. */
export type SoakOutcome = 'completed' | 'failed' | 'timed_out' | 'dropped' | 'lost';

interface SoakTally extends SoakCounts {
  latency: Histogram;
  /** Launched and not yet settled. */
  inFlight: number;
  /** What earlier processes measured of this window (a resumed soak). */
  carriedValid: boolean;
  carriedRssBytes?: number;
}

/** The soak part of a checkpoint: the open windows (histograms go in CheckpointState.histograms). */
export interface SoakCheckpoint {
  suiteIndex: number;
  nextClose: number;
  highestVirtualMs: number;
  open: Array<SoakCounts & { index: number; harnessValid: boolean; rssMaxBytes?: number }>;
  /** [arrival index, window index] of every flow in flight. */
  inFlight: Array<[number, number]>;
  /** Calls the connector made to the mocks during the soak so far, all processes together. */
  apiCalls: { total: number; ok: number };
  gaps: Array<{ startMs: number; endMs: number; reason: string }>;
}

/** Where soak records go (a RunJournal). */
export interface SoakJournal {
  append(record: JournalRecord): void;
  checkpoint(state: CheckpointState): void;
}

/** Journal flow id of a soak arrival: its schedule index, which stays unique across resumes. */
export function soakFlowId(index: number): string {
  return `soak#${index}`;
}

function emptyTally(): SoakTally {
  return { ...zeroCounts(), latency: Histogram.create(), inFlight: 0, carriedValid: true };
}

/**
 * The soak's windows, tallied flow by flow as flows settle (not recomputed at the end), so a run
 * can be checkpointed and resumed: each window is journaled once as `window.closed` when every
 * arrival in it is handled and settled, and a checkpoint carries only the windows still open.
 */
export class SoakLedger {
  /** Final windows, in order. */
  readonly closed: EncodedSoakWindow[] = [];
  private readonly open = new Map<number, SoakTally>();
  private readonly inFlight = new Map<number, number>();
  private nextClose = 0;
  private highestVirtualMs = -1;
  private nextIndex = 0;
  private restoring = false;
  private readonly count: number;

  constructor(
    private readonly cfg: {
      windowMs: number;
      durationMs: number;
      deadlineMs: number;
      journal?: SoakJournal;
      /** Harness validity and connector peak RSS this process saw in a window (virtual span). */
      measure?: (startMs: number, endMs: number) => { harnessValid: boolean; rssMaxBytes?: number };
    },
  ) {
    this.count = Math.max(1, Math.ceil(cfg.durationMs / cfg.windowMs));
  }

  /** The next arrival index to play (one past the highest handled). */
  get nextArrivalIndex(): number {
    return this.nextIndex;
  }

  /** Virtual time of the last arrival handled, or −1 before the first. */
  get lastVirtualMs(): number {
    return this.highestVirtualMs;
  }

  /** Arrivals launched and not settled. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private windowOf(virtualMs: number): number {
    return Math.min(this.count - 1, Math.max(0, Math.floor(virtualMs / this.cfg.windowMs)));
  }

  private tally(w: number): SoakTally {
    let t = this.open.get(w);
    if (!t) {
      t = emptyTally();
      this.open.set(w, t);
    }
    return t;
  }

  /** Counts one arrival as sent in its window, remembers how far the schedule got, journals it. */
  private arrival(
    type: typeof recordTypes.flowLaunched | typeof recordTypes.flowDropped,
    index: number,
    virtualMs: number,
    journal: boolean,
  ): SoakTally {
    const w = this.windowOf(virtualMs);
    const t = this.tally(w);
    t.sent++;
    this.nextIndex = Math.max(this.nextIndex, index + 1);
    this.highestVirtualMs = Math.max(this.highestVirtualMs, virtualMs);
    if (type === recordTypes.flowLaunched) {
      t.inFlight++;
      this.inFlight.set(index, w);
    } else t.dropped++;
    if (journal) {
      const flowId = soakFlowId(index);
      this.cfg.journal?.append({
        type,
        flowId,
        suite: 'soak',
        index,
        window: w,
        virtualMs: Math.round(virtualMs),
      });
    }
    return t;
  }

  /** An arrival the driver launched. */
  launched(index: number, virtualMs: number, journal = true): void {
    this.arrival(recordTypes.flowLaunched, index, virtualMs, journal);
  }

  /** An arrival the driver dropped (in-flight cap): an error of its window. */
  dropped(index: number, virtualMs: number, journal = true): void {
    this.arrival(recordTypes.flowDropped, index, virtualMs, journal);
    this.closeReady(false);
  }

  /** What this process saw of window `index` (harness health, connector RSS) with what was carried in. */
  private seen(index: number, t: SoakTally): { harnessValid: boolean; rssMaxBytes?: number } {
    const startMs = index * this.cfg.windowMs;
    const endMs = Math.min(this.cfg.durationMs, (index + 1) * this.cfg.windowMs);
    const seen = this.cfg.measure?.(startMs, endMs) ?? { harnessValid: true };
    const rss = [seen.rssMaxBytes, t.carriedRssBytes].filter((x): x is number => x !== undefined);
    return {
      harnessValid: seen.harnessValid && t.carriedValid,
      ...(rss.length > 0 ? { rssMaxBytes: Math.max(...rss) } : {}),
    };
  }

  /** A launched flow settled (or its deadline passed): classified by the one flow classifier. */
  settled(index: number, flow: FlowTrace): void {
    const c = classifyFlow(flow, this.cfg.deadlineMs);
    const outcome: SoakOutcome =
      c.outcome === 'completed'
        ? 'completed'
        : c.outcome === 'failed'
          ? 'failed'
          : c.outcome === 'dropped'
            ? 'dropped'
            : 'timed_out';
    this.settle(index, outcome, outcome === 'completed' ? c.latencyMs : null, true);
  }

  /**
   * Applies one settled outcome to the flow's window (live, or replayed from the journal). Returns
   * false for a flow not in flight: settled twice, or never launched; it is not counted again.
   */
  settle(index: number, outcome: SoakOutcome, latencyMs: number | null, journal: boolean): boolean {
    const w = this.inFlight.get(index);
    if (w === undefined) return false;
    this.inFlight.delete(index);
    const t = this.tally(w);
    t.inFlight--;
    if (outcome === 'dropped') t.dropped++;
    else if (outcome === 'failed') t.failed++;
    else if (outcome === 'completed' && latencyMs !== null) {
      t.completed++;
      t.latency.record(latencyMs);
    } else {
      t.timedOut++;
      if (outcome === 'lost') t.lost++;
      t.latency.record(this.cfg.deadlineMs);
    }
    if (journal) {
      this.cfg.journal?.append({
        type: recordTypes.flowSettled,
        flowId: soakFlowId(index),
        suite: 'soak',
        index,
        window: w,
        outcome,
        latencyMs,
      });
    }
    this.closeReady(false);
    return true;
  }

  /** Counts every flow still in flight as lost (the process that ran it died) and journals it. */
  loseInFlight(): number {
    const lost = [...this.inFlight.keys()];
    for (const index of lost) this.settle(index, 'lost', null, true);
    return lost.length;
  }

  /**
   * Journals every window that is final: every arrival in it handled (an arrival at or past its end
   * was) and none in flight; with `final`, all the rest (the schedule is over).
   */
  closeReady(final: boolean): void {
    if (this.restoring) return;
    while (this.nextClose < this.count) {
      const i = this.nextClose;
      const startMs = i * this.cfg.windowMs;
      const endMs = Math.min(this.cfg.durationMs, (i + 1) * this.cfg.windowMs);
      const t = this.open.get(i) ?? emptyTally();
      if (!final && (this.highestVirtualMs < (i + 1) * this.cfg.windowMs || t.inFlight > 0)) return;
      const { harnessValid, ...rss } = this.seen(i, t);
      const window: EncodedSoakWindow = {
        index: i,
        startMs,
        endMs,
        ...countsOf(t),
        latency: t.latency.encode(),
        ...rss,
        harnessValid,
      };
      this.adoptClosed(window);
      this.cfg.journal?.append({ type: recordTypes.windowClosed, suite: 'soak', window });
    }
  }

  /** Takes a window that is already final (live, or a `window.closed` record of an earlier process). */
  adoptClosed(window: EncodedSoakWindow): void {
    if (window.index < this.nextClose) return;
    this.closed.push(window);
    this.open.delete(window.index);
    this.nextClose = window.index + 1;
  }

  /** The windows still open, for a checkpoint (histograms keyed `window.<i>`). */
  snapshot(): {
    histograms: Record<string, string>;
    soak: Pick<SoakCheckpoint, 'nextClose' | 'highestVirtualMs' | 'open' | 'inFlight'>;
  } {
    const histograms: Record<string, string> = {};
    const open: SoakCheckpoint['open'] = [];
    for (const [index, t] of this.open) {
      histograms[`window.${index}`] = t.latency.encode();
      const { harnessValid, ...rss } = this.seen(index, t);
      open.push({ index, ...countsOf(t), harnessValid, ...rss });
    }
    return {
      histograms,
      soak: {
        nextClose: this.nextClose,
        highestVirtualMs: this.highestVirtualMs,
        open,
        inFlight: [...this.inFlight],
      },
    };
  }

  /**
   * Rebuilds the ledger of a dead process: the windows it closed, the open windows of its last
   * checkpoint, then the soak records it journaled after that checkpoint replayed on top. Flows still
   * in flight afterwards are the ones the crash caught (see {@link loseInFlight}).
   */
  restore(
    closed: readonly EncodedSoakWindow[],
    checkpoint: { histograms: Record<string, string>; soak: SoakCheckpoint },
    after: readonly JournalRecord[],
  ): void {
    const cp = checkpoint.soak;
    this.restoring = true;
    for (const o of cp.open) {
      const enc = checkpoint.histograms[`window.${o.index}`];
      this.open.set(o.index, {
        ...countsOf(o),
        // A decoded HDR histogram does not grow its range: copy it into one that does before recording.
        latency: enc ? Histogram.create().merge(Histogram.decode(enc)) : Histogram.create(),
        inFlight: 0,
        carriedValid: o.harnessValid,
        ...(o.rssMaxBytes !== undefined ? { carriedRssBytes: o.rssMaxBytes } : {}),
      });
    }
    for (const [index, w] of cp.inFlight) {
      this.inFlight.set(index, w);
      this.tally(w).inFlight++;
      this.nextIndex = Math.max(this.nextIndex, index + 1);
    }
    this.nextClose = cp.nextClose;
    this.highestVirtualMs = cp.highestVirtualMs;
    for (const r of after) {
      if (r['suite'] !== 'soak') continue;
      const index = typeof r['index'] === 'number' ? r['index'] : undefined;
      const virtualMs = typeof r['virtualMs'] === 'number' ? r['virtualMs'] : undefined;
      if (r.type === recordTypes.flowLaunched && index !== undefined && virtualMs !== undefined) {
        this.launched(index, virtualMs, false);
      } else if (r.type === recordTypes.flowDropped && index !== undefined && virtualMs !== undefined) {
        this.dropped(index, virtualMs, false);
      } else if (r.type === recordTypes.flowSettled && index !== undefined) {
        const latency = typeof r['latencyMs'] === 'number' ? r['latencyMs'] : null;
        this.settle(index, r['outcome'] as SoakOutcome, latency, false);
      }
    }
    // Windows the dead process closed are final: their journaled figures replace any replayed tally.
    for (const w of [...closed].sort((a, b) => a.index - b.index)) {
      if (this.closed.some((c) => c.index === w.index)) continue;
      this.closed.push(w);
      this.open.delete(w.index);
      this.nextClose = Math.max(this.nextClose, w.index + 1);
    }
    for (const [index, w] of this.inFlight) if (w < this.nextClose) this.inFlight.delete(index);
    this.restoring = false;
  }

  /** Totals over the closed windows. */
  totals(): SoakCounts {
    const t = zeroCounts();
    for (const w of this.closed) for (const k of COUNT_KEYS) t[k] += w[k];
    return t;
  }
}
