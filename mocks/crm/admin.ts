import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SpecError } from '../../kernel/distributions.js';
import { type FaultRule, parseFaultSpec } from '../../kernel/fault-spec.js';
import { PROMETHEUS_CONTENT_TYPE } from '../shared/metrics.js';
import type { CrmContext, Plan } from './context.js';
import { ApiError, notFound, sendApiError, validationError } from './errors.js';
import { handle, idParam, listBody, pageQuery } from './routes/helpers.js';
import type { Table } from './store.js';
import { isObject, queryInt, queryString, rejectUnknownQuery, validateBody } from './validate.js';

/** The admin prefix: never authenticated, rate limited or faulted. */
export const ADMIN = '/_mock';

function tableOf(ctx: CrmContext, name: string): Table<{ id: string }> | undefined {
  const s = ctx.store;
  const tables: Record<string, Table<{ id: string }>> = {
    contacts: s.contacts,
    conversations: s.conversations,
    messages: s.messages,
    handovers: s.handovers,
    'error-logs': s.errorLogs,
    events: s.events,
    seed: s.seedInfo,
  };
  return Object.hasOwn(tables, name) ? tables[name] : undefined;
}

function adminRun(reply: FastifyReply, fn: () => { statusCode: number; body: unknown }): FastifyReply {
  try {
    const r = fn();
    return reply.code(r.statusCode).send(r.body);
  } catch (err) {
    if (err instanceof ApiError) return sendApiError(reply, err);
    throw err;
  }
}

function parseFaultBody(body: unknown, nowMs: number): FaultRule[] {
  if (!isObject(body))
    throw validationError(
      [{ path: '(body)', message: 'must be a JSON object with spec, specs or rule' }],
      400,
    );
  const rules: FaultRule[] = [];
  const bad: Array<{ path: string; message: string }> = [];
  const specs: Array<[string, unknown]> = [];
  if ('spec' in body) specs.push(['spec', body['spec']]);
  if ('specs' in body) {
    if (!Array.isArray(body['specs']))
      bad.push({ path: 'specs', message: 'must be an array of fault specs' });
    else for (const [i, s] of body['specs'].entries()) specs.push([`specs.${i}`, s]);
  }
  for (const [path, s] of specs) {
    if (typeof s !== 'string') {
      bad.push({ path, message: 'must be a fault spec string such as error=503:0.1' });
      continue;
    }
    try {
      rules.push(parseFaultSpec(s, nowMs));
    } catch (err) {
      if (err instanceof SpecError || err instanceof RangeError) bad.push({ path, message: err.message });
      else throw err;
    }
  }
  if ('rule' in body) {
    if (!isObject(body['rule']) || typeof body['rule']['kind'] !== 'string') {
      bad.push({ path: 'rule', message: 'must be a fault rule object with a kind' });
    } else rules.push(body['rule'] as unknown as FaultRule);
  }
  for (const k of Object.keys(body)) {
    if (!['spec', 'specs', 'rule'].includes(k))
      bad.push({ path: k, message: 'is not a known field (known: spec, specs, rule)' });
  }
  if (bad.length > 0) throw validationError(bad, 400);
  if (rules.length === 0)
    throw validationError([{ path: 'spec', message: 'is required (or specs, or rule)' }], 400);
  return rules;
}

/**
 * The `/_mock/` admin API (docs/crm-api.md): events, journal, faults, reset, health, state dumps,
 * contact setup, webhook URL and plan. Plus `/metrics`.
 */
