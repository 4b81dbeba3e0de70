import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach } from 'vitest';
import { verifySignature } from '../../kernel/signing.js';
import { buildWhatsAppMock, type WhatsAppMockOptions } from '../../mocks/whatsapp/index.js';

/** A parsed JSON response read loosely by assertions (shapes are what the tests check). */
// biome-ignore lint/suspicious/noExplicitAny: assertions navigate response JSON of many shapes.
export type LooseJson = any;

/**
 * What a test file opened (mocks, receivers) and must close: push onto the returned list; it is
 * closed newest first after each test (`when: 'all'`: once, after the file's last test).
 */
export function closesAfter(when: 'each' | 'all' = 'each'): Array<{ close(): Promise<unknown> }> {
  const open: Array<{ close(): Promise<unknown> }> = [];
  (when === 'each' ? afterEach : afterAll)(async () => {
    for (const c of open.splice(0).reverse()) await c.close();
  });
  return open;
}

/** Credentials and ids of the integration tests' mock. */
export const W = {
  token: 'it-access-token',
  secret: 'it-app-secret',
  verify: 'it-verify-token',
  phoneId: '106540352242922',
  display: '15550783881',
  waba: '419561257915477',
  user: '16505551234',
} as const;

/** One webhook POST as the receiver got it. */
export interface ReceivedWebhook {
  raw: Buffer;
  body: WebhookBody;
  signature: string | undefined;
  signatureOk: boolean;
  userAgent: string | undefined;
  atMs: number;
}

/** The parts of a WhatsApp webhook body the tests read. */
export interface WebhookBody {
  object: string;
  entry: Array<{
    id: string;
    time?: number;
    changes: Array<{
      field: string;
      value: Record<string, unknown> & { statuses?: StatusBody[]; messages?: Array<Record<string, unknown>> };
    }>;
  }>;
}

/** A status object as received. */
export interface StatusBody {
  id: string;
  status: string;
  timestamp: string;
  recipient_id: string;
  biz_opaque_callback_data?: string;
  pricing?: Record<string, unknown>;
  conversation?: Record<string, unknown>;
  errors?: Array<{
    code: number;
    title: string;
    message: string;
    error_data: { details: string };
    href: string;
  }>;
}

/** What the receiver does with the next POST. */
export type ReceiverBehaviour = 'ok' | 'fail' | 'reset' | 'hang';

/**
 * A connector-like webhook receiver on 127.0.0.1: answers Meta's verification GET (checking the
 * verify token), records every POST with its raw bytes and whether the signature checks out with
 * the app secret, and answers as `behaviour()` says.
 */
