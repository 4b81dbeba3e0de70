import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { type Clock, RealClock, ScaledClock } from '../../kernel/clock.js';
import type { FaultRule } from '../../kernel/fault-spec.js';
import { createRng } from '../../kernel/random.js';
import { type CrmEventBody, crmEventJson } from '../../kernel/wire.js';
import { type RetryPolicy, WebhookDispatcher, type WebhookTransport } from '../shared/dispatcher.js';
import { FaultController, type FaultResponder, registerFaults } from '../shared/faults.js';
import { Journal, type JournalEntry } from '../shared/journal.js';
import { SlidingWindowCounter } from '../shared/limits.js';
import { MetricsRegistry } from '../shared/metrics.js';
import { ADMIN, registerAdminRoutes } from './admin.js';
import { type CrmContext, DEFAULT_PLAN_LIMITS, type Plan } from './context.js';
import { type CrmDialectOptions, createDialect } from './dialects/index.js';
import { CRM_DIALECTS, type CrmDialectName } from './dialects/types.js';
import { ApiError, faultError, sendApiError } from './errors.js';
import { validateEventInput } from './events.js';
import { checkSeedOptions, generateSeedContacts } from './seed.js';
import { CrmService } from './service.js';
import { type CrmStore, createMemoryStore, createSqliteStore } from './store.js';
import type {
  Contact,
  Conversation,
  CrmEventInput,
  CrmEventPayload,
  CrmEventRecord,
  CrmMessage,
  ErrorLog,
  Handover,
  SeedInfo,
} from './types.js';

/** Options of {@link buildCrmMock}. */
export interface CrmMockOptions {
  clock?: Clock;
  seed?: number;
  /** Bearer token the connector uses. */
  token: string;
  /** 300 / 1,500 requests per sliding minute. */
  plan?: Plan;
  planLimits?: { standard?: number; enterprise?: number };
  /** The connector's CRM webhook (events go there). */
  webhookUrl?: string;
  /** HMAC key for X-CRM-Signature. */
  webhookSecret: string;
  /** Default 200 contacts, 20 % dirty, all locales. */
  seedContacts?: { count: number; dirtyShare?: number; locales?: string[] };
  /** SQLite persistence; default in memory. */
  store?: { file: string };
  eventDelivery?: {
    concurrency?: number;
    timeoutMs?: number;
    retry?: Partial<RetryPolicy>;
    /** How POSTs leave (default: node:http with a keep-alive agent), e.g. a sender thread pool. */
    transport?: WebhookTransport;
  };
  faults?: FaultRule[];
  journalCapacity?: number;
  /** The CRM API the mock speaks (docs/crm-api.md, docs/crm-hubspot.md); default `native`. */
  dialect?: CrmDialectName;
  /** Options of the dialect (HubSpot: portal, app, tier); ignored by `native`. */
  dialectOptions?: CrmDialectOptions;
}

/**
 * What the harness and tests reach through `app.crm`. The record getters return the stored
 * objects themselves in memory (copies from SQLite): treat them as read-only.
 */
export interface CrmMockHandle {
  journal: Journal;
  faults: FaultController;
  clock: Clock;
  dispatcher: WebhookDispatcher;
  /** Same as POST /_mock/events; throws an ApiError (with `details`) on bad input or an unknown contact. */
  emitEvent(input: CrmEventInput): { eventId: string };
  /** Test/harness setup without auth or the rate limit; always a new record (`id` may be chosen). */
  createContact(input: Partial<Contact> & { phone: string }): Contact;
  contacts(): Contact[];
  contact(id: string): Contact | undefined;
  conversations(): Conversation[];
  messages(): CrmMessage[];
  handovers(): Handover[];
  errorLogs(): ErrorLog[];
  /** Emitted events with their delivery state. */
  events(): CrmEventRecord[];
  /** The truth about seeded contacts (real E.164, kinds of dirt, duplicates). */
  seedInfo(): SeedInfo[];
  messageByWaId(wamid: string): CrmMessage | undefined;
  setWebhookUrl(url: string | undefined): void;
  /** Changes the token's plan and/or its limit per minute (capacity runs). */
  setPlan(plan?: Plan, limitPerMin?: number): void;
  reset(opts?: { reseed?: boolean }): void;
  stats(): Record<string, number>;
  /** Closes the SQLite file if any (also done in app.onClose). */
  close(): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The CRM mock's handle (set by buildCrmMock). */
    crm: CrmMockHandle;
  }
  interface FastifyRequest {
    crmStartMs?: number;
    crmErrorCode?: string;
  }
}

