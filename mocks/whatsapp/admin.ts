import type { FastifyInstance, FastifyReply } from 'fastify';
import { SpecError } from '../../kernel/distributions.js';
import { parseFaultSpec } from '../../kernel/fault-spec.js';
import type { JournalQuery } from '../shared/journal.js';
import { PROMETHEUS_CONTENT_TYPE } from '../shared/metrics.js';
import type { WhatsAppCore } from './core.js';
import { ERROR_CATALOGUE } from './errors.js';
import { publicTemplate, type TemplateStatus } from './templates.js';

/** The admin API's error body: `{ error: { code, message, path? } }`. */
export class AdminError extends Error {
  override readonly name = 'AdminError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

function q(query: unknown, key: string): string | undefined {
  const v = (query as Record<string, unknown>)[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string')
    throw new AdminError(400, 'bad_request', `query parameter ${key} must be given once`, key);
  return v;
}

function qNumber(query: unknown, key: string, min: number, max: number): number | undefined {
  const v = q(query, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new AdminError(
      400,
      'bad_request',
      `query parameter ${key} must be a number from ${min} to ${max}`,
      key,
    );
  }
  return n;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminError(400, 'bad_request', 'the request body must be a JSON object', 'body');
  }
  return body as Record<string, unknown>;
}

const SETTABLE_STATUSES = new Set<TemplateStatus>(['APPROVED', 'REJECTED', 'PAUSED', 'DISABLED', 'PENDING']);

/**
 * The admin API under `/_mock/` (never a Graph path) and Prometheus `/metrics`: make a customer
 * send a message, read the journal and rendered templates, set/clear faults, point or verify the
 * webhook, force template reviews, reset, health.
 */
export function registerAdminRoutes(app: FastifyInstance, core: WhatsAppCore): void {
  app.get('/metrics', async (_request, reply: FastifyReply) => {
    core.flushMetrics();
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(core.metrics.render());
  });

  app.get('/_mock/health', async () => ({
    status: 'ok',
    phoneNumberId: core.cfg.phoneNumberId,
    wabaId: core.cfg.wabaId,
    webhookUrlSet: core.getWebhookUrl() !== undefined,
    stats: core.stats(),
  }));

  app.get('/_mock/config', async () => ({
    apiVersion: core.cfg.apiVersion,
    phoneNumberId: core.cfg.phoneNumberId,
    displayPhoneNumber: core.cfg.displayPhoneNumber,
    wabaId: core.cfg.wabaId,
    webhookUrl: core.getWebhookUrl() ?? null,
    errorProfile: core.cfg.errorProfile,
    throughputPerSec: core.cfg.throughputPerSec,
    pairRate: core.cfg.pairRate,
    messagingTier: core.cfg.messagingTier,
    windowErrorMode: core.cfg.windowErrorMode,
    statusTiming: core.cfg.statusTiming,
    templateApproval: core.cfg.templateApproval,
    seed: core.cfg.seed,
  }));

  app.get('/_mock/stats', async () => core.stats());

  app.post('/_mock/inbound', async (request) => core.sendInbound(request.body));

  app.get('/_mock/journal', async (request) => {
    const query: JournalQuery = {};
    const kind = q(request.query, 'kind');
    if (kind !== undefined) query.kind = kind.split(',').map((k) => k.trim());
    const wamid = q(request.query, 'wamid');
    if (wamid !== undefined) query.wamid = wamid;
    const phone = q(request.query, 'phone');
    if (phone !== undefined) query.phone = phone.replace(/^\+/, '');
    const sinceMs = qNumber(request.query, 'sinceMs', -Number.MAX_VALUE, Number.MAX_VALUE);
    if (sinceMs !== undefined) query.sinceMs = sinceMs;
    const untilMs = qNumber(request.query, 'untilMs', -Number.MAX_VALUE, Number.MAX_VALUE);
    if (untilMs !== undefined) query.untilMs = untilMs;
    const afterSeq = qNumber(request.query, 'afterSeq', 0, Number.MAX_SAFE_INTEGER);
    if (afterSeq !== undefined) query.afterSeq = afterSeq;
    query.limit = qNumber(request.query, 'limit', 1, 100_000) ?? 1000;
    const entries = core.journal.query(query);
    return { entries, count: entries.length, dropped: core.journal.droppedCount };
  });

  app.get('/_mock/rendered', async (request) => {
    const limit = qNumber(request.query, 'limit', 1, 10_000) ?? 100;
    const data = core.recentRendered(limit, q(request.query, 'name'));
    return { data, count: data.length };
  });

  app.get<{ Params: { wamid: string } }>('/_mock/rendered/:wamid', async (request) => {
    const r = core.renderedText(request.params.wamid);
    if (!r)
      throw new AdminError(
        404,
        'not_found',
        `no rendered template is kept for ${request.params.wamid.slice(0, 100)}`,
      );
    return r;
  });

  app.get('/_mock/faults', async () => ({ faults: core.faults.list() }));

  app.post('/_mock/faults', async (request) => {
    const body = bodyObject(request.body);
    const specs = body['specs'] ?? (body['spec'] === undefined ? undefined : [body['spec']]);
    if (!Array.isArray(specs) || specs.length === 0 || specs.some((s) => typeof s !== 'string')) {
      throw new AdminError(
        400,
        'bad_request',
        'give {"spec": "error=131000:0.05"} or {"specs": [ … ]}',
        'spec',
      );
    }
    // Parse all first so a bad spec adds none of them.
    const nowMs = core.clock.nowMs();
    const rules = (specs as string[]).map((s, i) => {
      try {
        return parseFaultSpec(s, nowMs);
      } catch (err) {
        if (err instanceof SpecError) throw new AdminError(400, 'invalid_fault', err.message, `specs[${i}]`);
        throw err;
      }
    });
    return { added: rules.map((r) => core.faults.add(r)) };
  });

  app.delete('/_mock/faults', async () => ({ cleared: core.faults.clear() }));

  app.delete<{ Params: { id: string } }>('/_mock/faults/:id', async (request) => {
    const n = core.faults.clear(request.params.id);
    if (n === 0)
      throw new AdminError(404, 'not_found', `no fault with id ${request.params.id.slice(0, 100)}`);
    return { cleared: n };
  });

  app.post('/_mock/reset', async () => {
    core.reset();
    return { ok: true };
  });

  app.get('/_mock/webhook', async () => ({ url: core.getWebhookUrl() ?? null }));

  app.put('/_mock/webhook', async (request) => {
    const body = bodyObject(request.body);
    const url = body['url'];
    if (url !== null && typeof url !== 'string') {
      throw new AdminError(400, 'bad_request', 'url must be a string or null', 'url');
    }
    try {
      core.setWebhookUrl(url ?? undefined);
    } catch (err) {
      throw new AdminError(400, 'bad_request', err instanceof Error ? err.message : String(err), 'url');
    }
    return { url: url ?? null };
  });

  app.post('/_mock/webhook/verify', async () => core.verifyWebhook());

  app.get('/_mock/templates', async () => ({ data: core.templates.all().map(publicTemplate) }));

  app.post<{ Params: { id: string } }>('/_mock/templates/:id/status', async (request) => {
    const body = bodyObject(request.body);
    const status = body['status'];
    if (typeof status !== 'string' || !SETTABLE_STATUSES.has(status as TemplateStatus)) {
      throw new AdminError(
        400,
        'bad_request',
        `status must be one of ${[...SETTABLE_STATUSES].join(', ')}`,
        'status',
      );
    }
    const reason = body['reason'] === undefined ? 'NONE' : body['reason'];
    if (typeof reason !== 'string')
      throw new AdminError(400, 'bad_request', 'reason must be a string', 'reason');
    const rec = core.templates.setStatus(request.params.id, status as TemplateStatus, reason);
    if (!rec)
      throw new AdminError(404, 'not_found', `no template with id ${request.params.id.slice(0, 100)}`);
    return publicTemplate(rec);
  });

  app.get('/_mock/errors', async () => ({
    profile: core.cfg.errorProfile,
    errors: [...ERROR_CATALOGUE.values()].map((d) => ({
      code: d.code,
      title: d.title,
      httpStatus: d.http[core.cfg.errorProfile],
      reach: d.reach,
    })),
  }));
}
