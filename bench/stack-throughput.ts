// Usage: npm run build && npx tsx bench/stack-throughput.ts [maxPerMin=15000] [stepPerMin=1000] [stepSeconds=6]
//
// How many flows per minute the mocks + the reference connector (a real child process) sustain on
// this machine with p95 end-to-end sync latency under 1 s and errors under 1 %: a step ramp with
// the seed's criteria tightened to 1 s. Prints the per-step table and the peak. Figures, not a gate.
import { cpus, loadavg } from 'node:os';
import { loadAcceptanceTable, parseScenarioText } from '../src/config/index.js';
import { runScenario } from '../src/run/runner.js';

const maxPerMin = Number(process.argv[2] ?? 15_000);
const stepPerMin = Number(process.argv[3] ?? 1_000);
const stepSeconds = Number(process.argv[4] ?? 6);

const scenario = parseScenarioText(`
name: stack-throughput
mocks:
  whatsapp: { throughputPerSec: 1000, statusTiming: { sent: 'uniform(20ms,200ms)', delivered: 'uniform(200ms,800ms)', read: 'uniform(1s,3s)', readProbability: 0.5, failureRate: 0 } }
  crm: { plan: enterprise, ratePerMin: 1000000, contacts: 100 }
suites:
  - kind: capacity
    start: 1000/min
    step: ${stepPerMin}/min
    stepDuration: ${stepSeconds}s
    warmup: 1s
    maxRate: ${maxPerMin}/min
    deadline: 10s
    criteria: { p95Latency: 1s, errorRate: 0.01 }
`);
if (!scenario.ok) throw new Error(`bench scenario does not parse: ${JSON.stringify(scenario.issues)}`);
const table = await loadAcceptanceTable('scenarios/acceptance.yaml');

console.log(
  `stack throughput: ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(2)} before the run`,
);
const result = await runScenario({
  scenario: scenario.value,
  scenarioFile: 'bench/stack-throughput',
  acceptance: table,
  runId: 'bench',
  wacrmVersion: 'bench',
  nodeVersion: process.version,
  onLog: (line) => console.log(`  ${line}`),
});
const cap = result.capacity;
if (!cap) throw new Error('no capacity result');
console.log('\n rate/min   sent   p50 ms   p95 ms   p99 ms   errors   connector CPU %');
for (const s of cap.steps) {
  console.log(
    `${String(s.ratePerMin).padStart(9)} ${String(s.sent).padStart(6)} ${s.p50Ms.toFixed(1).padStart(8)} ${s.p95Ms
      .toFixed(1)
      .padStart(8)} ${s.p99Ms.toFixed(1).padStart(8)} ${(s.errorRate * 100).toFixed(2).padStart(7)}% ${(
      s.connectorCpuPct ?? 0
    )
      .toFixed(0)
      .padStart(8)}${s.passed ? '' : '  ← stop'}`,
  );
}
console.log(
  `\npeak with p95 < 1 s: ${cap.peakCapacityPerMin ?? 'none'} flows/min` +
    (cap.firstFailingPerMin
      ? ` (first failing ${cap.firstFailingPerMin}/min: ${cap.brokenCriterion})`
      : ' (max rate reached)') +
    `; harness valid: ${cap.harnessValid}; target ≥ 5,000/min`,
);
