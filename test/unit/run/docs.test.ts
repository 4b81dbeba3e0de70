import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../../src/config/load.js';
import type { Scenario } from '../../../src/config/schema.js';
import { planSteps } from '../../../src/load/step-ramp.js';
import { defaultHealthBounds } from '../../../src/metrics/loop.js';
import { RUN_HEALTH } from '../../../src/run/runner.js';

const ROOT = join(import.meta.dirname, '../../..');
const doc = (name: string) => readFileSync(join(ROOT, 'docs', name), 'utf8');
const n = (x: number) => x.toLocaleString('en-US');

function shipped(file: string): Scenario {
  const path = join(ROOT, 'scenarios', file);
  const parsed = parseScenarioText(readFileSync(path, 'utf8'), path);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => i.message).join('; '));
  return parsed.value;
}

/** What the row of a shipped scenario in docs/scenarios.md must say, from the scenario itself. */
function factsOf(scenario: Scenario, row: string): string[] {
  const facts: string[] = [];
  for (const s of scenario.suites) {
    if (s.kind === 'template-delivery') facts.push(`${s.templates} templates × ${s.sendsPerTemplate} sends`);
    if (s.kind === 'conversation-sync')
      facts.push(`${n(s.messages)}`, `over ${n(s.conversations)} conversations`);
    if (s.kind === 'capacity') {
      facts.push(`${n(s.startPerMin)} msg/min`, `+${n(s.stepPerMin)}`, `${s.stepDurationMs / 1000} s step`);
      // A row that counts the steps counts them as the ramp plans them.
      if (/steps? \(to/.test(row)) {
        const steps = planSteps(s);
        facts.push(`up to ${steps.length} steps (to ${n(steps.at(-1)?.ratePerMin ?? 0)} msg/min)`);
      }
    }
    if (s.kind === 'soak' && row.includes('compressed into')) {
      facts.push(`compressed into ${s.durationMs / s.timeScale / 1000} s`);
    }
  }
  return facts;
}

describe('docs/scenarios.md: the shipped scenarios table', () => {
  for (const file of [
    'default.yaml',
    'default-hubspot.yaml',
    'template-delivery.yaml',
    'conversation-sync.yaml',
    'step-ramp.yaml',
    'vendor.yaml',
  ]) {
    it(`the row of ${file} states its sizes as the file sets them`, () => {
      const row = doc('scenarios.md')
        .split('\n')
        .find((l) => l.startsWith(`| \`${file}\``));
      if (file === 'default-hubspot.yaml' && row === undefined) return; // documented in crm-hubspot.md
      expect(row, `a row for ${file}`).toBeDefined();
      const scenario = shipped(file);
      for (const fact of factsOf(scenario, row as string)) expect(row, fact).toContain(fact);
      // Rates the row names are rates some suite of the file plays.
      const rates = new Set(
        scenario.suites.flatMap((s) => ('ratePerMin' in s ? [n(s.ratePerMin as number)] : [])),
      );
      for (const m of (row as string).matchAll(/at ([\d,]+)(?: msg)?\/min/g)) {
        expect([...rates], `rate ${m[1]} in the row of ${file}`).toContain(m[1]);
      }
    });
  }
});

describe('docs/load-model.md: when a run is invalid', () => {
  it('states the bounds `wacrm run` judges its own health by', () => {
    const text = doc('load-model.md');
    const bounds = { ...defaultHealthBounds, ...RUN_HEALTH.bounds };
    expect(text).toContain(`\`wacrm run\` judges its health in windows of ${RUN_HEALTH.windowMs / 1000} s`);
    expect(text).toContain(`the p99 of scheduler lag exceeds ${bounds.maxSchedulerLagP99Ms} ms`);
    expect(text).toContain(`more than ${bounds.maxLateShare * 100} % of its arrivals started later`);
    expect(text).toContain(`an event-loop sample's p99 exceeds ${bounds.maxLoopDelayP99Ms} ms`);
    expect(text).toMatch(
      new RegExp(`through the API defaults\\s+to ${defaultHealthBounds.maxLoopDelayP99Ms} ms`),
    );
  });

  it('states the refinement resolution a capacity suite uses by default', () => {
    const suite = shipped('step-ramp.yaml').suites[0];
    if (suite?.kind !== 'capacity') throw new Error('step-ramp.yaml has no capacity suite first');
    expect(doc('load-model.md')).toContain(`(default ${suite.resolutionPerMin}/min)`);
  });
});
