import type { Contact, HubSpotRecord } from '../../types.js';
import type { HubSpotContext } from './context.js';
import { validation } from './errors.js';
import { type EngagementType, engagementJson, engagementProperties } from './objects.js';
import { type ObjectType, propertyDef } from './properties.js';
import { contactExtras, contactJson, contactProperties, type HsObjectJson, phoneForms } from './records.js';

/** Filter operators of the CRM search API. */
export const OPERATORS = [
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
] as const;

type Operator = (typeof OPERATORS)[number];

/** One checked filter. */
export interface Filter {
  propertyName: string;
  operator: Operator;
  value?: string;
  highValue?: string;
  values?: string[];
}

/** A checked search request. */
export interface SearchRequest {
  groups: Filter[][];
  sort?: { propertyName: string; descending: boolean };
  properties?: string[];
  query?: string;
  limit: number;
  offset: number;
}

/** HubSpot's caps: groups, filters per group, filters in all, page size, results reachable. */
export const SEARCH_LIMITS = {
  groups: 5,
  perGroup: 6,
  total: 18,
  maxLimit: 200,
  maxResults: 10_000,
  maxQuery: 3000,
};

const scalar = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

function parseFilter(f: unknown, where: string): Filter {
  const o = f as Record<string, unknown>;
  const propertyName = o?.['propertyName'];
  const operator = o?.['operator'] ?? 'EQ';
  if (typeof propertyName !== 'string' || propertyName === '')
    throw validation(`${where}.propertyName is required`);
  if (typeof operator !== 'string' || !(OPERATORS as readonly string[]).includes(operator))
    throw validation(`${String(operator)} was not one of the allowed options: [${OPERATORS.join(', ')}]`, {
      operator: [String(operator)],
    });
  const out: Filter = { propertyName, operator: operator as Operator };
  const value = scalar(o['value']);
  if (value !== undefined) out.value = value;
  const high = scalar(o['highValue']);
  if (high !== undefined) out.highValue = high;
  if (o['values'] !== undefined) {
    if (!Array.isArray(o['values'])) throw validation(`${where}.values must be an array`);
    out.values = (o['values'] as unknown[]).map((v) => scalar(v) ?? '');
  }
  const op = out.operator;
  if ((op === 'IN' || op === 'NOT_IN') && !out.values)
    throw validation(`${where}: operator ${op} requires values`);
  if (op === 'BETWEEN' && (out.value === undefined || out.highValue === undefined))
    throw validation(`${where}: operator BETWEEN requires value and highValue`);
  if (!['IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY'].includes(op) && out.value === undefined)
    throw validation(`${where}: operator ${op} requires a value`);
  return out;
}

/** Checks a search body against HubSpot's shape and caps (400 VALIDATION_ERROR otherwise). */
export function parseSearch(body: unknown): SearchRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || Array.isArray(b)) throw validation('The search body must be a JSON object');
  const groupsIn = b['filterGroups'] ?? [];
  if (!Array.isArray(groupsIn)) throw validation('filterGroups must be an array');
  const groups: Filter[][] = groupsIn.map((g, i) => {
    const filters = (g as Record<string, unknown>)?.['filters'] ?? [];
    if (!Array.isArray(filters)) throw validation(`filterGroups[${i}].filters must be an array`);
    return filters.map((f, j) => parseFilter(f, `filterGroups[${i}].filters[${j}]`));
  });
  if (Array.isArray(b['filters']) && b['filters'].length > 0)
    groups.push((b['filters'] as unknown[]).map((f, j) => parseFilter(f, `filters[${j}]`)));
  const total = groups.reduce((n, g) => n + g.length, 0);
  if (
    groups.length > SEARCH_LIMITS.groups ||
    groups.some((g) => g.length > SEARCH_LIMITS.perGroup) ||
    total > SEARCH_LIMITS.total
  ) {
    throw validation(
      `Too many filters: at most ${SEARCH_LIMITS.groups} filterGroups, ${SEARCH_LIMITS.perGroup} filters in each and ${SEARCH_LIMITS.total} in all (got ${groups.length} groups, ${total} filters)`,
    );
  }
  let sort: SearchRequest['sort'];
  if (b['sorts'] !== undefined) {
    if (!Array.isArray(b['sorts'])) throw validation('sorts must be an array');
    let s: unknown = b['sorts'][0];
    // The official client types `sorts` as strings, and its README sends each sort as a JSON-encoded
    // object (`JSON.stringify({propertyName, direction})`), which HubSpot reads as that object.
    if (typeof s === 'string' && s.trimStart().startsWith('{')) {
      const text = s;
      try {
        s = JSON.parse(text) as unknown;
      } catch {
        throw validation(`sorts[0] is not a valid sort: ${text.slice(0, 100)}`);
      }
    }
    if (typeof s === 'string' && s !== '') {
      sort = { propertyName: s.replace(/^-/, ''), descending: s.startsWith('-') };
    } else if (s && typeof s === 'object') {
      const o = s as Record<string, unknown>;
      const dir = o['direction'] ?? 'ASCENDING';
      if (typeof o['propertyName'] !== 'string') throw validation('sorts[0].propertyName is required');
      if (dir !== 'ASCENDING' && dir !== 'DESCENDING')
        throw validation(`${String(dir)} was not one of the allowed options: [ASCENDING, DESCENDING]`);
      sort = { propertyName: o['propertyName'], descending: dir === 'DESCENDING' };
    }
  }
  let properties: string[] | undefined;
  if (b['properties'] !== undefined) {
    if (!Array.isArray(b['properties']) || b['properties'].some((p) => typeof p !== 'string'))
      throw validation('properties must be an array of property names');
    properties = b['properties'] as string[];
  }
  const limitIn = b['limit'] ?? 10;
  const limit = typeof limitIn === 'string' ? Number(limitIn) : limitIn;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > SEARCH_LIMITS.maxLimit)
    throw validation(`limit must be an integer from 0 to ${SEARCH_LIMITS.maxLimit}`, {
      limit: [String(limitIn)],
    });
  const afterIn = b['after'] ?? '0';
  const offset = Number(afterIn);
  if (!Number.isInteger(offset) || offset < 0)
    throw validation('after must be a non-negative integer', { after: [String(afterIn)] });
  if (offset + limit > SEARCH_LIMITS.maxResults)
    throw validation(
      `Search results are capped at ${SEARCH_LIMITS.maxResults}: after + limit may not exceed it`,
    );
  const query = b['query'];
  if (query !== undefined && (typeof query !== 'string' || query.length > SEARCH_LIMITS.maxQuery))
    throw validation(`query must be a string of at most ${SEARCH_LIMITS.maxQuery} characters`);
  return {
    groups,
    ...(sort ? { sort } : {}),
    ...(properties ? { properties } : {}),
    ...(typeof query === 'string' && query !== '' ? { query } : {}),
    limit,
    offset,
  };
}

