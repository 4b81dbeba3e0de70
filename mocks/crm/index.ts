/** The mock CRM: `buildCrmMock(opts)` → an unstarted fastify instance with `app.crm` (docs/crm-api.md). */
export { buildCrmMock, CRM_EVENT_RETRY, type CrmMockHandle, type CrmMockOptions } from './app.js';
export { DEFAULT_PLAN_LIMITS, type Plan } from './context.js';
export { HUBSPOT_TIER_LIMITS } from './dialects/hubspot/context.js';
export { ApiError, CRM_ERROR_STATUS, type CrmErrorCode, type ErrorDetail } from './errors.js';
export { KNOWN_EVENT_TYPES } from './events.js';
export { DIRTY_KINDS, type DirtyKind, generateSeedContacts, SEED_LOCALES, type SeedContact } from './seed.js';
export type * from './types.js';
