// Usage: npm run build && npx tsx bench/harness-ceiling.ts [--start 6000] [--step 3000] [--max 60000]
//          [--step-seconds 6] [--reference-rates 3000,6000]
//
// The harness's own ceiling: how many flows per minute wacrm can drive while its health stays valid
// (scheduler lag p99, late share and event-loop delay as the run layer judges them), and what each
// flow costs it in CPU. Phase 1 ramps outbound flows (CRM event → template → CRM record → statuses)
// against bench/minimal-connector.ts, a stand-in in its own process that does the least a connector
// can, so the harness breaks first. Phase 2 plays a few fixed rates against the reference connector
// in the same run, for its CPU µs per flow beside the harness's. All traffic stays on 127.0.0.1;
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
    start: { type: 'string', default: '6000' },
    step: { type: 'string', default: '3000' },
    max: { type: 'string', default: '60000' },
    'step-seconds': { type: 'string', default: '6' },
    'reference-rates': { type: 'string', default: '3000,6000' },
  },
});
const startPerMin = Number(args.start);
const stepPerMin = Number(args.step);
const maxPerMin = Number(args.max);
const stepSeconds = Number(args['step-seconds']);
const referenceRates = String(args['reference-rates']).split(',').map(Number);

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
function cpuUsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
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

/** The mean of a field over the steps that passed (a figure for the whole valid range). */
function meanOver(
  result: RunResult,
  pick: (s: NonNullable<RunResult['capacity']>['steps'][number]) => number | undefined,
) {
  const xs = (result.capacity?.steps ?? [])
    .filter((s) => s.passed)
    .map(pick)
    .filter((x) => x !== undefined);
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

// Phase 1: the harness against the stand-in.
const waPort = await freePort();
const crmPort = await freePort();
const standIn = await spawnStandIn(waPort, crmPort);
const standInCpu0 = cpuUsOf(standIn.proc.pid ?? 0);
let ceiling: RunResult;
try {
  ceiling = await runScenario({
    ...runOpts,
    scenario: parse(scenarioText('harness-ceiling', startPerMin, stepPerMin, maxPerMin)),
    scenarioFile: 'bench/harness-ceiling',
    connectorUrl: standIn.url,
    whatsappPort: waPort,
    crmPort,
  });
} finally {
  standIn.proc.kill('SIGTERM');
}
const standInCpu1 = cpuUsOf(standIn.proc.pid ?? 0);
const ceilingFlows = ceiling.capacity?.steps.reduce((n, s) => n + s.sent, 0) ?? 0;
console.log('\nphase 1: harness against the minimal stand-in (its own process)');
printSteps(ceiling, false);
const cap = ceiling.capacity;
const standInUs =
  standInCpu0 !== undefined && standInCpu1 !== undefined && ceilingFlows > 0
    ? (standInCpu1 - standInCpu0) / ceilingFlows
    : undefined;

// Phase 2: the same harness against the reference connector, at fixed rates.
const refStart = referenceRates[0] ?? 3000;
const refStep = referenceRates.length > 1 ? (referenceRates[1] ?? refStart) - refStart : 1000;
const reference = await runScenario({
  ...runOpts,
  scenario: parse(
    scenarioText('harness-ceiling-reference', refStart, refStep, referenceRates.at(-1) ?? refStart),
  ),
  scenarioFile: 'bench/harness-ceiling',
});
console.log('\nphase 2: harness against the reference connector');
printSteps(reference, true);

console.log('\nsummary');
console.log(
  `  highest valid rate (harness vs stand-in): ${cap?.peakCapacityPerMin ?? 'none'} flows/min` +
    (cap?.firstFailingPerMin
      ? `; ${cap.firstFailingPerMin}/min broke: ${cap.brokenCriterion ?? 'harness health'}`
      : '; max rate reached') +
    `; harness valid over the judged steps: ${cap?.harnessValid}`,
);
console.log(
  `  harness CPU per flow, mean over valid steps: ${fmt(meanOver(ceiling, (s) => s.harnessCpuUsPerFlow))} µs (vs stand-in), ` +
    `${fmt(meanOver(reference, (s) => s.harnessCpuUsPerFlow))} µs (vs reference connector); target ≤ 500 µs`,
);
console.log(
  `  harness CPU per extra flow (slope over valid steps): ${fmt(marginalUsPerFlow(ceiling))} µs (vs stand-in), ${fmt(marginalUsPerFlow(reference))} µs (vs reference connector)`,
);
console.log(
  `  connector CPU per flow: reference ${fmt(meanOver(reference, (s) => s.connectorCpuUsPerFlow))} µs, stand-in ${fmt(standInUs)} µs (whole phase 1)`,
);
