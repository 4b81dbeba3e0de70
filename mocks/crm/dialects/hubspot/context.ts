import { randomUUID } from 'node:crypto';
import { SlidingWindowCounter } from '../../../shared/limits.js';
import type { CrmContext } from '../../context.js';

/** HubSpot account tiers as far as API limits go (docs/crm-hubspot.md, "Limits"). */
export type HubSpotTier = 'free' | 'starter' | 'professional' | 'enterprise' | 'limit-increase';

/** Limits of one tier: the rolling ten-second burst per app, the daily budget, the search API's per second. */
export interface HubSpotLimits {
  perTenSeconds: number;
  perDay: number;
  searchPerSecond: number;
}

/** HubSpot's published limits for privately distributed apps, per tier. */
export const HUBSPOT_TIER_LIMITS: Readonly<Record<HubSpotTier, Readonly<HubSpotLimits>>> = Object.freeze({
  free: { perTenSeconds: 100, perDay: 250_000, searchPerSecond: 5 },
  starter: { perTenSeconds: 100, perDay: 250_000, searchPerSecond: 5 },
  professional: { perTenSeconds: 190, perDay: 625_000, searchPerSecond: 5 },
  enterprise: { perTenSeconds: 190, perDay: 1_000_000, searchPerSecond: 5 },
  'limit-increase': { perTenSeconds: 250, perDay: 2_000_000, searchPerSecond: 5 },
});

/** Every scope the dialect checks; a token given without `scopes` holds all of them. */
export const HUBSPOT_SCOPES = [
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.schemas.contacts.read',
  'crm.schemas.contacts.write',
  'crm.objects.owners.read',
  'tickets',
] as const;

/** A private-app access token and the scopes granted to it. */
export interface HubSpotToken {
  token: string;
  scopes?: readonly string[];
}

/** A HubSpot user who can own records (GET /crm/v3/owners). */
export interface HubSpotOwner {
  /** The owner id records carry in `hubspot_owner_id` (a string of digits). */
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  /** The user id (a number, unlike the owner id). */
  userId: number;
  teams?: Array<{ id: string; name: string; primary: boolean }>;
}

/** The owners an account has when none are configured. */
export const DEFAULT_OWNERS: readonly HubSpotOwner[] = [
  { id: '41629779', email: 'ana.ruiz@example.com', firstName: 'Ana', lastName: 'Ruiz', userId: 9_586_504 },
  {
    id: '41629780',
    email: 'kofi.mensah@example.com',
    firstName: 'Kofi',
    lastName: 'Mensah',
    userId: 9_586_505,
  },
  { id: '41629781', email: 'mei.lin@example.com', firstName: 'Mei', lastName: 'Lin', userId: 9_586_506 },
].map((o) => ({ ...o, teams: [{ id: '368389', name: 'Support', primary: true }] }));

/** Options of the HubSpot dialect. */
export interface HubSpotOptions {
  /** Private-app tokens the account accepts (at least one). */
  tokens: readonly HubSpotToken[];
  /** Default `starter` (100 per 10 s, 250,000 a day, search 5 per second). */
  tier?: HubSpotTier;
  /** Overrides of the tier's figures (capacity runs). */
  limits?: Partial<HubSpotLimits>;
  /** The account id named in some error messages; default 48151623. */
  portalId?: number;
  /** Users who can own records (default: three agents). */
  owners?: readonly HubSpotOwner[];
  /** Contact property that holds the contact's tags (`;`-separated); default `wa_tags`. */
  tagsProperty?: string;
  /** Contact property that holds the WhatsApp opt-out (`true`/`false`); default `wa_opt_out`. */
  optOutProperty?: string;
}

/** The parts of the native CRM context the dialect works through (the same store and journal). */
export type CrmParts = Pick<CrmContext, 'clock' | 'journal' | 'store' | 'service' | 'faults'>;

/** Daily budget counted per UTC calendar day (HubSpot resets at the account's midnight; UTC here). */
export class DailyCounter {
  private day = '';
  private used = 0;

  constructor(
    private readonly epochMs: () => number,
    readonly limit: number,
  ) {}

  private roll(): void {
    const today = new Date(this.epochMs()).toISOString().slice(0, 10);
    if (today !== this.day) {
      this.day = today;
      this.used = 0;
    }
  }

  /** Calls left today. */
  remaining(): number {
    this.roll();
    return Math.max(0, this.limit - this.used);
  }

  /** Counts a call if the day's budget allows; `remaining` after it. */
  tryHit(): { ok: boolean; remaining: number } {
    this.roll();
    if (this.used >= this.limit) return { ok: false, remaining: 0 };
    this.used++;
    return { ok: true, remaining: this.limit - this.used };
  }
}

