import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registerValidateCommand } from '../../../src/cli/validate.js';
import { runCommand } from './run-command.js';

const SCENARIOS = resolve(import.meta.dirname, '../../../scenarios');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-validate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('wacrm validate', () => {
  it('prints ok for each valid file and exits 0', async () => {
    const files = ['default', 'step-ramp', 'acceptance'].map((n) => join(SCENARIOS, `${n}.yaml`));
    const r = await runCommand(registerValidateCommand, ['validate', ...files]);
    expect(r.exitCode).toBe(0);
    expect(r.out).toEqual(files.map((f) => `${f}: ok`));
  });

  it('prints every error as FILE:LINE:COL path: message and exits 2', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      `name: bad\nacceptance: ${join(SCENARIOS, 'acceptance.yaml')}\nsuites:\n  - kind: capacity\n    start: 500\n    stpe: 200/min\n`,
    );
    const r = await runCommand(registerValidateCommand, [
      'validate',
      bad,
      join(SCENARIOS, 'default.yaml'),
      join(dir, 'none.yaml'),
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.out).toEqual([
      `${bad}:5:12 suites[0].start: expected a rate with its unit, such as 500/min, got 500`,
      expect.stringMatching(
        new RegExp(`^${bad}:6:5 suites\\[0\\]\\.stpe: unknown key "stpe" \\(did you mean "step"\\?\\)`),
      ),
      `${join(SCENARIOS, 'default.yaml')}: ok`,
      `${join(dir, 'none.yaml')}: scenario ${join(dir, 'none.yaml')} does not exist`,
    ]);
    expect(r.error?.code).toBe('WACRM_SCENARIO_INVALID');
    expect(r.error?.message).toBe('2 of 3 files have errors');
  });

  it('--print-defaults shows the resolved scenario', async () => {
    const r = await runCommand(registerValidateCommand, [
      'validate',
      '--print-defaults',
      join(SCENARIOS, 'step-ramp.yaml'),
    ]);
    expect(r.exitCode).toBe(0);
    const text = r.out.join('\n');
    expect(text.split('\n')[0]).toBe(`# ${join(SCENARIOS, 'step-ramp.yaml')}: the resolved scenario`);
    const resolved = parse(text) as { suites: Array<Record<string, unknown>>; harness: unknown };
    expect(resolved.suites[0]).toMatchObject({
      kind: 'capacity',
      startPerMin: 500,
      stepPerMin: 200,
      stepDurationMs: 60_000,
    });
    expect(resolved.harness).toEqual({ maxInFlight: 5000, lagBoundMs: 50 });
    const json = await runCommand(registerValidateCommand, [
      'validate',
      '--print-defaults',
      '--json',
      join(SCENARIOS, 'default.yaml'),
    ]);
    expect((JSON.parse(json.out.join('\n')) as { name: string }).name).toBe('default');
  });

  it('refuses to run without a file (usage error, exit 2)', async () => {
    const r = await runCommand(registerValidateCommand, ['validate']);
    expect(r.exitCode).toBe(2);
    expect(r.err.join('')).toMatch(/missing required argument/);
  });
});
