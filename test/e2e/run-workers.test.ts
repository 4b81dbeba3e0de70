import { describe, expect, it } from 'vitest';
import { loadAcceptanceTable } from '../../src/config/index.js';
import { parseScenarioText } from '../../src/config/load.js';
import { runScenario } from '../../src/run/runner.js';

// `--workers 2`: the mocks' webhooks (statuses, customer messages, CRM events) leave from a sender
// thread. A short real run against the reference connector must complete its flows as the
// single-loop harness does, and say in the environment section how many loops it ran on.
describe('a run on two event loops', () => {
  it('completes outbound and inbound flows through the sender thread and reports workers: 2', async () => {
    const parsed = parseScenarioText(`
name: two-loops
suites:
  - kind: capacity
    start: 600/min
    step: 600/min
    stepDuration: 2s
    warmup: 500ms
    maxRate: 600/min
    deadline: 5s
    criteria: { p95Latency: 3s, errorRate: 0.05 }
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const result = await runScenario({
      scenario: parsed.value,
      scenarioFile: 'test/two-loops.yaml',
      acceptance: await loadAcceptanceTable('scenarios/acceptance.yaml'),
      runId: 'two-loops',
      wacrmVersion: 'test',
      nodeVersion: process.version,
      workers: 2,
    });
    expect(result.environment.workers).toBe(2);
    const step = result.capacity?.steps[0];
    expect(step?.sent).toBeGreaterThan(5);
    expect(step?.completed).toBe(step?.sent);
    expect(result.suites[0]?.flows.failed).toBe(0);
  }, 30_000);
});
