import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestNote, WhatsAppCore } from './core.js';
import { GraphError, invalidParam } from './errors.js';
import { mediaNode } from './media.js';
import { publicTemplate, type TemplateListQuery } from './templates.js';

const VERSION_RE = /^v\d{1,3}\.0$/;
const TEMPLATE_FIELDS = new Set([
  'id',
  'name',
  'status',
  'category',
  'language',
  'components',
  'parameter_format',
  'rejected_reason',
  'previous_category',
]);
const TIER_LABEL: Record<string, string> = {
  '250': 'TIER_250',
  '2000': 'TIER_2K',
  '10000': 'TIER_10K',
  '100000': 'TIER_100K',
  unlimited: 'TIER_UNLIMITED',
};

interface NodeParams {
  version: string;
  nodeId: string;
}

/** Per-request state the Graph layer keeps for the journal and metrics. */
export interface GraphRequestState {
  /** True on `POST …/messages` (a rejected one becomes `message.rejected`). */
  isSend: boolean;
  note: RequestNote;
  errorCode?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Graph request state; null on admin and metrics routes. */
    wa: GraphRequestState | null;
  }
}

/** Rejects a path version that is not `v{N}.0` the way Graph rejects unknown path components. */
export function checkVersion(version: string): void {
  if (!VERSION_RE.test(version)) {
    throw new GraphError(2500, {
      message: `Unknown path components: /${version.slice(0, 40)}`,
      noErrorData: true,
    });
  }
}

function queryString(q: Record<string, unknown>, key: string): string | undefined {
  const v = q[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidParam(`Param ${key} must be given once, as a string.`);
  return v;
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return 25;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > 1000) {
    throw invalidParam('Param limit must be an integer from 1 to 1000.');
  }
  return Number(text);
}

function pageUrl(request: FastifyRequest, params: Record<string, string>): string {
  const path = request.url.split('?')[0] ?? '';
  const qs = new URLSearchParams(params).toString();
  return `${request.protocol}://${request.host}${path}?${qs}`;
}

/**
 * Accepted sends are answered together, once the event loop has handled every request that
 * arrived with them (one `setImmediate` per batch), instead of one socket write in the middle of
 * each request's work. Under load the answers then reach the client in a burst and it is woken
 * once per burst rather than once per answer: in `bench/whatsapp-send.ts` this halved the mock's
 * kernel time per send (22 → 11 µs) and raised its rate by about a third, with lower p50 and p99.
 * When one request arrives alone, the answer leaves as soon as its handler has run.
 */
export class ReplyBatch {
  private pending: Array<{ reply: FastifyReply; body: string }> = [];
  private scheduled = false;

  /** Queues `body` as the answer of `reply` (a JSON text). */
  send(reply: FastifyReply, body: string): void {
    this.pending.push({ reply, body });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    for (const { reply, body } of batch) {
      try {
        reply.send(body);
      } catch {
        // The client went away meanwhile: there is no one left to answer.
      }
    }
  }
}

