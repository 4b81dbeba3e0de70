import { type Clock, RealClock } from '../../kernel/clock.js';
import type { Io } from './io.js';

/** What the run knows right now; every field is optional and shown only when present. */
export interface ProgressSnapshot {
  /** Units done out of the progress's `total` (arrivals, steps, virtual ms): drives the ETA. */
  done?: number;
  /** Current step, e.g. 'step 4/12'. */
  step?: string;
  /** Virtual time into the run (a compressed soak shows its own time axis). */
  virtualMs?: number;
  /** Offered rate now, msg/min. */
  ratePerMin?: number;
  p95Ms?: number;
  /** Failed + timed out + dropped so far. */
  errors?: number;
  /** Errors over sent, 0..1. */
  errorRate?: number;
  /** False once a window was marked invalid (harness lag). */
  harnessValid?: boolean;
}

/** A live progress display. */
export interface Progress {
  update(snapshot: ProgressSnapshot): void;
  /** Prints the final line (with `note`, e.g. 'stopped: p95 > 5 s'); later updates are ignored. */
  done(note?: string): void;
}

/** 3723000 → '1h02m', 65000 → '1m05s', 4200 → '4s'. */
export function formatDurationShort(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/** Virtual time as 'T+29h14m' (hours since the run's start, as the soak report shows it). */
function formatVirtual(ms: number): string {
  const totalMin = Math.floor(ms / 60_000);
  return `T+${Math.floor(totalMin / 60)}h${String(totalMin % 60).padStart(2, '0')}m`;
}

/**
 * One progress line, e.g. `soak  T+29h14m  83/min  p95 412ms  errors 3 (0.02%)  41%  ETA 42m10s`.
 * Pure, so the format is tested without a terminal.
 */
export function formatProgressLine(
  label: string,
  s: ProgressSnapshot,
  info: { total?: number; elapsedMs: number; etaMs: number | null; finished?: boolean },
): string {
  const parts: string[] = [label];
  if (s.step) parts.push(s.step);
  if (s.virtualMs !== undefined) parts.push(formatVirtual(s.virtualMs));
  if (s.ratePerMin !== undefined) parts.push(`${Math.round(s.ratePerMin)}/min`);
  if (s.p95Ms !== undefined) {
    parts.push(s.p95Ms >= 10_000 ? `p95 ${(s.p95Ms / 1000).toFixed(1)}s` : `p95 ${Math.round(s.p95Ms)}ms`);
  }
  if (s.errors !== undefined || s.errorRate !== undefined) {
    const rate = s.errorRate !== undefined ? ` (${(s.errorRate * 100).toFixed(2)}%)` : '';
    parts.push(`errors ${s.errors ?? '?'}${rate}`);
  }
  if (info.total !== undefined && info.total > 0 && s.done !== undefined) {
    parts.push(`${Math.min(100, Math.floor((s.done / info.total) * 100))}%`);
  }
  if (info.finished) parts.push(`took ${formatDurationShort(info.elapsedMs)}`);
  else if (info.etaMs !== null) parts.push(`ETA ${formatDurationShort(info.etaMs)}`);
  else parts.push(`elapsed ${formatDurationShort(info.elapsedMs)}`);
  if (s.harnessValid === false) parts.push('HARNESS LAGGING');
  return parts.join('  ');
}

// Cursor up one line, then erase it: the previous progress line is rewritten in place.
const REWRITE = '\x1b[1A\x1b[2K';

/**
 * Live progress for long work. On a terminal: one line rewritten in place at most every `ttyEveryMs`.
 * In a log (CI, a pipe, TERM=dumb): a plain line at most every `plainEveryMs`, so a 72 h soak writes a
 * few thousand lines, not millions. ETA = elapsed × (total − done) / done on `clock` (real time).
 */
export function createProgress(
  io: Io,
  opts: { total?: number; label: string; clock?: Clock; ttyEveryMs?: number; plainEveryMs?: number },
): Progress {
  const clock = opts.clock ?? new RealClock();
  const live = io.isTty && io.env.TERM !== 'dumb';
  const everyMs = live ? (opts.ttyEveryMs ?? 250) : (opts.plainEveryMs ?? 5000);
  const startedMs = clock.nowMs();
  let lastPrintMs: number | null = null;
  let printedLive = false;
  let last: ProgressSnapshot = {};
  let finished = false;

  const lineFor = (s: ProgressSnapshot, finished = false): string => {
    const elapsedMs = clock.nowMs() - startedMs;
    let etaMs: number | null = null;
    if (opts.total !== undefined && opts.total > 0 && s.done !== undefined && s.done > 0) {
      etaMs = Math.max(0, (elapsedMs * (opts.total - s.done)) / s.done);
    }
    return formatProgressLine(opts.label, s, {
      elapsedMs,
      etaMs,
      finished,
      ...(opts.total !== undefined ? { total: opts.total } : {}),
    });
  };

  const print = (line: string) => {
    if (live) {
      io.out((printedLive ? REWRITE : '') + line);
      printedLive = true;
    } else {
      io.out(line);
    }
  };

  return {
    update(snapshot) {
      if (finished) return;
      last = { ...last, ...snapshot };
      const now = clock.nowMs();
      if (lastPrintMs !== null && now - lastPrintMs < everyMs) return;
      lastPrintMs = now;
      print(lineFor(last));
    },
    done(note) {
      if (finished) return;
      finished = true;
      const final = { ...last };
      if (opts.total !== undefined && final.done === undefined) final.done = opts.total;
      const line = lineFor(final, true);
      print(note ? `${line}  ${note}` : line);
    },
  };
}
