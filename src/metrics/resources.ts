import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Clock, TimerHandle } from '../../kernel/clock.js';

/** Cumulative CPU time and current resident memory of one process. */
export interface UsageReading {
  /** User + system CPU time since the process started, in ms. */
  cpuMs: number;
  rssBytes: number;
}

/** Where readings come from: /proc for a child process, Node's own counters for the harness. */
export interface UsageSource {
  /** What is sampled ('pid 1234', 'self'), for reports. */
  readonly label: string;
  /** A reading now, or null when the process is gone (exited, crashed, not visible). */
  read(): UsageReading | null;
}

/** One resource sample: CPU % over the last interval and memory now. */
export interface ResourceSample {
  /** Time of the sample on the run's clock (virtual in a compressed run). */
  atMs: number;
  /** CPU time over wall time in the last interval, in % of one core (top's convention: 2 busy cores = 200). */
  cpuPct: number;
  rssBytes: number;
  /** RSS in % of the machine's memory. */
  memPct: number;
  /** False once the process is gone; CPU and memory are then 0. */
  alive: boolean;
}

/** The fields of /proc/<pid>/stat the sampler uses. */
export interface ProcStat {
  state: string;
  utimeTicks: number;
  stimeTicks: number;
  rssPages: number;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself hold spaces or
 * ')' (a process can name itself anything), so fields are counted from the LAST ')'. After it: field 3
 * state, 14 utime, 15 stime (clock ticks), 24 rss (pages) — proc(5). Returns null for unreadable text.
 */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 of proc(5), so field f is fields[f − 3].
  const state = fields[0];
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  const rss = Number(fields[24 - 3]);
  if (!state || !Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(rss)) return null;
  return { state, utimeTicks: utime, stimeTicks: stime, rssPages: rss };
}

