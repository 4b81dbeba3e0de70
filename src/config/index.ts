/** Scenario and acceptance-table configuration: schema, types, loading with positioned errors. */
export * from './acceptance.js';
export * from './issues.js';
export * from './json-schema.js';
export * from './load.js';
export * from './schema.js';
export * from './units.js';
