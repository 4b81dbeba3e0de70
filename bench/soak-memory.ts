/**
 * Harness memory over a full 72 h soak: plays the seed's diurnal schedule (360,000 arrivals) on a
 * VirtualClock with a trivial launch, keeping what a real soak keeps — per-window HDR histograms (end
 * to end and two hops), counters, harness-health windows — and journaling every flow and every closed
 * window to a temporary run directory. Prints the RSS growth; the target is < 150 MB.
 *
 *   npx tsx bench/soak-memory.ts [hours=72]
 *   node --expose-gc --import tsx bench/soak-memory.ts   (steadier figures: collects garbage before measuring)
 *
 * Figures only: nothing here is a pass/fail gate.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../kernel/clock.js';
import { createRng } from '../kernel/random.js';
import { openJournal, readJournal } from '../src/journal/journal.js';
import { runOpenModel } from '../src/load/driver.js';
import { diurnalSoakStages } from '../src/load/profiles.js';
import { arrivalOffsets, totalArrivals } from '../src/load/schedule.js';
import { analyzeSoak } from '../src/load/soak.js';
import { HarnessHealth } from '../src/metrics/loop.js';
import { WindowedMetrics } from '../src/metrics/windows.js';

const hours = Math.min(72, Math.max(1, Number(process.argv[2] ?? 72)));
const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
const rss = () => {
  gc?.();
  return process.memoryUsage().rss;
};

const startEpochMs = Date.UTC(2026, 0, 5);
const stages = diurnalSoakStages({ startEpochMs, durationMs: hours * 3_600_000 });
const expected = totalArrivals(stages);
const windowMs = 10 * 60_000;
const runDir = mkdtempSync(join(tmpdir(), 'wacrm-soak-mem-'));

const rssBefore = rss();
const heapBefore = process.memoryUsage().heapUsed;
const realStart = performance.now();

const clock = new VirtualClock({ epochMs: startEpochMs });
const rng = createRng(1);
const scheduleEndMs = hours * 3_600_000;
const windows = new WindowedMetrics({ windowMs, endMs: scheduleEndMs });
const health = new HarnessHealth({ windowMs, endMs: scheduleEndMs });
const journal = openJournal(runDir);
let peakRss = rssBefore;

const { done, stats } = runOpenModel({
  clock,
  offsetsMs: arrivalOffsets(stages),
  startAtMs: 0,
  maxInFlight: 1000,
  coalesceMs: 0,
  health,
  launch: async (a) => {
    const flowId = `f${a.index}`;
    // A lognormal-ish latency around 400 ms: two hops and the end-to-end sum.
    const acceptMs = 20 + 60 * -Math.log(1 - rng.next());
    const syncMs = 150 + 400 * -Math.log(1 - rng.next());
    windows.add('sent', a.scheduledAtMs);
    windows.add('completed', a.scheduledAtMs);
    windows.record('hop.accepted', a.scheduledAtMs, acceptMs);
    windows.record('hop.crm', a.scheduledAtMs, syncMs);
    windows.record('e2e', a.scheduledAtMs, acceptMs + syncMs);
    journal.append({ type: 'flow.launched', flowId, index: a.index, scheduledAtMs: a.scheduledAtMs });
    journal.append({ type: 'flow.settled', flowId, outcome: 'completed', latencyMs: acceptMs + syncMs });
  },
});

// Advance virtual time in 10 s steps, letting promise callbacks run between steps.
const endMs = hours * 3_600_000 + 1000;
let lastCheckpoint = 0;
for (let t = 0; t < endMs; t += 10_000) {
  clock.advance(10_000);
  await new Promise<void>((r) => setImmediate(r));
  for (const w of windows.takeClosed(clock.nowMs())) {
    journal.append({ type: 'window.closed', window: WindowedMetrics.encodeWindow(w) });
  }
  if (clock.nowMs() - lastCheckpoint >= 5 * 60_000) {
    lastCheckpoint = clock.nowMs();
    const s = stats();
    journal.checkpoint({
      position: { nextArrivalIndex: s.nextIndex, virtualMs: clock.nowMs() },
      seed: 1,
      histograms: {},
      counters: { launched: s.launched, dropped: s.dropped },
    });
  }
  if (t % 3_600_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
const final = await done;
await journal.close();
const realMs = performance.now() - realStart;
const rssAfter = rss();
peakRss = Math.max(peakRss, rssAfter);
const heapAfter = process.memoryUsage().heapUsed;

const report = analyzeSoak(
  windows.windows().map((w) => ({
    startMs: w.startMs,
    endMs: w.endMs,
    latency: w.histograms.get('e2e') ?? windows.histogram('none'),
    sent: w.counters.get('sent') ?? 0,
    completed: w.counters.get('completed') ?? 0,
    failed: 0,
    timedOut: 0,
    dropped: 0,
    harnessValid: true,
  })),
);
const journalBytes = statSync(join(runDir, 'journal.ndjson')).size;
const readStart = performance.now();
const read = readJournal(runDir, { keepRecords: false });
const readMs = performance.now() - readStart;
rmSync(runDir, { recursive: true, force: true });

console.log(
  `soak memory bench: ${hours} h diurnal schedule, node ${process.version}${gc ? ' (with gc)' : ''}`,
);
console.log(
  `  arrivals ${final.launched}/${expected} launched, ${final.dropped} dropped, played in ${(realMs / 1000).toFixed(1)} s`,
);
console.log(
  `  windows ${windows.windows().length} × 3 histograms, snapshots ${report.snapshots.length}, days ${report.days.length}`,
);
console.log(
  `  e2e p50 ${report.overall.p50Ms.toFixed(0)} ms, p95 ${report.overall.p95Ms.toFixed(0)} ms over ${report.overall.sent} flows`,
);
console.log(
  `  journal ${(journalBytes / MB).toFixed(1)} MB, re-read in ${(readMs / 1000).toFixed(1)} s (${read.lastSeq} records)`,
);
console.log(
  `  RSS before ${(rssBefore / MB).toFixed(1)} MB, after ${(rssAfter / MB).toFixed(1)} MB, peak ${(peakRss / MB).toFixed(1)} MB`,
);
console.log(`  heap growth ${((heapAfter - heapBefore) / MB).toFixed(1)} MB`);
const growth = (rssAfter - rssBefore) / MB;
console.log(`target: RSS growth < 150 MB → ${growth < 150 ? 'met' : 'NOT met'} (${growth.toFixed(1)} MB)`);
