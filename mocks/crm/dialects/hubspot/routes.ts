import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type FaultResponder, registerFaults } from '../../../shared/faults.js';
import { faultError } from '../../errors.js';
import type { Contact, HubSpotRecord } from '../../types.js';
import type { HubSpotContext } from './context.js';
import { HS_JSON, HsError, objectNotFound, sendHsError, validation } from './errors.js';
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
    const hs = hsOf(err);
    if (hs) return sendHsError(reply, hs, ctx.correlationId());
    const status = err.statusCode ?? 500;
    if (status === 413)
      return sendHsError(
        reply,
        new HsError(413, 'Request entity too large', { category: 'VALIDATION_ERROR' }),
        ctx.correlationId(),
      );
    if (status === 415)
      return sendHsError(
        reply,
        new HsError(415, 'Unsupported Media Type: send application/json', { category: 'VALIDATION_ERROR' }),
        ctx.correlationId(),
      );
    if (status >= 400 && status < 500)
      return sendHsError(
        reply,
        new HsError(400, `Invalid input JSON: ${(err.message || 'malformed body').slice(0, 200)}`, {
          category: 'VALIDATION_ERROR',
        }),
        ctx.correlationId(),
      );
    return sendHsError(
      reply,
      new HsError(500, 'internal error', { category: 'INTERNAL_ERROR' }),
      ctx.correlationId(),
    );
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
    const c = createContact(ctx, input['properties'] ?? {});
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
        const other = associable(ctx, target, toId);
        if (other) translate(ctx, other.rec);
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
    const input = bodyObject(req.body);
    if (type === 'contacts') {
      const c = contactBy(ctx, id, queryOne(query(req), 'idProperty'));
      return { status: 200, body: fullContact(ctx, updateContact(ctx, c, input['properties'] ?? {})) };
    }
    const rec = updateEngagement(ctx, liveEngagement(ctx, type, id), input['properties'] ?? {});
    translate(ctx, rec);
    return { status: 200, body: fullEngagement(rec) };
  });

  on(scope, ctx, 'DELETE', `${base}/:id`, { need: byType(WRITE) }, (req) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    const id = params(req)['id'] ?? '';
    // Archiving what is already gone is a 204 on HubSpot too.
    if (type === 'contacts') {
      const c = ctx.crm.store.contacts.get(id);
      if (c && !contactExtras(ctx, id)?.archived) archiveContact(ctx, c);
    } else {
      const rec = ctx.crm.store.hubspot.get(`${type}:${id}`);
      if (rec && !rec.archived) archiveEngagement(ctx, rec);
    }
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

  on(scope, ctx, 'POST', `${base}/batch/read`, { need: byType(READ) }, (req) => {
    const startedAt = ctx.nowIso();
    const type = typeParam(params(req)['objectType'] ?? '');
    const body = bodyObject(req.body);
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
            {
              status: 'error',
              category: 'OBJECT_NOT_FOUND',
              message: `Could not get some ${type.slice(0, -1).toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`,
              context: { ids: missing },
            },
          ]
        : [];
    return batchBody(ctx, startedAt, results, errors);
  });

  on(scope, ctx, 'POST', `${base}/batch/create`, { need: byType(WRITE) }, (req) => {
    const startedAt = ctx.nowIso();
    const type = typeParam(params(req)['objectType'] ?? '');
    const inputs = inputsOf(req.body);
    // All or nothing, like HubSpot without objectWriteTraceIds: every input is checked first.
    if (type === 'contacts')
      checkContactCreates(
        ctx,
        inputs.map((i) => i['properties'] ?? {}),
      );
    else for (const i of inputs) checkEngagementCreate(ctx, type, i);
    const results = inputs.map((input) => {
      const json = created(ctx, type, input);
      return type === 'contacts' ? fullContact(ctx, ctx.crm.store.contacts.get(json.id) as Contact) : json;
    });
    return { ...batchBody(ctx, startedAt, results), status: 201 };
  });

  on(scope, ctx, 'POST', `${base}/batch/update`, { need: byType(WRITE) }, (req) => {
    const startedAt = ctx.nowIso();
    const type = typeParam(params(req)['objectType'] ?? '');
    const results = inputsOf(req.body).map((input, i) => {
      const id = idOf(input['id'], `inputs[${i}].id`);
      if (type === 'contacts') {
        const idProperty = typeof input['idProperty'] === 'string' ? input['idProperty'] : undefined;
        return fullContact(
          ctx,
          updateContact(ctx, contactBy(ctx, id, idProperty), input['properties'] ?? {}),
        );
      }
      const rec = updateEngagement(ctx, liveEngagement(ctx, type, id), input['properties'] ?? {});
      translate(ctx, rec);
      return fullEngagement(rec);
    });
    return batchBody(ctx, startedAt, results);
  });

  on(scope, ctx, 'POST', `${base}/batch/upsert`, { need: byType(WRITE) }, (req) => {
    const startedAt = ctx.nowIso();
    const type = typeParam(params(req)['objectType'] ?? '');
    if (type !== 'contacts') throw validation(`Upsert is offered for contacts only here, not ${type}`);
    const results = inputsOf(req.body).map((input, i) => {
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
    return batchBody(ctx, startedAt, results);
  });

  on(scope, ctx, 'POST', `${base}/batch/archive`, { need: byType(WRITE) }, (req) => {
    const type = typeParam(params(req)['objectType'] ?? '');
    for (const [i, input] of inputsOf(req.body).entries()) {
      const id = idOf(input['id'], `inputs[${i}].id`);
      if (type === 'contacts') {
        const c = ctx.crm.store.contacts.get(id);
        if (c && !contactExtras(ctx, id)?.archived) archiveContact(ctx, c);
      } else {
        const rec = ctx.crm.store.hubspot.get(`${type}:${id}`);
        if (rec && !rec.archived) archiveEngagement(ctx, rec);
      }
    }
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
  const pairNeed =
    (which: Record<ObjectType, string[]>, fromKey: string, toKey: string) =>
    (req: FastifyRequest): Need => {
      const p = params(req);
      const a = objectTypeOf(p[fromKey] ?? '');
      const b = objectTypeOf(p[toKey] ?? '');
      return [...(a ? [which[a]] : []), ...(b ? [which[b]] : [])];
    };
  const sides = (req: FastifyRequest, fromKey: string, toKey: string) => {
    const p = params(req);
    return { from: typeParam(p[fromKey] ?? ''), to: typeParam(p[toKey] ?? '') };
  };
  const both = (
    ctxFrom: { type: ObjectType; id: string },
    ctxTo: { type: ObjectType; id: string },
    startedAt: string,
  ) => {
    const pair = defaultType(ctxFrom.type, ctxTo.type);
    return {
      status: 'COMPLETE',
      results: [
        {
          from: { id: ctxFrom.id },
          to: { id: ctxTo.id },
          associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: pair?.typeId },
        },
        {
          from: { id: ctxTo.id },
          to: { id: ctxFrom.id },
          associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: pair?.inverse },
        },
      ],
      startedAt,
      completedAt: ctx.nowIso(),
    };
  };
  const afterLink = (type: ObjectType, id: string, to: ObjectType) => {
    for (const side of [
      { type, id },
      { type: to, id: '' },
    ]) {
      const a = associable(ctx, side.type, side.id);
      if (a?.rec.objectType !== 'contacts' && a) translate(ctx, a.rec);
    }
  };
  const toIdNum = (id: string): number | string => (/^\d{1,15}$/.test(id) ? Number(id) : id);

  on(
    scope,
    ctx,
    'PUT',
    '/v4/objects/:fromType/:fromId/associations/default/:toType/:toId',
    { need: pairNeed(WRITE, 'fromType', 'toType') },
    (req) => {
      const startedAt = ctx.nowIso();
      const { from, to } = sides(req, 'fromType', 'toType');
      const p = params(req);
      const a = { type: from, id: p['fromId'] ?? '' };
      const b = { type: to, id: p['toId'] ?? '' };
      associate(ctx, a, b, []);
      afterLink(from, a.id, to);
      const other = associable(ctx, to, b.id);
      if (other && to !== 'contacts') translate(ctx, other.rec);
      return { status: 200, body: both(a, b, startedAt) };
    },
  );

  on(
    scope,
    ctx,
    'PUT',
    '/v4/objects/:fromType/:fromId/associations/:toType/:toId',
    { need: pairNeed(WRITE, 'fromType', 'toType') },
    (req) => {
      const { from, to } = sides(req, 'fromType', 'toType');
      const p = params(req);
      const a = { type: from, id: p['fromId'] ?? '' };
      const b = { type: to, id: p['toId'] ?? '' };
      const specs = parseSpecs(req.body, 'body');
      associate(ctx, a, b, specs);
      afterLink(from, a.id, to);
      const other = associable(ctx, to, b.id);
      if (other && to !== 'contacts') translate(ctx, other.rec);
      const labels = specs
        .map((s) => ctx.labels.get(s.associationTypeId))
        .filter((l): l is string => l !== undefined);
      return {
        status: 201,
        body: {
          fromObjectTypeId: OBJECT_TYPE_IDS[from],
          fromObjectId: toIdNum(a.id),
          toObjectTypeId: OBJECT_TYPE_IDS[to],
          toObjectId: toIdNum(b.id),
          labels,
        },
        headers: { location: `/crm/v4/objects/${from}/${a.id}/associations/${to}/${b.id}` },
      };
    },
  );

  on(
    scope,
    ctx,
    'GET',
    '/v4/objects/:fromType/:fromId/associations/:toType',
    { need: pairNeed(READ, 'fromType', 'toType') },
    (req) => {
      const { from, to } = sides(req, 'fromType', 'toType');
      const id = params(req)['fromId'] ?? '';
      const a = associable(ctx, from, id);
      if (!a) throw objectNotFound(id);
      const q = query(req);
      const limit = queryLimit(q, 500, 500);
      const after = Number(queryOne(q, 'after') ?? '0');
      if (!Number.isInteger(after) || after < 0) throw validation('after is not a valid cursor');
      const live = (a.rec.associations[to] ?? []).filter((x) => associable(ctx, to, x.id));
      const page = live.slice(after, after + limit);
      const body: Record<string, unknown> = {
        results: page.map((x) => ({ toObjectId: toIdNum(x.id), associationTypes: x.types })),
      };
      if (after + limit < live.length)
        body['paging'] = {
          next: { after: String(after + limit), link: pageLink(req, String(after + limit)) },
        };
      return { status: 200, body };
    },
  );

  on(
    scope,
    ctx,
    'DELETE',
    '/v4/objects/:fromType/:fromId/associations/:toType/:toId',
    { need: pairNeed(WRITE, 'fromType', 'toType') },
    (req) => {
      const { from, to } = sides(req, 'fromType', 'toType');
      const p = params(req);
      dissociate(ctx, { type: from, id: p['fromId'] ?? '' }, { type: to, id: p['toId'] ?? '' });
      return { status: 204 };
    },
  );

  const batchPair = (req: FastifyRequest) => sides(req, 'fromType', 'toType');
  const fromTo = (input: Record<string, unknown>, i: number) => ({
    fromId: idOf((input['from'] as Record<string, unknown> | undefined)?.['id'], `inputs[${i}].from.id`),
    toId: idOf((input['to'] as Record<string, unknown> | undefined)?.['id'], `inputs[${i}].to.id`),
  });
  const batchLink = (req: FastifyRequest, labelled: boolean): Answer => {
    const startedAt = ctx.nowIso();
    const { from, to } = batchPair(req);
    const results: unknown[] = [];
    for (const [i, input] of inputsOf(req.body).entries()) {
      const { fromId, toId } = fromTo(input, i);
      const specs = labelled ? parseSpecs(input['types'], `inputs[${i}].types`) : [];
      associate(ctx, { type: from, id: fromId }, { type: to, id: toId }, specs);
      for (const [t, id] of [
        [from, fromId],
        [to, toId],
      ] as const) {
        const r = associable(ctx, t, id);
        if (r && t !== 'contacts') translate(ctx, r.rec);
      }
      if (labelled) {
        results.push({
          fromObjectTypeId: OBJECT_TYPE_IDS[from],
          fromObjectId: toIdNum(fromId),
          toObjectTypeId: OBJECT_TYPE_IDS[to],
          toObjectId: toIdNum(toId),
          labels: specs.map((s) => ctx.labels.get(s.associationTypeId)).filter((l) => l !== undefined),
        });
      } else {
        results.push(...both({ type: from, id: fromId }, { type: to, id: toId }, startedAt).results);
      }
    }
    return { ...batchBody(ctx, startedAt, results), status: labelled ? 201 : 200 };
  };
  on(
    scope,
    ctx,
    'POST',
    '/v4/associations/:fromType/:toType/batch/associate/default',
    { need: pairNeed(WRITE, 'fromType', 'toType') },
    (req) => batchLink(req, false),
  );
  on(
    scope,
    ctx,
    'POST',
    '/v4/associations/:fromType/:toType/batch/create',
    { need: pairNeed(WRITE, 'fromType', 'toType') },
    (req) => batchLink(req, true),
  );
  on(
    scope,
    ctx,
    'POST',
    '/v4/associations/:fromType/:toType/batch/read',
    { need: pairNeed(READ, 'fromType', 'toType') },
    (req) => {
      const startedAt = ctx.nowIso();
      const { from, to } = batchPair(req);
      const results: unknown[] = [];
      const missing: string[] = [];
      for (const [i, input] of inputsOf(req.body).entries()) {
        const id = idOf(input['id'], `inputs[${i}].id`);
        const a = associable(ctx, from, id);
        if (!a) {
          missing.push(id);
          continue;
        }
        const live = (a.rec.associations[to] ?? []).filter((x) => associable(ctx, to, x.id));
        results.push({
          from: { id },
          to: live.map((x) => ({ toObjectId: toIdNum(x.id), associationTypes: x.types })),
        });
      }
      const errors = missing.map((id) => ({
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        message: `No ${from.slice(0, -1)} with ID ${id} exists`,
        context: { fromObjectId: [id] },
      }));
      return batchBody(ctx, startedAt, results, errors);
    },
  );
  on(
    scope,
    ctx,
    'POST',
    '/v4/associations/:fromType/:toType/batch/archive',
    { need: pairNeed(WRITE, 'fromType', 'toType') },
    (req) => {
      const { from, to } = batchPair(req);
      for (const [i, input] of inputsOf(req.body).entries()) {
        const fromId = idOf(
          (input['from'] as Record<string, unknown> | undefined)?.['id'],
          `inputs[${i}].from.id`,
        );
        const tos = Array.isArray(input['to']) ? (input['to'] as Array<Record<string, unknown>>) : [];
        for (const [j, t] of tos.entries())
          dissociate(
            ctx,
            { type: from, id: fromId },
            { type: to, id: idOf(t?.['id'], `inputs[${i}].to[${j}].id`) },
          );
      }
      return { status: 204 };
    },
  );

  on(
    scope,
    ctx,
    'GET',
    '/v4/associations/:fromType/:toType/labels',
    { need: pairNeed(READ, 'fromType', 'toType') },
    (req) => {
      const { from, to } = batchPair(req);
      const pair = defaultType(from, to);
      const results: unknown[] = pair
        ? [{ category: 'HUBSPOT_DEFINED', typeId: pair.typeId, label: null }]
        : [];
      for (const [typeId, label] of ctx.labels) results.push({ category: 'USER_DEFINED', typeId, label });
      return { status: 200, body: { results } };
    },
  );

  on(
    scope,
    ctx,
    'POST',
    '/v4/associations/:fromType/:toType/labels',
    { need: pairNeed(WRITE, 'fromType', 'toType') },
    (req) => {
      const { from, to } = batchPair(req);
      if (!defaultType(from, to)) throw validation(`Association from ${from} to ${to} is not offered`);
      const b = bodyObject(req.body);
      const label = b['label'];
      if (typeof label !== 'string' || label.trim() === '')
        throw validation('label is required', { label: ['is required'] });
      // Custom labels get ids from 1000 up, clear of HubSpot-defined ones.
      const typeId = 1000 + ctx.labels.size;
      ctx.labels.set(typeId, label);
      return { status: 200, body: { results: [{ category: 'USER_DEFINED', typeId, label }] } };
    },
  );
}
