import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../kernel/clock.js';
import { buildCrmMock, type CrmMockHandle, type CrmMockOptions } from '../../mocks/crm/index.js';
import { WebhookSenderPool } from '../../mocks/shared/worker-transport.js';
import {
  buildWhatsAppMock,
  DEFAULT_BUSINESS_IDS,
  type WhatsAppMockHandle,
  type WhatsAppMockOptions,
} from '../../mocks/whatsapp/index.js';
import { WacrmError } from '../errors.js';
import { type ConnectorProcess, spawnConnector } from './connector-process.js';

/** How to reach the connector under test. */
export type ConnectorTarget =
  | { kind: 'reference'; faults: string[]; args: string[] }
  | { kind: 'external'; url: string; whatsappWebhookPath: string; crmWebhookPath: string };

/** Options of {@link startStack}. */
export interface StackOptions {
  clock: Clock;
  seed: number;
  host?: string;
  /** Fixed ports for the mocks (a vendor's connector is configured with them); 0 = any free port. */
  whatsappPort?: number;
  crmPort?: number;
  whatsapp?: Partial<WhatsAppMockOptions>;
  crm?: Partial<CrmMockOptions>;
  connector: ConnectorTarget;
  /** Fixed credentials (an external connector is configured with them); the rest are generated. */
  credentials?: Partial<StackCredentials>;
  /**
   * Event loops the harness runs on (`--workers`): 1 = everything on this thread (the default);
   * N > 1 = the mocks' outgoing webhooks (WhatsApp's, the CRM's events) leave from N − 1 sender
   * threads of their own.
   */
  workers?: number;
}

/** The credentials wiring mocks and connector together; never written to reports or logs. */
export interface StackCredentials {
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  crmToken: string;
  crmWebhookSecret: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  wabaId: string;
}

/** Mocks + connector, running and wired together. */
export interface Stack {
  whatsapp: WhatsAppMockHandle;
  crm: CrmMockHandle;
  whatsappApp: FastifyInstance;
  crmApp: FastifyInstance;
  whatsappUrl: string;
  crmUrl: string;
  connectorUrl: string;
  connector?: ConnectorProcess;
  credentials: StackCredentials;
  /** The CRM API the CRM mock speaks (and the reference connector was told to speak). */
  crmDialect: 'native' | 'hubspot';
  /** The base URL a connector is configured with: `…/api/v1` (native), the bare origin (HubSpot's SDK basePath). */
  crmApiUrl: string;
  /** Where the connector receives CRM events. */
  crmWebhookUrl: string;
  /** Result of the webhook verification handshake against the connector. */
  handshake: { ok: boolean; statusCode?: number; error?: string };
  /** Event loops the harness runs on: this thread plus the webhook sender threads. */
  workers: number;
  /** The connector's calls to each mock so far (reset by {@link Stack.resetCalls}). */
  calls(): { whatsapp: CallTally; crm: CallTally };
  /** Forgets the tallies (after preflight, so it does not count in the report). */
  resetCalls(): void;
  close(): Promise<void>;
}

/**
 * The mocks' documented default credentials (`wacrm mock whatsapp|crm`, docs/testing-your-connector.md):
 * an external connector is configured with them once and keeps them across runs.
 */
export const MOCK_DEFAULT_CREDENTIALS: StackCredentials = {
  accessToken: 'wacrm-mock-access-token',
  appSecret: 'wacrm-mock-app-secret',
  verifyToken: 'wacrm-mock-verify-token',
  crmToken: 'wacrm-crm-token',
  crmWebhookSecret: 'wacrm-crm-secret',
  ...DEFAULT_BUSINESS_IDS,
};

/** Most event loops `--workers` accepts (sender threads past a few only add context switches). */
export const MAX_WORKERS = 16;

/**
 * The machine's default `--workers`: one event loop per core, at most 4 (past three sender threads
 * the webhooks are no longer what holds the main loop back).
 */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** The mocks' documented default ports an external connector points at. */
export const MOCK_DEFAULT_PORTS = { whatsapp: 4010, crm: 4020 } as const;

