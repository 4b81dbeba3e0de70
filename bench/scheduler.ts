/**
 * Scheduler accuracy: how close to its intended time does the open-model driver start each arrival at
 * 1,000 msg/s, and how does that compare with autocannon's rate mode against the same server?
 *
 *   npx tsx bench/scheduler.ts [seconds=10] [perSecond=1000]
 *
 * One bare node:http server on 127.0.0.1 (port 0) answers every request at once and stamps when each
 * arrived. Our driver (RealClock, launch = one GET through a keep-alive agent) runs first, then
 * autocannon with `overallRate`, each for the same time. Printed: our start error |actual − intended|,
 * the server-side gap error |gap − 1/rate| for both (the only view of autocannon's pacing we have),
 * achieved rate and client latency for both, and the ratios. Target: our start error p99 ≤ 2 ms.
 * Figures only: nothing here is a pass/fail gate.
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { RealClock } from '../kernel/clock.js';
import { runOpenModel } from '../src/load/driver.js';
import { arrivalOffsets, totalArrivals } from '../src/load/schedule.js';
import { Histogram, type HistogramSummary } from '../src/metrics/histogram.js';
import { startLoopMonitor } from '../src/metrics/loop.js';

const seconds = Math.min(60, Math.max(1, Number(process.argv[2] ?? 10)));
const perSecond = Math.min(5000, Math.max(1, Number(process.argv[3] ?? 1000)));
const intervalMs = 1000 / perSecond;

const arrivals: number[] = [];
const server = createServer((req, res) => {
  arrivals.push(performance.now());
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
  res.end('ok');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address() as AddressInfo;

/** |gap − interval| between consecutive server-side arrivals, skipping a warm-up second. */
function gapError(stamps: number[]): Histogram {
  const h = Histogram.create();
  const skip = Math.min(stamps.length - 1, perSecond);
  for (let i = skip + 1; i < stamps.length; i++) {
    h.record(Math.abs((stamps[i] as number) - (stamps[i - 1] as number) - intervalMs));
  }
  return h;
}

function line(name: string, s: HistogramSummary): string {
  const f = (v: number) => v.toFixed(3).padStart(9);
  return `  ${name.padEnd(34)} p50 ${f(s.p50)}  p99 ${f(s.p99)}  max ${f(s.max)}  (ms, n=${s.count})`;
}

// --- our driver -------------------------------------------------------------------------------
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const clock = new RealClock();
const startError = Histogram.create();
const oursLatency = Histogram.create();
const loopDelayP99 = Histogram.create();
const stages = [{ durationMs: seconds * 1000, startPerMin: perSecond * 60, endPerMin: perSecond * 60 }];
const loop = startLoopMonitor({
  timer: clock,
  resolutionMs: 1,
  onSample: (s) => loopDelayP99.record(s.delayP99Ms),
});

const get = (scheduledAtMs: number) =>
  new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => {
        oursLatency.record(clock.nowMs() - scheduledAtMs);
        resolve();
      });
    });
    req.on('error', () => resolve());
    req.end();
  });

arrivals.length = 0;
const t0 = clock.nowMs() + 200;
const { done } = runOpenModel({
  clock,
  offsetsMs: arrivalOffsets(stages),
  startAtMs: t0,
  maxInFlight: 512,
  ...(process.env.COALESCE_MS ? { coalesceMs: Number(process.env.COALESCE_MS) } : {}),
  launch: (a) => {
    startError.record(Math.abs(clock.nowMs() - a.scheduledAtMs));
    return get(a.scheduledAtMs);
  },
});
const stats = await done;
const oursElapsedS = (clock.nowMs() - t0) / 1000;
loop.stop();
const oursGap = gapError(arrivals);
const oursRate = arrivals.length / oursElapsedS;
agent.destroy();

// --- autocannon --------------------------------------------------------------------------------
arrivals.length = 0;
const ac = await autocannon({
  url: `http://127.0.0.1:${port}/`,
  connections: 32,
  overallRate: perSecond,
  duration: seconds,
});
const acGap = gapError(arrivals);
const acRate = ac.requests.total / seconds;
server.close();

// autocannon reports whole-ms latency percentiles (with coordinated-omission correction).
const acLatency: HistogramSummary = {
  count: ac.requests.total,
  min: ac.latency.min,
  p50: ac.latency.p50,
  p90: ac.latency.p90,
  p95: ac.latency.p97_5,
  p99: ac.latency.p99,
  max: ac.latency.max,
  mean: ac.latency.average,
};

const ours = startError.summary();
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
console.log(`scheduler bench: ${perSecond}/s for ${seconds} s, 127.0.0.1:${port}, node ${process.version}`);
// Timer accuracy is only as good as the CPU the harness gets: a busy shared box shows up here.
console.log(`  machine: ${availableParallelism()} cores, load average ${load} at the end`);
console.log(
  `ours (runOpenModel, RealClock): ${stats.launched}/${totalArrivals(stages)} launched, ${stats.dropped} dropped,`,
);
console.log(`  achieved ${oursRate.toFixed(1)}/s, late starts (> 50 ms) ${stats.lateStarts}`);
console.log(line('start error |actual − intended|', ours));
console.log(line('server gap error |gap − interval|', oursGap.summary()));
console.log(line('latency from intended start', oursLatency.summary()));
console.log(line('harness event-loop delay p99/s', loopDelayP99.summary()));
console.log(
  `autocannon (overallRate ${perSecond}, 32 connections): achieved ${acRate.toFixed(1)}/s, errors ${ac.errors}`,
);
console.log(line('server gap error |gap − interval|', acGap.summary()));
console.log(line('latency (autocannon, whole ms)', acLatency));
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
console.log('ratios autocannon / ours:');
console.log(
  `  server gap error p50 ${ratio(acGap.percentileMs(50), oursGap.percentileMs(50))}, p99 ${ratio(acGap.percentileMs(99), oursGap.percentileMs(99))}`,
);
console.log(`  achieved rate ${ratio(acRate, oursRate)}`);
console.log(
  `target: start error p99 ≤ 2 ms → ${ours.p99 <= 2 ? 'met' : 'NOT met'} (${ours.p99.toFixed(3)} ms)`,
);
