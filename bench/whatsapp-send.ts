// Usage: npx tsx bench/whatsapp-send.ts [--seconds 30] [--warmup 2] [--connections 64] [--recipients 2000]
//                                       [--mode both|default|single] [--no-webhooks] [--pin]
//
// How fast the mock WhatsApp Cloud API accepts sends, next to a bare fastify route in the same run.
// Both servers run on this process's main thread (one core); autocannon fires from a child process
// and the webhook sink (a bare node:http server answering 200) is another child process, so the
// mock's core does the mock's work only. The mock gets template sends (order_confirmation: NAMED parameters,
// currency, URL button) to --recipients different numbers, with its limits opened wide, and its
// status webhooks (sent, delivered, read) flowing to the sink while the load runs. The bare route
// parses the same JSON body and answers a constant Meta-shaped body. The mock runs twice: with its
// defaults (statusBatch 'auto': one status per webhook up to 5,000 statuses/s, batched above), and
// with statusBatch 1 (always one signed POST per status, as Meta usually sends them). Prints the
// rates, the statuses per webhook and the ratios to the bare route. The default 30 s lets the mock's
// bounded stores (200,000 messages) fill, so the figure is the steady state of a long run, where
// every send also drops the oldest entries, not the flattering first seconds.
// Targets (issue 2): ≥ 10,000 accepted sends/s and ≥ 0.4 of the bare route.
import { spawn, spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import Fastify from 'fastify';
import { RealClock } from '../kernel/clock.js';
import { buildWhatsAppMock } from '../mocks/whatsapp/index.js';
import { BENCH_PHONE_ID, checkFlags, ratioLine, runLoader, SINK_SERVER_SOURCE, usageError } from './lib.js';
import { templateSendBody } from './send-body.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    recipients: { type: 'string', default: '2000' },
    mode: { type: 'string', default: 'both' },
    'no-webhooks': { type: 'boolean', default: false },
    pin: { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const warmupS = Number(args.warmup);
const connections = Number(args.connections);
const recipients = Number(args.recipients);
checkFlags({ seconds, connections, recipients }, (v) => v > 0, 'a number > 0');
checkFlags({ warmup: warmupS }, (v) => v >= 0, 'a number ≥ 0');

// The sink: a bare node:http server answering 200 to every webhook, in its own process (as the
// connector would be), reporting how many it received when asked on stdin.
const SINK_SOURCE = `${SINK_SERVER_SOURCE}
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
process.stdin.on('data', () => process.stdout.write(JSON.stringify({ received }) + '\\n'));
`;

// --pin: the servers (this process, all its threads) on CPU 0, the load generator and the sink on
// CPU 1 (Linux taskset), so "one core" is literal and the mock shares its core with nothing.
if (args.pin) {
  const r = spawnSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
  if (r.status !== 0) usageError('--pin needs taskset (util-linux) and at least 2 CPUs');
}

/** The command that starts a helper process (pinned to CPU 1 with --pin). */
function helper(nodeArgs: string[]): [string, string[]] {
  return args.pin ? ['taskset', ['-c', '1', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
}

const TOKEN = 'bench-token';
const PHONE_ID = BENCH_PHONE_ID;

// autocannon runs in a child process so that neither the load generator nor its result
// bookkeeping shares the mock's event loop; it reads its request list from stdin.
const LOADER_SOURCE = `
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/package.json');
const autocannon = require('autocannon');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', async () => {
  const opts = JSON.parse(input);
  const r = await autocannon(opts);
  process.stdout.write(JSON.stringify(r));
});
`;

async function fire(url: string, durationS: number): Promise<autocannon.Result> {
  const requests = Array.from({ length: recipients }, (_, i) => ({
    method: 'POST' as const,
    path: `/v23.0/${PHONE_ID}/messages`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: templateSendBody(i),
  }));
  return runLoader(LOADER_SOURCE, { url, connections, duration: durationS, requests }, helper([]));
}

async function startSink(): Promise<{
  url: string;
  count: () => Promise<number>;
  stop: () => Promise<void>;
}> {
  const child = spawn(...helper(['-e', SINK_SOURCE]), { stdio: ['pipe', 'pipe', 'ignore'] });
  // Never leave the sink behind, whatever ends this process.
  process.on('exit', () => child.kill());
  const lines: Array<(line: string) => void> = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.shift()?.(line);
    }
  });
  const nextLine = () => new Promise<string>((resolve) => lines.push(resolve));
  const { port } = JSON.parse(await nextLine()) as { port: number };
  return {
    url: `http://127.0.0.1:${port}/webhooks/whatsapp`,
    count: async () => {
      const line = nextLine();
      child.stdin.write('count\n');
      return (JSON.parse(await line) as { received: number }).received;
    },
    stop: async () => {
      child.kill();
    },
  };
}

const sink = await startSink();

// The bare route: same JSON parsing, a constant answer of the same shape.
const bare = Fastify({ logger: false });
const BARE_REPLY =
  '{"messaging_product":"whatsapp","contacts":[{"input":"+14155000000","wa_id":"14155000000"}],"messages":[{"id":"wamid.HBgLMTQxNTUwMDAwMDAVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA","message_status":"accepted"}]}';
bare.post('/v23.0/:id/messages', async (_req, reply) => reply.type('application/json').send(BARE_REPLY));
await bare.listen({ host: '127.0.0.1', port: 0 });
const bareUrl = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}`;

async function startMock(
  batch: 'auto' | 1,
): Promise<{ app: ReturnType<typeof buildWhatsAppMock>; url: string }> {
  const app = buildWhatsAppMock({
    clock: new RealClock(),
    seed: 1,
    accessToken: TOKEN,
    appSecret: 'bench-secret',
    verifyToken: 'bench-verify',
    phoneNumberId: PHONE_ID,
    displayPhoneNumber: '15550783881',
    wabaId: '419561257915477',
    // Opened wide: this measures the send path, not Meta's limits.
    throughputPerSec: 1e9,
    pairRate: { perSec: 1e6, burst: 1e6 },
    ...(args['no-webhooks'] ? {} : { webhookUrl: sink.url }),
    webhook: { concurrency: 64, statusBatch: batch },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

/** One result line; `cpu` is this process's CPU time (user + system) meanwhile, shown per 2xx response: the servers' cost, robust to a busy machine. */
function line(name: string, r: autocannon.Result, cpu: NodeJS.CpuUsage): string {
  const okPerSec = r['2xx'] / r.duration;
  const n = Math.max(1, r['2xx']);
  return `${name.padEnd(34)} ${Math.round(okPerSec).toString().padStart(7)} 2xx/s  ${((cpu.user + cpu.system) / n).toFixed(1).padStart(6)} µs CPU/req (${(cpu.system / n).toFixed(1)} in the kernel)   p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms   non-2xx ${r.non2xx}  errors ${r.errors}`;
}

/** Fires at `url` and measures this process's CPU time meanwhile. */
async function measure(url: string): Promise<{ r: autocannon.Result; cpu: NodeJS.CpuUsage; cpuUs: number }> {
  const c0 = process.cpuUsage();
  const r = await fire(url, seconds);
  const cpu = process.cpuUsage(c0);
  return { r, cpu, cpuUs: cpu.user + cpu.system };
}

console.log(
  `node ${process.version}; ${connections} connections; ${recipients} recipients; ${seconds}s measured after ${warmupS}s warm-up; webhooks ${args['no-webhooks'] ? 'held (no sink)' : 'to a sink'}${args.pin ? '; servers pinned to CPU 0, load generator and sink to CPU 1' : ''}`,
);
if (warmupS > 0) await fire(bareUrl, warmupS);
const { r: bareResult, cpu: bareCpu, cpuUs: bareCpuUs } = await measure(bareUrl);
const bareRate = bareResult['2xx'] / bareResult.duration;
console.log(line('bare fastify route', bareResult, bareCpu));
const bareCpuPerReq = bareCpuUs / Math.max(1, bareResult['2xx']);

const rows: Array<{ name: string; rate: number; cpuPerReq: number }> = [];
if (!['both', 'default', 'single'].includes(String(args.mode)))
  usageError('--mode must be both, default or single');
const batches: Array<'auto' | 1> =
  args.mode === 'default' ? ['auto'] : args.mode === 'single' ? [1] : ['auto', 1];
for (const batch of batches) {
  const { app, url } = await startMock(batch);
  if (warmupS > 0) await fire(url, warmupS);
  const sinkBefore = await sink.count();
  const before = app.whatsapp.stats();
  const { r, cpu, cpuUs } = await measure(url);
  const sinkAfter = await sink.count();
  const after = app.whatsapp.stats();
  const name = batch === 1 ? 'mock, statusBatch 1' : 'mock, defaults (statusBatch auto)';
  console.log(line(name, r, cpu));
  const statuses = (after['statusesEmitted'] ?? 0) - (before['statusesEmitted'] ?? 0);
  const hooks = (after['statusWebhooks'] ?? 0) - (before['statusWebhooks'] ?? 0);
  console.log(
    `${''.padEnd(34)} statuses emitted ${Math.round(statuses / r.duration)}/s in ${Math.round(hooks / r.duration)} webhooks/s (${(statuses / Math.max(1, hooks)).toFixed(1)} per webhook); webhooks received by the sink ${Math.round((sinkAfter - sinkBefore) / r.duration)}/s; at the end ${after['webhooksQueued']} webhooks queued, ${after['pendingStatuses']} messages with statuses to come`,
  );
  rows.push({ name, rate: r['2xx'] / r.duration, cpuPerReq: cpuUs / Math.max(1, r['2xx']) });
  await app.close();
}
for (const row of rows) {
  console.log(
    ratioLine(
      `${row.name} / bare`,
      row.rate,
      bareRate,
      `by throughput; ${(bareCpuPerReq / row.cpuPerReq).toFixed(2)} by CPU per request, one core's worth: ${Math.round(1e6 / row.cpuPerReq)} sends/s`,
    ),
  );
}
console.log('targets: ≥ 10,000 accepted sends/s and ≥ 0.40 of the bare route');

await bare.close();
await sink.stop();
