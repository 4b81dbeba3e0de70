// Usage: node --expose-gc --import tsx bench/whatsapp-core.ts [--sends 300000] [--warmup 100000] [--rate 13000]
//
// What the WhatsApp mock's core costs per accepted send, without HTTP: validation, binding, limits,
// stores, the journal, the status timeline and its batched, signed webhooks (to a transport that
// answers 200 on the next turn of the event loop). Time is virtual (`--rate` sends per virtual
// second, the clock advanced 1 ms at a time), so statuses fall due as they would at that rate and
// the run reaches the steady state of a long one: the stores full, some 170,000 messages with
// statuses still to come. The baseline, measured in the same run, is the floor every send pays
// before the mock sees it: parsing the same request bodies. Prints the CPU per send (all threads,
// so the garbage collector's helpers count), the ratio to the baseline, and the live heap at the
// end (with --expose-gc). This is the figure to watch when changing the core; `whatsapp-send.ts`
// measures the whole mock over sockets.
import { parseArgs } from 'node:util';
import { VirtualClock } from '../kernel/clock.js';
import { BENCH_PHONE_ID, benchWhatsAppCore, checkFlags, liveHeapBytes, ratioLine } from './lib.js';
import { templateSendBody } from './send-body.js';

const { values: args } = parseArgs({
  options: {
    sends: { type: 'string', default: '300000' },
    warmup: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '13000' },
  },
});
const sends = Number(args.sends);
const warmup = Number(args.warmup);
const rate = Number(args.rate);
checkFlags({ sends, rate }, (v) => Number.isInteger(v) && v >= 1, 'a whole number > 0');
checkFlags({ warmup }, (v) => Number.isInteger(v) && v >= 0, 'a whole number ≥ 0');

const bodies = Array.from({ length: 2000 }, (_, i) => templateSendBody(i));
const perMs = rate / 1000;

/** CPU µs (user + system, all threads) per call of `step(i)` over `n` calls, after `w` unmeasured ones. */
async function measure(n: number, w: number, step: (i: number) => void, tick?: () => void): Promise<number> {
  let due = 0;
  let c0 = process.cpuUsage();
  for (let i = 0; i < n + w; i++) {
    if (i === w) c0 = process.cpuUsage();
    step(i);
    due += 1;
    if (tick && due >= perMs) {
      due -= perMs;
      tick();
    }
    // Let the webhook transport's answers (setImmediate) through now and then.
    if (i % 256 === 255) await new Promise((r) => setImmediate(r));
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

function heapMb(): number | undefined {
  const bytes = liveHeapBytes();
  return bytes === undefined ? undefined : bytes / 1e6;
}

// Baseline: what parsing the bodies costs, the same number of times.
let sink = 0;
const baseline = await measure(sends, warmup, (i) => {
  sink += (JSON.parse(bodies[i % 2000] as string) as { to: string }).to.length;
});

const clock = new VirtualClock();
const core = benchWhatsAppCore(clock);
const heapBefore = heapMb();
const before = core.stats();
const cpu = await measure(
  sends,
  warmup,
  (i) => {
    core.send(BENCH_PHONE_ID, JSON.parse(bodies[i % 2000] as string), {});
  },
  () => clock.advance(1),
);
const after = core.stats();
const heapAfter = heapMb();
const statuses = (after['statusesEmitted'] ?? 0) - (before['statusesEmitted'] ?? 0);

console.log(
  `node ${process.version}; ${sends} sends measured after ${warmup}; ${rate} sends per virtual second; 2,000 recipients`,
);
console.log(`baseline: parse the request body            ${baseline.toFixed(2).padStart(6)} µs CPU per send`);
console.log(`mock core: parse, send, statuses, webhooks  ${cpu.toFixed(2).padStart(6)} µs CPU per send`);
console.log(ratioLine('mock core / baseline, CPU per send', cpu, baseline));
console.log(
  `           ${(statuses / (sends + warmup)).toFixed(2)} statuses per send; ${after['pendingStatuses']} messages with statuses to come; ${after['statusWebhooks']} webhooks`,
);
if (heapBefore !== undefined && heapAfter !== undefined) {
  console.log(
    `           live heap ${heapAfter.toFixed(0)} MB at the end (${(heapAfter - heapBefore).toFixed(0)} MB held by the mock's stores, journal and timeline)`,
  );
} else {
  console.log('           (run node with --expose-gc to see the live heap)');
}
if (sink < 0) console.log(sink);
await core.close();
