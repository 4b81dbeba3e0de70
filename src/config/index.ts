/** Scenario and acceptance-table configuration: schema, types, loading with positioned errors. */

export * from '../../kernel/units.js';
export * from './acceptance.js';
export * from './issues.js';
export * from './json-schema.js';
export * from './load.js';
export * from './schema.js';
