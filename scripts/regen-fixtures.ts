/**
 * Rewrites the golden run results (test/fixtures/golden/run-result-*.json) from real runs of the
 * suites on a VirtualClock (see test/fixtures/golden/virtual-run.ts). Run it after a change that
 * changes what a run produces: `npx tsx scripts/regen-fixtures.ts`; the golden test fails until then.
 */
import { writeFile } from 'node:fs/promises';
import { GOLDEN_NAMES, goldenFile, goldenText } from '../test/fixtures/golden/virtual-run.js';

for (const name of GOLDEN_NAMES) {
  const started = performance.now();
  await writeFile(goldenFile(name), await goldenText(name));
  process.stdout.write(`${goldenFile(name)} (${Math.round(performance.now() - started)} ms)\n`);
}
