import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { CrmContext } from '../../context.js';
import { registerContactRoutes } from '../../routes/contacts.js';
import { registerConversationRoutes } from '../../routes/conversations.js';
import { registerHandoverAndErrorLogRoutes } from '../../routes/handovers.js';
import { API } from '../../routes/helpers.js';
import { registerMessageRoutes } from '../../routes/messages.js';
import type { CrmDialect } from '../types.js';

/**
 * The mock's own CRM API (docs/crm-api.md): the routes under `/api/v1`, guarded by `auth` (the
 * bearer token and the plan's sliding-minute limit, which live with the mock's state in app.ts).
 * Events go out with the default delivery: one `X-CRM-Signature`-signed object per event.
 */
export function createNativeDialect(auth: onRequestHookHandler): CrmDialect {
  return {
    name: 'native',
    apiBase: API,
    sharedHooksFor: (urlPath) => urlPath.startsWith('/api/'),
    register(app: FastifyInstance, ctx: CrmContext) {
      app.addHook('onRequest', auth);
      registerContactRoutes(app, ctx);
      registerConversationRoutes(app, ctx);
      registerMessageRoutes(app, ctx);
      registerHandoverAndErrorLogRoutes(app, ctx);
    },
  };
}
