import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFORMANCE_CASES } from '../../../src/conformance/cases/index.js';

const doc = readFileSync(new URL('../../../docs/conformance.md', import.meta.url), 'utf8');

describe('docs/conformance.md', () => {
  it('lists every case with the rule it checks and its source, word for word', () => {
    for (const c of CONFORMANCE_CASES) {
      expect(doc, c.id).toContain(`#### \`${c.id}\` — ${c.title}`);
      expect(doc, `${c.id} rule`).toContain(`- **Rule:** ${c.rule}`);
      expect(doc, `${c.id} source`).toContain(`- **Source:** ${c.source}`);
    }
  });

  it('documents no case the kit does not have', () => {
    const documented = [...doc.matchAll(/^#### `([a-z0-9-]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(CONFORMANCE_CASES.map((c) => c.id).sort());
  });
});
