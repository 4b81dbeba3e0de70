/**
 * Small local stand-ins for the WhatsApp Cloud API and the CRM that the connector's integration
 * tests run against (the real mocks are tested on their own; these keep the connector's tests
 * independent of them). Both check auth, record every request with its arrival time, and can be
 * scripted to fail.
 */
import { createHmac } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { type ConnectorConfig, defaultConfig } from '../../connector/config.js';
import { buildConnector, type ConnectorApp } from '../../connector/server.js';
import { parseFaults } from '../../kernel/connector-faults.js';
import { inboundPayload, statusPayload } from '../unit/connector/helpers.js';

/** One request a stand-in received. */
export interface Seen {
  method: string;
  path: string;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  atMs: number;
}

/** A scripted answer for the next request matching `match`. */
interface Script {
  match: (s: Seen) => boolean;
  /** Undefined: answer as usual, only later. */
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  times: number;
}

abstract class StandIn {
  readonly seen: Seen[] = [];
  protected scripts: Script[] = [];
  app!: FastifyInstance;
  url = '';

  /** The next `times` requests matching `match` get this answer (optionally late). */
  script(
    match: (s: Seen) => boolean,
    status: number,
    body: unknown,
    opts: { headers?: Record<string, string>; delayMs?: number; times?: number } = {},
  ): void {
    this.scripts.push({
      match,
      status,
      body,
      times: opts.times ?? 1,
      ...(opts.headers ? { headers: opts.headers } : {}),
      ...(opts.delayMs ? { delayMs: opts.delayMs } : {}),
    });
  }

  /** The next `times` requests matching `match` are answered as usual, but `delayMs` late. */
  delay(match: (s: Seen) => boolean, delayMs: number, times = 1): void {
    this.scripts.push({ match, body: undefined, delayMs, times });
  }

  /** Requests with this method whose path matches. */
  requests(method: string, path: string | RegExp): Seen[] {
    return this.seen.filter(
      (s) => s.method === method && (typeof path === 'string' ? s.path === path : path.test(s.path)),
    );
  }

  protected abstract route(s: Seen): { status: number; body: unknown };
  protected abstract authorised(s: Seen): boolean;

