import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAcceptanceText, parseScenarioText } from '../../src/config/index.js';
import { grade } from '../../src/grading/index.js';
import type { RunResult } from '../../src/result/run-result.js';
import { runScenario } from '../../src/run/runner.js';

// The consistency audit after a soak that overran the WhatsApp mock's journal. The mock's ring
// holds 200,000 entries, several per message, so a full 72-hour soak (360,000 arrivals) overruns
// it many times; bench/soak-audit.ts plays that whole soak on a virtual clock. Here a real
// `wacrm run` through the reference connector keeps the mock's journal to its last 100 entries (it
// is cleared whenever it holds that many): some twenty overruns in a soak of 20 seconds (one virtual
// hour at ×180, about 10 flows a second, gentle enough for a busy CI machine). The audit's ground
// truth must still cover every message of the run.

const table = (() => {
  const parsed = parseAcceptanceText(readFileSync('scenarios/acceptance.yaml', 'utf8'), 'acceptance.yaml');
  if (!parsed.ok) throw new Error('acceptance.yaml does not parse');
  return parsed.value;
})();

const JOURNAL_KEPT = 100;

// The correct connector gets a generous deadline: on a busy machine a slow flow must still land
// before the audit. The dropping one a short one: its lost flows are waited for to the deadline.
async function soakThenAudit(
  faults: string[],
  deadline: string,
): Promise<{ result: RunResult; overruns: number; visibleInJournal: () => number }> {
  const name = faults.length === 0 ? 'audit-reference' : 'audit-drops';
  const parsed = parseScenarioText(
    `
name: ${name}
seed: 9
mocks:
  whatsapp:
    throughputPerSec: 1000
    statusTiming: { sent: 'uniform(20ms,80ms)', delivered: 'uniform(50ms,150ms)', read: 'uniform(100ms,300ms)', readProbability: 0.7, failureRate: 0 }
  crm: { plan: enterprise, ratePerMin: 120000, contacts: 50 }
connector:
  faults: [${faults.map((f) => `'${f}'`).join(', ')}]
suites:
  - kind: soak
    duration: 1h
    window: 10m
    averageRate: 200/h
    peakFactor: 1
    timezone: UTC
    timeScale: 180
    volume: keep-total
    mix: { outbound: 0.2, inbound: 0.8 }
    deadline: ${deadline}
  - kind: consistency-audit
    sample: 1000
`,
    `${name}.yaml`,
  );
  if (!parsed.ok) throw new Error(`scenario ${name} does not parse: ${JSON.stringify(parsed.issues)}`);
  let overruns = 0;
  let visibleInJournal = () => 0;
  const result = await runScenario({
    scenario: parsed.value,
    scenarioFile: `${name}.yaml`,
    acceptance: table,
    runId: name,
    wacrmVersion: 'test',
    nodeVersion: 'test',
    onStack: (stack) => {
      const journal = stack.whatsapp.journal;
      visibleInJournal = () => journal.query({ kind: ['message.accepted', 'inbound.created'] }).length;
      journal.on('entry', () => {
        if (journal.size() < JOURNAL_KEPT) return;
        journal.clear();
        overruns++;
      });
    },
  });
  return { result, overruns, visibleInJournal };
}

function audit(result: RunResult) {
  return result.checks.find((c) => c.key === 'consistency_match_rate');
}

describe('the consistency audit covers the whole run', () => {
  it('finds every record of a correct connector, though the mock journal kept only its last entries', async () => {
    const { result, overruns, visibleInJournal } = await soakThenAudit([], '30s');
    expect(overruns).toBeGreaterThan(3);
    const check = audit(result);
    const soak = result.suites.find((s) => s.kind === 'soak');
    // The soak itself went through: every flow completed (else the audit would rightly miss them).
    expect(soak?.flows.completed, JSON.stringify(soak?.flows)).toBe(soak?.flows.sent);
    expect(check?.evidence).toMatch(/over the whole run 0 of \d+ WhatsApp messages have no CRM record/);
    expect(check?.evidence).toContain('and 0 CRM messages were never seen by WhatsApp');
    const messages = Number(/of (\d+) WhatsApp messages/.exec(check?.evidence ?? '')?.[1]);
    // Far more messages than the mock's journal still shows: the old audit would have found most
    // CRM records "never seen by WhatsApp".
    expect(visibleInJournal()).toBeLessThan(messages / 4);
    expect(check?.value).toBe(1);
    expect(grade(result, table).checks.find((c) => c.key === 'consistency_match_rate')?.passed).toBe(true);
  }, 60_000);

  // The audit compares what reached WhatsApp with the CRM: a customer message the connector acked and
  // dropped is one it must find. (A template the connector never sent reached neither side; delivery
  // and completeness grade that.) The connector draws its drops from Math.random: at 6 % of some 160
  // customer messages, a run with none dropped has odds of about 1 in 20,000.
  it('does not give 100 % to a connector that loses 6 % of the customer messages', async () => {
    const { result, overruns } = await soakThenAudit(['drop-inbound=0.06'], '5s');
    expect(overruns).toBeGreaterThan(3);
    const check = audit(result);
    expect(check?.value).toBeLessThan(1);
    expect(check?.evidence).toContain('reached WhatsApp but has no CRM record');
    const missing = Number(/over the whole run (\d+) of/.exec(check?.evidence ?? '')?.[1]);
    expect(missing).toBeGreaterThan(0);
  }, 60_000);
});
