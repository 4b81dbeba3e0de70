import { parse as parseQueryString } from 'node:querystring';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Clock } from '../../kernel/clock.js';
import type { WebhookDispatcher } from '../shared/dispatcher.js';
import { type FaultController, type FaultResponder, registerFaults } from '../shared/faults.js';
import type { Journal } from '../shared/journal.js';
import { AdminError, registerAdminRoutes } from './admin.js';
import { resolveConfig, type VerifyResult, WhatsAppCore } from './core.js';
import { GraphError, graphErrorResponse } from './errors.js';
import { registerGraphRoutes } from './graph.js';
import { InboundError } from './inbound.js';
import { MEDIA_DOWNLOAD_PATH, registerMediaRoutes } from './media.js';
import type { InboundInput, WhatsAppMockOptions } from './options.js';
import type { RenderedTemplate } from './render.js';
import { registerSetupRoutes, unmatchedGraphPath } from './setup.js';
import type { TemplateRecord } from './templates.js';
import { VersionRouter } from './versions.js';

/** What the harness, the conformance kit and tests reach through `app.whatsapp`. */
export interface WhatsAppMockHandle {
  journal: Journal;
  faults: FaultController;
  clock: Clock;
  /** The current webhook dispatcher (`reset()` replaces it, dropping pending webhooks). */
  dispatcher: WebhookDispatcher;
  /** Same as `POST /_mock/inbound`. Throws InboundError on a bad message. */
  sendInbound(msg: InboundInput): { wamid: string };
  /** The hub.challenge handshake against the webhook URL. */
  verifyWebhook(): Promise<VerifyResult>;
  setWebhookUrl(url: string | undefined): void;
  renderedText(wamid: string): RenderedTemplate | undefined;
  templates(): TemplateRecord[];
  /** Forgets messages, windows, limits, journal and pending webhooks; keeps config, faults and seeded templates. */
  reset(): void;
  stats(): Record<string, number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The WhatsApp mock's handle (see WhatsAppMockHandle). */
    whatsapp: WhatsAppMockHandle;
  }
}

const STATIC_GRAPH_HEADERS = {
  'x-fb-rev': '1026411702',
  'strict-transport-security': 'max-age=15552000; preload',
  'cache-control': 'private, no-cache, no-store, must-revalidate',
  pragma: 'no-cache',
  expires: 'Sat, 01 Jan 2000 00:00:00 GMT',
  'access-control-allow-origin': '*',
};
const VERSION_PREFIX = /^\/(v\d{1,3}\.\d{1,3})(?:\/|$)/;

/** The last version seen in a path, and its `/v…/` prefix: calls come in long runs of one version. */
let lastVersion = { prefix: '\u0000', version: '' };

/** The Graph version a path starts with (`v23.0`), or undefined. */
function versionOf(path: string): string | undefined {
  if (path.startsWith(lastVersion.prefix)) return lastVersion.version;
  const version = VERSION_PREFIX.exec(path)?.[1];
  if (version !== undefined) lastVersion = { prefix: `/${version}/`, version };
  return version;
}

/** The first segment of a path (`v23.0` of `/v23.0/123/messages`), '' for `/`. */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end < 0 ? path.slice(1) : path.slice(1, end);
}

