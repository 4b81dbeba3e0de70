import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { VirtualClock } from '../../../../kernel/clock.js';
import { buildCrmMock, type CrmMockOptions } from '../../../../mocks/crm/index.js';

/** The token every test CRM uses. */
export const TOKEN = 'test-token';
/** The webhook secret every test CRM uses. */
export const SECRET = 'test-secret';

/** A CRM on a virtual clock with no seeded contacts unless asked. */
export function testCrm(opts: Partial<CrmMockOptions> = {}): { app: FastifyInstance; clock: VirtualClock } {
  const clock = (opts.clock as VirtualClock | undefined) ?? new VirtualClock();
  const app = buildCrmMock({
    token: TOKEN,
    webhookSecret: SECRET,
    seedContacts: { count: 0 },
    ...opts,
    clock,
  });
  return { app, clock };
}

/** An authenticated API call; `body` is sent as JSON. */
export function api(
  app: FastifyInstance,
  method: InjectOptions['method'],
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const opts: InjectOptions = {
    method,
    url: `/api/v1${path}`,
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
  };
  if (body !== undefined) opts.payload = body as InjectOptions['payload'];
  return app.inject(opts);
}

/** Creates a contact and its open conversation through the API; returns their ids. */
export async function contactWithConversation(
  app: FastifyInstance,
  phone = '+886912345678',
): Promise<{ contactId: string; conversationId: string }> {
  const c = await api(app, 'POST', '/contacts', { phone, name: 'Test', country: 'TW' });
  const contactId = c.json().id as string;
  const conv = await api(app, 'POST', '/conversations', { contact_id: contactId });
  return { contactId, conversationId: conv.json().id as string };
}