export function registerAdminRoutes(app: FastifyInstance, ctx: CrmContext): void {
  app.get(`${ADMIN}/health`, (_req, reply) => {
    const { plan, limitPerMin } = ctx.plan();
    return reply.send({
      status: 'ok',
      plan,
      limit_per_min: limitPerMin,
      webhook_url_set: ctx.webhookUrlSet(),
      store: ctx.store.kind,
      stats: ctx.stats(),
    });
  });

  app.post(`${ADMIN}/events`, (req, reply) =>
    adminRun(reply, () => ({ statusCode: 202, body: { event_id: ctx.emitEvent(req.body).eventId } })),
  );

  app.get(`${ADMIN}/events`, (req, reply) =>
    handle(ctx, req, reply, () => {
      const { limit, afterSeq } = pageQuery(req.query);
      return { statusCode: 200, body: listBody(ctx.store.events.page({ afterSeq, limit })) };
    }),
  );

  app.get(`${ADMIN}/events/:id`, (req, reply) =>
    adminRun(reply, () => {
      const e = ctx.store.events.get(idParam(req));
      if (!e) throw notFound('event', idParam(req));
      return { statusCode: 200, body: e };
    }),
  );

  app.get(`${ADMIN}/journal`, (req, reply) =>
    adminRun(reply, () => {
      const q = (req.query ?? {}) as Record<string, unknown>;
      rejectUnknownQuery(q, ['kind', 'after_seq', 'since_ms', 'until_ms', 'limit', 'wamid', 'phone']);
      const kind = queryString(q, 'kind', 1000);
      const num = (name: string): number | undefined => {
        const raw = queryString(q, name, 32);
        if (raw === undefined) return undefined;
        const n = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(n))
          throw validationError([{ path: name, message: 'must be a number' }], 400);
        return n;
      };
      const query: Parameters<typeof ctx.journal.query>[0] = { limit: queryInt(q, 'limit', 1, 10_000, 1000) };
      if (kind)
        query.kind = kind
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean);
      const afterSeq = num('after_seq');
      const sinceMs = num('since_ms');
      const untilMs = num('until_ms');
      const wamid = queryString(q, 'wamid', 256);
      const phone = queryString(q, 'phone', 64);
      if (afterSeq !== undefined) query.afterSeq = afterSeq;
      if (sinceMs !== undefined) query.sinceMs = sinceMs;
      if (untilMs !== undefined) query.untilMs = untilMs;
      if (wamid !== undefined) query.wamid = wamid;
      if (phone !== undefined) query.phone = phone;
      const entries = ctx.journal.query(query);
      return {
        statusCode: 200,
        body: { entries, last_seq: entries.at(-1)?.seq ?? afterSeq ?? 0, dropped: ctx.journal.droppedCount },
      };
    }),
  );

  app.get(`${ADMIN}/faults`, (_req, reply) => reply.send({ faults: ctx.faults.list() }));

  app.post(`${ADMIN}/faults`, (req, reply) =>
    adminRun(reply, () => {
      const rules = parseFaultBody(req.body, ctx.clock.nowMs());
      const added = [];
      for (const r of rules) {
        try {
          added.push(ctx.faults.add(r));
        } catch (err) {
          throw validationError(
            [{ path: 'rule', message: err instanceof Error ? err.message : String(err) }],
            400,
          );
        }
      }
      return { statusCode: 201, body: { faults: added } };
    }),
  );

  app.delete(`${ADMIN}/faults`, (_req, reply) => reply.send({ cleared: ctx.faults.clear() }));
  app.delete(`${ADMIN}/faults/:id`, (req, reply) =>
    adminRun(reply, () => {
      const n = ctx.faults.clear(idParam(req));
      if (n === 0) throw notFound('fault rule', idParam(req));
      return { statusCode: 200, body: { cleared: n } };
    }),
  );

  app.post(`${ADMIN}/reset`, (req, reply) =>
    adminRun(reply, () => {
      const v =
        req.body === undefined || req.body === null
          ? {}
          : validateBody(req.body, {
              reseed: {
                check: (x, p, out) =>
                  typeof x === 'boolean' ? x : void out.push({ path: p, message: 'must be true or false' }),
              },
            });
      const reseed = (v['reseed'] as boolean | undefined) ?? true;
      ctx.reset(reseed);
      return { statusCode: 200, body: { reset: true, reseed, stats: ctx.stats() } };
    }),
  );

  app.get(`${ADMIN}/state`, (_req, reply) => reply.send({ store: ctx.store.kind, counts: ctx.stats() }));

  app.get(`${ADMIN}/state/:collection`, (req: FastifyRequest, reply) =>
    adminRun(reply, () => {
      const name = idParam(req, 'collection');
      const table = tableOf(ctx, name);
      if (!table) {
        throw new ApiError(404, 'not_found', `no collection ${JSON.stringify(name)}`, [
          {
            path: 'collection',
            message: 'must be contacts, conversations, messages, handovers, error-logs, events or seed',
          },
        ]);
      }
      const q = (req.query ?? {}) as Record<string, unknown>;
      rejectUnknownQuery(q, ['offset', 'limit']);
      const offset = queryInt(q, 'offset', 0, 1_000_000_000, 0);
      const limit = queryInt(q, 'limit', 1, 10_000, 1000);
      return { statusCode: 200, body: { total: table.count(), offset, data: table.slice(offset, limit) } };
    }),
  );

  app.post(`${ADMIN}/contacts`, (req, reply) =>
    adminRun(reply, () => {
      const { contact, created } = ctx.service.upsertContact(req.body);
      return { statusCode: created ? 201 : 200, body: contact };
    }),
  );

  app.put(`${ADMIN}/webhook`, (req, reply) =>
    adminRun(reply, () => {
      const v = validateBody(req.body, {
        url: {
          check: (x, p, out) => {
            if (x === null) return null;
            if (typeof x !== 'string' || !/^https?:\/\/[^\s]+$/.test(x) || x.length > 2048) {
              out.push({ path: p, message: 'must be an http(s) URL or null' });
              return undefined;
            }
            return x;
          },
          required: true,
        },
      });
      try {
        ctx.setWebhookUrl((v['url'] as string | null) ?? undefined);
      } catch (err) {
        throw validationError([{ path: 'url', message: err instanceof Error ? err.message : String(err) }]);
      }
      return { statusCode: 200, body: { webhook_url_set: ctx.webhookUrlSet() } };
    }),
  );

  app.put(`${ADMIN}/plan`, (req, reply) =>
    adminRun(reply, () => {
      const v = validateBody(req.body, {
        plan: {
          check: (x, p, out) =>
            x === 'standard' || x === 'enterprise'
              ? x
              : void out.push({ path: p, message: 'must be standard or enterprise' }),
        },
        limit_per_min: {
          check: (x, p, out) =>
            Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 1_000_000
              ? x
              : void out.push({ path: p, message: 'must be an integer 1-1000000' }),
        },
      });
      ctx.setPlan(v['plan'] as Plan | undefined, v['limit_per_min'] as number | undefined);
      const { plan, limitPerMin } = ctx.plan();
      return { statusCode: 200, body: { plan, limit_per_min: limitPerMin } };
    }),
  );

  app.get('/metrics', (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(ctx.metrics.render()));
}
