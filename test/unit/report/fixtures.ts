import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type AcceptanceTable, parseAcceptanceText } from '../../../src/config/index.js';
import { type RunResult, runResultSchema } from '../../../src/result/run-result.js';

/** Test helpers: the committed RunResult fixtures and the shipped acceptance table. */
const ROOT = resolve(import.meta.dirname, '../../..');

/** Reads test/fixtures/run-result-<name>.json through the result.json schema (so fixtures stay valid). */
export function fixture(name: 'pass' | 'fail' | 'invalid'): RunResult {
  const raw = JSON.parse(
    readFileSync(resolve(ROOT, `test/fixtures/run-result-${name}.json`), 'utf8'),
  ) as unknown;
  return runResultSchema.parse(raw) as RunResult;
}

/** scenarios/acceptance.yaml, parsed. */
export function shippedTable(): AcceptanceTable {
  const file = resolve(ROOT, 'scenarios/acceptance.yaml');
  const out = parseAcceptanceText(readFileSync(file, 'utf8'), file);
  if (!out.ok) throw new Error('scenarios/acceptance.yaml is invalid');
  return out.value;
}