  async start(): Promise<this> {
    this.app = Fastify({ logger: false });
    this.app.all('/*', async (req, reply) => {
      const s: Seen = {
        method: req.method,
        path: req.url,
        body: (req.body ?? {}) as Record<string, unknown>,
        headers: req.headers,
        atMs: performance.now(),
      };
      this.seen.push(s);
      if (!this.authorised(s))
        return reply.code(401).send({ error: { code: 'unauthorized', message: 'bad token' } });
      const script = this.scripts.find((x) => x.times > 0 && x.match(s));
      if (script) {
        script.times--;
        if (script.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
        if (script.status !== undefined) {
          if (script.headers) reply.headers(script.headers);
          return reply.code(script.status).send(script.body);
        }
      }
      const r = this.route(s);
      return reply.code(r.status).send(r.body);
    });
    this.url = await this.app.listen({ host: '127.0.0.1', port: 0 });
    return this;
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

/** The Cloud API's send endpoint: bearer `wa-token`; answers with wamid.S1, S2, … */
export class WhatsAppStandIn extends StandIn {
  private n = 0;
  protected authorised(s: Seen): boolean {
    return s.headers['authorization'] === 'Bearer wa-token';
  }
  protected route(s: Seen) {
    if (s.method === 'POST' && /^\/v23\.0\/PNID\/messages$/.test(s.path)) {
      const to = String(s.body['to'] ?? '');
      return {
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          contacts: [{ input: to, wa_id: to.replace(/\D/g, '') }],
          messages: [{ id: `wamid.S${++this.n}` }],
        },
      };
    }
    return { status: 404, body: { error: { message: 'Unknown path', code: 100 } } };
  }
  /** The message sends received. */
  sends(): Seen[] {
    return this.requests('POST', '/v23.0/PNID/messages');
  }
}

/** The CRM API under /api/v1: bearer `crm-token`; contacts by phone, conversations, messages, statuses, tags, handovers, error log. */
export class CrmStandIn extends StandIn {
  private n = 0;
  readonly contacts = new Map<string, Record<string, unknown> & { id: string; tags: string[] }>();
  readonly conversations = new Map<string, { id: string; contact_id: string; inbound_count: number }>();
  readonly messages = new Map<
    string,
    Record<string, unknown> & { id: string; status_history: Array<Record<string, unknown>> }
  >();
  readonly handovers: Array<Record<string, unknown>> = [];
  readonly errorLogs: Array<Record<string, unknown>> = [];

  protected authorised(s: Seen): boolean {
    return s.headers['authorization'] === 'Bearer crm-token';
  }

  /** Adds a contact (test setup). */
  seed(fields: Record<string, unknown> & { id: string; phone: string }): void {
    this.contacts.set(fields.id, { tags: [], consent: 'none', opted_out: false, ...fields });
  }

  protected route(s: Seen): { status: number; body: unknown } {
    const b = s.body;
    const p = s.path.replace(/^\/api\/v1/, '');
    const notFound = {
      status: 404,
      body: { error: { code: 'not_found', message: 'no such thing', details: [] } },
    };
    if (s.method === 'POST' && p === '/contacts') {
      const found = [...this.contacts.values()].find((c) => c['phone'] === b['phone']);
      if (found) {
        Object.assign(found, b);
        return { status: 200, body: found };
      }
      const c = { id: `ctc_${++this.n}`, tags: [], consent: 'none', opted_out: false, ...b };
      this.contacts.set(c.id, c);
      return { status: 201, body: c };
    }
    let m = /^\/contacts\/([^/]+)(\/tags)?$/.exec(p);
    if (m) {
      const c = this.contacts.get(m[1] as string);
      if (!c) return notFound;
      if (m[2] && s.method === 'POST') {
        for (const t of b['tags'] as string[]) if (!c.tags.includes(t)) c.tags.push(t);
        return { status: 200, body: { contact_id: c.id, tags: c.tags } };
      }
      if (s.method === 'PATCH') {
        Object.assign(c, b);
        return { status: 200, body: c };
      }
    }
    if (s.method === 'POST' && p === '/conversations') {
      const contactId = b['contact_id'] as string;
      if (!this.contacts.has(contactId)) return notFound;
      const open = [...this.conversations.values()].find((c) => c.contact_id === contactId);
      if (open) return { status: 200, body: open };
      const conv = { id: `conv_${++this.n}`, contact_id: contactId, inbound_count: 0 };
      this.conversations.set(conv.id, conv);
      return { status: 201, body: conv };
    }
    m = /^\/conversations\/([^/]+)\/messages$/.exec(p);
    if (m && s.method === 'POST') {
      const conv = this.conversations.get(m[1] as string);
      if (!conv) return notFound;
      const existing = this.messages.get(b['wa_message_id'] as string);
      if (existing) return { status: 200, body: existing };
      const msg = { id: `msg_${++this.n}`, conversation_id: conv.id, status: null, status_history: [], ...b };
      this.messages.set(b['wa_message_id'] as string, msg);
      if (b['direction'] === 'inbound') conv.inbound_count++;
      return { status: 201, body: msg };
    }
    if (s.method === 'GET' && p.startsWith('/messages?wa_message_id=')) {
      const wamid = decodeURIComponent(p.slice('/messages?wa_message_id='.length));
      const msg = this.messages.get(wamid);
      return { status: 200, body: { data: msg ? [msg] : [] } };
    }
    m = /^\/messages\/([^/]+)\/statuses$/.exec(p);
    if (m && s.method === 'POST') {
      const msg = [...this.messages.values()].find((x) => x.id === m?.[1]);
      if (!msg) return notFound;
      msg.status_history.push(b);
      msg['status'] = b['status'];
      return { status: 200, body: msg };
    }
    if (s.method === 'POST' && p === '/handovers') {
      this.handovers.push(b);
      return { status: 201, body: { id: `ho_${++this.n}`, ...b } };
    }
    if (s.method === 'POST' && p === '/error-logs') {
      this.errorLogs.push(b);
      return { status: 201, body: { id: `err_${++this.n}`, ...b } };
    }
    return notFound;
  }

  /** The contact with this phone. */
  byPhone(phone: string) {
    return [...this.contacts.values()].find((c) => c['phone'] === phone);
  }
}

/** Everything a connector integration test needs, started; `close()` in teardown. */
export interface Rig {
  wa: WhatsAppStandIn;
  crm: CrmStandIn;
  connector: ConnectorApp;
  url: string;
  config: ConnectorConfig;
  close(): Promise<void>;
}

export const APP_SECRET = 'app-secret';
export const CRM_SECRET = 'crm-secret';

/** Starts the stand-ins and a connector (buildConnector, port 0) wired to them. */
export async function startRig(
  overrides: Partial<ConnectorConfig> = {},
  faults: string[] = [],
): Promise<Rig> {
  const wa = await new WhatsAppStandIn().start();
  const crm = await new CrmStandIn().start();
  crm.seed({ id: 'ctc_seed', phone: '0912-345-678', country: 'TW', name: 'Ana', consent: 'transactional' });
  const config = defaultConfig({
    port: 0,
    waBaseUrl: wa.url,
    waPhoneNumberId: 'PNID',
    waAccessToken: 'wa-token',
    waAppSecret: APP_SECRET,
    waVerifyToken: 'verify-me',
    crmBaseUrl: crm.url + '/api/v1',
    crmToken: 'crm-token',
    crmWebhookSecret: CRM_SECRET,
    concurrency: 4,
    retryDelayMs: 300,
    drainTimeoutMs: 2000,
    ...overrides,
    faults: parseFaults(faults),
  });
  const connector = buildConnector(config);
  const url = await connector.listen({ host: '127.0.0.1', port: 0 });
  return {
    wa,
    crm,
    connector,
    url,
    config,
    async close() {
      await connector.close();
      await Promise.all([wa.close(), crm.close()]);
    },
  };
}

/** `sha256=<hex>` over the raw bytes. */
export function sign(secret: string, raw: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex');
}

/** POSTs a signed WhatsApp webhook; returns status and the time to the answer. */
export async function postWhatsApp(
  url: string,
  body: unknown,
  opts: { signature?: string | null; raw?: string } = {},
): Promise<{ status: number; text: string; ms: number; headers: Headers }> {
  const raw = opts.raw ?? JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = opts.signature === undefined ? sign(APP_SECRET, raw) : opts.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  const started = performance.now();
  const res = await fetch(url + '/webhooks/whatsapp', { method: 'POST', headers, body: raw });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - started, headers: res.headers };
}

/** POSTs a signed CRM event. */
export async function postEvent(url: string, event: unknown, opts: { signature?: string | null } = {}) {
  const raw = JSON.stringify(event);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = opts.signature === undefined ? sign(CRM_SECRET, raw) : opts.signature;
  if (signature !== null) headers['x-crm-signature'] = signature;
  const res = await fetch(url + '/webhooks/crm', { method: 'POST', headers, body: raw });
  return { status: res.status, text: await res.text() };
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits `ms`. */
export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An order.created event for the seeded contact. */
export function orderEvent(id: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'order.created',
    created_at: '2026-01-05T09:00:00.000Z',
    contact: {
      id: 'ctc_seed',
      name: 'Ana',
      phone: '0912-345-678',
      country: 'TW',
      consent: 'transactional',
      opted_out: false,
    },
    data: { order_id: 'A-1001', total: 42.5, currency: 'EUR', total_text: '€42.50' },
    action: {
      channel: 'whatsapp',
      template: 'order_confirmation',
      language: 'en_US',
      category: 'UTILITY',
      parameters: { body: { customer_name: 'contact.name', order_id: 'data.order_id' } },
    },
    ...over,
  };
}

/** A WhatsApp webhook with one inbound text message (the unit tests' payload builder). */
export function inbound(
  id: string,
  from: string,
  text: string,
  timestampSec = Math.floor(Date.now() / 1000),
): unknown {
  return inboundPayload([{ id, from, text, name: 'Olivia', timestamp: timestampSec }]);
}

/** A WhatsApp webhook with statuses, stamped now. */
export function statuses(
  items: Array<{ id: string; status: string; to: string; error?: { code: number; title: string } }>,
): unknown {
  const now = Math.floor(Date.now() / 1000);
  return statusPayload(items.map((s) => ({ ...s, timestamp: now })));
}
