import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type FaultResponder, registerFaults } from '../../../shared/faults.js';
import { faultError } from '../../errors.js';
import type { Contact, HubSpotRecord } from '../../types.js';
import type { HubSpotContext } from './context.js';
import { HS_JSON, HsError, objectNotFound, sendHsError, standardError, validation } from './errors.js';
import {
  archiveEngagement,
  associable,
  associate,
  checkEngagementCreate,
  createEngagement,
  defaultType,
  dissociate,
  engagementJson,
  engagementProperties,
  liveEngagement,
  parseSpecs,
  typeName,
  updateEngagement,
} from './objects.js';
import { pipelineJson, stageJson, TICKET_PIPELINES } from './pipelines.js';
import {
  allProperties,
  createProperty,
  OBJECT_TYPE_IDS,
  type ObjectType,
  objectTypeOf,
  parsePropertyCreate,
  propertyDef,
  propertyJson,
} from './properties.js';
import {
  archiveContact,
  checkContactCreates,
  contactBy,
  contactExtras,
  contactJson,
  createContact,
  type HsObjectJson,
  objectJson,
  updateContact,
} from './records.js';
import { parseSearch, runSearch } from './search.js';
import { translate } from './translate.js';

/** Scopes a route needs: every inner list must be met by one of its scopes. */
type Need = ReadonlyArray<readonly string[]>;

interface RouteConfig {
  /** A search endpoint: its own per-second limit, no rate-limit headers. */
  search: boolean;
}

/** What a handler answers: status and body (no body for 204). */
interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    hubspot?: RouteConfig;
  }
}

const BATCH_MAX = 100;
const LIST_MAX = 100;

const READ: Record<ObjectType, string[]> = {
  contacts: ['crm.objects.contacts.read', 'crm.objects.contacts.write'],
  communications: ['crm.objects.contacts.read', 'crm.objects.contacts.write'],
  notes: ['crm.objects.contacts.read', 'crm.objects.contacts.write'],
  tickets: ['tickets'],
};
const WRITE: Record<ObjectType, string[]> = {
  contacts: ['crm.objects.contacts.write'],
  communications: ['crm.objects.contacts.write'],
  notes: ['crm.objects.contacts.write'],
  tickets: ['tickets'],
};

/** Reads a query list given as repeated keys, comma lists or both. */
function queryList(q: Record<string, unknown>, key: string): string[] | undefined {
  const v = q[key];
  if (v === undefined) return undefined;
  const parts = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(','));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function queryOne(q: Record<string, unknown>, key: string): string | undefined {
  const v = q[key];
  if (v === undefined) return undefined;
  return String(Array.isArray(v) ? v[0] : v);
}

function queryBool(q: Record<string, unknown>, key: string): boolean {
  return queryOne(q, key)?.toLowerCase() === 'true';
}

function queryLimit(q: Record<string, unknown>, fallback: number, max: number): number {
  const raw = queryOne(q, 'limit');
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw validation(`limit must be a positive integer, got ${raw}`, { limit: [raw] });
  return Math.min(n, max);
}

function typeParam(segment: string): ObjectType {
  const t = objectTypeOf(segment);
  if (!t) throw validation(`Unable to infer object type from: ${segment}`, { objectType: [segment] });
  return t;
}

/** The `properties` of a create or update input: required, an object (checked further by checkWrite). */
function propsOf(input: Record<string, unknown>): unknown {
  const p = input['properties'];
  if (p === undefined || p === null)
    throw validation('Some required fields were not set: [properties]', { properties: ['is required'] });
  return p;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw validation('Invalid input JSON: the body must be a JSON object');
  return body as Record<string, unknown>;
}

function inputsOf(body: unknown): Record<string, unknown>[] {
  const inputs = bodyObject(body)['inputs'];
  if (!Array.isArray(inputs)) throw validation('inputs must be an array', { inputs: ['is required'] });
  if (inputs.length > BATCH_MAX)
    throw validation(`Batch input limit exceeded: at most ${BATCH_MAX} inputs, got ${inputs.length}`);
  return inputs.map((i, n) => {
    if (typeof i !== 'object' || i === null || Array.isArray(i))
      throw validation(`inputs[${n}] must be an object`);
    return i as Record<string, unknown>;
  });
}

function idOf(v: unknown, where: string): string {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw validation(`${where} is required`);
}

function withAssociations(
  ctx: HubSpotContext,
  type: ObjectType,
  json: HsObjectJson,
  rec: HubSpotRecord | undefined,
  wanted: string[] | undefined,
): HsObjectJson {
  if (!wanted || wanted.length === 0) return json;
  const out: NonNullable<HsObjectJson['associations']> = {};
  for (const w of wanted) {
    const to = objectTypeOf(w);
    if (!to) continue;
    const list = rec?.associations[to] ?? [];
    const live = list.filter((a) => associable(ctx, to, a.id));
    if (live.length === 0) continue;
    out[w] = { results: live.map((a) => ({ id: a.id, type: typeName(type, to) })) };
  }
  if (Object.keys(out).length > 0) json.associations = out;
  return json;
}

function batchBody(
  ctx: HubSpotContext,
  startedAt: string,
  results: unknown[],
  errors: unknown[] = [],
): Answer {
  const body: Record<string, unknown> = {
    status: 'COMPLETE',
    results,
    startedAt,
    completedAt: ctx.nowIso(),
  };
  if (errors.length > 0) {
    body['numErrors'] = errors.length;
    body['errors'] = errors;
  }
  return { status: errors.length > 0 ? 207 : 200, body };
}

