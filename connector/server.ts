import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type Clock, RealClock, sleep } from '../kernel/clock.js';
import { activeFaults } from '../kernel/connector-faults.js';
import type { ConnectorConfig } from './config.js';
import { CrmClient } from './crm-client.js';
import { type CrmGateway, NativeCrmGateway } from './crm-gateway.js';
import { Engine } from './engine.js';
import { HubSpotClient } from './hubspot/client.js';
import { HubSpotCrmGateway } from './hubspot/crm-gateway.js';
import { HubSpotGateway } from './hubspot/gateway.js';
import { checkHubSpotSignature } from './hubspot/signature.js';
import { type Logger, silentLogger } from './log.js';
import { parseCrmEvent } from './payloads.js';
import { checkSignature } from './signature.js';
import { WhatsAppClient } from './whatsapp-client.js';

/** Webhook bodies up to this size (Meta's payloads are at most 3 MB). */
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** The acknowledgement target (seed: the message URL must answer within 200 ms). */
export const ACK_TARGET_MS = 200;

/** How many recent acknowledgements the ack-time percentiles in `/stats` are computed over. */
const ACK_SAMPLE = 2048;

/** Percentile `q` (0..1) of `values` (nearest rank), 0 when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** What `buildConnector` takes besides the config (tests inject a clock, a logger, randomness). */
export interface ConnectorDeps {
  clock?: Clock;
  log?: Logger;
  random?: () => number;
}

/** Counters of the HTTP side. */
export interface WebhookCounters {
  whatsapp: number;
  crm: number;
  /** Calls on `/webhooks/hubspot`, and the events in them that were not CRM events to act on. */
  hubspot: number;
  hubspotIgnored: number;
  verifications: number;
  badSignature: number;
  badRequest: number;
  backPressure: number;
  acksOverTarget: number;
  ackMaxMs: number;
}

/** The running parts behind the routes, for `main.ts` and tests. */
export interface ConnectorRuntime {
  engine: Engine;
  crm: CrmClient;
  /** The HubSpot client, when the connector speaks HubSpot (`--crm-dialect hubspot`). */
  hubspot: HubSpotClient | undefined;
  gateway: CrmGateway;
  wa: WhatsAppClient;
  webhooks: WebhookCounters;
  /** The `/stats` document. */
  stats(): Record<string, unknown>;
  /** Set by `close()`: how many jobs were left undone when the drain timed out. */
  leftAtShutdown: number | undefined;
}

/** The connector's fastify app, with its runtime under `connector`. */
export type ConnectorApp = FastifyInstance & { readonly connector: ConnectorRuntime };

/**
 * Builds the connector (unstarted: call `listen`, or `inject` in tests). Workers start when the
 * app is ready; `close()` stops accepting, then drains the queue (bounded by `drainTimeoutMs`).
 */
