import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../kernel/clock.js';
import { buildCrmMock, type CrmMockHandle, type CrmMockOptions } from '../../mocks/crm/index.js';
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
  /** Result of the webhook verification handshake against the connector. */
  handshake: { ok: boolean; statusCode?: number; error?: string };
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

/** The error code in a mock's error body (Graph `{error:{code}}`, CRM `{error:{code}}` or `{code}`). */
function errorCodeOf(payload: unknown): string {
  if (typeof payload !== 'string') return '?';
  const m = /"code"\s*:\s*"?([A-Za-z0-9_]+)"?/.exec(payload.slice(0, 2000));
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
  const whatsappApp = buildWhatsAppMock({
    ...opts.whatsapp,
    clock: opts.clock,
    seed: opts.seed,
    accessToken: credentials.accessToken,
    appSecret: credentials.appSecret,
    verifyToken: credentials.verifyToken,
    phoneNumberId: credentials.phoneNumberId,
    displayPhoneNumber: credentials.displayPhoneNumber,
    wabaId: credentials.wabaId,
  });
  const crmApp = buildCrmMock({
    ...opts.crm,
    clock: opts.clock,
    seed: opts.seed,
    token: credentials.crmToken,
    webhookSecret: credentials.crmWebhookSecret,
  });
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
    if (opts.connector.kind === 'reference') {
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
        '--crm-base-url',
        `${crmUrl}/api/v1`,
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
      crmHook = `${connectorUrl}/webhooks/crm`;
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
      credentials,
      handshake,
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
