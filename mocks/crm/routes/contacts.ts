import type { FastifyInstance } from 'fastify';
import type { CrmContext } from '../context.js';
import { validationError } from '../errors.js';
import { queryString } from '../validate.js';
import { API, handle, idParam, listBody, pageQuery } from './helpers.js';

/** Contacts and tags: search by phone, read, upsert, patch, add and remove tags. */
export function registerContactRoutes(app: FastifyInstance, ctx: CrmContext): void {
  const { service, store } = ctx;

  app.get(`${API}/contacts`, (req, reply) =>
    handle(ctx, req, reply, () => {
      const { limit, afterSeq, q } = pageQuery(req.query, ['phone']);
      const phone = queryString(q, 'phone', 64);
      if (phone !== undefined) {
        if (phone.replace(/\D/g, '').length < 5) {
          throw validationError([{ path: 'phone', message: 'must contain at least 5 digits' }], 400);
        }
        const matches = service.findByPhone(phone);
        return { statusCode: 200, body: { data: matches.slice(0, limit), next_cursor: null } };
      }
      return { statusCode: 200, body: listBody(store.contacts.page({ afterSeq, limit })) };
    }),
  );

  app.get(`${API}/contacts/:id`, (req, reply) =>
    handle(ctx, req, reply, () => ({ statusCode: 200, body: service.contact(idParam(req)) })),
  );

  app.post(`${API}/contacts`, (req, reply) =>
    handle(ctx, req, reply, () => {
      const { contact, created } = service.upsertContact(req.body);
      return { statusCode: created ? 201 : 200, body: contact };
    }),
  );

  app.patch(`${API}/contacts/:id`, (req, reply) =>
    handle(ctx, req, reply, () => ({ statusCode: 200, body: service.patchContact(idParam(req), req.body) })),
  );

  app.post(`${API}/contacts/:id/tags`, (req, reply) =>
    handle(ctx, req, reply, () => ({ statusCode: 200, body: service.addTags(idParam(req), req.body) })),
  );

  app.delete(`${API}/contacts/:id/tags/:tag`, (req, reply) =>
    handle(ctx, req, reply, () => ({
      statusCode: 200,
      body: service.removeTag(idParam(req), idParam(req, 'tag')),
    })),
  );
}
