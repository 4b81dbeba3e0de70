import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUITE_KINDS, scenarioJsonSchemaText } from '../../../src/config/index.js';
import { grade } from '../../../src/grading/grade.js';
import { buildSummary } from '../../../src/report/summary.js';
import { fixture, shippedTable } from '../report/fixtures.js';

const DOCS = resolve(import.meta.dirname, '../../../docs');

interface JsonSchemaNode {
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  oneOf?: JsonSchemaNode[];
  anyOf?: JsonSchemaNode[];
  default?: unknown;
}

/** Every property name in the schema with its default, walking objects, lists and unions. */
function fields(node: JsonSchemaNode, out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (!out.has(name) || child.default !== undefined) out.set(name, child.default);
    fields(child, out);
  }
  if (node.items) fields(node.items, out);
  for (const alt of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) fields(alt, out);
  return out;
}

describe('docs/scenarios.md', () => {
  it('documents every field of the scenario format', async () => {
    const doc = await readFile(resolve(DOCS, 'scenarios.md'), 'utf8');
    const all = fields(JSON.parse(scenarioJsonSchemaText()) as JsonSchemaNode);
    all.delete('$schema');
    all.delete('kind');
    expect(all.size).toBeGreaterThan(40);
    const missing = [...all.keys()].filter(
      (name) => !doc.includes(`\`${name}\``) && !doc.includes(`.${name}\``),
    );
    expect(missing, 'fields without a row in docs/scenarios.md').toEqual([]);
    for (const kind of SUITE_KINDS) expect(doc).toContain(`### kind: ${kind}`);
  });

  it('states the default of every field that has a scalar one', async () => {
    const doc = await readFile(resolve(DOCS, 'scenarios.md'), 'utf8');
    const all = fields(JSON.parse(scenarioJsonSchemaText()) as JsonSchemaNode);
    for (const [name, def] of all) {
      if (def === undefined || typeof def === 'object') continue;
      const shown = typeof def === 'string' && /^\d+$/.test(def) ? `'${def}'` : String(def);
      // Fields that several suites share (rate, deadline) have one row per suite; one of them shows this default.
      const rows = doc.split('\n').filter((l) => l.startsWith(`| \`${name}\``) || l.includes(`.${name}\` |`));
      expect(rows.length, `row of ${name}`).toBeGreaterThan(0);
      expect(
        rows.some((r) => r.includes(`\`${shown}\``)),
        `default ${shown} of ${name}`,
      ).toBe(true);
    }
  });
});

describe('docs/reports.md', () => {
  it('documents every top-level field of summary.json and result.json', async () => {
    const doc = await readFile(resolve(DOCS, 'reports.md'), 'utf8');
    const result = fixture('pass');
    const summary = buildSummary(result, grade(result, shippedTable()));
    for (const key of Object.keys(summary)) expect(doc, `summary.json ${key}`).toContain(`"${key}"`);
    for (const key of Object.keys(result)) expect(doc, `result.json ${key}`).toContain(`\`${key}`);
    expect(doc).toContain(`## summary.json (schema version ${summary.schemaVersion})`);
  });
});