/** CRM defaults: quicker than Meta's (1 s doubling to 60 s apart), given up after 24 h. */
export const CRM_EVENT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  initialDelayMs: 1000,
  factor: 2,
  maxDelayMs: 60_000,
  maxAgeMs: 24 * 3_600_000,
});

const BODY_LIMIT_BYTES = 256 * 1024;
const RATE_WINDOW_MS = 60_000;

function checkOptions(opts: CrmMockOptions): void {
  if (typeof opts.token !== 'string' || opts.token.length === 0 || /\s/.test(opts.token)) {
    throw new RangeError('token must be a non-empty string without spaces');
  }
  if (typeof opts.webhookSecret !== 'string' || opts.webhookSecret.length === 0) {
    throw new RangeError('webhookSecret must be a non-empty string');
  }
  if (opts.plan !== undefined && opts.plan !== 'standard' && opts.plan !== 'enterprise') {
    throw new RangeError(`plan must be standard or enterprise, got ${JSON.stringify(opts.plan)}`);
  }
  for (const [k, v] of Object.entries(opts.planLimits ?? {})) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new RangeError(`planLimits.${k} must be an integer ≥ 1, got ${v}`);
  }
  if (opts.seed !== undefined && !Number.isFinite(opts.seed))
    throw new RangeError(`seed must be a finite number, got ${opts.seed}`);
  if (opts.seedContacts) checkSeedOptions(opts.seedContacts);
  if (opts.dialect !== undefined && !CRM_DIALECTS.includes(opts.dialect))
    throw new RangeError(
      `dialect must be one of ${CRM_DIALECTS.join(', ')}, got ${JSON.stringify(opts.dialect)}`,
    );
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function tokenMatches(expected: Buffer, header: string | undefined): boolean {
  if (typeof header !== 'string') return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m?.[1]) return false;
  const given = Buffer.from(m[1], 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Builds the mock CRM (docs/crm-api.md) as an unstarted fastify instance decorated with `app.crm`.
 * Throws a RangeError naming the option when an option is invalid, an Error when the store file
 * cannot be opened.
 */
export function buildCrmMock(opts: CrmMockOptions): FastifyInstance {
  checkOptions(opts);
  const clock = opts.clock ?? new RealClock();
  const seed = opts.seed ?? 1;
  const journal = new Journal('crm', clock, opts.journalCapacity ?? 200_000);
  const store: CrmStore = opts.store ? createSqliteStore(opts.store.file) : createMemoryStore();
  const service = new CrmService(store, clock, journal, createRng(seed ^ 0x1d5));
  const faults = new FaultController(clock, createRng(seed ^ 0xfa17), journal);
  const metrics = new MetricsRegistry();
  const tokenBytes = Buffer.from(opts.token, 'utf8');
  const planLimits: Record<Plan, number> = { ...DEFAULT_PLAN_LIMITS, ...opts.planLimits } as Record<
    Plan,
    number
  >;
  let plan: Plan = opts.plan ?? 'standard';
  let customLimit: number | undefined;
  const limitNow = (): number => customLimit ?? planLimits[plan];
  let window = new SlidingWindowCounter(clock, RATE_WINDOW_MS, limitNow());
  let webhookUrlSet = opts.webhookUrl !== undefined;
  const dialect = createDialect(opts.dialect ?? 'native', {
    // Declared below with the state it reads; called only once requests arrive.
    nativeAuth: (req, reply, done) => nativeAuth(req, reply, done),
    clock,
    journal,
    seed,
    token: opts.token,
    webhookSecret: opts.webhookSecret,
    ...(opts.dialectOptions ? { options: opts.dialectOptions } : {}),
  });
  const dialectDelivery = dialect.events?.dispatcher ?? {};

  let dispatcher: WebhookDispatcher;
  try {
    dispatcher = new WebhookDispatcher({
      clock,
      journal,
      secret: opts.webhookSecret,
      ...(opts.webhookUrl !== undefined ? { url: opts.webhookUrl } : {}),
      signatureHeader: 'x-crm-signature',
      journalPrefix: 'event',
      userAgent: 'wacrm-crm-mock/1',
      ...dialectDelivery,
      concurrency: opts.eventDelivery?.concurrency ?? dialectDelivery.concurrency ?? 64,
      timeoutMs: opts.eventDelivery?.timeoutMs ?? dialectDelivery.timeoutMs ?? 10_000,
      retry: { ...CRM_EVENT_RETRY, ...dialectDelivery.retry, ...opts.eventDelivery?.retry },
      extraDelayMs: () => faults.webhookDelayMs(),
      // A compressed run's connector still answers in real time: time attempts out on real time.
      ...(clock instanceof ScaledClock ? { attemptClock: new RealClock() } : {}),
      ...(opts.eventDelivery?.transport ? { transport: opts.eventDelivery.transport } : {}),
    });
  } catch (err) {
    store.close();
    throw err;
  }
  for (const rule of opts.faults ?? []) faults.add(rule);

  // ------------------------------------------------------------------------------ metrics
  const httpRequests = metrics.counter('crm_http_requests_total', 'HTTP requests answered', [
    'method',
    'route',
    'status',
  ]);
  const rateLimited = metrics.counter('crm_rate_limited_total', 'Requests refused with 429', ['source']);
  const replays = metrics.counter(
    'crm_idempotent_replays_total',
    'Answers replayed for a reused Idempotency-Key',
  );
  const eventsEmitted = metrics.counter('crm_events_emitted_total', 'Events emitted to the connector', [
    'type',
  ]);
  let apiRequestCount = 0;
  let rateLimitedCount = 0;
  let replayCount = 0;
  let eventCount = 0;
  metrics.gauge('crm_records', 'Records held by the CRM', ['kind'], () => [
    { labels: { kind: 'contacts' }, value: store.contacts.count() },
    { labels: { kind: 'conversations' }, value: store.conversations.count() },
    { labels: { kind: 'messages' }, value: store.messages.count() },
    { labels: { kind: 'handovers' }, value: store.handovers.count() },
    { labels: { kind: 'error_logs' }, value: store.errorLogs.count() },
    { labels: { kind: 'events' }, value: store.events.count() },
  ]);
  metrics.gauge('crm_event_deliveries', 'Event deliveries to the connector by state', ['state'], () => {
    const s = dispatcher.stats();
    return [
      { labels: { state: 'queued' }, value: s.queued },
      { labels: { state: 'in_flight' }, value: s.inFlight },
      { labels: { state: 'waiting_retry' }, value: s.waitingRetry },
      { labels: { state: 'delivered' }, value: s.delivered },
      { labels: { state: 'failed_attempts' }, value: s.failedAttempts },
      { labels: { state: 'retried' }, value: s.retried },
      { labels: { state: 'abandoned' }, value: s.abandoned },
    ];
  });
  metrics.gauge(
    'crm_faults_active',
    'Fault rules active now',
    [],
    () => faults.list().filter((f) => f.active).length,
  );
  metrics.gauge('crm_journal_entries', 'Journal entries held in memory', [], () => journal.size());

  // ------------------------------------------------------------------------------ state
  const seedStore = (): void => {
    if (store.getMeta('seeded') !== undefined) return;
    const seeded = generateSeedContacts(
      seed,
      opts.seedContacts ?? { count: 200, dirtyShare: 0.2 },
      clock.epochMs(),
    );
    store.transaction(() => {
      const ids: string[] = [];
      const inDialect = dialect.seed;
      for (const s of seeded) {
        const c = inDialect
          ? service.createContact(inDialect.fields(ctx, s), inDialect.contactId(ctx), { quiet: true })
          : service.createContact(s.fields, undefined, { quiet: true });
        inDialect?.stored(ctx, c, s);
        ids.push(c.id);
        store.seedInfo.insert({
          id: c.id,
          e164: s.e164,
          dirty: s.dirty,
          duplicate_of: s.duplicateOf === null ? null : (ids[s.duplicateOf] ?? null),
          locale: s.locale,
        });
      }
      store.setMeta('seeded', String(seeded.length));
    });
  };

  const enqueueEvent = (payload: CrmEventPayload): void => {
    if (dialect.events) {
      dialect.events.enqueue(payload, dispatcher, faults.webhookDuplicate());
      return;
    }
    const meta = { eventId: payload.id, eventType: payload.type, contactId: payload.contact.id };
    // kernel/wire.ts writes the bytes: the exported k6 script posts events written the same way.
    const body = crmEventJson(payload as unknown as CrmEventBody);
    dispatcher.enqueue(payload.contact.id, body, meta);
    // An injected duplicate: the same bytes twice, as a CRM whose ack got lost would do.
    if (faults.webhookDuplicate()) dispatcher.enqueue(payload.contact.id, body, meta);
  };

  const onEntry = (e: JournalEntry): void => {
    if (e.kind !== 'event.delivered' && e.kind !== 'event.failed' && e.kind !== 'event.abandoned') return;
    const id = e.data['eventId'];
    if (typeof id !== 'string') return;
    try {
      const rec = store.events.get(id);
      if (!rec) return;
      const d = rec.delivery;
      d.attempts = Math.max(d.attempts, Number(e.data['attempt'] ?? 0));
      d.last_status_code = typeof e.data['statusCode'] === 'number' ? e.data['statusCode'] : null;
      d.last_error = typeof e.data['error'] === 'string' ? e.data['error'] : null;
      if (e.kind === 'event.delivered') {
        d.state = 'delivered';
        d.delivered_at ??= new Date(e.epochMs).toISOString();
      } else if (e.kind === 'event.abandoned' && d.state !== 'delivered') d.state = 'abandoned';
      store.events.update(rec);
    } catch {
      // The store may be closing while a last attempt settles; the journal keeps the facts.
    }
  };
  journal.on('entry', onEntry);

  let closed = false;
  const closeAll = (): void => {
    if (closed) return;
    closed = true;
    journal.off('entry', onEntry);
    dialect.events?.clear?.();
    void dispatcher.close();
    store.close();
  };

  const stats = (): Record<string, number> => {
    const d = dispatcher.stats();
    return {
      contacts: store.contacts.count(),
      conversations: store.conversations.count(),
      messages: store.messages.count(),
      handovers: store.handovers.count(),
      errorLogs: store.errorLogs.count(),
      events: store.events.count(),
      eventsEmitted: eventCount,
      eventsDelivered: d.delivered,
      eventsQueued: d.queued,
      eventsInFlight: d.inFlight,
      eventsWaitingRetry: d.waitingRetry,
      eventFailedAttempts: d.failedAttempts,
      eventsAbandoned: d.abandoned,
      apiRequests: apiRequestCount,
      rateLimited: rateLimitedCount,
      idempotentReplays: replayCount,
      idempotencyKeys: store.idempotency.count(),
      journalEntries: journal.size(),
      journalDropped: journal.droppedCount,
    };
  };

  const ctx: CrmContext = {
    clock,
    journal,
    store,
    service,
    faults,
    dispatcher,
    metrics,
    idempotencyScope: createHash('sha256').update(opts.token).digest('base64url').slice(0, 12),
    countReplay() {
      replayCount++;
      replays.inc();
    },
    plan: () => ({ plan, limitPerMin: limitNow() }),
    setPlan(p, limitPerMin) {
      if (p !== undefined) {
        plan = p;
        customLimit = undefined;
      }
      if (limitPerMin !== undefined) customLimit = limitPerMin;
      window = new SlidingWindowCounter(clock, RATE_WINDOW_MS, limitNow());
    },
    emitEvent(input) {
      const v = validateEventInput(input);
      const contact = service.contact(v.contact_id, 'contact_id');
      return store.transaction(() => {
        const payload: CrmEventPayload = {
          id: service.newId('evt'),
          type: v.type,
          created_at: service.nowIso(),
          contact: structuredClone(contact),
          data: v.data,
          action: v.action,
        };
        store.events.insert({
          id: payload.id,
          payload,
          delivery: {
            state: 'pending',
            attempts: 0,
            last_status_code: null,
            last_error: null,
            delivered_at: null,
          },
        });
        eventCount++;
        eventsEmitted.inc({ type: v.type.slice(0, 64) });
        journal.append('event.emitted', {
          eventId: payload.id,
          eventType: payload.type,
          contactId: contact.id,
          template: v.action.template,
        });
        enqueueEvent(payload);
        return { eventId: payload.id };
      });
    },
    reset(reseed) {
      dialect.events?.clear?.();
      // The connector's own schema (HubSpot properties) outlives its records, as on the real CRM.
      const restore = dialect.keepOnReset?.(ctx);
      store.clear();
      restore?.();
      window = new SlidingWindowCounter(clock, RATE_WINDOW_MS, limitNow());
      if (reseed) seedStore();
      else store.setMeta('seeded', '0');
      journal.append('state.reset', { reseed });
    },
    stats,
    webhookUrlSet: () => webhookUrlSet,
    setWebhookUrl(url) {
      dispatcher.setUrl(url);
      webhookUrlSet = url !== undefined;
    },
  };

  try {
    seedStore();
    // After a restart on the same file, events not yet delivered go out again.
    for (const rec of store.events.find('pending', 'pending')) enqueueEvent(rec.payload);
  } catch (err) {
    closeAll();
    throw err;
  }

  // ------------------------------------------------------------------------------ fastify
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, forceCloseConnections: true });
  // Only JSON bodies: text/plain would otherwise reach the routes as a string.
  app.removeContentTypeParser('text/plain');

  const isApi = (url: string): boolean => dialect.sharedHooksFor(url);

  app.addHook('onRequest', (req, _reply, done) => {
    req.crmStartMs = clock.nowMs();
    done();
  });

  const responder: FaultResponder = {
    error: (reply, code) => sendApiError(reply, faultError(code)),
    unavailable: (reply) =>
      sendApiError(
        reply,
        new ApiError(
          503,
          'unavailable',
          'the CRM is unavailable (injected outage)',
          [{ path: 'fault', message: 'injected outage' }],
          {},
          {
            'retry-after': '5',
          },
        ),
      ),
    rateLimited: (reply, retryAfterS) => {
      rateLimitedCount++;
      rateLimited.inc({ source: 'fault' });
      const s = Math.max(1, Math.ceil(retryAfterS));
      return sendApiError(
        reply,
        new ApiError(
          429,
          'rate_limited',
          `rate limited (injected 429 storm); retry after ${s} s`,
          [{ path: 'fault', message: 'injected rate limit' }],
          { limit: { source: 'fault', retry_after_s: s } },
          { 'retry-after': String(s) },
        ),
      );
    },
  };
  registerFaults(app, faults, responder, (urlPath) => isApi(urlPath));

  /** The native API's bearer token and plan limit (the HubSpot dialect brings its own). */
  function nativeAuth(req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    if (!req.url.startsWith('/api/')) return done();
    reply.header('x-request-id', req.id);
    if (!tokenMatches(tokenBytes, req.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer');
      const missing = req.headers.authorization === undefined;
      sendApiError(
        reply,
        new ApiError(401, 'unauthorized', missing ? 'missing bearer token' : 'invalid bearer token', [
          { path: 'Authorization', message: missing ? 'must be "Bearer <token>"' : 'the token is not valid' },
        ]),
      );
      return;
    }
    const hit = window.tryHit('token');
    const limit = limitNow();
    reply.header('x-ratelimit-limit', String(limit));
    reply.header('x-ratelimit-remaining', String(Math.max(0, limit - hit.count)));
    if (!hit.ok) {
      rateLimitedCount++;
      rateLimited.inc({ source: 'plan' });
      const s = Math.max(1, Math.ceil(hit.retryAfterMs / 1000));
      sendApiError(
        reply,
        new ApiError(
          429,
          'rate_limited',
          `plan rate limit exceeded: ${plan} plan allows ${limit} requests per minute; retry after ${s} s`,
          [
            { path: 'plan', message: plan },
            { path: 'limit_per_min', message: String(limit) },
          ],
          {
            limit: {
              source: 'plan',
              plan,
              limit_per_min: limit,
              window_s: RATE_WINDOW_MS / 1000,
              retry_after_s: s,
            },
          },
          { 'retry-after': String(s) },
        ),
      );
      return;
    }
    done();
  }

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? '(unmatched)';
    httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    if (isApi(req.url)) {
      apiRequestCount++;
      const data: Record<string, unknown> = {
        method: req.method,
        route,
        statusCode: reply.statusCode,
        latencyMs: clock.nowMs() - (req.crmStartMs ?? clock.nowMs()),
      };
      if (req.crmErrorCode !== undefined) data['errorCode'] = req.crmErrorCode;
      journal.append('api.request', data);
    }
    done();
  });

  app.setErrorHandler((err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ApiError) return sendApiError(reply, err);
    const status = err.statusCode ?? 500;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
      return sendApiError(
        reply,
        new ApiError(413, 'payload_too_large', `the body is larger than ${BODY_LIMIT_BYTES} bytes`, [
          { path: '(body)', message: `must be at most ${BODY_LIMIT_BYTES} bytes` },
        ]),
      );
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
      return sendApiError(
        reply,
        new ApiError(
          415,
          'unsupported_media_type',
          'the body must be JSON (Content-Type: application/json)',
          [{ path: 'Content-Type', message: 'must be application/json' }],
        ),
      );
    }
    if (status >= 400 && status < 500) {
      // Fastify's own parse errors: invalid JSON, empty JSON body, prototype poisoning, bad header.
      const message = (err.message || 'malformed request').replace(/^Body /, 'body ').slice(0, 300);
      return sendApiError(
        reply,
        new ApiError(
          status === 404 ? 404 : 400,
          status === 404 ? 'not_found' : 'validation_failed',
          message,
          [{ path: '(body)', message: 'must be valid JSON (an object)' }],
        ),
      );
    }
    return sendApiError(
      reply,
      new ApiError(500, 'internal_error', 'the CRM mock failed to handle this request', [
        { path: '(server)', message: (err.message || 'unexpected error').slice(0, 200) },
      ]),
    );
  });

  app.setNotFoundHandler((req, reply) =>
    sendApiError(
      reply,
      new ApiError(404, 'not_found', `no route ${req.method} ${pathOf(req.url).slice(0, 200)}`, [
        {
          path: '(route)',
          message: `see docs/crm-api.md for the routes under ${dialect.apiBase} and ${ADMIN}`,
        },
      ]),
    ),
  );

  dialect.register(app, ctx);
  registerAdminRoutes(app, ctx);

  const crm: CrmMockHandle = {
    journal,
    faults,
    clock,
    dispatcher,
    emitEvent: (input) => ctx.emitEvent(input),
    createContact(input) {
      const { id, created_at: _c, updated_at: _u, ...rest } = input;
      return service.createContact(rest, id);
    },
    contacts: () => store.contacts.all(),
    contact: (id) => store.contacts.get(id),
    conversations: () => store.conversations.all(),
    messages: () => store.messages.all(),
    handovers: () => store.handovers.all(),
    errorLogs: () => store.errorLogs.all(),
    events: () => store.events.all(),
    seedInfo: () => store.seedInfo.all(),
    messageByWaId: (wamid) => service.messageByWaId(wamid),
    setWebhookUrl: (url) => ctx.setWebhookUrl(url),
    setPlan: (p, limitPerMin) => ctx.setPlan(p, limitPerMin),
    reset: (o) => ctx.reset(o?.reseed ?? true),
    stats,
    close: closeAll,
  };
  app.decorate('crm', crm);
  app.addHook('onClose', (_app, done) => {
    closeAll();
    done();
  });
  return app;
}
