/**
 * `mocks.crm.persist: FILE` keeps one CRM across runs: the second run finds the first run's
 * records (and adds its own) instead of a freshly seeded CRM; a file that is not a CRM store is
 * refused as bad input. Two short real runs of the reference connector, about 10 s each.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WacrmError } from '../../src/errors.js';
import { wacrm } from './cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-persist-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function scenario(persist: string): string {
  return `name: persist
seed: 7
acceptance: ${JSON.stringify(resolve('scenarios/acceptance.yaml'))}
mocks:
  crm: { contacts: 20, persist: ${persist} }
suites:
  - { kind: conversation-sync, messages: 20, conversations: 10, rate: 600/min, deadline: 5s }
`;
}

function count(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM t_${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

it('keeps the CRM in the file across runs', async () => {
  const file = join(dir, 'kept.yaml');
  await writeFile(file, scenario('crm-state.sqlite'));
  const store = join(dir, 'crm-state.sqlite'); // relative to the scenario file
  const first = await wacrm(['run', '--quiet', '--out', join(dir, 'r1'), file]);
  if (first.error && (first.error as WacrmError).exitCode !== 1) throw first.error;
  const afterFirst = count(store, 'messages');
  const contactsFirst = count(store, 'contacts');
  expect(afterFirst).toBeGreaterThan(0);
  // Another seed: the same one would replay the same WhatsApp message ids, which the kept CRM
  // already holds and rightly deduplicates (docs/testing-your-connector.md).
  const second = await wacrm(['run', '--quiet', '--seed', '8', '--out', join(dir, 'r2'), file]);
  if (second.error && (second.error as WacrmError).exitCode !== 1) throw second.error;
  // Nothing was wiped or reseeded: the first run's messages are still there, beside the second's.
  expect(count(store, 'messages')).toBeGreaterThan(afterFirst);
  expect(count(store, 'contacts')).toBeGreaterThanOrEqual(contactsFirst);
}, 60_000);

it('refuses a file that is not a CRM store, as bad input', async () => {
  const file = join(dir, 'bad.yaml');
  await writeFile(join(dir, 'not-a-db.sqlite'), 'plain text, not SQLite');
  await writeFile(file, scenario('not-a-db.sqlite'));
  const run = await wacrm(['run', '--quiet', '--out', join(dir, 'r3'), file]);
  expect(run.error).toBeInstanceOf(WacrmError);
  expect((run.error as WacrmError).code).toBe('WACRM_SCENARIO_INVALID');
  expect((run.error as WacrmError).message).toMatch(/^mocks\.crm\.persist: cannot open .*not-a-db\.sqlite/);
}, 30_000);
