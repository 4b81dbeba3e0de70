import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WacrmError } from '../../../src/errors.js';
import { grade } from '../../../src/grading/grade.js';
import { REPORT_FILES, readRunResult, readSummary, writeReports } from '../../../src/report/write.js';
import { fixture, shippedTable } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-report-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof WacrmError)) throw new Error(`expected a WacrmError, got ${String(err)}`);
  return `${err.code}: ${err.message}`;
}

describe('writing and reading run directories', () => {
  it('writes the four report files into a new directory, with no temp files left', async () => {
    const result = fixture('pass');
    const out = join(dir, 'reports', result.runId);
    const written = await writeReports(out, result, grade(result, shippedTable()));
    expect(written).toEqual(REPORT_FILES.map((f) => join(out, f)));
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
      verdict: string;
      schemaVersion: number;
    };
    expect(summary).toMatchObject({ verdict: 'pass', schemaVersion: 1 });
    expect(await readFile(join(out, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    expect((await readdir(out)).sort()).toEqual([...REPORT_FILES].sort());
    expect((await readSummary(out)).verdict).toBe('pass');
  });

  it('reads a result.json back through its schema', async () => {
    await writeFile(
      join(dir, 'result.json'),
      await readFile(join(import.meta.dirname, '../../fixtures/run-result-fail.json')),
    );
    const result = await readRunResult(dir);
    expect(result.metrics.template_delivery_rate?.value).toBe(0.978);
  });

  it('explains what is wrong with a run directory', async () => {
    expect(await codeOf(readRunResult(join(dir, 'nope')))).toMatch(
      /^WACRM_RUN_DIR_INVALID: run directory .* does not exist/,
    );
    expect(await codeOf(readRunResult(dir))).toMatch(
      /has no readable result\.json: it is not a wacrm run directory/,
    );
    await writeFile(join(dir, 'result.json'), '{ not json');
    expect(await codeOf(readRunResult(dir))).toMatch(/result\.json is not valid JSON/);
    await writeFile(join(dir, 'result.json'), JSON.stringify({ schemaVersion: 9 }));
    expect(await codeOf(readRunResult(dir))).toMatch(/has schemaVersion 9; this wacrm reads version 1/);
    const broken = { ...fixture('pass'), durationMs: -1, metrics: { nonsense: { value: 1, evidence: '' } } };
    await writeFile(join(dir, 'result.json'), JSON.stringify(broken));
    const message = await codeOf(readRunResult(dir));
    expect(message).toMatch(/is not a valid run result:/);
    expect(message).toMatch(/durationMs: /);
    expect(message).toMatch(/metrics: Unrecognized key: "nonsense"/);
    expect(await codeOf(readSummary(dir))).toMatch(/no readable summary\.json/);
  });

  it('reports an unwritable directory with its own code', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const result = fixture('pass');
    expect(await codeOf(writeReports(join(file, 'sub'), result, grade(result, shippedTable())))).toMatch(
      /^WACRM_REPORT_WRITE_FAILED: cannot write the reports to/,
    );
  });
});