function hsOf(err: unknown): HsError | undefined {
  if (err instanceof HsError) return err;
  // The native service's ApiError (a bad value the translation passed on): a 400 in HubSpot's words.
  if (err instanceof Error && err.name === 'ApiError') {
    const e = err as Error & { statusCode: number };
    return new HsError(e.statusCode === 404 ? 404 : 400, err.message, { category: 'VALIDATION_ERROR' });
  }
  return undefined;
}

/**
 * The HubSpot CRM API (docs/crm-hubspot.md) over the CRM's one model: contacts, communications,
 * notes and tickets under /crm/v3/objects, properties, owners, ticket pipelines and associations
 * v4, behind private-app tokens with scopes, HubSpot's limits and the mock's faults.
 */
export function registerHubSpotRoutes(app: FastifyInstance, ctx: HubSpotContext): void {
  app.register(
    async (scope) => {
      registerHooks(scope, ctx);
      registerObjectRoutes(scope, ctx);
      registerSchemaRoutes(scope, ctx);
      registerAssociationRoutes(scope, ctx);
    },
    { prefix: '/crm' },
  );
}

function registerHooks(scope: FastifyInstance, ctx: HubSpotContext): void {
  const { journal, clock, faults } = ctx.crm;
  const rateLimitBody = (policy: 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY'): HsError => {
    const message =
      policy === 'DAILY'
        ? 'You have reached your daily limit.'
        : policy === 'SECONDLY'
          ? 'You have reached your secondly limit.'
          : 'You have reached your ten_secondly_rolling limit.';
    return new HsError(429, message, {
      errorType: 'RATE_LIMIT',
      policyName: policy,
      ...(policy === 'DAILY'
        ? {}
        : {
            groupName: `publicapi:private-app-api-calls-${policy.toLowerCase().replace(/_/g, '-')}:${ctx.portalId}`,
          }),
    });
  };
  const limitHeaders = (reply: FastifyReply, remaining: number, dailyRemaining: number): void => {
    reply.header('x-hubspot-ratelimit-daily', String(ctx.limits.perDay));
    reply.header('x-hubspot-ratelimit-daily-remaining', String(dailyRemaining));
    reply.header('x-hubspot-ratelimit-interval-milliseconds', '10000');
    reply.header('x-hubspot-ratelimit-max', String(ctx.limits.perTenSeconds));
    reply.header('x-hubspot-ratelimit-remaining', String(Math.max(0, remaining)));
  };

  const responder: FaultResponder = {
    error(reply, code) {
      const native = faultError(code);
      if (native.statusCode === 429)
        return sendHsError(reply, rateLimitBody('TEN_SECONDLY_ROLLING'), ctx.correlationId());
      const status = native.statusCode;
      const err =
        status >= 500
          ? new HsError(status, status === 503 ? 'Service Unavailable' : 'internal error', {
              category: 'INTERNAL_ERROR',
            })
          : status === 401
            ? new HsError(401, 'Authentication credentials not found.', {
                category: 'INVALID_AUTHENTICATION',
              })
            : status === 404
              ? new HsError(404, 'resource not found')
              : new HsError(status, 'Invalid request', { category: 'VALIDATION_ERROR' });
      return sendHsError(reply, err, ctx.correlationId());
    },
    unavailable: (reply) =>
      sendHsError(
        reply,
        new HsError(503, 'Service Unavailable', { category: 'INTERNAL_ERROR' }),
        ctx.correlationId(),
      ),
    rateLimited(reply) {
      // HubSpot sends no Retry-After on API 429s: the policy and the interval header say how long.
      limitHeaders(reply, 0, ctx.daily.remaining());
      return sendHsError(reply, rateLimitBody('TEN_SECONDLY_ROLLING'), ctx.correlationId());
    },
  };
  registerFaults(scope, faults, responder, () => true);

  scope.addHook('onRequest', (req, reply, done) => {
    const cfg = req.routeOptions.config.hubspot;
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const scopes = m?.[1] ? ctx.tokens.get(m[1]) : undefined;
    if (!scopes) {
      reply.header('x-hubspot-auth-failure', '401 Unauthorized');
      sendHsError(
        reply,
        new HsError(
          401,
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
          { category: 'INVALID_AUTHENTICATION' },
        ),
        ctx.correlationId(),
      );
      return;
    }
    if (cfg?.search) {
      // The search API has its own per-second limit and answers without rate-limit headers.
      if (!ctx.search.tryHit('account').ok)
        return void sendHsError(reply, rateLimitBody('SECONDLY'), ctx.correlationId());
      if (!ctx.daily.tryHit().ok) return void sendHsError(reply, rateLimitBody('DAILY'), ctx.correlationId());
      return done();
    }
    // The burst first: a call it refuses must not spend a unit of the day.
    const hit = ctx.burst.tryHit('app');
    if (!hit.ok) {
      limitHeaders(reply, 0, ctx.daily.remaining());
      return void sendHsError(reply, rateLimitBody('TEN_SECONDLY_ROLLING'), ctx.correlationId());
    }
    const day = ctx.daily.tryHit();
    limitHeaders(reply, ctx.limits.perTenSeconds - hit.count, day.remaining);
    if (!day.ok) return void sendHsError(reply, rateLimitBody('DAILY'), ctx.correlationId());
    done();
  });

  scope.addHook('onResponse', (req, reply, done) => {
    const data: Record<string, unknown> = {
      method: req.method,
      route: req.routeOptions.url ?? '(unmatched)',
      statusCode: reply.statusCode,
      latencyMs: clock.nowMs() - (req.crmStartMs ?? clock.nowMs()),
      dialect: 'hubspot',
    };
    if (req.crmErrorCode !== undefined) data['errorCode'] = req.crmErrorCode;
    journal.append('api.request', data);
    done();
  });

  scope.setErrorHandler((err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
    const send = (e: HsError) => sendHsError(reply, e, ctx.correlationId());
    const hs = hsOf(err);
    if (hs) return send(hs);
    const status = err.statusCode ?? 500;
    if (status === 413)
      return send(new HsError(413, 'Request entity too large', { category: 'VALIDATION_ERROR' }));
    if (status === 415)
      return send(
        new HsError(415, 'Unsupported Media Type: send application/json', { category: 'VALIDATION_ERROR' }),
      );
    if (status >= 400 && status < 500)
      return send(
        new HsError(400, `Invalid input JSON: ${(err.message || 'malformed body').slice(0, 200)}`, {
          category: 'VALIDATION_ERROR',
        }),
      );
    return send(new HsError(500, 'internal error', { category: 'INTERNAL_ERROR' }));
  });

  scope.setNotFoundHandler((_req, reply) =>
    sendHsError(reply, new HsError(404, 'resource not found'), ctx.correlationId()),
  );
}

