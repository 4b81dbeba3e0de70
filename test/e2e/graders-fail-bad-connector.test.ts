import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAcceptanceText, parseScenarioText } from '../../src/config/index.js';
import { type GradeSheet, grade } from '../../src/grading/index.js';
import type { RunResult } from '../../src/report/model.js';
import { runScenario } from '../../src/run/runner.js';

// Every grader must be shown to fail a connector that is actually bad: the reference connector's
// fault switches make it bad in one known way each, and the matching rows must turn `fail` and the
// run exit 1. Small scenarios keep this to about a minute and a half.

const table = (() => {
  const parsed = parseAcceptanceText(readFileSync('scenarios/acceptance.yaml', 'utf8'), 'acceptance.yaml');
  if (!parsed.ok) throw new Error('acceptance.yaml does not parse');
  return parsed.value;
})();

const MOCKS = `
mocks:
  whatsapp:
    throughputPerSec: 1000
    statusTiming: { sent: 'uniform(20ms,100ms)', delivered: 'uniform(100ms,300ms)', read: 'uniform(300ms,800ms)', readProbability: 0.5, failureRate: 0 }
  crm: { plan: enterprise, ratePerMin: 120000, contacts: 50 }
`;

async function run(
  name: string,
  faults: string[],
  suites: string,
): Promise<{ result: RunResult; sheet: GradeSheet }> {
  const parsed = parseScenarioText(
    `name: ${name}\nseed: 7\n${MOCKS}\nconnector:\n  faults: [${faults.map((f) => `'${f}'`).join(', ')}]\nsuites:\n${suites}`,
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

function band(sheet: GradeSheet, key: string): string | undefined {
  return sheet.rows.find((r) => r.key === key)?.band;
}

function check(sheet: GradeSheet, key: string): boolean | null | undefined {
  return sheet.checks.find((c) => c.key === key)?.passed;
}

const DELIVERY_AND_SYNC = `
  - { kind: template-delivery, templates: 5, sendsPerTemplate: 30, rate: 3000/min, deadline: 8s }
  - { kind: conversation-sync, messages: 150, conversations: 60, rate: 3000/min, deadline: 8s }
`;

describe('graders fail a bad connector', () => {
  it('a connector that drops messages fails delivery and completeness', async () => {
    const { sheet, result } = await run(
      'drops',
      ['drop-outbound=0.05', 'drop-inbound=0.05'],
      DELIVERY_AND_SYNC,
    );
    expect(result.valid).toBe(true);
    expect(band(sheet, 'template_delivery_rate')).toBe('fail');
    expect(band(sheet, 'record_completeness')).toBe('fail');
    expect(sheet.exitCode).toBe(1);
  }, 120_000);

  it('a connector that ignores consent fails the consent check', async () => {
    // 5 templates (utility, marketing, authentication, utility, marketing) × 16 sends over the
    // seed's consent tiers: 16 of the 32 marketing sends go to contacts that forbid them.
    const { sheet, result } = await run(
      'ignore-consent',
      ['ignore-consent'],
      `
  - { kind: template-delivery, templates: 5, sendsPerTemplate: 16, rate: 3000/min, deadline: 8s }
`,
    );
    expect(result.valid).toBe(true);
    const consent = result.checks.find((c) => c.key === 'consent_violations');
    expect(consent?.value).toBe(16);
    expect(consent?.evidence).toContain('of 16 such events');
    expect(check(sheet, 'consent_violations')).toBe(false);
    // Only consent is wrong: the allowed sends still render right.
    expect(check(sheet, 'content_accuracy')).toBe(true);
    expect(sheet.exitCode).toBe(1);
  }, 60_000);

  it('a connector that mangles template parameters fails content accuracy, and respects consent', async () => {
    const { sheet, result } = await run(
      'wrong-params',
      ['wrong-params'],
      `
  - { kind: template-delivery, templates: 5, sendsPerTemplate: 16, rate: 3000/min, deadline: 8s }
`,
    );
    expect(result.valid).toBe(true);
    expect(check(sheet, 'content_accuracy')).toBe(false);
    // The same plan as above, with a connector whose consent rules are intact: no violation.
    expect(result.checks.find((c) => c.key === 'consent_violations')?.value).toBe(0);
    expect(check(sheet, 'consent_violations')).toBe(true);
    expect(sheet.exitCode).toBe(1);
  }, 60_000);

  it('a connector that never tags contacts fails tag accuracy', async () => {
    const { sheet, result } = await run(
      'no-tags',
      ['no-tags'],
      `
  - { kind: conversation-sync, messages: 80, conversations: 40, rate: 3000/min, deadline: 3s }
`,
    );
    // The flows that expect tags wait for them to the deadline, hence the short one.
    expect(result.valid).toBe(true);
    expect(check(sheet, 'tag_accuracy')).toBe(false);
    // Messages still reach the CRM: only the tagging is missing.
    expect(band(sheet, 'record_completeness')).not.toBe('fail');
    expect(sheet.exitCode).toBe(1);
  }, 60_000);

  it('a slow connector fails sync latency', async () => {
    const { sheet } = await run(
      'slow-crm',
      ['slow-crm=1500ms'],
      `
  - { kind: conversation-sync, messages: 30, conversations: 30, rate: 600/min, deadline: 30s }
`,
    );
    expect(band(sheet, 'sync_latency_p95_s')).toBe('fail');
    expect(check(sheet, 'whatsapp_to_crm_latency_p95_s')).toBe(false);
    expect(sheet.exitCode).toBe(1);
  }, 120_000);

  it('a connector that never retries fails recovery and loses messages', async () => {
    const { sheet } = await run(
      'no-retry',
      ['no-retry'],
      `
  - kind: fault-recovery
    rate: 600/min
    duration: 14s
    deadline: 10s
    mix: { outbound: 1, inbound: 0 }
    faults: [{ target: whatsapp, spec: outage=unavailable, at: 3s, for: 4s }]
`,
    );
    expect(band(sheet, 'error_recovery_s')).toBe('fail');
    expect(check(sheet, 'messages_lost')).toBe(false);
    expect(sheet.exitCode).toBe(1);
  }, 120_000);

  it('the ramp finds a capped connector within one step, and capacity fails', async () => {
    // The connector processes 120 flows/min; the ramp climbs 60 → 120 → 180 → 240 msg/min.
    const { sheet, result } = await run(
      'capped',
      ['cap=120'],
      `
  - { kind: capacity, start: 60/min, step: 60/min, stepDuration: 15s, warmup: 5s, maxRate: 240/min, deadline: 30s }
`,
    );
    expect(result.capacity?.stoppedBecause).toBe('criterion');
    expect(result.capacity?.brokenCriterion).toBe('p95_latency');
    // Within one step of the true cap: 120 passes (or the step below it), 180 is where it breaks.
    expect(result.capacity?.peakCapacityPerMin).toBeGreaterThanOrEqual(60);
    expect(result.capacity?.peakCapacityPerMin).toBeLessThanOrEqual(120);
    expect(result.capacity?.firstFailingPerMin).toBeLessThanOrEqual(180);
    expect(band(sheet, 'peak_capacity_msg_per_min')).toBe('fail');
    expect(sheet.exitCode).toBe(1);
  }, 120_000);
});
