// Usage: npm run build && npx tsx bench/harness-ceiling.ts [--start 3000] [--step 3000] [--max 30000]
//          [--step-seconds 5] [--reference-rates 3000,6000] [--workers 1,2]
//
// The harness's own ceiling: how many flows per minute wacrm can drive while its health stays valid
// (scheduler lag p99, late share and event-loop delay as the run layer judges them), and what each
// flow costs it in CPU. Phase 1 ramps outbound flows (CRM event → template → CRM record → statuses)
// against bench/minimal-connector.ts, a stand-in in its own process that does the least a connector
// can, so the harness breaks first. Phase 2 plays a few fixed rates against the reference connector
// in the same run, for its CPU µs per flow beside the harness's. Each phase runs once per
// `--workers` count (1 = one event loop, today's harness), alternating. All traffic stays on 127.0.0.1;
// each phase is a bounded step ramp (≤ ~3 minutes in all). Figures, never a gate.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadAcceptanceTable, parseScenarioText } from '../src/config/index.js';
import type { RunResult } from '../src/result/run-result.js';
import { runScenario } from '../src/run/runner.js';
import { MOCK_DEFAULT_CREDENTIALS } from '../src/run/stack.js';

const { values: args } = parseArgs({
  options: {
    start: { type: 'string', default: '3000' },
    step: { type: 'string', default: '3000' },
    max: { type: 'string', default: '30000' },
    'step-seconds': { type: 'string', default: '5' },
    'reference-rates': { type: 'string', default: '3000,6000' },
    workers: { type: 'string', default: '1,2' },
  },
});
const startPerMin = Number(args.start);
const stepPerMin = Number(args.step);
const maxPerMin = Number(args.max);
const stepSeconds = Number(args['step-seconds']);
const referenceRates = String(args['reference-rates']).split(',').map(Number);
const workerCounts = String(args.workers).split(',').map(Number);

/** A capacity suite, outbound only (the stand-in does no keyword tagging, handovers or replies). */
function scenarioText(name: string, start: number, step: number, max: number): string {
  return `
name: ${name}
mocks:
  whatsapp: { throughputPerSec: 1000, statusTiming: { sent: 'uniform(20ms,200ms)', delivered: 'uniform(200ms,800ms)', read: 'uniform(1s,3s)', readProbability: 0.5, failureRate: 0 } }
  crm: { plan: enterprise, ratePerMin: 1000000, contacts: 100 }
suites:
  - kind: capacity
    start: ${start}/min
    step: ${step}/min
    stepDuration: ${stepSeconds}s
    warmup: 1s
    maxRate: ${max}/min
    deadline: 10s
    mix: { outbound: 1, inbound: 0 }
    criteria: { p95Latency: 2s, errorRate: 0.02 }
`;
}

function parse(text: string) {
  const s = parseScenarioText(text);
  if (!s.ok) throw new Error(`bench scenario does not parse: ${JSON.stringify(s.issues)}`);
  return s.value;
}

/** A free TCP port on 127.0.0.1 (the stand-in must know the mocks' ports before they start). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** CPU time (user + system) a process has used so far, in µs, from /proc (100 ticks/s). */
function cpuUsOf(pid: number, file = `/proc/${pid}/stat`): number | undefined {
  try {
    const stat = readFileSync(file, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

async function spawnStandIn(waPort: number, crmPort: number): Promise<{ proc: ChildProcess; url: string }> {
  const c = MOCK_DEFAULT_CREDENTIALS;
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/minimal-connector.ts',
      '--wa',
      `http://127.0.0.1:${waPort}`,
      '--crm',
      `http://127.0.0.1:${crmPort}/api/v1`,
      '--verify-token',
      c.verifyToken,
      '--wa-token',
      c.accessToken,
      '--crm-token',
      c.crmToken,
      '--phone-number-id',
      c.phoneNumberId,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the stand-in did not start in 20 s')), 20_000);
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code) => reject(new Error(`the stand-in exited (code ${code})`)));
  });
  return { proc, url };
}

const table = await loadAcceptanceTable('scenarios/acceptance.yaml');
const runOpts = { acceptance: table, runId: 'bench', wacrmVersion: 'bench', nodeVersion: process.version };
const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '–' : n.toFixed(digits));