function missingScopes(ctx: HubSpotContext, req: FastifyRequest, need: Need): HsError | undefined {
  const token = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const scopes = ctx.tokens.get(token) ?? new Set<string>();
  const missing = need.filter((alts) => !alts.some((s) => scopes.has(s)));
  if (missing.length === 0) return undefined;
  return new HsError(
    403,
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    {
      errors: [
        {
          message: 'One or more of the following scopes are required.',
          context: { requiredScopes: [...new Set(missing.flat())] },
        },
      ],
      links: { scopes: 'https://developers.hubspot.com/scopes' },
      category: 'MISSING_SCOPES',
    },
  );
}

/**
 * Registers one route whose handler answers synchronously inside one store transaction (errors
 * become HubSpot's envelope). Scopes are checked once the path's parameters are known, since they
 * depend on the object type in it.
 */
function on(
  scope: FastifyInstance,
  ctx: HubSpotContext,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  cfg: { need: Need | ((req: FastifyRequest) => Need); search?: boolean },
  fn: (req: FastifyRequest) => Answer,
): void {
  scope.route({
    method,
    url,
    config: { hubspot: { search: cfg.search === true } },
    preHandler: (req, reply, done) => {
      const need = typeof cfg.need === 'function' ? cfg.need(req) : cfg.need;
      const err = missingScopes(ctx, req, need);
      if (!err) return done();
      sendHsError(reply, err, ctx.correlationId());
    },
    handler: (req, reply) => {
      try {
        const a = ctx.crm.store.transaction(() => fn(req));
        for (const [k, v] of Object.entries(a.headers ?? {})) reply.header(k, v);
        if (a.status === 204 || a.body === undefined) return reply.code(a.status).send();
        return reply.code(a.status).type(HS_JSON).send(a.body);
      } catch (err) {
        const hs = hsOf(err);
        if (!hs) throw err;
        return sendHsError(reply, hs, ctx.correlationId());
      }
    },
  });
}

/** What a batch handler found: its results and per-input errors (207), or its own status (201, 204). */
interface BatchOutcome {
  results?: unknown[];
  errors?: unknown[];
  status?: number;
}

/**
 * Registers one batch endpoint (`POST …/batch/…`): the body must be an object, and the answer is
 * HubSpot's batch envelope (`status`, `results`, `startedAt`, `completedAt`; 207 with `numErrors`
 * and `errors` when some inputs failed) unless the handler answers 204.
 */
function onBatch(
  scope: FastifyInstance,
  ctx: HubSpotContext,
  url: string,
  need: Need | ((req: FastifyRequest) => Need),
  run: (req: FastifyRequest, body: Record<string, unknown>) => BatchOutcome,
): void {
  on(scope, ctx, 'POST', url, { need }, (req) => {
    const startedAt = ctx.nowIso();
    const out = run(req, bodyObject(req.body));
    if (out.status === 204) return { status: 204 };
    const answer = batchBody(ctx, startedAt, out.results ?? [], out.errors);
    return out.status === undefined ? answer : { ...answer, status: out.status };
  });
}

/** Re-translates the non-contact sides of a new association (a message or ticket now has its contact). */
function translateLinked(ctx: HubSpotContext, ...linked: Array<{ type: ObjectType; id: string }>): void {
  for (const side of linked) {
    if (side.type === 'contacts') continue;
    const r = associable(ctx, side.type, side.id);
    if (r) translate(ctx, r.rec);
  }
}

/** Archives one record (DELETE, batch archive); archiving what is already gone is a 204 on HubSpot too. */
function archiveOne(ctx: HubSpotContext, type: ObjectType, id: string): void {
  if (type === 'contacts') {
    const c = ctx.crm.store.contacts.get(id);
    if (c && !contactExtras(ctx, id)?.archived) archiveContact(ctx, c);
  } else {
    const rec = ctx.crm.store.hubspot.get(`${type}:${id}`);
    if (rec && !rec.archived) archiveEngagement(ctx, rec);
  }
}