export async function startReceiver(opts: { secret?: string; verifyToken?: string; echo?: boolean } = {}) {
  const received: ReceivedWebhook[] = [];
  const verifications: Array<Record<string, string>> = [];
  let behaviour: () => ReceiverBehaviour = () => 'ok';
  const waiters: Array<{ pred: () => boolean; resolve: () => void }> = [];
  const hung = new Set<http.ServerResponse>();
  const check = (): void => {
    for (const w of [...waiters]) {
      if (w.pred()) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      const q = Object.fromEntries(url.searchParams.entries());
      verifications.push(q);
      if (q['hub.mode'] === 'subscribe' && q['hub.verify_token'] === (opts.verifyToken ?? W.verify)) {
        res
          .writeHead(200, { 'content-type': 'text/plain' })
          .end(opts.echo === false ? 'ok' : q['hub.challenge']);
      } else {
        res.writeHead(403).end('forbidden');
      }
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const signature = req.headers['x-hub-signature-256'] as string | undefined;
      const b = behaviour();
      if (b === 'reset') {
        req.socket.destroy();
        return;
      }
      if (b === 'hang') {
        hung.add(res);
        return;
      }
      if (b === 'fail') {
        res.writeHead(500).end('nope');
        return;
      }
      received.push({
        raw,
        body: JSON.parse(raw.toString('utf8')) as WebhookBody,
        signature,
        signatureOk: verifySignature(opts.secret ?? W.secret, raw, signature),
        userAgent: req.headers['user-agent'],
        atMs: performance.now(),
      });
      res.writeHead(200).end('EVENT_RECEIVED');
      check();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/webhooks/whatsapp`,
    received,
    verifications,
    setBehaviour(fn: () => ReceiverBehaviour) {
      behaviour = fn;
    },
    /** Statuses received so far, flattened in arrival order. */
    statuses(): StatusBody[] {
      return received.flatMap((r) =>
        r.body.entry.flatMap((e) => e.changes.flatMap((c) => c.value.statuses ?? [])),
      );
    },
    /** Resolves when `pred` holds (checked on each delivery), or rejects after `timeoutMs`. */
    waitFor(pred: () => boolean, timeoutMs = 10_000, what = 'webhooks'): Promise<void> {
      if (pred()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`timed out waiting for ${what}; got ${received.length} POSTs`)),
          timeoutMs,
        );
        waiters.push({
          pred,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      });
    },
    async close() {
      for (const r of hung) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A receiver as returned by {@link startReceiver}. */
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Starts the mock on 127.0.0.1:0 with short fixed status delays; returns it with its base URL. */
export async function startMock(
  over: Partial<WhatsAppMockOptions> = {},
): Promise<{ app: FastifyInstance; base: string }> {
  const app = buildWhatsAppMock({
    seed: 3,
    accessToken: W.token,
    appSecret: W.secret,
    verifyToken: W.verify,
    phoneNumberId: W.phoneId,
    displayPhoneNumber: W.display,
    wabaId: W.waba,
    throughputPerSec: 1000,
    pairRate: { perSec: 100, burst: 100 },
    statusTiming: {
      sent: { kind: 'fixed', ms: 10 },
      delivered: { kind: 'fixed', ms: 20 },
      read: { kind: 'fixed', ms: 30 },
      readProbability: 1,
      failureRate: 0,
    },
    webhook: { timeoutMs: 2000, retry: { initialDelayMs: 50, factor: 2, maxDelayMs: 400 } },
    ...over,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { app, base: `http://127.0.0.1:${port}` };
}

/** POSTs JSON to the send endpoint with an ordinary HTTP client (fetch). */
export async function sendMessage(
  base: string,
  body: unknown,
  opts: { token?: string; version?: string; phoneId?: string } = {},
): Promise<{ status: number; headers: Headers; json: Record<string, LooseJson> }> {
  const res = await fetch(`${base}/${opts.version ?? 'v23.0'}/${opts.phoneId ?? W.phoneId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token ?? W.token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, LooseJson> };
}

/** A Graph call with the bearer token: JSON body (if any), JSON answer. */
export async function graphCall(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; json: Record<string, LooseJson> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${W.token}` };
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, LooseJson> };
}

/** JSON request to the admin API. */
export async function admin(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: LooseJson }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, json: await res.json() };
}

/** The order_confirmation template send (NAMED, currency, phone_number) to `to`. */
export function orderConfirmation(to: string = W.user, biz = 'flow-1'): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    to,
    type: 'template',
    biz_opaque_callback_data: biz,
    template: {
      name: 'order_confirmation',
      language: { code: 'en_US' },
      components: [
        { type: 'header', parameters: [{ type: 'text', parameter_name: 'order_id', text: 'A-1' }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', parameter_name: 'customer_name', text: 'Ana' },
            { type: 'text', parameter_name: 'order_id', text: 'A-1' },
            {
              type: 'currency',
              parameter_name: 'amount',
              currency: { fallback_value: '$9.99', code: 'USD', amount_1000: 9990 },
            },
            { type: 'text', parameter_name: 'phone_number', text: '+16505551234' },
          ],
        },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'A-1' }] },
      ],
    },
  };
}

/** A free-form text to `to`. */
export function textMessage(to: string = W.user, body = 'hello'): Record<string, unknown> {
  return { messaging_product: 'whatsapp', to, type: 'text', text: { body } };
}
