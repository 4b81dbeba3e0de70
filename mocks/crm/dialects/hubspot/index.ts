import { createRng } from '../../../../kernel/random.js';
import type { CrmContext } from '../../context.js';
import type { DialectDeps } from '../index.js';
import type { CrmDialect } from '../types.js';
import {
  createHubSpotContext,
  type HubSpotContext,
  type HubSpotOptions,
  type HubSpotToken,
} from './context.js';
import { createHubSpotEvents } from './events.js';
import { keepSchema } from './properties.js';
import { registerHubSpotRoutes } from './routes.js';
import { hubspotSeeding } from './seed.js';

/** The app the account installed, as HubSpot names it in every webhook event. */
export const HUBSPOT_APP_ID = 1_160_452;
/** The app's one webhook subscription the events come under. */
export const HUBSPOT_SUBSCRIPTION_ID = 25;

/** Options of the HubSpot dialect (`CrmMockOptions.dialectOptions.hubspot`). */
export interface HubSpotDialectOptions extends Omit<HubSpotOptions, 'tokens'> {
  /** Extra private-app tokens (e.g. one with fewer scopes); the mock's `token` always holds every scope. */
  tokens?: readonly HubSpotToken[];
  /** How events are batched into webhook calls (docs/crm-hubspot.md). */
  events?: { batchWindowMs?: number; batchMax?: number };
}

/**
 * The HubSpot dialect: HubSpot's CRM v3/v4 routes under `/crm` over the mock's one model, with
 * their own auth, limits, faults and error shapes (routes.ts), and the CRM's events delivered as
 * HubSpot delivers app webhook subscriptions (events.ts), signed with the mock's webhook secret
 * as the app's client secret.
 */
export function createHubSpotDialect(deps: DialectDeps, opts: HubSpotDialectOptions = {}): CrmDialect {
  const { tokens = [], events: batching = {}, ...account } = opts;
  const portalId = account.portalId ?? 48_151_623;
  // One account per mock: the seed (before the routes exist) and the routes share it.
  let hs: HubSpotContext | undefined;
  const hsOf = (ctx: CrmContext): HubSpotContext => {
    hs ??= createHubSpotContext(ctx, { ...account, portalId, tokens: [{ token: deps.token }, ...tokens] });
    return hs;
  };
  return {
    name: 'hubspot',
    apiBase: '/crm/v3',
    // The HubSpot scope journals its calls and applies the timeline's faults itself, in HubSpot's shapes.
    sharedHooksFor: () => false,
    register(app, ctx) {
      registerHubSpotRoutes(app, hsOf(ctx));
    },
    seed: hubspotSeeding(hsOf),
    keepOnReset: (ctx) => keepSchema(ctx.store),
    events: createHubSpotEvents({
      clock: deps.clock,
      journal: deps.journal,
      clientSecret: deps.webhookSecret,
      rng: createRng(deps.seed ^ 0x4b5b07),
      portalId,
      appId: HUBSPOT_APP_ID,
      subscriptionId: HUBSPOT_SUBSCRIPTION_ID,
      ...batching,
    }),
  };
}