/** Everything the HubSpot routes share: the native CRM parts plus the HubSpot account's settings and limits. */
export interface HubSpotContext {
  crm: CrmParts;
  tier: HubSpotTier;
  limits: HubSpotLimits;
  portalId: number;
  tagsProperty: string;
  optOutProperty: string;
  /** Association labels created through the API, by type id. */
  labels: Map<number, string>;
  /** The account's users who can own records. */
  owners: readonly HubSpotOwner[];
  /** Scopes by token. */
  tokens: ReadonlyMap<string, ReadonlySet<string>>;
  /** Rolling ten-second burst of all non-search calls. */
  burst: SlidingWindowCounter;
  /** The search endpoints' own limit (requests per rolling second). */
  search: SlidingWindowCounter;
  daily: DailyCounter;
  /** A fresh numeric record id above 2^31 (clients that parse ids as int32 break, as on HubSpot). */
  newObjectId(): string;
  /** A correlation id for an answer. */
  correlationId(): string;
  /** Now as HubSpot writes it (ISO-8601 UTC with milliseconds). */
  nowIso(): string;
  /** Re-applies tier and limits (a fresh window starts). */
  setTier(tier: HubSpotTier | undefined, limits?: Partial<HubSpotLimits>): void;
}

const ID_BASE = 52_000_000_000;

function checkLimits(limits: Partial<HubSpotLimits>): void {
  for (const [k, v] of Object.entries(limits)) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new RangeError(`hubspot.limits.${k} must be an integer ≥ 1, got ${v}`);
  }
}

/** Builds the dialect's context over a CRM's parts. Throws a RangeError naming a bad option. */
export function createHubSpotContext(crm: CrmParts, opts: HubSpotOptions): HubSpotContext {
  if (!Array.isArray(opts.tokens) || opts.tokens.length === 0)
    throw new RangeError('hubspot.tokens must name at least one token');
  const tokens = new Map<string, ReadonlySet<string>>();
  for (const t of opts.tokens) {
    if (typeof t.token !== 'string' || t.token.length === 0 || /\s/.test(t.token))
      throw new RangeError('hubspot.tokens[].token must be a non-empty string without spaces');
    tokens.set(t.token, new Set(t.scopes ?? HUBSPOT_SCOPES));
  }
  const tier0 = opts.tier ?? 'starter';
  if (!Object.hasOwn(HUBSPOT_TIER_LIMITS, tier0))
    throw new RangeError(`hubspot.tier must be one of ${Object.keys(HUBSPOT_TIER_LIMITS).join(', ')}`);
  checkLimits(opts.limits ?? {});
  const { clock, store } = crm;
  const make = (tier: HubSpotTier, over: Partial<HubSpotLimits>): HubSpotLimits => ({
    ...HUBSPOT_TIER_LIMITS[tier],
    ...Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)),
  });
  let counter = Number(store.getMeta('hubspot_id_counter') ?? '0');
  const ctx: HubSpotContext = {
    crm,
    tier: tier0,
    limits: make(tier0, opts.limits ?? {}),
    portalId: opts.portalId ?? 48_151_623,
    tagsProperty: opts.tagsProperty ?? 'wa_tags',
    optOutProperty: opts.optOutProperty ?? 'wa_opt_out',
    tokens,
    labels: new Map(),
    owners: opts.owners ?? DEFAULT_OWNERS,
    burst: new SlidingWindowCounter(clock, 10_000, 1),
    search: new SlidingWindowCounter(clock, 1000, 1),
    daily: new DailyCounter(() => clock.epochMs(), 1),
    newObjectId() {
      counter++;
      store.setMeta('hubspot_id_counter', String(counter));
      // Spaced ids (not 1, 2, 3) so clients cannot guess one from another, as on HubSpot.
      return String(ID_BASE + counter * 97);
    },
    correlationId: () => randomUUID(),
    nowIso: () => new Date(clock.epochMs()).toISOString(),
    setTier(tier, limits) {
      if (tier !== undefined) ctx.tier = tier;
      checkLimits(limits ?? {});
      ctx.limits = make(ctx.tier, limits ?? {});
      ctx.burst = new SlidingWindowCounter(clock, 10_000, ctx.limits.perTenSeconds);
      ctx.search = new SlidingWindowCounter(clock, 1000, ctx.limits.searchPerSecond);
      ctx.daily = new DailyCounter(() => clock.epochMs(), ctx.limits.perDay);
    },
  };
  ctx.setTier(undefined, opts.limits);
  return ctx;
}
