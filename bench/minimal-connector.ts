// Usage (spawned by bench/harness-ceiling.ts, not by hand):
//   node --import tsx bench/minimal-connector.ts --wa URL --crm URL --verify-token T --wa-token T --crm-token T
//
// The least a connector can do and still complete every flow the capacity suite starts, in its own
// process, so that a harness ceiling measured against it is the harness's and not the connector's.
// It answers each webhook 200 at once, then: a CRM event → one template send (parameters resolved
// with the reference connector's pure mapping function) → open the contact's conversation (cached)
// → record the message; a status webhook → write the status to the CRM message; a customer message
// → upsert the contact, open the conversation, record the message. No queue, no retries, no rate
// limiter, no signature check: none of that is free, and none of it is what this stand-in measures.
// Prints `listening <url>` on stdout once it accepts connections; plain node:http with keep-alive.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { normalizePhone } from '../connector/phone.js';
import { type ActionParameters, buildTemplateComponents } from '../connector/templates.js';

const { values: args } = parseArgs({
  options: {
    wa: { type: 'string' },
    crm: { type: 'string' },
    'verify-token': { type: 'string' },
    'wa-token': { type: 'string' },
    'crm-token': { type: 'string' },
    'phone-number-id': { type: 'string', default: '106540352242922' },
    'api-version': { type: 'string', default: 'v23.0' },
  },
});
const need = (name: 'wa' | 'crm' | 'verify-token' | 'wa-token' | 'crm-token'): string => {
  const v = args[name];
  if (!v) throw new Error(`--${name} is required`);
  return v;
};
const waUrl = new URL(`${need('wa')}/${args['api-version']}/${args['phone-number-id']}/messages`);
const crmBase = new URL(need('crm'));
const crmPrefix = crmBase.pathname.replace(/\/$/, '');
const verifyToken = need('verify-token');
const waAuth = `Bearer ${need('wa-token')}`;
const crmAuth = `Bearer ${need('crm-token')}`;

const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
let keySeq = 0;
/** WACRM_STANDIN_DEBUG=1 prints every refused call to stderr (when a bench run does not complete flows). */
const debug = process.env['WACRM_STANDIN_DEBUG'] === '1';

/** One JSON call on a kept-alive socket; resolves with the status and parsed body (never rejects). */
function call(
  url: URL,
  path: string,
  method: string,
  auth: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const raw = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { authorization: auth, accept: 'application/json' };
  if (raw !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(raw));
    headers['idempotency-key'] = `k${process.pid}-${++keySeq}`;
  }
  return new Promise((resolve) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          // A body that is not JSON is answered as an empty object: the caller looks at the status.
        }
        const status = res.statusCode ?? 0;
        if (debug && status >= 400)
          process.stderr.write(`${method} ${path} → ${status} ${JSON.stringify(json)}\n`);
        resolve({ status, json });
      });
      res.on('error', () => resolve({ status: 0, json: {} }));
    });
    req.on('error', () => resolve({ status: 0, json: {} }));
    if (raw !== undefined) req.end(raw);
    else req.end();
  });
}

const crm = (path: string, method: string, body?: unknown) =>
  call(crmBase, crmPrefix + path, method, crmAuth, body);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const idOf = (r: { json: Record<string, unknown> }): string | undefined => {
  const d = isObj(r.json['data']) ? r.json['data'] : r.json;
  return typeof d['id'] === 'string' ? d['id'] : undefined;
};

/** contact id → its open conversation (one CRM call saved per message, as any real connector does). */
const conversations = new Map<string, Promise<string | undefined>>();
function conversationOf(contactId: string): Promise<string | undefined> {
  let c = conversations.get(contactId);
  if (!c) {
    c = crm('/conversations', 'POST', { contact_id: contactId }).then(idOf);
    conversations.set(contactId, c);
  }
  return c;
}

/** wamid → the CRM message recording it; statuses that overtake the record wait on it. */
const recorded = new Map<string, Promise<string | undefined>>();
const waiting = new Map<string, (id: string | undefined) => void>();
function messageOf(wamid: string): Promise<string | undefined> {
  let m = recorded.get(wamid);
  if (!m) {
    m = new Promise((resolve) => waiting.set(wamid, resolve));
    recorded.set(wamid, m);
  }
  return m;
}
function recordedAs(wamid: string, id: string | undefined): void {
  const resolve = waiting.get(wamid);
  waiting.delete(wamid);
  if (resolve) resolve(id);
  else recorded.set(wamid, Promise.resolve(id));
}
/** wamid → the tail of its status writes, so `delivered` never overtakes `sent`. */
const statusTail = new Map<string, Promise<unknown>>();