/** What the connector's calls to one mock came to: authorised answers, and refusals by error code. */
export interface CallTally {
  /** Calls the mock answered below 400 (the token was accepted). */
  ok: number;
  /** Refused calls by `HTTP status + error code`, e.g. `401 190` or `429 RATE_LIMITED`. */
  refused: Record<string, number>;
  /** The first few paths that matched no route (a wrong base URL or API version). */
  unknownPaths: string[];
}

function newTally(): CallTally {
  return { ok: 0, refused: {}, unknownPaths: [] };
}

/** The error code in a mock's error body (Graph `{error:{code}}`, CRM `{error:{code}}` or `{code}`, HubSpot `{category}`). */
function errorCodeOf(payload: unknown): string {
  if (typeof payload !== 'string') return '?';
  const head = payload.slice(0, 2000);
  const m = /"code"\s*:\s*"?([A-Za-z0-9_]+)"?/.exec(head) ?? /"category"\s*:\s*"([A-Za-z0-9_]+)"/.exec(head);
  return m?.[1] ?? '?';
}

/** Counts the connector's calls to a mock (never the harness's admin calls) before it listens. */
function tallyCalls(app: FastifyInstance, tally: () => CallTally): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const url = req.url;
    if (url.startsWith('/_mock') || url.startsWith('/metrics')) return payload;
    const t = tally();
    if (reply.statusCode < 400) t.ok++;
    else {
      const key = `${reply.statusCode} ${errorCodeOf(payload)}`;
      t.refused[key] = (t.refused[key] ?? 0) + 1;
      // No route matched: the connector's base URL or API version is wrong (each mock answers that
      // in its own error shape, so the route, not the status, tells it).
      const unmatched = req.routeOptions.url === undefined || reply.statusCode === 404;
      if (unmatched && t.unknownPaths.length < 5) t.unknownPaths.push(url.split('?')[0] ?? url);
    }
    return payload;
  });
}

function secret(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function baseUrl(app: FastifyInstance): string {
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('mock is not listening on a TCP port');
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}

async function listen(app: FastifyInstance, host: string, port: number, what: string): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new WacrmError(
        'WACRM_PORT_IN_USE',
        `port ${port} for the ${what} is already in use`,
        'pick another port',
      );
    }
    throw err;
  }
}

