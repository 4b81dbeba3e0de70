import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../../kernel/clock.js';
import { verifySignature } from '../../kernel/signing.js';
import { buildCrmMock } from '../../mocks/crm/index.js';

const SECRET = 'crm-events-secret';

interface Received {
  raw: Buffer;
  signature: string | undefined;
  userAgent: string | undefined;
  status: number;
}

/** A connector stand-in: answers `statusFor(n)` to the n-th POST (1-based), recording each. */
async function receiver(
  statusFor: (n: number) => number,
): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statusFor(got.length + 1);
      got.push({
        raw: Buffer.concat(chunks),
        signature: req.headers['x-crm-signature'] as string | undefined,
        userAgent: req.headers['user-agent'],
        status,
      });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/webhooks/crm`, got, server };
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ACTION = {
  channel: 'whatsapp' as const,
  template: 'payment_reminder',
  language: 'es_MX',
  category: 'UTILITY' as const,
  parameters: { body: ['contact.name', 'data.amount_text', 'data.due_date'] },
};

let app: FastifyInstance | undefined;
let server: Server | undefined;
afterEach(async () => {
  await app?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  app = undefined;
  server = undefined;
});

describe('CRM events to the connector', () => {
  it('are signed over the raw body and retried until the receiver recovers', async () => {
    const rx = await receiver((n) => (n <= 2 ? 500 : 200));
    server = rx.server;
    app = buildCrmMock({
      clock: new RealClock(),
      token: 't',
      webhookSecret: SECRET,
      webhookUrl: rx.url,
      seedContacts: { count: 3 },
      eventDelivery: { retry: { initialDelayMs: 50, factor: 2, maxDelayMs: 200 } },
    });
    const contact = app.crm.contacts()[1]!;
    const { eventId } = app.crm.emitEvent({
      type: 'payment.due',
      contact_id: contact.id,
      data: { amount_text: '$1,200.00 MXN', due_date: '2026-01-10' },
      action: ACTION,
    });
    await until('delivery', () => app?.crm.events()[0]?.delivery.state === 'delivered');

    expect(rx.got.map((g) => g.status)).toEqual([500, 500, 200]);
    for (const g of rx.got) {
      expect(g.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(verifySignature(SECRET, g.raw, g.signature)).toBe(true);
      expect(verifySignature('wrong-secret', g.raw, g.signature)).toBe(false);
      expect(g.userAgent).toBe('wacrm-crm-mock/1');
    }
    // Every attempt carries the same bytes.
    expect(new Set(rx.got.map((g) => g.raw.toString('utf8'))).size).toBe(1);
    const body = JSON.parse(rx.got[0]!.raw.toString('utf8'));
    expect(body).toMatchObject({
      id: eventId,
      type: 'payment.due',
      contact: { id: contact.id, phone: contact.phone, name: contact.name },
      data: { amount_text: '$1,200.00 MXN' },
      action: ACTION,
    });
    expect(Object.keys(body.contact)).toHaveLength(17);

    const entries = app.crm.journal.query({ kind: ['event.failed', 'event.delivered'] });
    expect(entries.map((e) => [e.kind, e.data['attempt'], e.data['statusCode']])).toEqual([
      ['event.failed', 1, 500],
      ['event.failed', 2, 500],
      ['event.delivered', 3, 200],
    ]);
    for (const e of entries) {
      expect(e.data).toMatchObject({ eventId, eventType: 'payment.due', contactId: contact.id });
    }
    expect(app.crm.events()[0]?.delivery).toMatchObject({
      state: 'delivered',
      attempts: 3,
      last_status_code: 200,
    });
    expect(app.crm.stats()['eventsDelivered']).toBe(1);
  });

  it('holds events until a webhook URL is set, and keeps per-contact order', async () => {
    const rx = await receiver(() => 200);
    server = rx.server;
    app = buildCrmMock({
      clock: new RealClock(),
      token: 't',
      webhookSecret: SECRET,
      seedContacts: { count: 2 },
    });
    const [a, b] = app.crm.contacts();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        app.crm.emitEvent({ type: 'shipment.sent', contact_id: a!.id, data: { n: i }, action: ACTION })
          .eventId,
      );
    }
    app.crm.emitEvent({ type: 'order.created', contact_id: b!.id, data: {}, action: ACTION });
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.got).toHaveLength(0);
    expect(app.crm.stats()['eventsQueued']).toBe(6);
    const put = await app.inject({ method: 'PUT', url: '/_mock/webhook', payload: { url: rx.url } });
    expect(put.statusCode).toBe(200);
    await until('all six', () => rx.got.length === 6);
    const forA = rx.got.map((g) => JSON.parse(g.raw.toString('utf8'))).filter((e) => e.contact.id === a!.id);
    expect(forA.map((e) => e.id)).toEqual(ids);
  });

  it('sends duplicates when the webhook-duplicate fault says so', async () => {
    const rx = await receiver(() => 200);
    server = rx.server;
    app = buildCrmMock({
      clock: new RealClock(),
      token: 't',
      webhookSecret: SECRET,
      webhookUrl: rx.url,
      seedContacts: { count: 1 },
      faults: [{ kind: 'webhook-duplicate', rate: 1 }],
    });
    const { eventId } = app.crm.emitEvent({
      type: 'otp.requested',
      contact_id: app.crm.contacts()[0]!.id,
      data: { code: '123456' },
      action: { ...ACTION, category: 'AUTHENTICATION' },
    });
    await until('two deliveries', () => rx.got.length === 2);
    expect(rx.got.map((g) => JSON.parse(g.raw.toString('utf8')).id)).toEqual([eventId, eventId]);
  });
});