/** Updates one record (PATCH, batch update) and answers it with every property that has a value. */
function updateOne(
  ctx: HubSpotContext,
  type: ObjectType,
  id: string,
  idProperty: string | undefined,
  input: Record<string, unknown>,
): HsObjectJson {
  if (type === 'contacts')
    return fullContact(ctx, updateContact(ctx, contactBy(ctx, id, idProperty), propsOf(input)));
  const rec = updateEngagement(ctx, liveEngagement(ctx, type, id), propsOf(input));
  translate(ctx, rec);
  return fullEngagement(rec);
}

function params(req: FastifyRequest): Record<string, string> {
  return req.params as Record<string, string>;
}

function query(req: FastifyRequest): Record<string, unknown> {
  return (req.query ?? {}) as Record<string, unknown>;
}

const byType =
  (which: Record<ObjectType, string[]>) =>
  (req: FastifyRequest): Need => {
    const t = objectTypeOf(params(req)['objectType'] ?? '');
    return t ? [which[t]] : [];
  };

function pageLink(req: FastifyRequest, after: string): string {
  const host = req.headers.host ?? 'api.hubapi.com';
  const path = req.url.split('?')[0] ?? '';
  return `${req.protocol}://${host}${path}?after=${encodeURIComponent(after)}`;
}

function readOne(
  ctx: HubSpotContext,
  type: ObjectType,
  id: string,
  q: Record<string, unknown>,
): HsObjectJson {
  const properties = queryList(q, 'properties');
  const assoc = queryList(q, 'associations');
  const idProperty = queryOne(q, 'idProperty');
  if (type === 'contacts') {
    const c = contactBy(ctx, id, idProperty);
    return withAssociations(ctx, type, contactJson(ctx, c, properties), contactExtras(ctx, c.id), assoc);
  }
  const rec = liveEngagement(ctx, type, id);
  return withAssociations(ctx, type, engagementJson(ctx, rec, properties), rec, assoc);
}

function created(ctx: HubSpotContext, type: ObjectType, input: Record<string, unknown>): HsObjectJson {
  if (type === 'contacts') {
    const c = createContact(ctx, propsOf(input));
    const assoc = input['associations'];
    if (Array.isArray(assoc) && assoc.length > 0) {
      for (const [i, a] of assoc.entries()) {
        const o = a as Record<string, unknown>;
        const toId = idOf(
          (o?.['to'] as Record<string, unknown> | undefined)?.['id'],
          `associations[${i}].to.id`,
        );
        const specs = parseSpecs(o['types'], `associations[${i}].types`);
        const target = (['tickets', 'communications', 'notes'] as const).find((t) =>
          specs.some(
            (s) =>
              s.associationCategory === 'HUBSPOT_DEFINED' &&
              defaultType('contacts', t)?.typeId === s.associationTypeId,
          ),
        );
        if (!target) throw validation(`associations[${i}]: no HUBSPOT_DEFINED type from contacts given`);
        associate(ctx, { type: 'contacts', id: c.id }, { type: target, id: toId }, specs);
        translateLinked(ctx, { type: target, id: toId });
      }
    }
    return contactJson(ctx, c, undefined, false);
  }
  const rec = createEngagement(ctx, type, input, translate);
  return fullEngagement(rec);
}

