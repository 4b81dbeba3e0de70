import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../kernel/clock.js';
import { buildCrmMock, type CrmMockOptions } from '../../mocks/crm/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wacrm-crm-persist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(opts: Partial<CrmMockOptions>): Promise<{ app: FastifyInstance; base: string }> {
  const app = buildCrmMock({ clock: new RealClock(), token: 'tok', webhookSecret: 's', seed: 11, ...opts });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base: address };
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      authorization: 'Bearer tok',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('SQLite persistence', () => {
  it('survives a rebuild of the app on the same file', async () => {
    const file = join(dir, 'soak.db');
    const first = await start({ store: { file }, seedContacts: { count: 20 } });
    const seededNames = first.app.crm.contacts().map((c) => c.name);
    const contact = JSON.parse(
      (await call(first.base, 'POST', '/contacts', { phone: '+886912000111', country: 'TW', name: '林' }))
        .text,
    );
    const conv = JSON.parse(
      (await call(first.base, 'POST', '/conversations', { contact_id: contact.id })).text,
    );
    const msgBody = { direction: 'outbound', type: 'text', body: 'hola', wa_message_id: 'wamid.P1' };
    const msgRes = await call(first.base, 'POST', `/conversations/${conv.id}/messages`, msgBody, {
      'idempotency-key': 'm1',
    });
    expect(msgRes.status).toBe(201);
    const msg = JSON.parse(msgRes.text);
    await call(first.base, 'POST', `/messages/${msg.id}/statuses`, { status: 'delivered' });
    await call(first.base, 'POST', `/contacts/${contact.id}/tags`, { tags: ['vip'] });
    await call(first.base, 'POST', '/handovers', { conversation_id: conv.id, reason: 'complaint' });
    await call(first.base, 'POST', '/error-logs', { kind: 'crm_write_failed', message: 'x' });
    await first.app.close();

    // A second process on the same file: no reseed, everything readable, idempotency keys kept.
    const second = await start({ store: { file }, seedContacts: { count: 20 } });
    try {
      expect(second.app.crm.contacts()).toHaveLength(21);
      expect(
        second.app.crm
          .contacts()
          .slice(0, 20)
          .map((c) => c.name),
      ).toEqual(seededNames);
      const found = JSON.parse((await call(second.base, 'GET', '/contacts?phone=0912-000-111')).text);
      expect(found.data[0]).toMatchObject({ id: contact.id, tags: ['vip'] });
      const conv2 = JSON.parse((await call(second.base, 'GET', `/conversations/${conv.id}`)).text);
      expect(conv2).toMatchObject({ status: 'handed_over', message_count: 1 });
      const byWamid = JSON.parse((await call(second.base, 'GET', '/messages?wa_message_id=wamid.P1')).text);
      expect(byWamid.data[0]).toMatchObject({ id: msg.id, status: 'delivered' });
      const replay = await call(second.base, 'POST', `/conversations/${conv.id}/messages`, msgBody, {
        'idempotency-key': 'm1',
      });
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.text).toBe(msgRes.text);
      expect(second.app.crm.errorLogs()).toHaveLength(1);
      expect(second.app.crm.seedInfo()).toHaveLength(20);
      // New ids never collide with the ones written before the restart.
      const other = JSON.parse(
        (await call(second.base, 'POST', '/contacts', { phone: '+886912000222' })).text,
      );
      const ids = second.app.crm.contacts().map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(other.id).not.toBe(contact.id);
      const health = (await fetch(`${second.base}/_mock/health`).then((r) => r.json())) as { store: string };
      expect(health.store).toBe('sqlite');
    } finally {
      await second.app.close();
    }
  });

  it('sends events that were not delivered before the restart', async () => {
    const file = join(dir, 'events.db');
    const first = await start({ store: { file }, seedContacts: { count: 2 } });
    const contactId = first.app.crm.contacts()[0]!.id;
    const { eventId } = first.app.crm.emitEvent({
      type: 'appointment.reminder',
      contact_id: contactId,
      data: { when: '2026-01-06T10:00:00Z' },
      action: {
        channel: 'whatsapp',
        template: 'appointment_reminder',
        language: 'en_US',
        category: 'UTILITY',
        parameters: { body: ['contact.name', 'data.when'] },
      },
    });
    await first.app.close();

    const got: string[] = [];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const second = await start({ store: { file }, webhookUrl: url });
    try {
      const deadline = Date.now() + 10_000;
      while (second.app.crm.events()[0]?.delivery.state !== 'delivered' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(got).toHaveLength(1);
      expect(JSON.parse(got[0]!).id).toBe(eventId);
      expect(second.app.crm.events()[0]?.delivery.state).toBe('delivered');
    } finally {
      await second.app.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
