import type { onRequestHookHandler } from 'fastify';
import type { Clock } from '../../../kernel/clock.js';
import type { Journal } from '../../shared/journal.js';
import { createHubSpotDialect, type HubSpotDialectOptions } from './hubspot/index.js';
import { createNativeDialect } from './native/index.js';
import type { CrmDialect, CrmDialectName } from './types.js';

export { CRM_DIALECTS, type CrmDialect, type CrmDialectName, type DialectEvents } from './types.js';

/** Per-dialect options of the CRM mock (`CrmMockOptions.dialectOptions`). */
export interface CrmDialectOptions {
  hubspot?: HubSpotDialectOptions;
}

/** What a dialect is built from: the mock's clock, seed and credentials, and the native API's guard. */
export interface DialectDeps {
  /** The native API's token and plan-limit check (state lives in app.ts). */
  nativeAuth: onRequestHookHandler;
  clock: Clock;
  /** The mock's journal (event outcomes are journalled per event). */
  journal: Journal;
  seed: number;
  /** The bearer token the connector was given. */
  token: string;
  /** The secret outgoing events are signed with. */
  webhookSecret: string;
  options?: CrmDialectOptions;
}

/** Builds the dialect `name`; a new dialect adds one case here and a folder beside native/. */
export function createDialect(name: CrmDialectName, deps: DialectDeps): CrmDialect {
  switch (name) {
    case 'native':
      return createNativeDialect(deps.nativeAuth);
    case 'hubspot':
      return createHubSpotDialect(deps, deps.options?.hubspot);
  }
}