function printSteps(result: RunResult, withConnector: boolean): void {
  const cap = result.capacity;
  if (!cap) throw new Error('no capacity result');
  console.log(
    ` rate/min   sent   p95 ms  errors  harness CPU %  harness µs/flow  loop p99 ms${withConnector ? '  connector µs/flow' : ''}`,
  );
  for (const s of cap.steps) {
    console.log(
      `${String(s.ratePerMin).padStart(9)} ${String(s.sent).padStart(6)} ${fmt(s.p95Ms).padStart(8)} ${(
        s.errorRate * 100
      )
        .toFixed(2)
        .padStart(6)}% ${fmt(s.harnessCpuPct).padStart(14)} ${fmt(s.harnessCpuUsPerFlow).padStart(16)} ${fmt(
        s.loopDelayP99Ms,
        1,
      ).padStart(
        12,
      )}${withConnector ? fmt(s.connectorCpuUsPerFlow).padStart(19) : ''}${s.passed ? '' : '  ← stop'}`,
    );
  }
  const reasons = result.invalidReasons;
  if (reasons.length > 0) console.log(`  harness health: ${reasons.slice(0, 3).join('; ')}`);
}

/** The mean of a cost field over the judged steps (CPU is measured even where timing was void). */
function meanOver(
  result: RunResult,
  pick: (s: NonNullable<RunResult['capacity']>['steps'][number]) => number | undefined,
) {
  const xs = (result.capacity?.steps ?? []).map(pick).filter((x) => x !== undefined);
  return xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * The marginal CPU cost of a flow: the least-squares slope of the harness's CPU (µs per second)
 * over the offered rate (flows per second) across the valid steps. The mean per step also carries
 * the fixed cost of an idle harness (samplers, timers), which dominates at low rates.
 */
function marginalUsPerFlow(result: RunResult): number | undefined {
  const pts = (result.capacity?.steps ?? [])
    .filter((s) => s.passed && s.harnessCpuPct !== undefined)
    .map((s) => ({ x: s.ratePerMin / 60, y: ((s.harnessCpuPct ?? 0) / 100) * 1e6 }));
  if (pts.length < 2) return undefined;
  const mx = pts.reduce((a, p) => a + p.x, 0) / pts.length;
  const my = pts.reduce((a, p) => a + p.y, 0) / pts.length;
  const sxx = pts.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const sxy = pts.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  return sxx === 0 ? undefined : sxy / sxx;
}

console.log(
  `harness ceiling: ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(2)} before the run, node ${process.version}`,
);

/** Phase 1 with `workers` event loops: the ramp against a fresh stand-in, and the stand-in's CPU per flow. */
/**
 * This process's CPU, all threads (what the run's cost figures count) and its main thread alone
 * (`/proc/self/task/<pid>`: the thread holding the scheduler, the mocks' routes and the tracer),
 * so the bench shows how much of the harness's work left the main loop.
 */
function harnessCpu(): { allUs: number; mainUs: number } | undefined {
  const all = cpuUsOf(process.pid);
  const main = cpuUsOf(process.pid, `/proc/${process.pid}/task/${process.pid}/stat`);
  return all !== undefined && main !== undefined ? { allUs: all, mainUs: main } : undefined;
}

/** CPU per flow over a whole phase (setup and settling included), all threads and the main thread. */
interface PhaseCpu {
  allUsPerFlow: number;
  mainUsPerFlow: number;
}

function phaseCpu(
  before: ReturnType<typeof harnessCpu>,
  after: ReturnType<typeof harnessCpu>,
  result: RunResult,
): PhaseCpu | undefined {
  const flows = result.capacity?.steps.reduce((n, st) => n + st.sent, 0) ?? 0;
  if (!before || !after || flows === 0) return undefined;
  return {
    allUsPerFlow: (after.allUs - before.allUs) / flows,
    mainUsPerFlow: (after.mainUs - before.mainUs) / flows,
  };
}

interface CeilingRun {
  result: RunResult;
  standInUs?: number;
  cpu?: PhaseCpu;
}

async function ceilingRun(workers: number, quiet = false, max = maxPerMin): Promise<CeilingRun> {
  const waPort = await freePort();
  const crmPort = await freePort();
  const standIn = await spawnStandIn(waPort, crmPort);
  const cpu0 = cpuUsOf(standIn.proc.pid ?? 0);
  const h0 = harnessCpu();
  let result: RunResult;
  try {
    result = await runScenario({
      ...runOpts,
      scenario: parse(scenarioText('harness-ceiling', startPerMin, stepPerMin, max)),
      scenarioFile: 'bench/harness-ceiling',
      connectorUrl: standIn.url,
      whatsappPort: waPort,
      crmPort,
      workers,
    });
  } finally {
    standIn.proc.kill('SIGTERM');
  }
  const cpu1 = cpuUsOf(standIn.proc.pid ?? 0);
  const cpu = phaseCpu(h0, harnessCpu(), result);
  const flows = result.capacity?.steps.reduce((n, st) => n + st.sent, 0) ?? 0;
  if (!quiet) {
    console.log(`\nphase 1, --workers ${workers}: harness against the minimal stand-in (its own process)`);
    printSteps(result, false);
  }
  const out: CeilingRun = { result };
  if (cpu) out.cpu = cpu;
  if (cpu0 !== undefined && cpu1 !== undefined && flows > 0) out.standInUs = (cpu1 - cpu0) / flows;
  return out;
}

/** Phase 2 with `workers` event loops: fixed rates against the reference connector. */
async function referenceRun(workers: number): Promise<{ result: RunResult; cpu?: PhaseCpu }> {
  const refStart = referenceRates[0] ?? 3000;
  const refStep = referenceRates.length > 1 ? (referenceRates[1] ?? refStart) - refStart : 1000;
  const h0 = harnessCpu();
  const result = await runScenario({
    ...runOpts,
    scenario: parse(
      scenarioText('harness-ceiling-reference', refStart, refStep, referenceRates.at(-1) ?? refStart),
    ),
    scenarioFile: 'bench/harness-ceiling',
    workers,
  });
  console.log(`\nphase 2, --workers ${workers}: harness against the reference connector`);
  printSteps(result, true);
  const cpu = phaseCpu(h0, harnessCpu(), result);
  return cpu ? { result, cpu } : { result };
}

// A throwaway ramp first: the first run in a process pays for compiling the mocks' and the
// tracer's hot paths, which would count against whichever setting came first.
await ceilingRun(1, true, startPerMin);

// Alternating, so both settings see the same machine (the others' load drifts over minutes).
const ceilings = new Map<number, CeilingRun>();
for (const w of workerCounts) ceilings.set(w, await ceilingRun(w));
const references = new Map<number, { result: RunResult; cpu?: PhaseCpu }>();
for (const w of workerCounts) references.set(w, await referenceRun(w));

console.log(`\nsummary (load average ${loadavg()[0]?.toFixed(2)} after the run)`);
console.log(
  "  per step: the run layer's cost figures, mean over the judged steps; per phase: /proc, setup and settling included",
);
console.log(
  ' workers  ceiling/min  stopped by                      | vs stand-in: step µs/flow  slope  phase all/main thread | vs reference: step µs/flow  phase all/main  connector µs/flow',
);
for (const w of workerCounts) {
  const c = ceilings.get(w) as CeilingRun;
  const r = references.get(w) as { result: RunResult; cpu?: PhaseCpu };
  const cap = c.result.capacity;
  const stop = cap?.firstFailingPerMin
    ? `${cap.firstFailingPerMin}/min: ${cap.brokenCriterion ?? 'harness health'}`
    : cap?.peakCapacityPerMin === null
      ? 'the first step'
      : 'max rate reached';
  const phase = (p: PhaseCpu | undefined) => (p ? `${fmt(p.allUsPerFlow)}/${fmt(p.mainUsPerFlow)}` : '–');
  console.log(
    `${String(w).padStart(8)} ${String(cap?.peakCapacityPerMin ?? 'none').padStart(12)}  ${stop.slice(0, 30).padEnd(30)} | ${fmt(
      meanOver(c.result, (st) => st.harnessCpuUsPerFlow),
    ).padStart(24)} ${fmt(marginalUsPerFlow(c.result)).padStart(6)} ${phase(c.cpu).padStart(22)} | ${fmt(
      meanOver(r.result, (st) => st.harnessCpuUsPerFlow),
    ).padStart(
      25,
    )} ${phase(r.cpu).padStart(15)} ${fmt(meanOver(r.result, (st) => st.connectorCpuUsPerFlow)).padStart(18)}`,
  );
  if (c.standInUs !== undefined)
    console.log(`          stand-in CPU: ${fmt(c.standInUs)} µs/flow over phase 1`);
}
const base = ceilings.get(workerCounts[0] ?? 1)?.result.capacity?.peakCapacityPerMin;
for (const w of workerCounts.slice(1)) {
  const peak = ceilings.get(w)?.result.capacity?.peakCapacityPerMin;
  if (base && peak)
    console.log(
      `  ceiling ratio --workers ${w} / --workers ${workerCounts[0]}: ${(peak / base).toFixed(2)} (target ≥ 1.7 for 2 / 1)`,
    );
}
console.log(
  '  targets: harness CPU ≤ 500 µs per flow; ≥ 30,000 flows/min valid with the reference connector',
);
