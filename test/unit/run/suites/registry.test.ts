import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkScenarioFile } from '../../../../src/config/load.js';
import { SUITE_KINDS } from '../../../../src/config/schema.js';
import { registeredKinds, suiteReads, suiteRunner } from '../../../../src/run/suites/index.js';

const ROOT = resolve(import.meta.dirname, '../../../..');

/** The keys the scenario format accepts for each suite kind (the committed editor schema). */
function schemaKeys(): Map<string, string[]> {
  const doc = JSON.parse(readFileSync(join(ROOT, 'scenarios/scenario.schema.json'), 'utf8'));
  const out = new Map<string, string[]>();
  for (const s of doc.properties.suites.items.oneOf) {
    out.set(
      s.properties.kind.const,
      Object.keys(s.properties).filter((k) => k !== 'kind'),
    );
  }
  return out;
}

describe('the suite registry', () => {
  it('has one runner per kind `wacrm run` plays (conformance has its own command)', () => {
    expect(registeredKinds().sort()).toEqual(SUITE_KINDS.filter((k) => k !== 'conformance').sort());
    expect(suiteRunner('conformance')).toBeUndefined();
  });

  it('every key the schema accepts for a kind is read by its runner, and the runner reads no other', () => {
    const keys = schemaKeys();
    for (const kind of registeredKinds()) {
      expect([...(suiteReads(kind) ?? [])].sort(), kind).toEqual([...(keys.get(kind) ?? [])].sort());
    }
  });

  it('a key the schema accepts but no runner reads is rejected at load with FILE:LINE:COL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wacrm-reads-'));
    try {
      const file = join(dir, 's.yaml');
      await writeFile(
        file,
        `name: s\nacceptance: ${join(ROOT, 'scenarios/acceptance.yaml')}\nsuites:\n  - kind: capacity\n    refine: true\n    resolution: 50/min\n`,
      );
      // As when a runner stops reading `resolution` while the schema still accepts it.
      const reads = (kind: string) =>
        kind === 'capacity' ? (suiteReads('capacity') ?? []).filter((k) => k !== 'resolution') : undefined;
      const check = await checkScenarioFile(file, { suiteReads: reads as never });
      expect(check.loaded).toBeUndefined();
      expect(check.issues).toEqual([
        expect.objectContaining({
          file,
          line: 6,
          col: 5,
          path: 'suites[0].resolution',
          message: expect.stringMatching(/accepted by the capacity schema but its runner does not read it/),
        }),
      ]);
      // With the real registry the same file is valid.
      expect((await checkScenarioFile(file, { suiteReads })).issues).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