function fullEngagement(rec: HubSpotRecord): HsObjectJson {
  // Like contacts: create and update answers carry every property that has a value.
  const props = Object.fromEntries(
    Object.entries(engagementProperties(rec))
      .filter(([, v]) => v !== null)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return objectJson(rec.objectId, props, rec.createdAt, rec.updatedAt, rec.archived ? rec.archivedAt : null);
}

function fullContact(ctx: HubSpotContext, c: Contact): HsObjectJson {
  // Create and update answers carry every property that has a value, not just the defaults.
  const json = contactJson(
    ctx,
    c,
    allProperties(ctx, 'contacts').map((p) => p.name),
  );
  for (const [k, v] of Object.entries(json.properties)) if (v === null) delete json.properties[k];
  return json;
}

function registerObjectRoutes(scope: FastifyInstance, ctx: HubSpotContext): void {
  const base = '/v3/objects/:objectType';

  on(scope, ctx, 'POST', base, { need: byType(WRITE) }, (req) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    const input = bodyObject(req.body);
    const json = created(ctx, type, input);
    if (type === 'contacts') {
      const c = ctx.crm.store.contacts.get(json.id) as Contact;
      return { status: 201, body: fullContact(ctx, c) };
    }
    return { status: 201, body: json };
  });

  on(scope, ctx, 'GET', `${base}/:id`, { need: byType(READ) }, (req) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    const id = params(req)['id'] ?? '';
    return { status: 200, body: readOne(ctx, type, id, query(req)) };
  });

  on(scope, ctx, 'PATCH', `${base}/:id`, { need: byType(WRITE) }, (req) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    const id = params(req)['id'] ?? '';
    const idProperty = type === 'contacts' ? queryOne(query(req), 'idProperty') : undefined;
    return { status: 200, body: updateOne(ctx, type, id, idProperty, bodyObject(req.body)) };
  });

  on(scope, ctx, 'DELETE', `${base}/:id`, { need: byType(WRITE) }, (req) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    archiveOne(ctx, type, params(req)['id'] ?? '');
    return { status: 204 };
  });

  on(scope, ctx, 'GET', base, { need: byType(READ) }, (req) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    const q = query(req);
    const limit = queryLimit(q, 10, LIST_MAX);
    const archived = queryBool(q, 'archived');
    const properties = queryList(q, 'properties');
    const assoc = queryList(q, 'associations');
    const afterRaw = queryOne(q, 'after') ?? '0';
    const afterSeq = Number(afterRaw);
    if (!Number.isInteger(afterSeq) || afterSeq < 0)
      throw validation(`after ${afterRaw} is not a valid cursor`);
    const { store } = ctx.crm;
    const results: HsObjectJson[] = [];
    let cursor = afterSeq;
    let more = false;
    if (type === 'contacts') {
      // Contacts live in the native table; archived ones are skipped (or only they are listed).
      // Each page asks for exactly the records still needed, so its last sequence is the cursor.
      for (;;) {
        const page = store.contacts.page({ afterSeq: cursor, limit: limit - results.length });
        for (const c of page.items) {
          const rec = contactExtras(ctx, c.id);
          if (Boolean(rec?.archived) !== archived) continue;
          results.push(withAssociations(ctx, type, contactJson(ctx, c, properties), rec, assoc));
        }
        if (page.items.length > 0) cursor = page.lastSeq;
        more = page.more;
        if (!page.more || results.length === limit) break;
      }
    } else {
      const key = archived ? `${type}:archived` : type;
      const page = store.hubspot.page({ afterSeq, limit, index: 'type', key });
      for (const rec of page.items)
        results.push(withAssociations(ctx, type, engagementJson(ctx, rec, properties), rec, assoc));
      more = page.more;
      cursor = page.lastSeq;
    }
    const body: Record<string, unknown> = { results };
    if (more) body['paging'] = { next: { after: String(cursor), link: pageLink(req, String(cursor)) } };
    return { status: 200, body };
  });

  on(scope, ctx, 'POST', `${base}/search`, { need: byType(READ), search: true }, (req) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    return { status: 200, body: runSearch(ctx, type, parseSearch(req.body)) };
  });

  onBatch(scope, ctx, `${base}/batch/read`, byType(READ), (req, body) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    const properties = Array.isArray(body['properties']) ? (body['properties'] as string[]) : undefined;
    const idProperty = typeof body['idProperty'] === 'string' ? body['idProperty'] : undefined;
    const results: HsObjectJson[] = [];
    const missing: string[] = [];
    for (const [i, input] of inputsOf(body).entries()) {
      const id = idOf(input['id'], `inputs[${i}].id`);
      try {
        if (type === 'contacts') results.push(contactJson(ctx, contactBy(ctx, id, idProperty), properties));
        else results.push(engagementJson(ctx, liveEngagement(ctx, type, id), properties));
      } catch (err) {
        if (err instanceof HsError && err.statusCode === 404) missing.push(id);
        else throw err;
      }
    }
    const errors =
      missing.length > 0
        ? [
            standardError(
              'OBJECT_NOT_FOUND',
              `Could not get some ${type.slice(0, -1).toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`,
              { ids: missing },
            ),
          ]
        : [];
    return { results, errors };
  });

  onBatch(scope, ctx, `${base}/batch/create`, byType(WRITE), (req, body) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    const inputs = inputsOf(body);
    // All or nothing, like HubSpot without objectWriteTraceIds: every input is checked first.
    if (type === 'contacts')
      checkContactCreates(
        ctx,
        inputs.map((i) => propsOf(i)),
      );
    else for (const i of inputs) checkEngagementCreate(ctx, type, i);
    const results = inputs.map((input) => {
      const json = created(ctx, type, input);
      return type === 'contacts' ? fullContact(ctx, ctx.crm.store.contacts.get(json.id) as Contact) : json;
    });
    return { results, status: 201 };
  });

  onBatch(scope, ctx, `${base}/batch/update`, byType(WRITE), (req, body) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    const results = inputsOf(body).map((input, i) => {
      const id = idOf(input['id'], `inputs[${i}].id`);
      const idProperty =
        type === 'contacts' && typeof input['idProperty'] === 'string' ? input['idProperty'] : undefined;
      return updateOne(ctx, type, id, idProperty, input);
    });
    return { results };
  });

  onBatch(scope, ctx, `${base}/batch/upsert`, byType(WRITE), (req, body) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    if (type !== 'contacts') throw validation(`Upsert is offered for contacts only here, not ${type}`);
    const results = inputsOf(body).map((input, i) => {
      const id = idOf(input['id'], `inputs[${i}].id`);
      const idProperty = typeof input['idProperty'] === 'string' ? input['idProperty'] : undefined;
      if (idProperty === undefined) throw validation(`inputs[${i}].idProperty is required for an upsert`);
      let existing: Contact | undefined;
      try {
        existing = contactBy(ctx, id, idProperty);
      } catch (err) {
        if (!(err instanceof HsError && err.statusCode === 404)) throw err;
      }
      const props = { ...((input['properties'] as Record<string, unknown> | undefined) ?? {}) };
      if (existing) return { ...fullContact(ctx, updateContact(ctx, existing, props)), new: false };
      props[idProperty] = id;
      const c = createContact(ctx, props);
      return { ...fullContact(ctx, c), new: true };
    });
    return { results };
  });

  // The v3 association routes HubSpot's communications guide shows: the type as an id or its
  // snake_case name (`communication_to_contact`); the answer is the record with its associations.
  const v3Assoc = `${base}/:id/associations/:toObjectType/:toObjectId/:associationType`;
  const v3Need = (req: FastifyRequest): Need => {
    const p = params(req);
    return [p['objectType'], p['toObjectType']].flatMap((seg) => {
      const t = objectTypeOf(seg ?? '');
      return t ? [WRITE[t]] : [];
    });
  };
  const v3Pair = (req: FastifyRequest) => {
    const p = params(req);
    const from = { type: typeParam(p['objectType'] ?? ''), id: p['id'] ?? '' };
    const to = { type: typeParam(p['toObjectType'] ?? ''), id: p['toObjectId'] ?? '' };
    const raw = p['associationType'] ?? '';
    const pair = defaultType(from.type, to.type);
    const typeId = /^\d+$/.test(raw)
      ? Number(raw)
      : raw === typeName(from.type, to.type)
        ? pair?.typeId
        : undefined;
    if (typeId === undefined)
      throw validation(`${raw} is not a valid association type from ${from.type} to ${to.type}`);
    return { from, to, typeId };
  };
  on(scope, ctx, 'PUT', v3Assoc, { need: v3Need }, (req) => {
    const { from, to, typeId } = v3Pair(req);
    const category = defaultType(from.type, to.type)?.typeId === typeId ? 'HUBSPOT_DEFINED' : 'USER_DEFINED';
    associate(ctx, from, to, [{ associationCategory: category, associationTypeId: typeId }]);
    translateLinked(ctx, from, to);
    return { status: 200, body: readOne(ctx, from.type, from.id, { associations: to.type }) };
  });
  on(scope, ctx, 'DELETE', v3Assoc, { need: v3Need }, (req) => {
    const { from, to } = v3Pair(req);
    dissociate(ctx, from, to);
    return { status: 204 };
  });

  onBatch(scope, ctx, `${base}/batch/archive`, byType(WRITE), (req, body) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    for (const [i, input] of inputsOf(body).entries())
      archiveOne(ctx, type, idOf(input['id'], `inputs[${i}].id`));
    return { status: 204 };
  });
}

