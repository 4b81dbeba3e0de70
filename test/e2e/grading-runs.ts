import { readFileSync } from 'node:fs';
import { parseAcceptanceText, parseScenarioText } from '../../src/config/index.js';
import { type GradeSheet, grade } from '../../src/grading/index.js';
import type { RunResult } from '../../src/report/model.js';
import { runScenario } from '../../src/run/runner.js';

// Helpers of the e2e files that grade small real runs of the reference connector (with fault
// switches) against the shipped acceptance table.

/** The shipped acceptance table. */
export const table = (() => {
  const parsed = parseAcceptanceText(readFileSync('scenarios/acceptance.yaml', 'utf8'), 'acceptance.yaml');
  if (!parsed.ok) throw new Error('acceptance.yaml does not parse');
  return parsed.value;
})();

/** Fast statuses and a CRM that is not the bottleneck (native dialect). */
export const FAST_WHATSAPP = `
  whatsapp:
    throughputPerSec: 1000
    statusTiming: { sent: 'uniform(20ms,100ms)', delivered: 'uniform(100ms,300ms)', read: 'uniform(300ms,800ms)', readProbability: 0.5, failureRate: 0 }`;

/** The `mocks:` section of the native runs. */
export const NATIVE_MOCKS = `
mocks:${FAST_WHATSAPP}
  crm: { plan: enterprise, ratePerMin: 120000, contacts: 50 }
`;

/** Runs a scenario of `suites` against the reference connector with `faults`, and grades it. */
export async function gradedRun(
  name: string,
  faults: string[],
  suites: string,
  mocks: string = NATIVE_MOCKS,
): Promise<{ result: RunResult; sheet: GradeSheet }> {
  const parsed = parseScenarioText(
    `name: ${name}\nseed: 7\n${mocks}\nconnector:\n  faults: [${faults.map((f) => `'${f}'`).join(', ')}]\nsuites:\n${suites}`,
    `${name}.yaml`,
  );
  if (!parsed.ok) throw new Error(`scenario ${name} does not parse: ${JSON.stringify(parsed.issues)}`);
  const result = await runScenario({
    scenario: parsed.value,
    scenarioFile: `${name}.yaml`,
    acceptance: table,
    runId: name,
    wacrmVersion: 'test',
    nodeVersion: 'test',
  });
  return { result, sheet: grade(result, table) };
}

/** The band of metric `key` in a grade sheet. */
export function band(sheet: GradeSheet, key: string): string | undefined {
  return sheet.rows.find((r) => r.key === key)?.band;
}

/** Whether check `key` passed (null: not measured). */
export function check(sheet: GradeSheet, key: string): boolean | null | undefined {
  return sheet.checks.find((c) => c.key === key)?.passed;
}
