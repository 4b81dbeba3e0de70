import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerCompareCommand } from '../../../src/cli/compare.js';
import { registerReportCommand } from '../../../src/cli/report.js';
import { runCommand } from './run-command.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-cli-report-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runDir(name: 'pass' | 'fail' | 'invalid'): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  await copyFile(join(FIXTURES, `run-result-${name}.json`), join(d, 'result.json'));
  return d;
}

describe('wacrm report', () => {
  it('re-renders every file, prints the grade sheet and exits with the verdict’s code', async () => {
    const pass = await runDir('pass');
    const r = await runCommand(registerReportCommand, ['report', pass]);
    expect(r.exitCode).toBe(0);
    expect(r.out.join('\n')).toMatch(/Template message delivery rate/);
    expect(r.out.join('\n')).toMatch(/PASS · 5 of 5 metrics graded/);
    expect(r.out.at(-1)).toBe(`wrote summary.json, junit.xml, summary.md, report.html in ${pass}`);
    expect(await readFile(join(pass, 'summary.md'), 'utf8')).toMatch(/^## wacrm: PASS/);

    const fail = await runCommand(registerReportCommand, ['report', await runDir('fail')]);
    expect(fail.exitCode).toBe(1);
    expect(fail.error?.code).toBe('WACRM_THRESHOLD_FAILED');
    const invalid = await runCommand(registerReportCommand, ['report', await runDir('invalid')]);
    expect(invalid.exitCode).toBe(3);
    expect(invalid.error?.code).toBe('WACRM_RUN_INVALID');
  });

  it('re-grades against another table with --acceptance', async () => {
    const pass = await runDir('pass');
    const strict = (await readFile(resolve(FIXTURES, '../../scenarios/acceptance.yaml'), 'utf8')).replace(
      'qualified: 1000\n    average: 1200',
      'qualified: 4000\n    average: 4500',
    );
    await writeFile(join(dir, 'strict.yaml'), strict);
    const r = await runCommand(registerReportCommand, [
      'report',
      pass,
      '--acceptance',
      join(dir, 'strict.yaml'),
    ]);
    expect(r.exitCode).toBe(1);
    expect(r.out.join('\n')).toContain('2,300 msg/min is worse than qualified ≥ 4,000 msg/min');
  });

  it('exits 2 for a directory that is not a run', async () => {
    const r = await runCommand(registerReportCommand, ['report', join(dir, 'nothing')]);
    expect(r.exitCode).toBe(2);
    expect(r.error?.code).toBe('WACRM_RUN_DIR_INVALID');
  });
});

describe('wacrm compare', () => {
  it('exits 1 on regressions, 0 without, 2 on bad directories', async () => {
    const pass = await runDir('pass');
    const fail = await runDir('fail');
    await runCommand(registerReportCommand, ['report', pass]);
    await runCommand(registerReportCommand, ['report', fail]);

    const worse = await runCommand(registerCompareCommand, ['compare', pass, fail]);
    expect(worse.exitCode).toBe(1);
    expect(worse.error?.code).toBe('WACRM_REGRESSION');
    expect(worse.out.join('\n')).toMatch(/10 regressions/);

    const better = await runCommand(registerCompareCommand, ['compare', fail, pass]);
    expect(better.exitCode).toBe(0);

    const same = await runCommand(registerCompareCommand, ['compare', '--json', pass, pass]);
    expect(same.exitCode).toBe(0);
    expect((JSON.parse(same.out.join('\n')) as { regressions: number }).regressions).toBe(0);

    const bad = await runCommand(registerCompareCommand, ['compare', pass, join(dir, 'nothing')]);
    expect(bad.exitCode).toBe(2);
    const noSummary = await runCommand(registerCompareCommand, ['compare', pass, await runDir('invalid')]);
    expect(noSummary.exitCode).toBe(2);
    expect(noSummary.error?.hint).toMatch(/wacrm report/);
  });
});