function registerSchemaRoutes(scope: FastifyInstance, ctx: HubSpotContext): void {
  const propRead = (req: FastifyRequest): Need => {
    const t = objectTypeOf(params(req)['objectType'] ?? '');
    if (t === 'tickets') return [['tickets', 'crm.schemas.tickets.read']];
    return [['crm.objects.contacts.read', 'crm.schemas.contacts.read', 'crm.objects.contacts.write']];
  };
  const propWrite = (req: FastifyRequest): Need => {
    const t = objectTypeOf(params(req)['objectType'] ?? '');
    if (t === 'tickets') return [['tickets', 'crm.schemas.tickets.write']];
    return [['crm.schemas.contacts.write']];
  };

  on(scope, ctx, 'GET', '/v3/properties/:objectType', { need: propRead }, (req) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    return { status: 200, body: { results: allProperties(ctx, type).map(propertyJson) } };
  });

  on(scope, ctx, 'GET', '/v3/properties/:objectType/:name', { need: propRead }, (req) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    const name = params(req)['name'] ?? '';
    const def = propertyDef(ctx, type, name);
    if (!def)
      throw new HsError(404, `Unable to find property ${name} for object type ${OBJECT_TYPE_IDS[type]}`, {
        category: 'OBJECT_NOT_FOUND',
      });
    return { status: 200, body: propertyJson(def) };
  });

  on(scope, ctx, 'POST', '/v3/properties/:objectType', { need: propWrite }, (req) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    const def = parsePropertyCreate(req.body, ctx.nowIso());
    createProperty(ctx, type, def);
    return {
      status: 201,
      body: propertyJson(def),
      headers: { location: `/crm/v3/properties/${type}/${def.name}` },
    };
  });

  on(scope, ctx, 'GET', '/v3/properties/:objectType/groups', { need: propRead }, (req) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    const names = [...new Set(allProperties(ctx, type).map((p) => p.groupName))];
    return {
      status: 200,
      body: { results: names.map((n, i) => ({ name: n, label: n, displayOrder: i, archived: false })) },
    };
  });

  const owners = { need: [['crm.objects.owners.read']] };
  const ownerJson = (o: HubSpotContext['owners'][number]) => ({
    id: o.id,
    email: o.email,
    type: 'PERSON',
    firstName: o.firstName,
    lastName: o.lastName,
    userId: o.userId,
    userIdIncludingInactive: o.userId,
    createdAt: '2019-12-25T13:01:35.228Z',
    updatedAt: '2019-12-25T13:01:35.228Z',
    archived: false,
    teams: o.teams ?? [],
  });
  const listOwners = (req: FastifyRequest): Answer => {
    const q = query(req);
    const email = queryOne(q, 'email')?.toLowerCase();
    const limit = queryLimit(q, 100, 500);
    const after = Number(queryOne(q, 'after') ?? '0');
    if (!Number.isInteger(after) || after < 0) throw validation('after is not a valid cursor');
    const all = ctx.owners.filter((o) => email === undefined || o.email.toLowerCase() === email);
    const page = all.slice(after, after + limit);
    const body: Record<string, unknown> = { results: page.map(ownerJson) };
    if (after + limit < all.length)
      body['paging'] = { next: { after: String(after + limit), link: pageLink(req, String(after + limit)) } };
    return { status: 200, body };
  };
  // The official client calls /crm/v3/owners without arguments but /crm/v3/owners/?… with them.
  on(scope, ctx, 'GET', '/v3/owners', owners, listOwners);
  on(scope, ctx, 'GET', '/v3/owners/', owners, listOwners);
  on(scope, ctx, 'GET', '/v3/owners/:ownerId', owners, (req) => {
    const id = params(req)['ownerId'] ?? '';
    const by = queryOne(query(req), 'idProperty') ?? 'id';
    const o = ctx.owners.find((x) => (by === 'userId' ? String(x.userId) === id : x.id === id));
    if (!o) throw objectNotFound(id);
    return { status: 200, body: ownerJson(o) };
  });

  const tickets = { need: [['tickets']] };
  const pipelineOf = (req: FastifyRequest) => {
    const objectType = params(req)['objectType'] ?? '';
    if (objectTypeOf(objectType) !== 'tickets')
      throw validation(`Pipelines are offered for tickets only here, not ${objectType}`);
    return params(req)['pipelineId'];
  };
  on(scope, ctx, 'GET', '/v3/pipelines/:objectType', tickets, (req) => {
    pipelineOf(req);
    return { status: 200, body: { results: TICKET_PIPELINES.map(pipelineJson) } };
  });
  on(scope, ctx, 'GET', '/v3/pipelines/:objectType/:pipelineId', tickets, (req) => {
    const id = pipelineOf(req) ?? '';
    const p = TICKET_PIPELINES.find((x) => x.id === id);
    if (!p) throw objectNotFound(id);
    return { status: 200, body: pipelineJson(p) };
  });
  on(scope, ctx, 'GET', '/v3/pipelines/:objectType/:pipelineId/stages', tickets, (req) => {
    const id = pipelineOf(req) ?? '';
    const p = TICKET_PIPELINES.find((x) => x.id === id);
    if (!p) throw objectNotFound(id);
    return { status: 200, body: { results: p.stages.map(stageJson) } };
  });
}

