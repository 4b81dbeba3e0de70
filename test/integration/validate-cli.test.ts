import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built CLI with stdout and stderr on one pipe, as a CI log or `2>&1 | tee` sees them.
const MAIN = resolve(import.meta.dirname, '../../dist/src/cli/main.js');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-validate-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function validate(file: string): { status: number | null; lines: string[] } {
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${MAIN}" validate "${file}" 2>&1`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(r.stdout.endsWith('\n'), r.stdout).toBe(true);
  return { status: r.status, lines: r.stdout.trimEnd().split('\n') };
}

describe('wacrm validate in a log', () => {
  it('a scenario outside scenarios/ without acceptance: is valid (the built-in table grades it)', async () => {
    const file = join(dir, 'outside.yaml');
    await writeFile(file, 'name: outside\nsuites:\n  - kind: template-delivery\n');
    expect(validate(file)).toEqual({ status: 0, lines: [`${file}: ok`] });
  });

  it('puts the file error and the summary on lines of their own', async () => {
    const file = join(dir, 'named.yaml');
    await writeFile(file, 'name: named\nacceptance: nope.yaml\nsuites:\n  - kind: template-delivery\n');
    const r = validate(file);
    expect(r.status).toBe(2);
    expect(r.lines).toEqual([
      `${file}:2:13 acceptance: acceptance table ${join(dir, 'nope.yaml')} does not exist`,
      'wacrm: 1 of 1 file has errors [WACRM_SCENARIO_INVALID]',
      '  hint: docs/scenarios.md describes every field',
    ]);
  });
});