function tokenRegex(pattern: string): RegExp {
  const src = pattern
    .split('*')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${src}$`, 'i');
}

/** How a property's values compare: as numbers, instants, case-sensitive options or text. */
export type ValueKind = 'number' | 'datetime' | 'enumeration' | 'string';

function instant(v: string): number {
  return /^\d{10,15}$/.test(v) ? Number(v) : Date.parse(v);
}

function compare(a: string, b: string, kind: ValueKind): number {
  // Unparseable values (an unset property) sort as equal rather than poisoning the order with NaN.
  if (kind === 'number') return Number(a) - Number(b) || 0;
  if (kind === 'datetime') return instant(a) - instant(b) || 0;
  const x = kind === 'enumeration' ? a : a.toLowerCase();
  const y = kind === 'enumeration' ? b : b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Whether one filter holds for a value (`null` = unset); enumerations compare case-sensitively. */
export function holds(f: Filter, raw: string | null | undefined, kind: ValueKind): boolean {
  const has = raw !== null && raw !== undefined && raw !== '';
  const v = has ? (raw as string) : '';
  const enumeration = kind === 'enumeration';
  const cmp = (x: string | undefined): number => compare(v, x ?? '', kind);
  switch (f.operator) {
    case 'HAS_PROPERTY':
      return has;
    case 'NOT_HAS_PROPERTY':
      return !has;
    case 'EQ':
      return has && cmp(f.value) === 0;
    case 'NEQ':
      return !has || cmp(f.value) !== 0;
    case 'LT':
      return has && cmp(f.value) < 0;
    case 'LTE':
      return has && cmp(f.value) <= 0;
    case 'GT':
      return has && cmp(f.value) > 0;
    case 'GTE':
      return has && cmp(f.value) >= 0;
    case 'BETWEEN':
      return has && cmp(f.value) >= 0 && cmp(f.highValue) <= 0;
    case 'IN':
      // Strings are matched lowercased, so values must be given in lowercase (as on HubSpot).
      return (
        has &&
        (f.values ?? []).some((x) =>
          enumeration ? v === x : kind === 'string' ? v.toLowerCase() === x : cmp(x) === 0,
        )
      );
    case 'NOT_IN':
      return (
        !has ||
        !(f.values ?? []).some((x) =>
          enumeration ? v === x : kind === 'string' ? v.toLowerCase() === x : cmp(x) === 0,
        )
      );
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      const re = tokenRegex(f.value ?? '');
      const hit = has && (re.test(v) || v.split(/[\s,;]+/).some((t) => re.test(t)));
      return f.operator === 'CONTAINS_TOKEN' ? hit : !hit;
    }
  }
}

function kindOf(def: { type: string } | undefined): ValueKind {
  if (!def) return 'string';
  if (def.type === 'number') return 'number';
  if (def.type === 'datetime' || def.type === 'date') return 'datetime';
  if (def.type === 'enumeration' || def.type === 'bool') return 'enumeration';
  return 'string';
}

const QUERY_PROPS: Readonly<Record<ObjectType, readonly string[]>> = {
  contacts: ['firstname', 'lastname', 'email', 'phone', 'hs_additional_emails', 'mobilephone', 'company'],
  tickets: ['subject', 'content'],
  communications: ['hs_communication_body'],
  notes: ['hs_note_body'],
};

function matches(
  ctx: HubSpotContext,
  type: ObjectType,
  req: SearchRequest,
  props: Record<string, string | null>,
  associations: HubSpotRecord['associations'] | undefined,
): boolean {
  if (req.query !== undefined) {
    const q = req.query.toLowerCase();
    if (!QUERY_PROPS[type].some((p) => (props[p] ?? '').toLowerCase().includes(q))) return false;
  }
  if (req.groups.length === 0) return true;
  return req.groups.some((g) =>
    g.every((f) => {
      if (f.propertyName.startsWith('associations.')) {
        const other = f.propertyName.slice('associations.'.length);
        const plural = other.endsWith('s') ? other : `${other}s`;
        const ids = (associations?.[plural] ?? []).map((a) => a.id);
        const want = f.values ?? [f.value ?? ''];
        const hit = want.some((w) => ids.includes(w));
        return f.operator === 'NEQ' || f.operator === 'NOT_IN' ? !hit : hit;
      }
      const def = propertyDef(ctx, type, f.propertyName);
      return holds(f, props[f.propertyName], kindOf(def));
    }),
  );
}

const PHONE_PROPS = new Set([
  'phone',
  'mobilephone',
  'hs_whatsapp_phone_number',
  'hs_calculated_phone_number',
  'hs_searchable_calculated_phone_number',
]);

/**
 * Contacts a phone filter can match, from the phone indexes; undefined when some group has no
 * EQ/IN phone filter (then every contact is a candidate).
 */
function phoneCandidates(ctx: HubSpotContext, req: SearchRequest): Contact[] | undefined {
  if (req.groups.length === 0 || req.query !== undefined) return undefined;
  const { store } = ctx.crm;
  const out = new Map<string, Contact>();
  // The connector's groups repeat one number in several spellings: look each digit string up once,
  // through its '+' spelling when it has one (that also finds the E.164 index key).
  const byDigits = new Map<string, string>();
  for (const g of req.groups) {
    const f = g.find((x) => PHONE_PROPS.has(x.propertyName) && (x.operator === 'EQ' || x.operator === 'IN'));
    if (!f) return undefined;
    for (const v of f.values ?? [f.value ?? '']) {
      const digits = v.replace(/\D/g, '');
      if (digits === '') continue;
      const had = byDigits.get(digits);
      if (had === undefined || (!had.trim().startsWith('+') && v.trim().startsWith('+')))
        byDigits.set(digits, v);
    }
  }
  for (const [digits, v] of byDigits) {
    // The native phone index's lookup keys (as service.findByPhone derives them), parsed once per number.
    const keys = new Set([digits]);
    const e164 = v.trim().startsWith('+') ? phoneForms(v, null).e164 : null;
    if (e164) keys.add(e164.slice(1));
    for (const key of keys) for (const c of store.contacts.find('phone', key)) out.set(c.id, c);
    for (const r of store.hubspot.find('phone', digits)) {
      const c = store.contacts.get(r.objectId);
      if (c) out.set(c.id, c);
    }
  }
  return [...out.values()].sort((a, b) => (a.created_at + a.id < b.created_at + b.id ? -1 : 1));
}

/** Runs a search over one object type; answers HubSpot's `{total, results, paging?}`. */
export function runSearch(
  ctx: HubSpotContext,
  type: ObjectType,
  req: SearchRequest,
): { total: number; results: HsObjectJson[]; paging?: { next: { after: string } } } {
  const hits: Array<{ props: Record<string, string | null>; json: () => HsObjectJson }> = [];
  if (type === 'contacts') {
    const candidates = phoneCandidates(ctx, req) ?? ctx.crm.store.contacts.all();
    for (const c of candidates) {
      const rec = contactExtras(ctx, c.id);
      if (rec?.archived) continue;
      const props = contactProperties(ctx, c, rec);
      if (matches(ctx, type, req, props, rec?.associations))
        hits.push({ props, json: () => contactJson(ctx, c, req.properties, true) });
    }
  } else {
    for (const rec of ctx.crm.store.hubspot.find('type', type)) {
      const props = engagementProperties(rec);
      if (matches(ctx, type, req, props, rec.associations))
        hits.push({ props, json: () => engagementJson(ctx, rec, req.properties, true) });
    }
    void (type as EngagementType);
  }
  if (req.sort) {
    const { propertyName, descending } = req.sort;
    hits.sort((a, b) => {
      const x = a.props[propertyName] ?? '';
      const y = b.props[propertyName] ?? '';
      const d = compare(x, y, kindOf(propertyDef(ctx, type, propertyName)));
      return descending ? -d : d;
    });
  }
  const page = hits.slice(req.offset, req.offset + req.limit);
  const next = req.offset + req.limit;
  return {
    total: hits.length,
    results: page.map((h) => h.json()),
    ...(next < hits.length && req.limit > 0 ? { paging: { next: { after: String(next) } } } : {}),
  };
}