function urlPath(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

const routeLabels = new Map<string, string>();

/** '/:version/:nodeId/messages' → '/{version}/{nodeId}/messages' (journal and metrics labels), memoised. */
function routeLabel(url: string | undefined): string {
  if (url === undefined) return 'unmatched';
  let label = routeLabels.get(url);
  if (label === undefined) {
    label = url.replace(/:(\w+)/g, '{$1}');
    routeLabels.set(url, label);
  }
  return label;
}

function isAdminPath(path: string): boolean {
  return path === '/metrics' || path === '/_mock' || path.startsWith('/_mock/');
}

/** Reads the access token from `Authorization: Bearer …` or `?access_token=`. */
function tokenOf(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^\s*(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : auth.trim() === '' ? undefined : '';
  }
  const q = request.query as Record<string, unknown> | undefined;
  const t = q?.['access_token'];
  return typeof t === 'string' ? t : undefined;
}

/** Graph's answer to a framework-level failure (bad JSON, too large, unexpected). */
function toGraphError(err: unknown, bodyLimitBytes: number): GraphError {
  if (err instanceof GraphError) return err;
  const fe = err as Partial<FastifyError> & { statusCode?: number };
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GraphError(100, { details: `The request body is larger than ${bodyLimitBytes} bytes.` });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GraphError(100, {
        message: '(#100) The parameter messaging_product is required.',
        details: 'The request body is empty.',
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GraphError(100, { details: 'Unsupported Content-Type: send application/json.' });
    default:
      break;
  }
  if (err instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new GraphError(100, { details: 'The request body is not valid JSON.' });
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new GraphError(100, { details: String(fe.message ?? 'Invalid request.').slice(0, 200) });
  }
  return new GraphError(1, {
    message: 'An unknown error occurred',
    details: 'An unexpected error has occurred. Please retry your request later.',
  });
}

/**
 * Builds the mock of Meta's WhatsApp Cloud API as an unstarted fastify instance (it never
 * listens by itself). Graph paths: `POST /{version}/{phone-number-id}/messages`,
 * `GET|POST|DELETE /{version}/{waba-id}/message_templates`, `GET /{version}/{node-id}`; admin API
 * under `/_mock/`; Prometheus `/metrics`. The instance is decorated with `app.whatsapp`.
 */
export function buildWhatsAppMock(opts: WhatsAppMockOptions): FastifyInstance {
  const cfg = resolveConfig(opts);
  const core = new WhatsAppCore(cfg);
  const versions = new VersionRouter(cfg.versions, cfg.apiVersion);
  const app = Fastify({
    logger: false,
    // Graph serves calls without a version at the default one and expired versions at the oldest:
    // routing sees the version a call is served at (see versions.ts).
    rewriteUrl: (req) => {
      const url = req.url ?? '/';
      return isAdminPath(urlPath(url)) || url.startsWith(MEDIA_DOWNLOAD_PATH) ? url : versions.rewrite(url);
    },
    bodyLimit: cfg.bodyLimitBytes,
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    // A URL the router cannot even decode ('/%') never reaches the hooks: answer it here, Graph-style.
    frameworkErrors: (err, request, rawReply) => {
      const reply = rawReply as unknown as FastifyReply;
      const path = urlPath(request.url);
      if (isAdminPath(path)) {
        return reply
          .code(400)
          .send({ error: { code: 'bad_request', message: String(err.message).slice(0, 200) } });
      }
      const { statusCode, body } = graphErrorResponse(
        new GraphError(2500, {
          message: 'Unknown path components: the URL could not be decoded',
          noErrorData: true,
        }),
        cfg.errorProfile,
        core.traceId(),
      );
      return reply
        .code(statusCode)
        .headers({
          'facebook-api-version': cfg.apiVersion,
          'x-fb-trace-id': body.error.fbtrace_id,
          ...STATIC_GRAPH_HEADERS,
        })
        .send(body);
    },
  });

  app.decorateRequest('wa', null);
  // One entry per Graph call: packed, so a busy run keeps no data object per request.
  core.journal.definePacked('graph.request', (route, method, statusCode, latencyMs, errorCode) => {
    const data: Record<string, unknown> = { method, route, statusCode, latencyMs };
    if (!Number.isNaN(errorCode)) data['errorCode'] = errorCode;
    return data;
  });

  // Graph accepts form-encoded bodies whose nested values are JSON text; other types carry no params.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(parseQueryString(body as string))) {
      const s = Array.isArray(v) ? v[0] : v;
      if (typeof s === 'string' && /^\s*[{[]/.test(s)) {
        try {
          out[k] = JSON.parse(s);
          continue;
        } catch {
          // Left as text: the validator names the parameter.
        }
      }
      out[k] = s;
    }
    done(null, out);
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, _body, done) => done(null, undefined));

  // JSON: fastify's parser scans every body with two regular expressions for prototype poisoning.
  // A body that cannot hold `__proto__` or `constructor` as a key (neither word, nor any \u escape
  // that could spell one) is plain JSON.parse; anything else, and anything JSON.parse refuses, goes
  // to fastify's own parser, so errors and the poisoning checks are exactly fastify's.
  const strictJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (
      text.length > 0 &&
      !text.includes('__proto__') &&
      !text.includes('constructor') &&
      !text.includes('\\u')
    ) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return strictJson(req, text, done);
      }
      return done(null, value);
    }
    return strictJson(req, text, done);
  });

  // 1. Graph response headers (also on errors and injected faults), and per-request state.
  app.addHook('onRequest', (request, reply, done) => {
    const path = urlPath(request.url);
    if (isAdminPath(path)) return done();
    const isSend = request.method === 'POST' && path.endsWith('/messages');
    request.wa = { isSend, note: {} };
    // Every Graph header in one literal, in one call.
    reply.headers({
      'facebook-api-version': versionOf(path) ?? cfg.apiVersion,
      'x-fb-trace-id': core.traceId(),
      'x-fb-request-id': core.traceId(),
      'x-business-use-case-usage': core.usageHeader(isSend),
      'x-fb-rev': STATIC_GRAPH_HEADERS['x-fb-rev'],
      'strict-transport-security': STATIC_GRAPH_HEADERS['strict-transport-security'],
      'cache-control': STATIC_GRAPH_HEADERS['cache-control'],
      pragma: STATIC_GRAPH_HEADERS.pragma,
      expires: STATIC_GRAPH_HEADERS.expires,
      'access-control-allow-origin': STATIC_GRAPH_HEADERS['access-control-allow-origin'],
    });
    // Media downloads live on their own unversioned path, as Meta's lookaside URLs do.
    const version = path.startsWith(MEDIA_DOWNLOAD_PATH) ? '' : firstSegment(path);
    const bad = version === '' ? undefined : versions.versionError(version);
    if (bad) {
      reply.header('facebook-api-version', cfg.apiVersion);
      return done(bad);
    }
    done();
  });

  // 2. Injected faults (outages, errors, 429 storms, latency) on Graph paths only.
  const responder: FaultResponder = {
    error: (reply, code) => {
      const n = typeof code === 'number' ? code : Number(code);
      return sendGraphError(reply.request, reply, new GraphError(Number.isInteger(n) ? n : 1));
    },
    unavailable: (reply) => sendGraphError(reply.request, reply, new GraphError(131016)),
    rateLimited: (reply, retryAfterS) => {
      const isSend = reply.request.wa?.isSend ?? false;
      const err = new GraphError(isSend ? 130429 : 80007, {
        headers: {
          'retry-after': String(retryAfterS),
          'x-business-use-case-usage': core.throttledUsageHeader(retryAfterS * 1000),
        },
      });
      // A 429 storm is a 429 whatever the profile says about the code.
      return sendGraphError(reply.request, reply, err, 429);
    },
  };
  registerFaults(app, core.faults, responder, (path) => !isAdminPath(path));

  // 3. Bearer token on every Graph path (190 / 401).
  app.addHook('onRequest', (request, _reply, done) => {
    if (!request.wa) return done();
    const token = tokenOf(request);
    if (token === cfg.accessToken) return done();
    done(
      new GraphError(190, {
        message:
          token === undefined
            ? 'An access token is required to request this resource.'
            : 'Invalid OAuth access token - Cannot parse access token',
        noErrorData: true,
      }),
    );
  });

  function sendGraphError(
    request: FastifyRequest,
    reply: FastifyReply,
    err: GraphError,
    statusOverride?: number,
  ): FastifyReply {
    const traceId = String(reply.getHeader('x-fb-trace-id') ?? core.traceId());
    const { statusCode, body } = graphErrorResponse(err, cfg.errorProfile, traceId);
    if (request.wa) request.wa.errorCode = err.code;
    if (err.code === 190) {
      reply.header('www-authenticate', `OAuth "Facebook Platform" "invalid_token" "${body.error.message}"`);
    }
    for (const [k, v] of Object.entries(err.opts.headers ?? {})) reply.header(k, v);
    return reply
      .code(statusOverride ?? statusCode)
      .type('application/json; charset=UTF-8')
      .send(body);
  }

  app.setErrorHandler((err, request, reply) => {
    if (request.wa) return sendGraphError(request, reply, toGraphError(err, cfg.bodyLimitBytes));
    if (err instanceof AdminError) {
      return reply
        .code(err.statusCode)
        .send({ error: { code: err.code, message: err.message, path: err.path } });
    }
    if (err instanceof InboundError) {
      return reply
        .code(400)
        .send({ error: { code: 'invalid_inbound', message: err.message, path: err.path } });
    }
    const fe = err as Partial<FastifyError>;
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply
        .code(fe.statusCode)
        .send({ error: { code: 'bad_request', message: String(fe.message ?? '') } });
    }
    return reply.code(500).send({ error: { code: 'internal', message: 'unexpected error in the mock' } });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = urlPath(request.url);
    if (!request.wa) {
      return reply.code(404).send({
        error: { code: 'not_found', message: `no admin route ${request.method} ${path.slice(0, 200)}` },
      });
    }
    return sendGraphError(request, reply, unmatchedGraphPath(core, request.method, path));
  });

  // Journal and metrics for every Graph call; a failed send also becomes `message.rejected`.
  app.addHook('onResponse', (request, reply, done) => {
    const wa = request.wa;
    if (wa) {
      const route = routeLabel(request.routeOptions.url);
      const statusCode = reply.statusCode;
      core.countRequest(route, statusCode, wa.errorCode);
      core.journal.appendPacked(
        'graph.request',
        route,
        request.method,
        statusCode,
        Math.round(reply.elapsedTime * 1000) / 1000,
        wa.errorCode ?? Number.NaN,
      );
      if (wa.isSend && statusCode >= 400) core.noteRejected(wa.note, wa.errorCode ?? 0, statusCode);
    }
    done();
  });

  registerGraphRoutes(app, core);
  registerSetupRoutes(app, core);
  registerMediaRoutes(app, core);
  registerAdminRoutes(app, core);

  app.addHook('onClose', async () => {
    await core.close();
  });

  const handle: WhatsAppMockHandle = {
    journal: core.journal,
    faults: core.faults,
    clock: core.clock,
    get dispatcher() {
      return core.dispatcher;
    },
    sendInbound: (msg) => core.sendInbound(msg),
    verifyWebhook: () => core.verifyWebhook(),
    setWebhookUrl: (url) => core.setWebhookUrl(url),
    renderedText: (wamid) => core.renderedText(wamid),
    templates: () =>
      core.templates.all().map(({ compiled: _c, seq: _s, ...rec }) => structuredClone(rec) as TemplateRecord),
    reset: () => core.reset(),
    stats: () => core.stats(),
  };
  app.decorate('whatsapp', handle);
  return app;
}
