import type { FastifyInstance } from 'fastify';
import type { CrmContext } from '../context.js';
import { validationError } from '../errors.js';
import { queryString, rejectUnknownQuery } from '../validate.js';
import { API, handle, idParam } from './helpers.js';

/** Messages by WhatsApp id, and their status history. */
export function registerMessageRoutes(app: FastifyInstance, ctx: CrmContext): void {
  const { service } = ctx;

  app.get(`${API}/messages`, (req, reply) =>
    handle(ctx, req, reply, () => {
      const q = (req.query ?? {}) as Record<string, unknown>;
      rejectUnknownQuery(q, ['wa_message_id']);
      const wamid = queryString(q, 'wa_message_id', 256);
      if (!wamid) throw validationError([{ path: 'wa_message_id', message: 'is required' }], 400);
      const m = service.messageByWaId(wamid);
      return { statusCode: 200, body: { data: m ? [m] : [] } };
    }),
  );

  app.get(`${API}/messages/:id`, (req, reply) =>
    handle(ctx, req, reply, () => ({ statusCode: 200, body: service.message(idParam(req)) })),
  );

  app.post(`${API}/messages/:id/statuses`, (req, reply) =>
    handle(ctx, req, reply, () => ({ statusCode: 200, body: service.addStatus(idParam(req), req.body) })),
  );
}
