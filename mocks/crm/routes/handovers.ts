import type { FastifyInstance } from 'fastify';
import type { CrmContext } from '../context.js';
import { notFound, validationError } from '../errors.js';
import { queryString } from '../validate.js';
import { API, handle, idParam, listBody, pageQuery } from './helpers.js';

/** The human-agent queue and the connector's error log. */
export function registerHandoverAndErrorLogRoutes(app: FastifyInstance, ctx: CrmContext): void {
  const { service, store } = ctx;

  app.post(`${API}/handovers`, (req, reply) =>
    handle(ctx, req, reply, () => {
      const { handover, created } = service.createHandover(req.body);
      return { statusCode: created ? 201 : 200, body: handover };
    }),
  );

  app.get(`${API}/handovers`, (req, reply) =>
    handle(ctx, req, reply, () => {
      const { limit, afterSeq, q } = pageQuery(req.query, ['status']);
      const status = queryString(q, 'status', 16);
      if (status !== undefined && status !== 'queued' && status !== 'resolved') {
        throw validationError([{ path: 'status', message: 'must be queued or resolved' }], 400);
      }
      const page =
        status === undefined
          ? store.handovers.page({ afterSeq, limit })
          : store.handovers.page({ afterSeq, limit, index: 'status', key: status });
      return { statusCode: 200, body: listBody(page) };
    }),
  );

  app.get(`${API}/handovers/:id`, (req, reply) =>
    handle(ctx, req, reply, () => ({ statusCode: 200, body: service.handover(idParam(req)) })),
  );

  app.post(`${API}/handovers/:id/resolve`, (req, reply) =>
    handle(ctx, req, reply, () => ({ statusCode: 200, body: service.resolveHandover(idParam(req)) })),
  );

  app.post(`${API}/error-logs`, (req, reply) =>
    handle(ctx, req, reply, () => ({ statusCode: 201, body: service.createErrorLog(req.body) })),
  );

  app.get(`${API}/error-logs`, (req, reply) =>
    handle(ctx, req, reply, () => {
      const { limit, afterSeq } = pageQuery(req.query);
      return { statusCode: 200, body: listBody(store.errorLogs.page({ afterSeq, limit })) };
    }),
  );

  app.get(`${API}/error-logs/:id`, (req, reply) =>
    handle(ctx, req, reply, () => {
      const e = store.errorLogs.get(idParam(req));
      if (!e) throw notFound('error log', idParam(req));
      return { statusCode: 200, body: e };
    }),
  );
}
