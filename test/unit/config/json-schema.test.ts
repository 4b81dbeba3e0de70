import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIO_JSON_SCHEMA_PATH, scenarioJsonSchemaText } from '../../../src/config/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('scenarios/scenario.schema.json', () => {
  it('is up to date with the zod schema (regenerate: npx tsx scripts/gen-schema.ts)', async () => {
    const committed = await readFile(resolve(ROOT, SCENARIO_JSON_SCHEMA_PATH), 'utf8');
    expect(committed, 'scenario.schema.json is stale: run npx tsx scripts/gen-schema.ts').toBe(
      scenarioJsonSchemaText(),
    );
  });

  it('describes the input side (rate: 500/min), is strict, and carries the defaults', () => {
    const schema = JSON.parse(scenarioJsonSchemaText()) as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<
        string,
        { items?: { oneOf?: Array<{ properties: Record<string, { default?: unknown }> }> } }
      >;
    };
    expect(schema.required).toEqual(['name', 'suites']);
    expect(schema.additionalProperties).toBe(false);
    const suites = schema.properties['suites']?.items?.oneOf ?? [];
    expect(suites).toHaveLength(7);
    const template = suites.find((s) => 'sendsPerTemplate' in s.properties);
    expect(template?.properties['rate']?.default).toBe('1500/min');
    expect(template?.properties['deadline']?.default).toBe('15s');
    expect(template?.properties).not.toHaveProperty('ratePerMin');
  });
});