/** Registers the Graph API routes: messages, message_templates, and GET on the mock's own nodes. */
export function registerGraphRoutes(app: FastifyInstance, core: WhatsAppCore): void {
  const answers = new ReplyBatch();
  // A plain (not async) handler: it answers through the batch, later, and returns nothing. An
  // async one would have to return the reply, and promise adoption would call `reply.then`, which
  // sets up end-of-stream listeners on every response only to learn when it finished. A throw
  // here reaches the error handler just as a rejection would.
  app.post<{ Params: NodeParams }>('/:version/:nodeId/messages', (request, reply): void => {
    if (!request.wa) {
      reply.callNotFound();
      return;
    }
    checkVersion(request.params.version);
    const result = core.send(request.params.nodeId, request.body, request.wa.note);
    answers.send(reply.type('application/json; charset=UTF-8'), result.json);
  });

  app.get<{ Params: NodeParams; Querystring: Record<string, unknown> }>(
    '/:version/:nodeId/message_templates',
    async (request, reply) => {
      if (!request.wa) return reply.callNotFound();
      checkVersion(request.params.version);
      const { nodeId } = request.params;
      if (nodeId !== core.cfg.wabaId) throw core.unknownObject('get', nodeId);
      const q = request.query;
      const limit = parseLimit(queryString(q, 'limit'));
      const query: TemplateListQuery = { limit };
      for (const k of ['name', 'status', 'category', 'language', 'after', 'before'] as const) {
        const v = queryString(q, k);
        if (v !== undefined) query[k] = v;
      }
      const fieldsText = queryString(q, 'fields');
      const fields = fieldsText
        ?.split(',')
        .map((f) => f.trim())
        .filter((f) => f.length > 0);
      for (const f of fields ?? []) {
        if (!TEMPLATE_FIELDS.has(f))
          throw invalidParam(
            `Tried accessing nonexisting field (${f.slice(0, 40)}) on node type (WhatsAppBusinessHSM)`,
          );
      }
      const page = core.templates.list(query);
      const data = page.data.map((t) => {
        const full = publicTemplate(t);
        if (!fields) return full;
        const out: Record<string, unknown> = {};
        for (const f of fields) if (full[f] !== undefined) out[f] = full[f];
        out['id'] = t.id;
        return out;
      });
      const carry: Record<string, string> = { limit: String(limit) };
      for (const k of ['name', 'status', 'category', 'language', 'fields'] as const) {
        const v = queryString(q, k);
        if (v !== undefined) carry[k] = v;
      }
      const paging: Record<string, unknown> = {};
      if (page.before !== undefined && page.after !== undefined) {
        paging['cursors'] = { before: page.before, after: page.after };
        if (page.hasNext) paging['next'] = pageUrl(request, { ...carry, after: page.after });
        if (page.hasPrevious) paging['previous'] = pageUrl(request, { ...carry, before: page.before });
      }
      return { data, paging };
    },
  );

  app.post<{ Params: NodeParams }>('/:version/:nodeId/message_templates', async (request, reply) => {
    if (!request.wa) return reply.callNotFound();
    checkVersion(request.params.version);
    const rec = core.createTemplate(request.params.nodeId, request.body);
    return { id: rec.id, status: rec.status, category: rec.category };
  });

  app.delete<{ Params: NodeParams; Querystring: Record<string, unknown> }>(
    '/:version/:nodeId/message_templates',
    async (request, reply) => {
      if (!request.wa) return reply.callNotFound();
      checkVersion(request.params.version);
      const { nodeId } = request.params;
      if (nodeId !== core.cfg.wabaId) throw core.unknownObject('delete', nodeId);
      const name = queryString(request.query, 'name');
      if (name === undefined || name === '')
        throw new GraphError(100, { details: 'The parameter name is required.' });
      const hsmId = queryString(request.query, 'hsm_id');
      const removed = core.templates.delete(name, hsmId);
      if (removed === 0) {
        throw new GraphError(100, {
          subcode: 2593002,
          details: `Message template ${name.slice(0, 512)} was not found.`,
          userTitle: 'Message template not found',
          userMsg: 'The message template could not be found.',
        });
      }
      return { success: true };
    },
  );

  app.get<{ Params: NodeParams }>('/:version/:nodeId', async (request, reply) => {
    if (!request.wa) return reply.callNotFound();
    checkVersion(request.params.version);
    const { nodeId } = request.params;
    const cfg = core.cfg;
    if (nodeId === cfg.phoneNumberId) {
      return {
        verified_name: 'wacrm Mock Business',
        code_verification_status: 'VERIFIED',
        display_phone_number: cfg.displayPhoneNumber,
        quality_rating: 'GREEN',
        platform_type: 'CLOUD_API',
        throughput: { level: cfg.throughputPerSec > 80 ? 'HIGH' : 'STANDARD' },
        messaging_limit_tier: TIER_LABEL[String(cfg.messagingTier)],
        id: cfg.phoneNumberId,
      };
    }
    if (nodeId === cfg.wabaId) {
      return {
        id: cfg.wabaId,
        name: 'wacrm Mock WABA',
        currency: 'USD',
        timezone_id: '1',
        message_template_namespace: 'c8ae5f90_307a_ca4c_b8f6_d1e2a2573574',
      };
    }
    const tpl = core.templates.get(nodeId);
    if (tpl) return publicTemplate(tpl);
    const media = mediaNode(core, request, nodeId);
    if (media) return media;
    throw core.unknownObject('get', nodeId);
  });
}
