import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import { type Clock, VirtualClock } from '../../../../../kernel/clock.js';
import { createRng } from '../../../../../kernel/random.js';
import {
  createHubSpotContext,
  type HubSpotContext,
  type HubSpotOptions,
} from '../../../../../mocks/crm/dialects/hubspot/context.js';
import { registerHubSpotRoutes } from '../../../../../mocks/crm/dialects/hubspot/routes.js';
import { CrmService } from '../../../../../mocks/crm/service.js';
import { type CrmStore, createMemoryStore } from '../../../../../mocks/crm/store.js';
import { FaultController } from '../../../../../mocks/shared/faults.js';
import { Journal } from '../../../../../mocks/shared/journal.js';

/** The token every test account accepts (all scopes). */
export const TOKEN = 'pat-na1-11111111-2222-3333-4444-555555555555';

/** A HubSpot-dialect CRM over a fresh memory store on a virtual clock. */
export interface TestHubSpot<C extends Clock = VirtualClock> {
  app: FastifyInstance;
  ctx: HubSpotContext;
  clock: C;
  journal: Journal;
  store: CrmStore;
  service: CrmService;
  faults: FaultController;
}

/** Builds the dialect's routes over the native CRM parts (what the CRM app does in the hubspot dialect). */
export function testHubSpot(
  opts: Partial<HubSpotOptions> = {},
  store: CrmStore = createMemoryStore(),
): TestHubSpot {
  return testHubSpotOn(new VirtualClock({ epochMs: Date.UTC(2026, 10, 27, 9, 0, 0) }), opts, store);
}

/** The same on a given clock (a real one for tests over sockets). */
export function testHubSpotOn<C extends Clock>(
  clock: C,
  opts: Partial<HubSpotOptions> = {},
  store: CrmStore = createMemoryStore(),
): TestHubSpot<C> {
  const journal = new Journal('crm', clock, 100_000);
  const service = new CrmService(store, clock, journal, createRng(7));
  const faults = new FaultController(clock, createRng(8), journal);
  const ctx = createHubSpotContext(
    { clock, journal, store, service, faults },
    { tokens: [{ token: TOKEN }], ...opts },
  );
  const app = Fastify({ logger: false });
  registerHubSpotRoutes(app, ctx);
  return { app, ctx, clock, journal, store, service, faults };
}

/** An authenticated call; `body` is sent as JSON. */
export function hs(
  app: FastifyInstance,
  method: InjectOptions['method'],
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const o: InjectOptions = { method, url, headers: { authorization: `Bearer ${TOKEN}`, ...headers } };
  if (body !== undefined) o.payload = body as InjectOptions['payload'];
  return app.inject(o);
}

/** Creates a contact through the API; returns its id. */
export async function contact(app: FastifyInstance, properties: Record<string, unknown>): Promise<string> {
  const r = await hs(app, 'POST', '/crm/v3/objects/contacts', { properties });
  if (r.statusCode !== 201) throw new Error(`contact create: ${r.statusCode} ${r.body}`);
  return r.json().id as string;
}

/** Journal entries of one kind, data only. */
export function entries(j: Journal, kind: string): Array<Record<string, unknown>> {
  return j.query({ kind }).map((e) => e.data);
}