export function buildConnector(config: ConnectorConfig, deps: ConnectorDeps = {}): ConnectorApp {
  const clock = deps.clock ?? new RealClock();
  const log = deps.log ?? silentLogger;
  const faults = config.faults;
  const crm = new CrmClient(
    {
      baseUrl: config.crmBaseUrl,
      token: config.crmToken,
      timeoutMs: config.requestTimeoutMs,
      ratePerMin: config.crmRatePerMin,
      ...(faults.slowCrmMs !== undefined ? { slowMs: faults.slowCrmMs } : {}),
      ...(faults.ignoreRetryAfter ? { ignoreRetryAfter: true } : {}),
    },
    clock,
  );
  const wa = new WhatsAppClient({
    baseUrl: config.waBaseUrl,
    apiVersion: config.waApiVersion,
    phoneNumberId: config.waPhoneNumberId,
    accessToken: config.waAccessToken,
    timeoutMs: config.requestTimeoutMs,
  });
  const hubspot =
    config.crmDialect === 'hubspot'
      ? new HubSpotClient(
          {
            baseUrl: config.crmBaseUrl,
            token: config.crmToken,
            timeoutMs: config.requestTimeoutMs,
            perTenSeconds: config.hubspotPerTenSeconds,
            perDay: config.hubspotPerDay,
            searchPerSecond: config.hubspotSearchPerSec,
            attempts: 2,
            ...(faults.slowCrmMs !== undefined ? { slowMs: faults.slowCrmMs } : {}),
            ...(faults.ignoreRetryAfter ? { ignoreRetryAfter: true } : {}),
          },
          clock,
        )
      : undefined;
  const gateway: CrmGateway = hubspot
    ? new HubSpotCrmGateway(
        new HubSpotGateway(hubspot, {
          pipeline: config.hubspotPipeline,
          stage: config.hubspotStage,
          ...(config.hubspotOwnerId ? { ownerId: config.hubspotOwnerId } : {}),
        }),
        clock,
      )
    : new NativeCrmGateway(crm);
  const engine = new Engine({
    config,
    clock,
    log,
    crm,
    gateway,
    wa,
    ...(deps.random ? { random: deps.random } : {}),
  });
  const webhooks: WebhookCounters = {
    whatsapp: 0,
    crm: 0,
    hubspot: 0,
    hubspotIgnored: 0,
    verifications: 0,
    badSignature: 0,
    badRequest: 0,
    backPressure: 0,
    acksOverTarget: 0,
    ackMaxMs: 0,
  };
  const startedMs = clock.nowMs();
  let closing = false;
  // The last ACK_SAMPLE acknowledgement times (ms, handler in → answer out), a ring buffer.
  const ackTimes: number[] = [];
  let ackNext = 0;

  const runtime: ConnectorRuntime = {
    engine,
    crm,
    hubspot,
    gateway,
    wa,
    webhooks,
    leftAtShutdown: undefined,
    stats() {
      const c = engine.counters;
      return {
        uptimeMs: Math.round(clock.nowMs() - startedMs),
        status: closing ? 'draining' : 'ok',
        queue: {
          ...engine.gauges(),
          waitingForCrmBudget: hubspot ? hubspot.burst.waiting : crm.limiter.waiting,
        },
        received: { ...c.received },
        processed: { ...c.processed },
        retried: c.retried,
        retriedByLevel: { ...c.retriedByLevel },
        errorLogged: c.errorLogged,
        errorLoggedByKind: { ...c.errorLoggedByKind },
        errorLogsRefused: c.errorLogsRefused,
        deduplicated: c.deduplicated,
        statusRegressionsSkipped: c.statusRegressionsSkipped,
        webhooks: {
          ...webhooks,
          ackMaxMs: Math.round(webhooks.ackMaxMs * 10) / 10,
          recentAckP50Ms: Math.round(percentile(ackTimes, 0.5) * 10) / 10,
          recentAckP99Ms: Math.round(percentile(ackTimes, 0.99) * 10) / 10,
        },
        crm: hubspot
          ? {
              dialect: 'hubspot',
              ...hubspot.counters,
              budgetPerTenSeconds: config.hubspotPerTenSeconds,
              budgetPerDay: config.hubspotPerDay,
              pauseRemainingMs: Math.round(hubspot.gate.remainingMs()),
            }
          : {
              dialect: 'native',
              ...crm.counters,
              budgetPerMin: config.crmRatePerMin,
              pauseRemainingMs: Math.round(crm.gate.remainingMs()),
            },
        whatsapp: { ...c.whatsapp },
        faults: { active: activeFaults(faults), hits: { ...c.faultHits } },
      };
    },
  };

  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, return503OnClosing: true });
  app.decorate('connector', runtime);

  // Keep every body as raw bytes: signatures are computed over exactly what was received.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onReady', async () => {
    // The dialect's own properties (HubSpot: tags, opt-out). A failure here is not fatal: the
    // gateway tries again before the first write that needs them.
    const prepared = await gateway.prepare();
    if (!prepared.ok) log.warn(`CRM preparation failed (retried later): ${prepared.failure.message}`);
    engine.start();
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onClose', async () => {
    runtime.leftAtShutdown = await engine.drain(config.drainTimeoutMs);
  });

  const ack = async (reply: FastifyReply, startedAtMs: number, status: number, body: unknown) => {
    if (faults.slowAckMs !== undefined) {
      engine.counters.faultHits['slow-ack'] = (engine.counters.faultHits['slow-ack'] ?? 0) + 1;
      await sleep(clock, faults.slowAckMs);
    }
    const tookMs = clock.nowMs() - startedAtMs;
    ackTimes[ackNext] = tookMs;
    ackNext = (ackNext + 1) % ACK_SAMPLE;
    if (tookMs > webhooks.ackMaxMs) webhooks.ackMaxMs = tookMs;
    if (tookMs > ACK_TARGET_MS) webhooks.acksOverTarget++;
    return reply.code(status).send(body);
  };

  /** Checks the signature; answers and returns false when it is missing or wrong. */
  const signed = (req: FastifyRequest, reply: FastifyReply, secret: string, header: string): boolean => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = checkSignature(secret, raw, req.headers[header]);
    if (check === 'ok') return true;
    if (faults.skipSignatureCheck) {
      engine.counters.faultHits['skip-signature-check'] =
        (engine.counters.faultHits['skip-signature-check'] ?? 0) + 1;
      return true;
    }
    webhooks.badSignature++;
    const status = check === 'missing' ? 401 : 403;
    reply.code(status).send({
      error: check === 'missing' ? `missing ${header} header` : `${header} does not match the body`,
    });
    return false;
  };

  const parseJson = (
    req: FastifyRequest,
    reply: FastifyReply,
  ): { ok: true; value: unknown } | { ok: false } => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      return { ok: true, value: JSON.parse(raw.toString('utf8')) };
    } catch {
      webhooks.badRequest++;
      reply.code(400).send({ error: 'the body is not JSON' });
      return { ok: false };
    }
  };

  app.get('/webhooks/whatsapp', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    webhooks.verifications++;
    const challenge = q['hub.challenge'];
    if (
      q['hub.mode'] === 'subscribe' &&
      q['hub.verify_token'] === config.waVerifyToken &&
      typeof challenge === 'string'
    ) {
      return reply.code(200).type('text/plain').send(challenge);
    }
    return reply.code(403).type('text/plain').send('verification failed');
  });

  app.post('/webhooks/whatsapp', async (req, reply) => {
    const startedAtMs = clock.nowMs();
    webhooks.whatsapp++;
    if (!signed(req, reply, config.waAppSecret, 'x-hub-signature-256')) return reply;
    const body = parseJson(req, reply);
    if (!body.ok) return reply;
    const result = engine.acceptWhatsApp(body.value);
    if (!result.accepted) {
      webhooks.backPressure++;
      reply.header('retry-after', '5');
      return ack(reply, startedAtMs, 503, { error: 'the connector is at its queue limit; retry later' });
    }
    return ack(reply, startedAtMs, 200, { received: true });
  });

  app.post('/webhooks/crm', async (req, reply) => {
    const startedAtMs = clock.nowMs();
    webhooks.crm++;
    if (!signed(req, reply, config.crmWebhookSecret, 'x-crm-signature')) return reply;
    const body = parseJson(req, reply);
    if (!body.ok) return reply;
    const parsed = parseCrmEvent(body.value);
    if (!parsed.ok) {
      webhooks.badRequest++;
      return reply.code(400).send({ error: parsed.reason });
    }
    const result = engine.acceptCrmEvent(parsed.event);
    if (!result.accepted) {
      webhooks.backPressure++;
      reply.header('retry-after', '5');
      return ack(reply, startedAtMs, 503, { error: 'the connector is at its queue limit; retry later' });
    }
    return ack(reply, startedAtMs, 200, { received: true, duplicate: result.duplicates > 0 });
  });

  app.post('/webhooks/hubspot', async (req, reply) => {
    const startedAtMs = clock.nowMs();
    webhooks.hubspot++;
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const base =
      config.publicUrl ?? `${req.protocol}://${req.headers.host ?? `${config.host}:${config.port}`}`;
    const check = checkHubSpotSignature(
      config.hubspotClientSecret,
      {
        method: req.method,
        uri: base + req.url,
        rawBody: raw,
        signature: req.headers['x-hubspot-signature-v3'],
        timestamp: req.headers['x-hubspot-request-timestamp'],
      },
      clock.epochMs(),
    );
    if (check !== 'ok') {
      if (faults.skipSignatureCheck) {
        engine.counters.faultHits['skip-signature-check'] =
          (engine.counters.faultHits['skip-signature-check'] ?? 0) + 1;
      } else {
        webhooks.badSignature++;
        const why =
          check === 'missing'
            ? 'missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp header'
            : check === 'stale'
              ? 'X-HubSpot-Request-Timestamp is more than 5 minutes old'
              : 'X-HubSpot-Signature-v3 does not match the request';
        return reply.code(check === 'mismatch' ? 403 : 401).send({ error: why });
      }
    }
    const body = parseJson(req, reply);
    if (!body.ok) return reply;
    // App subscriptions deliver arrays; a workflow's "send a webhook" delivers one object.
    const items = Array.isArray(body.value) ? body.value : [body.value];
    if (items.length > 100) {
      webhooks.badRequest++;
      return reply.code(400).send({ error: 'more than 100 events in one call' });
    }
    const events = [];
    for (const [i, item] of items.entries()) {
      const isEvent = typeof item === 'object' && item !== null && 'action' in item && 'contact' in item;
      if (!isEvent) {
        // contact.creation, propertyChange and the like: nothing for the connector to send.
        webhooks.hubspotIgnored++;
        continue;
      }
      const parsed = parseCrmEvent(item);
      if (!parsed.ok) {
        webhooks.badRequest++;
        return reply.code(400).send({ error: `event ${i}: ${parsed.reason}` });
      }
      events.push(parsed.event);
    }
    let duplicates = 0;
    for (const event of events) {
      const result = engine.acceptCrmEvent(event);
      if (result.accepted) {
        duplicates += result.duplicates;
        continue;
      }
      // HubSpot retries the whole call; the events already queued come back as duplicates.
      webhooks.backPressure++;
      reply.header('retry-after', '5');
      return ack(reply, startedAtMs, 503, { error: 'the connector is at its queue limit; retry later' });
    }
    return ack(reply, startedAtMs, 200, { received: events.length, duplicates });
  });

  app.get('/healthz', async (_req, reply) =>
    reply.code(closing ? 503 : 200).send({ status: closing ? 'draining' : 'ok' }),
  );
  app.get('/stats', async () => runtime.stats());

  return app as unknown as ConnectorApp;
}