function registerAssociationRoutes(scope: FastifyInstance, ctx: HubSpotContext): void {
  // Every v4 path names its two object types `fromType` and `toType`; scopes follow from both.
  const pairNeed =
    (which: Record<ObjectType, string[]>) =>
    (req: FastifyRequest): Need => {
      const p = params(req);
      return [p['fromType'], p['toType']].flatMap((seg) => {
        const t = objectTypeOf(seg ?? '');
        return t ? [which[t]] : [];
      });
    };
  const v4 = (
    method: 'GET' | 'PUT' | 'DELETE',
    url: string,
    which: Record<ObjectType, string[]>,
    fn: (req: FastifyRequest) => Answer,
  ) => on(scope, ctx, method, url, { need: pairNeed(which) }, fn);
  const v4Batch = (
    action: string,
    which: Record<ObjectType, string[]>,
    run: (req: FastifyRequest, body: Record<string, unknown>) => BatchOutcome,
  ) => onBatch(scope, ctx, `/v4/associations/:fromType/:toType/batch/${action}`, pairNeed(which), run);
  const sides = (req: FastifyRequest) => {
    const p = params(req);
    return { from: typeParam(p['fromType'] ?? ''), to: typeParam(p['toType'] ?? '') };
  };
  /** The two records of a `/v4/objects/{fromType}/{fromId}/associations/{toType}/{toId}` path. */
  const ends = (req: FastifyRequest) => {
    const { from, to } = sides(req);
    const p = params(req);
    return { a: { type: from, id: p['fromId'] ?? '' }, b: { type: to, id: p['toId'] ?? '' } };
  };
  /** The default association both ways, as HubSpot answers a default link. */
  const both = (from: { type: ObjectType; id: string }, to: { type: ObjectType; id: string }) => {
    const pair = defaultType(from.type, to.type);
    const spec = (typeId: number | undefined) => ({
      associationCategory: 'HUBSPOT_DEFINED',
      associationTypeId: typeId,
    });
    return [
      { from: { id: from.id }, to: { id: to.id }, associationSpec: spec(pair?.typeId) },
      { from: { id: to.id }, to: { id: from.id }, associationSpec: spec(pair?.inverse) },
    ];
  };
  const toIdNum = (id: string): number | string => (/^\d{1,15}$/.test(id) ? Number(id) : id);
  /** A labelled link as HubSpot answers it (`LabelsBetweenObjectPair`). */
  const labelled = (
    a: { type: ObjectType; id: string },
    b: { type: ObjectType; id: string },
    specs: ReturnType<typeof parseSpecs>,
  ) => ({
    fromObjectTypeId: OBJECT_TYPE_IDS[a.type],
    fromObjectId: toIdNum(a.id),
    toObjectTypeId: OBJECT_TYPE_IDS[b.type],
    toObjectId: toIdNum(b.id),
    labels: specs.map((s) => ctx.labels().get(s.associationTypeId)).filter((l) => l !== undefined),
  });
  /** The live associations of `rec` to `to`, as v4 lists them. */
  const listed = (rec: HubSpotRecord, to: ObjectType) =>
    (rec.associations[to] ?? [])
      .filter((x) => associable(ctx, to, x.id))
      .map((x) => ({ toObjectId: toIdNum(x.id), associationTypes: x.types }));

  v4('PUT', '/v4/objects/:fromType/:fromId/associations/default/:toType/:toId', WRITE, (req) => {
    const startedAt = ctx.nowIso();
    const { a, b } = ends(req);
    associate(ctx, a, b, []);
    translateLinked(ctx, a, b);
    return { status: 200, body: batchBody(ctx, startedAt, both(a, b)).body };
  });

  v4('PUT', '/v4/objects/:fromType/:fromId/associations/:toType/:toId', WRITE, (req) => {
    const { a, b } = ends(req);
    const specs = parseSpecs(req.body, 'body');
    associate(ctx, a, b, specs);
    translateLinked(ctx, a, b);
    return {
      status: 201,
      body: labelled(a, b, specs),
      headers: { location: `/crm/v4/objects/${a.type}/${a.id}/associations/${b.type}/${b.id}` },
    };
  });

  v4('GET', '/v4/objects/:fromType/:fromId/associations/:toType', READ, (req) => {
    const { from, to } = sides(req);
    const id = params(req)['fromId'] ?? '';
    const a = associable(ctx, from, id);
    if (!a) throw objectNotFound(id);
    const q = query(req);
    const limit = queryLimit(q, 500, 500);
    const after = Number(queryOne(q, 'after') ?? '0');
    if (!Number.isInteger(after) || after < 0) throw validation('after is not a valid cursor');
    const live = listed(a.rec, to);
    const body: Record<string, unknown> = { results: live.slice(after, after + limit) };
    if (after + limit < live.length)
      body['paging'] = {
        next: { after: String(after + limit), link: pageLink(req, String(after + limit)) },
      };
    return { status: 200, body };
  });

  v4('DELETE', '/v4/objects/:fromType/:fromId/associations/:toType/:toId', WRITE, (req) => {
    const { a, b } = ends(req);
    dissociate(ctx, a, b);
    return { status: 204 };
  });

  /** Batch links: default ones (200, both directions) or labelled ones (201, the labels). */
  const batchLink = (req: FastifyRequest, body: Record<string, unknown>, withLabels: boolean) => {
    const { from, to } = sides(req);
    const results: unknown[] = [];
    for (const [i, input] of inputsOf(body).entries()) {
      const a = {
        type: from,
        id: idOf((input['from'] as Record<string, unknown> | undefined)?.['id'], `inputs[${i}].from.id`),
      };
      const b = {
        type: to,
        id: idOf((input['to'] as Record<string, unknown> | undefined)?.['id'], `inputs[${i}].to.id`),
      };
      const specs = withLabels ? parseSpecs(input['types'], `inputs[${i}].types`) : [];
      associate(ctx, a, b, specs);
      translateLinked(ctx, a, b);
      if (withLabels) results.push(labelled(a, b, specs));
      else results.push(...both(a, b));
    }
    return { results, status: withLabels ? 201 : 200 };
  };
  v4Batch('associate/default', WRITE, (req, body) => batchLink(req, body, false));
  v4Batch('create', WRITE, (req, body) => batchLink(req, body, true));

  v4Batch('read', READ, (req, body) => {
    const { from, to } = sides(req);
    const results: unknown[] = [];
    const missing: string[] = [];
    for (const [i, input] of inputsOf(body).entries()) {
      const id = idOf(input['id'], `inputs[${i}].id`);
      const a = associable(ctx, from, id);
      if (a) results.push({ from: { id }, to: listed(a.rec, to) });
      else missing.push(id);
    }
    const errors = missing.map((id) =>
      standardError('OBJECT_NOT_FOUND', `No ${from.slice(0, -1)} with ID ${id} exists`, {
        fromObjectId: [id],
      }),
    );
    return { results, errors };
  });

  v4Batch('archive', WRITE, (req, body) => {
    const { from, to } = sides(req);
    for (const [i, input] of inputsOf(body).entries()) {
      const a = {
        type: from,
        id: idOf((input['from'] as Record<string, unknown> | undefined)?.['id'], `inputs[${i}].from.id`),
      };
      const tos = Array.isArray(input['to']) ? (input['to'] as Array<Record<string, unknown>>) : [];
      for (const [j, t] of tos.entries())
        dissociate(ctx, a, { type: to, id: idOf(t?.['id'], `inputs[${i}].to[${j}].id`) });
    }
    return { status: 204 };
  });

  v4('GET', '/v4/associations/:fromType/:toType/labels', READ, (req) => {
    const { from, to } = sides(req);
    const pair = defaultType(from, to);
    const results: unknown[] = pair
      ? [{ category: 'HUBSPOT_DEFINED', typeId: pair.typeId, label: null }]
      : [];
    for (const [typeId, label] of ctx.labels()) results.push({ category: 'USER_DEFINED', typeId, label });
    return { status: 200, body: { results } };
  });

  on(scope, ctx, 'POST', '/v4/associations/:fromType/:toType/labels', { need: pairNeed(WRITE) }, (req) => {
    const { from, to } = sides(req);
    if (!defaultType(from, to)) throw validation(`Association from ${from} to ${to} is not offered`);
    const label = bodyObject(req.body)['label'];
    if (typeof label !== 'string' || label.trim() === '')
      throw validation('label is required', { label: ['is required'] });
    const typeId = ctx.addLabel(label);
    return { status: 200, body: { results: [{ category: 'USER_DEFINED', typeId, label }] } };
  });
}