/**
 * Starts the WhatsApp mock and the CRM mock in this process (stamping their journals on `clock`,
 * the harness clock) and the reference connector as a child process — or points the mocks at an
 * external connector — and wires them together with fresh credentials.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const host = opts.host ?? '127.0.0.1';
  // An external connector is configured once, with the documented defaults; the reference one gets
  // fresh secrets per run (nothing can come to depend on them).
  const base: StackCredentials =
    opts.connector.kind === 'external'
      ? MOCK_DEFAULT_CREDENTIALS
      : {
          accessToken: `EAAG${secret(24)}`,
          appSecret: secret(16),
          verifyToken: secret(8),
          crmToken: `crm_${secret(16)}`,
          crmWebhookSecret: secret(16),
          ...DEFAULT_BUSINESS_IDS,
        };
  const credentials: StackCredentials = {
    ...base,
    ...opts.credentials,
  };
  const workers = opts.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`workers must be an integer ≥ 1, got ${String(opts.workers)}`);
  }
  // One pool for both mocks: its threads are the harness's extra event loops, whichever mock sends.
  const senders = workers > 1 ? new WebhookSenderPool({ threads: workers - 1 }) : undefined;
  let whatsappApp: FastifyInstance;
  let crmApp: FastifyInstance;
  try {
    whatsappApp = buildWhatsAppMock({
      ...opts.whatsapp,
      ...(senders ? { webhook: { ...opts.whatsapp?.webhook, transport: senders.transport() } } : {}),
      clock: opts.clock,
      seed: opts.seed,
      accessToken: credentials.accessToken,
      appSecret: credentials.appSecret,
      verifyToken: credentials.verifyToken,
      phoneNumberId: credentials.phoneNumberId,
      displayPhoneNumber: credentials.displayPhoneNumber,
      wabaId: credentials.wabaId,
    });
    crmApp = buildCrmMock({
      ...opts.crm,
      ...(senders ? { eventDelivery: { ...opts.crm?.eventDelivery, transport: senders.transport() } } : {}),
      clock: opts.clock,
      seed: opts.seed,
      token: credentials.crmToken,
      webhookSecret: credentials.crmWebhookSecret,
    });
  } catch (err) {
    await senders?.close();
    throw err;
  }
  let tallies = { whatsapp: newTally(), crm: newTally() };
  tallyCalls(whatsappApp, () => tallies.whatsapp);
  tallyCalls(crmApp, () => tallies.crm);
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // Closing is best effort: one failure must not keep the others open.
      }
    }
  };
  // Closed last (closers run in reverse): the mocks' dispatchers stop sending first.
  if (senders) closers.push(() => senders.close());
  try {
    await listen(whatsappApp, host, opts.whatsappPort ?? 0, 'WhatsApp mock');
    closers.push(() => whatsappApp.close());
    await listen(crmApp, host, opts.crmPort ?? 0, 'CRM mock');
    closers.push(() => crmApp.close());
    const whatsappUrl = baseUrl(whatsappApp);
    const crmUrl = baseUrl(crmApp);
    const whatsapp = (whatsappApp as unknown as { whatsapp: WhatsAppMockHandle }).whatsapp;
    const crm = (crmApp as unknown as { crm: CrmMockHandle }).crm;

    let connectorUrl: string;
    let connector: ConnectorProcess | undefined;
    let waHook: string;
    let crmHook: string;
    const hubspot = opts.crm?.dialect === 'hubspot';
    if (opts.connector.kind === 'reference') {
      // HubSpot's SDKs take the base URL without a path; the app's client secret signs its webhooks.
      const crmArgs = hubspot
        ? [
            '--crm-dialect',
            'hubspot',
            '--crm-base-url',
            crmUrl,
            '--hubspot-client-secret',
            credentials.crmWebhookSecret,
          ]
        : ['--crm-base-url', `${crmUrl}/api/v1`];
      connector = await spawnConnector([
        '--host',
        host,
        '--port',
        '0',
        '--wa-base-url',
        whatsappUrl,
        '--wa-phone-number-id',
        credentials.phoneNumberId,
        '--wa-access-token',
        credentials.accessToken,
        '--wa-app-secret',
        credentials.appSecret,
        '--wa-verify-token',
        credentials.verifyToken,
        ...crmArgs,
        '--crm-token',
        credentials.crmToken,
        '--crm-webhook-secret',
        credentials.crmWebhookSecret,
        ...opts.connector.faults.flatMap((f) => ['--fault', f]),
        ...opts.connector.args,
      ]);
      const proc = connector;
      closers.push(() => proc.stop());
      connectorUrl = connector.url;
      waHook = `${connectorUrl}/webhooks/whatsapp`;
      crmHook = `${connectorUrl}/webhooks/${hubspot ? 'hubspot' : 'crm'}`;
    } else {
      connectorUrl = opts.connector.url.replace(/\/$/, '');
      waHook = connectorUrl + opts.connector.whatsappWebhookPath;
      crmHook = connectorUrl + opts.connector.crmWebhookPath;
    }
    whatsapp.setWebhookUrl(waHook);
    crm.setWebhookUrl(crmHook);
    const verified = await whatsapp.verifyWebhook();
    const handshake: Stack['handshake'] = { ok: verified.ok };
    if (verified.statusCode !== undefined) handshake.statusCode = verified.statusCode;
    if (verified.error !== undefined) handshake.error = verified.error;
    if (!verified.ok && verified.statusCode === undefined) {
      throw new WacrmError(
        'WACRM_CONNECTOR_UNREACHABLE',
        `the connector did not answer the webhook verification at ${waHook}: ${verified.error ?? 'no answer'}`,
        'check --connector-url and the webhook paths',
      );
    }
    const stack: Stack = {
      whatsapp,
      crm,
      whatsappApp,
      crmApp,
      whatsappUrl,
      crmUrl,
      connectorUrl,
      crmDialect: hubspot ? 'hubspot' : 'native',
      crmApiUrl: hubspot ? crmUrl : `${crmUrl}/api/v1`,
      crmWebhookUrl: crmHook,
      credentials,
      handshake,
      workers,
      calls: () => tallies,
      resetCalls: () => {
        tallies = { whatsapp: newTally(), crm: newTally() };
      },
      close,
    };
    if (connector) stack.connector = connector;
    return stack;
  } catch (err) {
    await close();
    throw err;
  }
}