/** VmRSS from /proc/<pid>/status in bytes, or null when the line is absent (a zombie has none). */
export function parseProcStatusRssBytes(text: string): number | null {
  const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/**
 * Readings of process `pid` ('self' = the harness) from /proc. CPU from the stat file's utime + stime,
 * RSS from the status file's VmRSS (exact in bytes, unlike stat's page count). `clockTicksPerSec` is
 * USER_HZ, 100 on every mainstream Linux build; `readFile` is injectable for tests.
 */
export function procSource(
  pid: number | 'self',
  opts: { readFile?: (path: string) => string; clockTicksPerSec?: number; pageSizeBytes?: number } = {},
): UsageSource {
  if (pid !== 'self' && !(Number.isInteger(pid) && pid > 0)) {
    throw new RangeError(`pid must be a positive integer or 'self', got ${String(pid)}`);
  }
  const read = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const ticksPerSec = opts.clockTicksPerSec ?? 100;
  const pageSize = opts.pageSizeBytes ?? 4096;
  const dir = `/proc/${pid}`;
  return {
    label: pid === 'self' ? 'self' : `pid ${pid}`,
    read() {
      let stat: ProcStat | null;
      let statusText: string;
      try {
        stat = parseProcStat(read(`${dir}/stat`));
        statusText = read(`${dir}/status`);
      } catch {
        return null;
      }
      if (!stat || stat.state === 'Z' || stat.state === 'X') return null;
      const rss = parseProcStatusRssBytes(statusText) ?? stat.rssPages * pageSize;
      return { cpuMs: ((stat.utimeTicks + stat.stimeTicks) * 1000) / ticksPerSec, rssBytes: rss };
    },
  };
}

/** The subset of Node's `process` a fallback source needs (passed in: only the CLI layer touches `process`). */
export type NodeUsage = Pick<NodeJS.Process, 'cpuUsage' | 'memoryUsage'>;

/** Readings of the current Node process from its own counters (for platforms without /proc). */
export function nodeProcessSource(proc: NodeUsage): UsageSource {
  return {
    label: 'self',
    read() {
      const cpu = proc.cpuUsage();
      return { cpuMs: (cpu.user + cpu.system) / 1000, rssBytes: proc.memoryUsage.rss() };
    },
  };
}

/**
 * The harness's own usage: /proc/self where it exists (Linux), else Node's counters when the caller
 * passes `process` in, else a source whose readings are null (the report then says "not sampled").
 */
export function harnessSource(fallback?: NodeUsage, readFile?: (path: string) => string): UsageSource {
  const proc = procSource('self', readFile ? { readFile } : {});
  if (proc.read() !== null) return proc;
  if (fallback) return nodeProcessSource(fallback);
  return { label: 'self', read: () => null };
}

/** Options of {@link startResourceSampler}. */
export interface ResourceSamplerOptions {
  source: UsageSource;
  /**
   * Drives the sampling and measures the wall time CPU % is computed over. CPU time is real time, so
   * in a real run this is a RealClock even when the run itself is on a ScaledClock; tests pass a
   * VirtualClock.
   */
  timer: Clock;
  /** Default 1,000. */
  intervalMs?: number;
  /** Timestamp for each sample (the run's clock, maybe virtual); default the timer's time. */
  stampMs?: () => number;
  /** Machine memory for memPct; default os.totalmem(). */
  totalMemBytes?: number;
  onSample?: (sample: ResourceSample) => void;
  /** How many recent samples `recent()` keeps (a ring, so a 72 h run stays small). Default 600. */
  keepRecent?: number;
}

/** A running sampler. */
export interface ResourceSampler {
  /** Takes a sample now (also what the timer calls). */
  sampleNow(): ResourceSample;
  /** The last `keepRecent` samples, oldest first. */
  recent(): ResourceSample[];
  /** Stops the timer; further samples only by sampleNow(). */
  stop(): void;
}

/**
 * Samples a process every `intervalMs` on an injected timer. CPU % = ΔcpuMs / Δwall × 100 between two
 * readings; the baseline reading is taken at start so the first sample covers the first interval.
 */
export function startResourceSampler(opts: ResourceSamplerOptions): ResourceSampler {
  const intervalMs = opts.intervalMs ?? 1000;
  if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
  const totalMem = opts.totalMemBytes ?? totalmem();
  const stamp = opts.stampMs ?? (() => opts.timer.nowMs());
  const keep = Math.max(1, opts.keepRecent ?? 600);
  const ring: ResourceSample[] = [];
  let prev = opts.source.read();
  let prevWallMs = opts.timer.nowMs();
  let timer: TimerHandle | null = null;
  let stopped = false;
  const startedMs = prevWallMs;
  let ticks = 0;

  const sampleNow = (): ResourceSample => {
    const wallMs = opts.timer.nowMs();
    const reading = opts.source.read();
    let sample: ResourceSample;
    if (!reading) {
      sample = { atMs: stamp(), cpuPct: 0, rssBytes: 0, memPct: 0, alive: false };
    } else {
      const dtMs = wallMs - prevWallMs;
      const cpuPct = prev && dtMs > 0 ? Math.max(0, ((reading.cpuMs - prev.cpuMs) / dtMs) * 100) : 0;
      sample = {
        atMs: stamp(),
        cpuPct,
        rssBytes: reading.rssBytes,
        memPct: totalMem > 0 ? (reading.rssBytes / totalMem) * 100 : 0,
        alive: true,
      };
    }
    prev = reading;
    prevWallMs = wallMs;
    ring.push(sample);
    if (ring.length > keep) ring.shift();
    opts.onSample?.(sample);
    return sample;
  };

  // Each tick re-arms for start + k·interval, so the sampling grid does not drift with timer lateness.
  const arm = () => {
    if (stopped) return;
    ticks++;
    const dueMs = startedMs + ticks * intervalMs;
    timer = opts.timer.setTimeout(
      () => {
        sampleNow();
        arm();
      },
      Math.max(0, dueMs - opts.timer.nowMs()),
    );
  };
  arm();

  return {
    sampleNow,
    recent: () => [...ring],
    stop() {
      stopped = true;
      if (timer) opts.timer.clearTimeout(timer);
      timer = null;
    },
  };
}

/** What a window of samples says: means, peaks, and how long CPU stayed above a limit in one stretch. */
export interface ResourceSummary {
  samples: number;
  cpuMeanPct: number;
  cpuMaxPct: number;
  rssMaxBytes: number;
  rssLastBytes: number;
  memMaxPct: number;
  /** Longest run of consecutive samples above `cpuLimitPct`, in ms of sample time. */
  cpuLongestAboveMs: number;
  /** CPU above the limit for at least `sustainMs` in one stretch (the seed: "not sustained above 80 %"). */
  cpuSustainedAbove: boolean;
  /** Peak memory at or above `memLimitPct` (the seed: "memory under 75 %"). */
  memAbove: boolean;
  /** A sample found the process gone. */
  sawExit: boolean;
}

/**
 * Streaming summary of resource samples, so a 72 h run never keeps 259,200 samples: add() each one,
 * summary() when the window closes. Limits default to the seed's 80 % CPU sustained 30 s and 75 % memory.
 */
export class ResourceAccumulator {
  private n = 0;
  private cpuSum = 0;
  private cpuMax = 0;
  private rssMax = 0;
  private rssLast = 0;
  private memMax = 0;
  private runStartMs: number | null = null;
  private longestMs = 0;
  private lastAtMs: number | null = null;
  private exited = false;

  constructor(
    private readonly limits: { cpuLimitPct?: number; sustainMs?: number; memLimitPct?: number } = {},
  ) {}

  /** Adds one sample (in time order). */
  add(s: ResourceSample): void {
    if (!s.alive) {
      this.exited = true;
      this.runStartMs = null;
      return;
    }
    this.n++;
    this.cpuSum += s.cpuPct;
    this.cpuMax = Math.max(this.cpuMax, s.cpuPct);
    this.rssMax = Math.max(this.rssMax, s.rssBytes);
    this.rssLast = s.rssBytes;
    this.memMax = Math.max(this.memMax, s.memPct);
    const limit = this.limits.cpuLimitPct ?? 80;
    if (s.cpuPct > limit) {
      // A sample stands for the interval that ends at it, so a run starts one interval earlier.
      if (this.runStartMs === null) this.runStartMs = this.lastAtMs ?? s.atMs;
      this.longestMs = Math.max(this.longestMs, s.atMs - this.runStartMs);
    } else {
      this.runStartMs = null;
    }
    this.lastAtMs = s.atMs;
  }

  /** Summary of everything added so far. */
  summary(): ResourceSummary {
    return {
      samples: this.n,
      cpuMeanPct: this.n > 0 ? this.cpuSum / this.n : 0,
      cpuMaxPct: this.cpuMax,
      rssMaxBytes: this.rssMax,
      rssLastBytes: this.rssLast,
      memMaxPct: this.memMax,
      cpuLongestAboveMs: this.longestMs,
      cpuSustainedAbove: this.longestMs >= (this.limits.sustainMs ?? 30_000),
      memAbove: this.memMax >= (this.limits.memLimitPct ?? 75),
      sawExit: this.exited,
    };
  }
}

/** Summary of a list of samples (see {@link ResourceAccumulator}). */
export function summarizeResources(
  samples: readonly ResourceSample[],
  limits: { cpuLimitPct?: number; sustainMs?: number; memLimitPct?: number } = {},
): ResourceSummary {
  const acc = new ResourceAccumulator(limits);
  for (const s of samples) acc.add(s);
  return acc.summary();
}
