import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../kernel/clock.js';
import {
  harnessSource,
  nodeProcessSource,
  parseProcStat,
  parseProcStatusRssBytes,
  procSource,
  type ResourceSample,
  startResourceSampler,
  summarizeResources,
  type UsageReading,
} from '../../../src/metrics/resources.js';

// A real /proc/<pid>/stat line, with a command name that contains spaces and a ')'.
const STAT =
  '4242 (node ) (weird) S 1 4242 4242 0 -1 4194560 12000 0 3 0 1500 250 0 0 20 0 11 0 98765 1234567890 20480 18446744073709551615 1 1 0 0 0 0 0 4096 134234626 0 0 0 17 1 0 0 0 0 0';
const STATUS = 'Name:\tnode\nState:\tS (sleeping)\nVmPeak:\t 1200000 kB\nVmRSS:\t   81920 kB\nThreads:\t11\n';

describe('/proc parsing', () => {
  it('reads utime, stime and rss from stat, counting fields after the last parenthesis', () => {
    expect(parseProcStat(STAT)).toEqual({ state: 'S', utimeTicks: 1500, stimeTicks: 250, rssPages: 20480 });
    expect(parseProcStat('garbage')).toBeNull();
    expect(parseProcStat('1 (x) S 1 2')).toBeNull();
  });

  it('reads VmRSS in bytes from status, null when absent (zombie)', () => {
    expect(parseProcStatusRssBytes(STATUS)).toBe(81920 * 1024);
    expect(parseProcStatusRssBytes('Name:\tx\nState:\tZ (zombie)\n')).toBeNull();
  });

  it('turns /proc files into a reading, and a vanished process into null', () => {
    const files: Record<string, string> = { '/proc/4242/stat': STAT, '/proc/4242/status': STATUS };
    const read = (p: string) => {
      const f = files[p];
      if (f === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return f;
    };
    const src = procSource(4242, { readFile: read });
    expect(src.label).toBe('pid 4242');
    // (1500 + 250) ticks at 100 Hz = 17.5 s of CPU.
    expect(src.read()).toEqual({ cpuMs: 17_500, rssBytes: 81920 * 1024 });
    delete files['/proc/4242/stat'];
    expect(src.read()).toBeNull();
    expect(() => procSource(-1)).toThrow(/pid must be a positive integer/);
  });

  it.skipIf(!existsSync('/proc/self/stat'))('reads the harness itself from /proc/self on Linux', () => {
    const r = harnessSource().read();
    expect(r).not.toBeNull();
    expect(r!.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(r!.cpuMs).toBeGreaterThan(0);
  });

  it("falls back to Node's counters when given them", () => {
    const src = nodeProcessSource({
      cpuUsage: () => ({ user: 3_000_000, system: 1_000_000 }),
      memoryUsage: Object.assign(() => ({}) as NodeJS.MemoryUsage, { rss: () => 50_000_000 }),
    } as never);
    expect(src.read()).toEqual({ cpuMs: 4000, rssBytes: 50_000_000 });
  });
});

describe('startResourceSampler', () => {
  const fakeSource = () => {
    const state: { reading: UsageReading | null } = { reading: { cpuMs: 0, rssBytes: 100 * 1024 * 1024 } };
    return { state, source: { label: 'fake', read: () => (state.reading ? { ...state.reading } : null) } };
  };

  it('samples every second on the injected timer: CPU % over the interval, RSS and % of machine memory', () => {
    const clock = new VirtualClock();
    const { state, source } = fakeSource();
    const seen: ResourceSample[] = [];
    const sampler = startResourceSampler({
      source,
      timer: clock,
      totalMemBytes: 1000 * 1024 * 1024,
      onSample: (s) => seen.push(s),
    });
    // Busy half of each second.
    for (let i = 0; i < 3; i++) {
      state.reading!.cpuMs += 500;
      clock.advance(1000);
    }
    expect(seen).toHaveLength(3);
    expect(seen.map((s) => s.atMs)).toEqual([1000, 2000, 3000]);
    expect(seen[0]).toMatchObject({ cpuPct: 50, rssBytes: 100 * 1024 * 1024, memPct: 10, alive: true });
    // Two busy cores = 200 % (top's convention).
    state.reading!.cpuMs += 2000;
    clock.advance(1000);
    expect(seen[3]?.cpuPct).toBe(200);
    state.reading = null;
    clock.advance(1000);
    expect(seen[4]).toMatchObject({ alive: false, cpuPct: 0, rssBytes: 0 });
    sampler.stop();
    clock.advance(5000);
    expect(seen).toHaveLength(5);
    expect(clock.pendingCount()).toBe(0);
  });

  it('stamps samples with the run clock and keeps only a bounded ring of recent ones', () => {
    const clock = new VirtualClock();
    const { source } = fakeSource();
    const sampler = startResourceSampler({
      source,
      timer: clock,
      stampMs: () => clock.nowMs() * 72,
      keepRecent: 3,
    });
    clock.advance(10_000);
    const recent = sampler.recent();
    expect(recent).toHaveLength(3);
    expect(recent.map((s) => s.atMs)).toEqual([8000 * 72, 9000 * 72, 10_000 * 72]);
    sampler.stop();
  });
});

describe('summarizeResources', () => {
  const s = (atMs: number, cpuPct: number, memPct = 10): ResourceSample => ({
    atMs,
    cpuPct,
    rssBytes: memPct * 1e6,
    memPct,
    alive: true,
  });

  it("flags CPU above 80 % only when sustained 30 s, and memory at 75 % (the seed's limits)", () => {
    const spiky = Array.from({ length: 60 }, (_, i) => s(i * 1000, i % 10 === 0 ? 100 : 40));
    expect(summarizeResources(spiky)).toMatchObject({
      cpuSustainedAbove: false,
      cpuMaxPct: 100,
      memAbove: false,
    });
    const busy = Array.from({ length: 60 }, (_, i) =>
      s(i * 1000, i >= 20 && i < 55 ? 95 : 30, i === 50 ? 76 : 20),
    );
    const sum = summarizeResources(busy);
    expect(sum.cpuLongestAboveMs).toBe(35_000);
    expect(sum.cpuSustainedAbove).toBe(true);
    expect(sum.memAbove).toBe(true);
    expect(sum.memMaxPct).toBe(76);
    expect(sum.samples).toBe(60);
    expect(sum.cpuMeanPct).toBeCloseTo((35 * 95 + 25 * 30) / 60, 6);
  });

  it('notes a process that went away', () => {
    const sum = summarizeResources([
      s(0, 10),
      { atMs: 1000, cpuPct: 0, rssBytes: 0, memPct: 0, alive: false },
    ]);
    expect(sum.sawExit).toBe(true);
    expect(sum.rssLastBytes).toBe(10e6);
  });
});
