/**
 * What the benchmarks share: flag checks that exit 2 with one line, autocannon in a child process,
 * the WhatsApp mock's core opened wide on a socket-free transport, heap figures, rounds that
 * alternate the variants being compared (so drift of a busy machine falls on all of them), and
 * the ratio lines every bench prints. Figures only: nothing here is a gate.
 */
import { spawn } from 'node:child_process';
import type autocannon from 'autocannon';
import type { Clock } from '../kernel/clock.js';
import type { Journal, JournalEntry } from '../mocks/shared/journal.js';
import { resolveConfig, WhatsAppCore } from '../mocks/whatsapp/core.js';

/** Prints one line for a bad flag and exits 2 (a usage error), as the CLI does. */
export function usageError(message: string): never {
  console.error(message);
  process.exit(2);
}

/** Checks numeric flags: every one must pass `ok`, else `--name must be <what>` and exit 2. */
export function checkFlags(values: Record<string, number>, ok: (v: number) => boolean, what: string): void {
  for (const [name, v] of Object.entries(values)) if (!ok(v)) usageError(`--${name} must be ${what}`);
}

/**
 * Runs ES module `source` in a child process (`command` starts node, e.g. pinned with taskset), writes
 * `input` to its stdin as JSON and parses what it prints as JSON: autocannon fires from there so that
 * neither the load generator nor its bookkeeping shares the measured server's event loop.
 */
export async function runLoader<T = autocannon.Result>(
  source: string,
  input: unknown,
  command: [string, string[]] = [process.execPath, []],
): Promise<T> {
  const [cmd, pre] = command;
  const child = spawn(cmd, [...pre, '--input-type=module', '-e', source], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`the load generator exited with ${code}`)),
    );
  });
  child.stdin.end(JSON.stringify(input));
  await done;
  return JSON.parse(out) as T;
}

/**
 * The webhook sink's server as source text for a worker or a child process: a bare node:http server
 * that reads each body and answers 200 (the cheapest receiver that still speaks real HTTP), counting
 * what it received in `received`. The caller appends how it reports its port and the count.
 */
export const SINK_SERVER_SOURCE = `
const http = require('node:http');
let received = 0;
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { received++; res.writeHead(200, { 'content-length': '2' }).end('ok'); });
});
server.keepAliveTimeout = 60000;
`;

/** The phone number id the benches send from. */
export const BENCH_PHONE_ID = '106540352242922';

/**
 * The WhatsApp mock's core with its limits opened wide (the benches measure the send path, not Meta's
 * limits); webhooks are signed and queued as usual, to a transport that answers 200 without a socket.
 */
export function benchWhatsAppCore(clock: Clock): WhatsAppCore {
  return new WhatsAppCore(
    resolveConfig({
      clock,
      seed: 1,
      accessToken: 'bench-token',
      appSecret: 'bench-secret',
      verifyToken: 'bench-verify',
      phoneNumberId: BENCH_PHONE_ID,
      displayPhoneNumber: '15550783881',
      wabaId: '419561257915477',
      throughputPerSec: 1e9,
      pairRate: { perSec: 1e6, burst: 1e6 },
      webhookUrl: 'http://127.0.0.1:9/bench',
      webhook: {
        transport: {
          send(_target, _headers, _body, done) {
            setImmediate(() => done({ statusCode: 200 }));
            return () => {};
          },
          close() {},
        },
      },
    }),
  );
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Whether node runs with --expose-gc (heap figures need it). */
export const hasGc = gc !== undefined;

/** Live heap bytes after two full collections; undefined without --expose-gc. */
export function liveHeapBytes(): number | undefined {
  if (!gc) return undefined;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** What one round of one variant measured: how many operations over how many seconds. */
export interface RoundFigure {
  count: number;
  seconds: number;
}

/**
 * Plays `rounds` rounds of every variant in turn (old, new, old, new …) and sums each variant's
 * counts and seconds: alternating spreads a busy machine's drift over all variants instead of
 * handing it to whichever ran last. Returns each variant's rate (count per second) over its rounds.
 */
export async function alternate<K extends string>(
  variants: readonly K[],
  rounds: number,
  run: (variant: K, round: number) => Promise<RoundFigure>,
): Promise<Record<K, { count: number; seconds: number; perSec: number }>> {
  const totals = Object.fromEntries(variants.map((v) => [v, { count: 0, seconds: 0, perSec: 0 }])) as Record<
    K,
    { count: number; seconds: number; perSec: number }
  >;
  for (let round = 1; round <= rounds; round++) {
    for (const v of variants) {
      const f = await run(v, round);
      totals[v].count += f.count;
      totals[v].seconds += f.seconds;
    }
  }
  for (const v of variants) totals[v].perSec = totals[v].count / Math.max(1e-9, totals[v].seconds);
  return totals;
}

/** `ratio new / old: 0.83 (target ≥ 0.80)`: the line a bench ends on; `note` goes in the parentheses. */
export function ratioLine(label: string, numerator: number, denominator: number, note?: string): string {
  const r = numerator / (denominator === 0 ? Number.NaN : denominator);
  return `ratio ${label}: ${Number.isFinite(r) ? r.toFixed(2) : 'n/a'}${note ? ` (${note})` : ''}`;
}

/** A WhatsApp-sized status webhook body (~600 bytes), the i-th of a stream (its wamid ends in i). */
export function statusWebhookBody(i: number): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: BENCH_PHONE_ID },
              statuses: [
                {
                  id: `wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA${i}`,
                  status: 'delivered',
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  recipient_id: '16505551234',
                  pricing: { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

/** Nearest-rank percentile `p` of an ascending array; NaN when it is empty. */
export function percentileOf(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * Plays an open-model stream on a 1 ms timer: `total` arrivals at `ratePerSec`, arrival i intended
 * at start + i / rate. `fire` gets the intended time, not the actual one, so a late tick cannot hide
 * queueing (no coordinated omission). Resolves once every arrival fired, with the scheduler's worst lag.
 */
export function openModelStream(
  ratePerSec: number,
  total: number,
  fire: (i: number, intendedAtMs: number) => void,
): Promise<{ maxLagMs: number }> {
  const startMs = performance.now();
  let sent = 0;
  let maxLagMs = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const nowMs = performance.now();
      const due = Math.min(total, Math.floor(((nowMs - startMs) * ratePerSec) / 1000));
      maxLagMs = Math.max(maxLagMs, nowMs - startMs - (sent * 1000) / ratePerSec);
      for (; sent < due; sent++) fire(sent, startMs + (sent * 1000) / ratePerSec);
      if (sent < total) setTimeout(tick, 1);
      else resolve({ maxLagMs });
    };
    tick();
  });
}

/**
 * Webhook delivery times from a mock journal's `webhook.delivered` entries: enqueue→delivered from
 * the intended time registered with `intend` (queueing included), and the attempt itself (latencyMs).
 */
export function deliveryTimes(journal: Journal): {
  intend(deliveryId: string, intendedAtMs: number): void;
  endToEndMs: number[];
  attemptMs: number[];
} {
  const intended = new Map<string, number>();
  const endToEndMs: number[] = [];
  const attemptMs: number[] = [];
  journal.on('entry', (e: JournalEntry) => {
    if (e.kind !== 'webhook.delivered') return;
    const id = e.data['deliveryId'] as string;
    endToEndMs.push(e.atMs - (intended.get(id) ?? e.atMs));
    attemptMs.push(e.data['latencyMs'] as number);
    intended.delete(id);
  });
  return { intend: (id, atMs) => intended.set(id, atMs), endToEndMs, attemptMs };
}
