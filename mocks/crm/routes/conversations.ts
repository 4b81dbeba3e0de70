import type { FastifyInstance } from 'fastify';
import type { CrmContext } from '../context.js';
import { queryString } from '../validate.js';
import { API, handle, idParam, listBody, pageQuery } from './helpers.js';

/** Conversations and the messages in them. */
export function registerConversationRoutes(app: FastifyInstance, ctx: CrmContext): void {
  const { service, store } = ctx;

  app.post(`${API}/conversations`, (req, reply) =>
    handle(ctx, req, reply, () => {
      const { conversation, created } = service.openConversation(req.body);
      return { statusCode: created ? 201 : 200, body: conversation };
    }),
  );

  app.get(`${API}/conversations`, (req, reply) =>
    handle(ctx, req, reply, () => {
      const { limit, afterSeq, q } = pageQuery(req.query, ['contact_id']);
      const contactId = queryString(q, 'contact_id', 64);
      const page =
        contactId === undefined
          ? store.conversations.page({ afterSeq, limit })
          : store.conversations.page({ afterSeq, limit, index: 'contact', key: contactId });
      return { statusCode: 200, body: listBody(page) };
    }),
  );

  app.get(`${API}/conversations/:id`, (req, reply) =>
    handle(ctx, req, reply, () => ({ statusCode: 200, body: service.conversation(idParam(req)) })),
  );

  app.post(`${API}/conversations/:id/close`, (req, reply) =>
    handle(ctx, req, reply, () => ({ statusCode: 200, body: service.closeConversation(idParam(req)) })),
  );

  app.get(`${API}/conversations/:id/messages`, (req, reply) =>
    handle(ctx, req, reply, () => {
      const conv = service.conversation(idParam(req));
      const { limit, afterSeq } = pageQuery(req.query);
      return {
        statusCode: 200,
        body: listBody(store.messages.page({ afterSeq, limit, index: 'conversation', key: conv.id })),
      };
    }),
  );

  app.post(`${API}/conversations/:id/messages`, (req, reply) =>
    handle(ctx, req, reply, () => {
      const { message, created } = service.addMessage(idParam(req), req.body);
      return { statusCode: created ? 201 : 200, body: message };
    }),
  );
}
