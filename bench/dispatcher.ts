// Usage: npx tsx bench/dispatcher.ts [--count 40000] [--keys 1000] [--concurrency 64] [--rate 2000] [--seconds 5] [--same-thread]
//
// How fast WebhookDispatcher delivers signed webhooks to a bare node:http sink on 127.0.0.1.
// Phase 1 (throughput): enqueue --count webhooks over --keys order keys at once, report delivered/s.
// Phase 2 (latency): an open-model stream at --rate webhooks/s for --seconds; report p50/p99 of
// enqueue → delivered (queueing included) and of the attempt itself (the journal's latencyMs).
// The sink runs in a worker thread so the dispatcher has its own core (--same-thread to share one).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { RealClock } from '../kernel/clock.js';
import { WebhookDispatcher } from '../mocks/shared/dispatcher.js';
import { Journal } from '../mocks/shared/journal.js';
import {
  statusWebhookBody as body,
  checkFlags,
  deliveryTimes,
  openModelStream,
  percentileOf as percentile,
  SINK_SERVER_SOURCE,
} from './lib.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '40000' },
    keys: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '64' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '5' },
    'same-thread': { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const keys = Number(args.keys);
const concurrency = Number(args.concurrency);
const ratePerSec = Number(args.rate);
const seconds = Number(args.seconds);
checkFlags({ count, keys, concurrency, rate: ratePerSec, seconds }, (v) => v > 0, 'a number > 0');

// The sink reads each body and answers 200: the cheapest receiver that still speaks real HTTP.
const SINK_SOURCE = `${SINK_SERVER_SOURCE}
const { parentPort } = require('node:worker_threads');
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => { if (m === 'count') parentPort.postMessage({ received }); });
`;

async function startSink(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (args['same-thread']) {
    const server = http.createServer((req, res) => {
      req.on('data', () => {});
      req.on('end', () => res.writeHead(200, { 'content-length': '2' }).end('ok'));
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
      stop: () =>
        new Promise((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    };
  }
  const worker = new Worker(SINK_SOURCE, { eval: true });
  const port = await new Promise<number>((resolve) =>
    worker.once('message', (m: { port: number }) => resolve(m.port)),
  );
  return { url: `http://127.0.0.1:${port}/webhook`, stop: () => worker.terminate().then(() => undefined) };
}

const sink = await startSink();
const clock = new RealClock();
const fmt = (n: number) => n.toFixed(1);

// Phase 1: throughput
{
  const journal = new Journal('bench', clock, 10);
  const d = new WebhookDispatcher({ clock, journal, secret: 'bench-secret', url: sink.url, concurrency });
  const t0 = performance.now();
  for (let i = 0; i < count; i++) d.enqueue(`k${i % keys}`, body(i));
  const enqueuedMs = performance.now() - t0;
  await d.idle();
  const totalMs = performance.now() - t0;
  const s = d.stats();
  console.log(
    `throughput: ${s.delivered}/${count} delivered in ${fmt(totalMs)} ms → ${Math.round(
      (s.delivered / totalMs) * 1000,
    )} webhooks/s (enqueue of all took ${fmt(enqueuedMs)} ms; concurrency ${concurrency}, ${keys} keys, failed attempts ${s.failedAttempts})`,
  );
  await d.close();
}

// Phase 2: latency at a fixed offered rate (open model: the schedule does not wait for deliveries)
{
  const journal = new Journal('bench', clock, 10);
  const d = new WebhookDispatcher({ clock, journal, secret: 'bench-secret', url: sink.url, concurrency });
  const { intend, endToEndMs, attemptMs } = deliveryTimes(journal);
  const total = Math.round(ratePerSec * seconds);
  const { maxLagMs } = await openModelStream(ratePerSec, total, (i, intendedAtMs) =>
    intend(d.enqueue(`k${i % keys}`, body(i)), intendedAtMs),
  );
  await d.idle();
  endToEndMs.sort((a, b) => a - b);
  attemptMs.sort((a, b) => a - b);
  const s = d.stats();
  console.log(
    `latency at ${ratePerSec}/s for ${seconds}s: ${s.delivered}/${total} delivered; enqueue→delivered p50 ${fmt(
      percentile(endToEndMs, 50),
    )} ms, p99 ${fmt(percentile(endToEndMs, 99))} ms, max ${fmt(endToEndMs.at(-1) ?? Number.NaN)} ms; attempt p50 ${fmt(
      percentile(attemptMs, 50),
    )} ms, p99 ${fmt(percentile(attemptMs, 99))} ms; scheduler max lag ${fmt(maxLagMs)} ms`,
  );
  await d.close();
}

await sink.stop();
