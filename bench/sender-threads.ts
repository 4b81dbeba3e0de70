// Usage: npx tsx bench/sender-threads.ts [--rate 2000] [--seconds 3] [--rounds 2] [--threads 1]
//
// What a webhook costs the harness's main loop: the same open-model stream of signed, status-sized
// webhooks through a WebhookDispatcher, sent by the in-process transport (today's, one loop) and
// by a WebhookSenderPool (--workers > 1), alternating old/new for --rounds rounds. Prints per
// round the main thread's CPU µs per delivered webhook (/proc/self/task/<pid>: what competes
// with the scheduler), the whole process's, and enqueue→delivered p50/p99, then the new/old ratios.
// The receiver is a node:http server in a child process on 127.0.0.1. Figures, never a gate.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { RealClock } from '../kernel/clock.js';
import { WebhookDispatcher, type WebhookTransport } from '../mocks/shared/dispatcher.js';
import { Journal } from '../mocks/shared/journal.js';
import { WebhookSenderPool } from '../mocks/shared/worker-transport.js';
import {
  statusWebhookBody as body,
  deliveryTimes,
  openModelStream,
  percentileOf,
  SINK_SERVER_SOURCE,
} from './lib.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    threads: { type: 'string', default: '1' },
  },
});
const ratePerSec = Number(args.rate);
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const threads = Number(args.threads);

// The receiver reads each body and answers 200, in its own process so its work is not counted.
const SINK = `${SINK_SERVER_SOURCE}
server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'));
`;

async function startSink(): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`the receiver exited (code ${code})`)));
  });
  return { url: `http://127.0.0.1:${port}/webhook`, proc };
}

/** CPU µs (user + system) from a /proc stat file (100 ticks/s). */
function cpuUs(file: string): number {
  const stat = readFileSync(file, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}
const mainCpu = () => cpuUs(`/proc/${process.pid}/task/${process.pid}/stat`);
const allCpu = () => cpuUs(`/proc/${process.pid}/stat`);

interface Round {
  mainUs: number;
  allUs: number;
  p50Ms: number;
  p99Ms: number;
  delivered: number;
}

async function round(url: string, transport: WebhookTransport | undefined): Promise<Round> {
  const clock = new RealClock();
  const journal = new Journal('bench', clock, 10);
  const d = new WebhookDispatcher({
    clock,
    journal,
    secret: 'bench-secret',
    url,
    concurrency: 64,
    ...(transport ? { transport } : {}),
  });
  const { intend, endToEndMs: lat } = deliveryTimes(journal);
  const total = Math.round(ratePerSec * seconds);
  const m0 = mainCpu();
  const a0 = allCpu();
  await openModelStream(ratePerSec, total, (i, intendedAtMs) =>
    intend(d.enqueue(`k${i % 500}`, body(i)), intendedAtMs),
  );
  await d.idle();
  const out = {
    mainUs: (mainCpu() - m0) / total,
    allUs: (allCpu() - a0) / total,
    delivered: d.stats().delivered,
    ...(() => {
      lat.sort((a, b) => a - b);
      return { p50Ms: percentileOf(lat, 50), p99Ms: percentileOf(lat, 99) };
    })(),
  };
  await d.close();
  return out;
}

const sink = await startSink();
const pool = new WebhookSenderPool({ threads });
console.log(
  `sender threads: ${ratePerSec} webhooks/s for ${seconds} s per round, ${rounds} rounds, ${threads} sender thread(s); load average ${loadavg()[0]?.toFixed(2)}`,
);
// Warm both paths once so neither pays for compiling the other's code.
await round(sink.url, undefined);
await round(sink.url, pool.transport());
const results: Array<{ name: string; r: Round }> = [];
for (let i = 0; i < rounds; i++) {
  results.push({ name: 'in-process (--workers 1)', r: await round(sink.url, undefined) });
  results.push({
    name: `sender threads (--workers ${threads + 1})`,
    r: await round(sink.url, pool.transport()),
  });
}
const f = (n: number) => n.toFixed(1);
console.log(' transport                   delivered  main µs/webhook  process µs/webhook  p50 ms  p99 ms');
for (const { name, r } of results) {
  console.log(
    `${name.padEnd(27)} ${String(r.delivered).padStart(9)} ${f(r.mainUs).padStart(16)} ${f(r.allUs).padStart(19)} ${f(r.p50Ms).padStart(7)} ${f(r.p99Ms).padStart(7)}`,
  );
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const old = results.filter((_, i) => i % 2 === 0).map((x) => x.r);
const neu = results.filter((_, i) => i % 2 === 1).map((x) => x.r);
console.log(
  `new/old: main-thread CPU per webhook ${(mean(neu.map((r) => r.mainUs)) / mean(old.map((r) => r.mainUs))).toFixed(2)}×, ` +
    `process CPU per webhook ${(mean(neu.map((r) => r.allUs)) / mean(old.map((r) => r.allUs))).toFixed(2)}×`,
);
await pool.close();
sink.proc.kill('SIGTERM');