async function onEvent(event: Record<string, unknown>): Promise<void> {
  const contact = isObj(event['contact']) ? event['contact'] : {};
  const action = isObj(event['action']) ? event['action'] : {};
  // The CRM sends E.164; only a number in another form pays for the full normalisation.
  const raw = contact['phone'];
  const phone =
    typeof raw === 'string' && /^\+\d{6,15}$/.test(raw)
      ? { ok: true as const, e164: raw }
      : normalizePhone(raw, contact['country']);
  const eventId = String(event['id'] ?? '');
  if (!phone.ok) {
    await crm('/error-logs', 'POST', { kind: 'invalid_phone', message: phone.reason, event_id: eventId });
    return;
  }
  const built = buildTemplateComponents(event, action['parameters'] as ActionParameters | undefined, {
    phoneE164: phone.e164,
  });
  if (!built.ok) {
    await crm('/error-logs', 'POST', { kind: 'event_rejected', message: built.reason, event_id: eventId });
    return;
  }
  const template: Record<string, unknown> = {
    name: action['template'],
    language: { code: action['language'] },
  };
  if (built.components.length > 0) template['components'] = built.components;
  const sent = await call(waUrl, waUrl.pathname, 'POST', waAuth, {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: phone.e164,
    type: 'template',
    template,
    biz_opaque_callback_data: eventId,
  });
  const messages = sent.json['messages'];
  const wamid = Array.isArray(messages) && isObj(messages[0]) ? messages[0]['id'] : undefined;
  if (typeof wamid !== 'string') return;
  const contactId = typeof contact['id'] === 'string' ? contact['id'] : undefined;
  if (!contactId) return recordedAs(wamid, undefined);
  const conversationId = await conversationOf(contactId);
  if (!conversationId) return recordedAs(wamid, undefined);
  const body: Record<string, unknown> = {
    direction: 'outbound',
    type: 'template',
    template_name: action['template'],
    template_language: action['language'],
    wa_message_id: wamid,
    at: new Date().toISOString(),
  };
  if (Object.keys(built.recorded).length > 0) body['template_params'] = built.recorded;
  recordedAs(wamid, idOf(await crm(`/conversations/${conversationId}/messages`, 'POST', body)));
}

async function onStatus(s: Record<string, unknown>): Promise<void> {
  const wamid = String(s['id'] ?? '');
  const messageId = await messageOf(wamid);
  if (!messageId) return;
  const at = new Date(Number(s['timestamp'] ?? 0) * 1000).toISOString();
  await crm(`/messages/${messageId}/statuses`, 'POST', { status: s['status'], at });
  if (s['status'] === 'read' || s['status'] === 'failed') statusTail.delete(wamid);
}

async function onCustomerMessage(m: Record<string, unknown>, name: unknown): Promise<void> {
  const from = String(m['from'] ?? '');
  const upsert = await crm('/contacts', 'POST', { phone: `+${from}`, ...(name ? { name } : {}) });
  const contactId = idOf(upsert);
  if (!contactId) return;
  const conversationId = await conversationOf(contactId);
  if (!conversationId) return;
  const text = isObj(m['text']) ? m['text']['body'] : undefined;
  await crm(`/conversations/${conversationId}/messages`, 'POST', {
    direction: 'inbound',
    type: String(m['type'] ?? 'text'),
    ...(typeof text === 'string' ? { body: text } : {}),
    wa_message_id: String(m['id'] ?? ''),
    at: new Date(Number(m['timestamp'] ?? 0) * 1000).toISOString(),
  });
}

function onWhatsApp(payload: Record<string, unknown>): void {
  const entries = Array.isArray(payload['entry']) ? payload['entry'] : [];
  for (const entry of entries) {
    const changes = isObj(entry) && Array.isArray(entry['changes']) ? entry['changes'] : [];
    for (const change of changes) {
      const value = isObj(change) && isObj(change['value']) ? change['value'] : {};
      for (const s of Array.isArray(value['statuses']) ? value['statuses'] : []) {
        if (!isObj(s)) continue;
        const wamid = String(s['id'] ?? '');
        const next = (statusTail.get(wamid) ?? Promise.resolve()).then(() => onStatus(s));
        statusTail.set(wamid, next);
      }
      const contacts = Array.isArray(value['contacts']) ? value['contacts'] : [];
      const profile = isObj(contacts[0]) && isObj(contacts[0]['profile']) ? contacts[0]['profile'] : {};
      for (const m of Array.isArray(value['messages']) ? value['messages'] : []) {
        if (isObj(m)) void onCustomerMessage(m, profile['name']);
      }
    }
  }
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url.startsWith('/webhooks/whatsapp')) {
    const q = new URL(url, 'http://x').searchParams;
    const ok = q.get('hub.mode') === 'subscribe' && q.get('hub.verify_token') === verifyToken;
    res.writeHead(ok ? 200 : 403, { 'content-type': 'text/plain' });
    res.end(ok ? (q.get('hub.challenge') ?? '') : 'forbidden');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return;
    }
    if (!isObj(body)) return;
    if (url.startsWith('/webhooks/whatsapp')) onWhatsApp(body);
    else if (url.startsWith('/webhooks/crm')) void onEvent(body);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`listening http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  agent.destroy();
  process.exit(0);
});
