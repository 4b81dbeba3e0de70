/**
 * The reference connector in the HubSpot dialect (`crmDialect: 'hubspot'`) against a small local
 * HubSpot stand-in (HubSpot's shapes and status codes, CONTRACT.md §2–§11) and the WhatsApp
 * stand-in: real sockets, port 0.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../connector/config.js';
import { hubspotSignatureV3 } from '../../connector/hubspot/signature.js';
import { buildConnector, type ConnectorApp } from '../../connector/server.js';
import { parseFaults } from '../../kernel/connector-faults.js';
import { inbound, orderEvent, postWhatsApp, until, WhatsAppStandIn } from './connector-standins.js';

const TOKEN = 'pat-na1-test';
const SECRET = 'hs-client-secret';

interface Call {
  atMs: number;
  method: string;
  path: string;
  body: Record<string, unknown>;
}

/** HubSpot's CRM v3 as far as the connector uses it; ids are numeric strings above 2^31. */
class HubSpotStandIn {
  readonly calls: Call[] = [];
  readonly contacts = new Map<string, Record<string, string>>();
  readonly properties = new Set<string>(['phone', 'firstname', 'hs_whatsapp_phone_number']);
  readonly communications: Array<Record<string, unknown>> = [];
  readonly tickets: Array<Record<string, unknown>> = [];
  /** Answer the next N contact creates with a ten-secondly 429. */
  rateLimitCreates = 0;
  private n = 3_000_000_000;
  app!: FastifyInstance;
  url = '';

  private obj(id: string, properties: Record<string, unknown>) {
    const at = new Date().toISOString();
    return {
      id,
      properties: { ...properties, hs_object_id: id },
      createdAt: at,
      updatedAt: at,
      archived: false,
    };
  }

  async start(): Promise<this> {
    this.app = Fastify({ logger: false });
    this.app.addHook('onSend', async (_req, reply, payload) => {
      reply.header('content-type', 'application/json;charset=utf-8');
      return payload;
    });
    this.app.all('/*', async (req, reply) => {
      const path = req.url;
      const body = (req.body ?? {}) as Record<string, unknown>;
      this.calls.push({ atMs: performance.now(), method: req.method, path, body });
      if (req.headers.authorization !== `Bearer ${TOKEN}`)
        return reply.code(401).send({
          status: 'error',
          message: 'Authentication credentials not found.',
          correlationId: 'c0',
          category: 'INVALID_AUTHENTICATION',
        });
      let m = /^\/crm\/v3\/properties\/contacts\/([^/?]+)$/.exec(path);
      if (m && req.method === 'GET') {
        if (this.properties.has(m[1] as string)) return { name: m[1] };
        return reply.code(404).send({ status: 'error', message: 'resource not found', correlationId: 'c1' });
      }
      if (path === '/crm/v3/properties/contacts' && req.method === 'POST') {
        this.properties.add(String(body['name']));
        return reply.code(201).send(body);
      }
      if (path === '/crm/v3/objects/contacts/search' && req.method === 'POST') {
        const groups = body['filterGroups'] as Array<{
          filters: Array<{ propertyName: string; values: string[] }>;
        }>;
        const hit = [...this.contacts.entries()].find(([, c]) =>
          groups.some((g) => g.filters.every((f) => f.values.includes(c[f.propertyName] ?? ''))),
        );
        return { total: hit ? 1 : 0, results: hit ? [this.obj(hit[0], hit[1])] : [] };
      }
      if (path === '/crm/v3/objects/contacts' && req.method === 'POST') {
        if (this.rateLimitCreates > 0) {
          this.rateLimitCreates--;
          reply.header('x-hubspot-ratelimit-interval-milliseconds', '300');
          return reply.code(429).send({
            status: 'error',
            message: 'You have reached your ten_secondly_rolling limit.',
            errorType: 'RATE_LIMIT',
            correlationId: 'c2',
            policyName: 'TEN_SECONDLY_ROLLING',
          });
        }
        const id = String(++this.n);
        this.contacts.set(id, { ...(body['properties'] as Record<string, string>) });
        return reply.code(201).send(this.obj(id, this.contacts.get(id) as Record<string, string>));
      }
      m = /^\/crm\/v3\/objects\/contacts\/(\d+)(\?.*)?$/.exec(path);
      if (m) {
        const c = this.contacts.get(m[1] as string);
        if (!c)
          return reply
            .code(404)
            .send({ status: 'error', message: 'resource not found', correlationId: 'c3' });
        if (req.method === 'PATCH') {
          // A multi-value property written with a leading `;` appends to the value, as HubSpot does.
          for (const [k, v] of Object.entries(body['properties'] as Record<string, string>)) {
            const now = c[k] ?? '';
            c[k] = v.startsWith(';')
              ? [...new Set([...now.split(';'), ...v.slice(1).split(';')].filter(Boolean))].join(';')
              : v;
          }
        }
        return this.obj(m[1] as string, c);
      }
      if (path === '/crm/v3/objects/communications' && req.method === 'POST') {
        const id = String(++this.n);
        this.communications.push({ id, ...body });
        return reply.code(201).send(this.obj(id, body['properties'] as Record<string, unknown>));
      }
      if (path === '/crm/v3/objects/tickets' && req.method === 'POST') {
        const id = String(++this.n);
        this.tickets.push({ id, ...body });
        return reply.code(201).send(this.obj(id, body['properties'] as Record<string, unknown>));
      }
      return reply.code(404).send({ status: 'error', message: 'resource not found', correlationId: 'c4' });
    });
    this.url = await this.app.listen({ host: '127.0.0.1', port: 0 });
    return this;
  }
}

let closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

async function rig(faults: string[] = []) {
  const wa = await new WhatsAppStandIn().start();
  const hs = await new HubSpotStandIn().start();
  const config = defaultConfig({
    port: 0,
    waBaseUrl: wa.url,
    waPhoneNumberId: 'PNID',
    waAccessToken: 'wa-token',
    waAppSecret: 'app-secret',
    crmDialect: 'hubspot',
    crmBaseUrl: hs.url,
    crmToken: TOKEN,
    hubspotClientSecret: SECRET,
    concurrency: 4,
    retryDelayMs: 300,
    drainTimeoutMs: 2000,
    faults: parseFaults(faults),
  });
  const connector: ConnectorApp = buildConnector(config);
  const url = await connector.listen({ host: '127.0.0.1', port: 0 });
  closers.push(
    () => wa.close(),
    () => hs.app.close(),
    () => connector.close(),
  );
  return { wa, hs, url, connector };
}

async function postHubSpot(url: string, body: unknown, opts: { timestamp?: number; secret?: string } = {}) {
  const raw = JSON.stringify(body);
  const ts = String(opts.timestamp ?? Date.now());
  const target = `${url}/webhooks/hubspot`;
  const res = await fetch(target, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hubspot-request-timestamp': ts,
      'x-hubspot-signature-v3': hubspotSignatureV3(opts.secret ?? SECRET, 'POST', target, raw, ts),
    },
    body: raw,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('connector, HubSpot dialect', () => {
  it('creates its tags and opt-out properties at start', async () => {
    const { hs } = await rig();
    expect(hs.properties.has('wa_tags')).toBe(true);
    expect(hs.properties.has('wa_opt_out')).toBe(true);
    const made = hs.calls.find((c) => c.method === 'POST' && c.path === '/crm/v3/properties/contacts');
    expect(made?.body).toMatchObject({ name: 'wa_tags', type: 'enumeration', fieldType: 'checkbox' });
  });

  it('a customer message becomes a contact, a WHATS_APP communication, tags and a handover ticket', async () => {
    const { hs, url } = await rig();
    expect(
      (await postWhatsApp(url, inbound('wamid.in1', '886912345678', 'This is terrible, where is my order?')))
        .status,
    ).toBe(200);
    await until(() => hs.tickets.length === 1, 5000, 'the handover ticket');
    await until(
      () => (hs.contacts.values().next().value?.['wa_tags'] ?? '').split(';').length === 2,
      5000,
      'tags',
    );
    const [id, contact] = [...hs.contacts.entries()][0] as [string, Record<string, string>];
    expect(contact).toMatchObject({
      phone: '+886912345678',
      hs_whatsapp_phone_number: '+886912345678',
      firstname: 'Olivia',
    });
    expect(contact['wa_tags']?.split(';').sort()).toEqual(['complaint', 'order_status']);
    expect(hs.communications[0]).toMatchObject({
      properties: { hs_communication_channel_type: 'WHATS_APP', hs_communication_logged_from: 'CRM' },
      associations: [
        { to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 81 }] },
      ],
    });
    expect(
      String(
        ((hs.communications[0]?.['properties'] ?? {}) as Record<string, string>)['hs_communication_body'],
      ),
    ).toContain('This is terrible');
    expect(hs.tickets[0]).toMatchObject({
      properties: { hs_pipeline: '0', hs_pipeline_stage: '1', subject: 'WhatsApp handover: complaint' },
      associations: [{ to: { id }, types: [{ associationTypeId: 16 }] }],
    });
    // A second message from the same number finds the contact by search instead of creating another.
    await postWhatsApp(url, inbound('wamid.in2', '886912345678', 'hello again'));
    await until(() => hs.communications.length === 2, 5000, 'the second communication');
    expect(hs.contacts.size).toBe(1);
  });

  it('a signed HubSpot event becomes a template send, logged as a communication', async () => {
    const { hs, wa, url } = await rig();
    const r = await postHubSpot(url, [
      orderEvent('evt_1', {
        contact: { name: 'Ana', phone: '0912-345-678', country: 'TW', consent: 'transactional' },
      }),
      { eventId: 1, subscriptionType: 'contact.creation', objectId: 5 },
    ]);
    expect(r).toEqual({ status: 200, json: { received: 1, duplicates: 0 } });
    await until(() => hs.communications.length === 1, 5000, 'the recorded template');
    expect(wa.sends()[0]?.body).toMatchObject({
      to: '+886912345678',
      type: 'template',
      template: { name: 'order_confirmation' },
    });
    expect(
      String(
        ((hs.communications[0]?.['properties'] ?? {}) as Record<string, string>)['hs_communication_body'],
      ),
    ).toContain('Template order_confirmation (en_US)');
    const stats = (await (await fetch(`${url}/stats`)).json()) as {
      webhooks: Record<string, number>;
      crm: Record<string, unknown>;
    };
    expect(stats.webhooks['hubspotIgnored']).toBe(1);
    expect(stats.crm['dialect']).toBe('hubspot');
    // Redelivery (HubSpot retries) is de-duplicated by event id.
    expect((await postHubSpot(url, [orderEvent('evt_1')])).json).toEqual({ received: 1, duplicates: 1 });
  });

  it('refuses unsigned (401), stale (401) and wrongly signed (403) HubSpot calls', async () => {
    const { wa, url } = await rig();
    const unsigned = await fetch(`${url}/webhooks/hubspot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[]',
    });
    expect(unsigned.status).toBe(401);
    expect((await postHubSpot(url, [orderEvent('evt_2')], { timestamp: Date.now() - 301_000 })).status).toBe(
      401,
    );
    expect((await postHubSpot(url, [orderEvent('evt_3')], { secret: 'not-it' })).status).toBe(403);
    await new Promise((r) => setTimeout(r, 100));
    expect(wa.sends()).toEqual([]);
  });

  it('waits out a ten-secondly 429 (its interval header) before creating the contact', async () => {
    const { hs, url } = await rig();
    hs.rateLimitCreates = 1;
    await postWhatsApp(url, inbound('wamid.in3', '886912345678', 'hi'));
    await until(() => hs.communications.length === 1, 5000, 'the communication after the 429');
    const creates = hs.calls.filter((c) => c.method === 'POST' && c.path === '/crm/v3/objects/contacts');
    expect(creates.length).toBe(2);
    // The stand-in's 429 named a 300 ms interval: the retry waited for it.
    expect((creates[1]?.atMs ?? 0) - (creates[0]?.atMs ?? 0)).toBeGreaterThanOrEqual(280);
  });
});
