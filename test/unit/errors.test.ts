import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCodes, WacrmError } from '../../src/errors.js';

const DOCS = resolve(import.meta.dirname, '../../docs');

/** `## CODE` sections of docs/errors.md with their text. */
async function sections(): Promise<Map<string, string>> {
  const text = await readFile(resolve(DOCS, 'errors.md'), 'utf8');
  const out = new Map<string, string>();
  for (const part of text.split(/^## /m).slice(1)) {
    const [heading, ...body] = part.split('\n');
    out.set((heading ?? '').trim(), body.join('\n'));
  }
  return out;
}

describe('error codes and their docs', () => {
  it('docs/errors.md has exactly one section per code, in the table’s order', async () => {
    const docs = await sections();
    expect([...docs.keys()]).toEqual(Object.keys(errorCodes));
  });

  it('each section states the code’s title and exit code', async () => {
    const docs = await sections();
    for (const [code, { exitCode, title }] of Object.entries(errorCodes)) {
      const body = docs.get(code) ?? '';
      expect(body, `${code}: title`).toContain(title);
      expect(body, `${code}: exit code`).toContain(`Exit code: ${exitCode}.`);
    }
  });

  it('exit codes are the CLI contract: 1 failed, 2 bad input, 3 could not complete, 130/143 interrupted', () => {
    for (const { exitCode } of Object.values(errorCodes)) expect([1, 2, 3, 130, 143]).toContain(exitCode);
    // Shells report a process ended by signal N as 128 + N: SIGINT 2, SIGTERM 15.
    expect(new WacrmError('WACRM_INTERRUPTED', 'x').exitCode).toBe(130);
    expect(new WacrmError('WACRM_TERMINATED', 'x').exitCode).toBe(143);
    expect(new WacrmError('WACRM_THRESHOLD_FAILED', 'x').exitCode).toBe(1);
    expect(new WacrmError('WACRM_SCENARIO_INVALID', 'x').exitCode).toBe(2);
    expect(new WacrmError('WACRM_RUN_INVALID', 'x').exitCode).toBe(3);
  });

  it('docs/exit-codes.md covers the four exit codes and links the code table', async () => {
    const text = await readFile(resolve(DOCS, 'exit-codes.md'), 'utf8');
    for (const code of [0, 1, 2, 3]) expect(text).toContain(`| \`${code}\` |`);
    expect(text).toContain('[errors.md](errors.md)');
  });
});
