// Writes scenarios/scenario.schema.json from the zod scenario schema (src/config/schema.ts).
// Run after changing the schema: npx tsx scripts/gen-schema.ts (a unit test fails while it is stale).
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENARIO_JSON_SCHEMA_PATH, scenarioJsonSchemaText } from '../src/config/json-schema.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const target = resolve(root, SCENARIO_JSON_SCHEMA_PATH);
writeFileSync(target, scenarioJsonSchemaText());
process.stdout.write(`wrote ${SCENARIO_JSON_SCHEMA_PATH}\n`);
