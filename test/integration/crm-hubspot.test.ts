/**
 * The CRM mock's HubSpot dialect over a real socket, driven by the reference connector's own
 * HubSpot client and gateways (connector/hubspot): what a vendor's HubSpot integration does at
 * start and per message lands in the native model the graders read.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HubSpotClient } from '../../connector/hubspot/client.js';
import { HubSpotCrmGateway } from '../../connector/hubspot/crm-gateway.js';
import { HubSpotGateway, TAG_OPTIONS } from '../../connector/hubspot/gateway.js';
import { RealClock } from '../../kernel/clock.js';
import { createRng } from '../../kernel/random.js';
import { makeWamid } from '../../mocks/whatsapp/wamid.js';
import { entries, type TestHubSpot, TOKEN, testHubSpotOn } from '../unit/mocks/crm/hubspot/helpers.js';

/** The connector's clock (its own process would use a real one too). */
const realClock = new RealClock();

let t: TestHubSpot<RealClock> | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

async function start(
  limits: { perTenSeconds?: number } = {},
): Promise<{ url: string; t: TestHubSpot<RealClock> }> {
  const made = testHubSpotOn(new RealClock(), { limits });
  t = made;
  await made.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = made.app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, t: made };
}

function client(url: string, perTenSeconds = 100): HubSpotClient {
  return new HubSpotClient(
    {
      baseUrl: url,
      token: TOKEN,
      timeoutMs: 5000,
      perTenSeconds,
      perDay: 250_000,
      searchPerSecond: 5,
      attempts: 2,
    },
    realClock,
  );
}

describe('the reference connector against the HubSpot dialect', () => {
  it('bootstraps its properties, finds-or-creates by phone, logs messages and statuses, tags, hands over', async () => {
    const { url, t } = await start();
    const hs = new HubSpotGateway(client(url), { pipeline: '0', stage: '1', ownerId: '41629779' });
    const gw = new HubSpotCrmGateway(hs, realClock);

    const prepared = await gw.prepare();
    expect(prepared).toMatchObject({ ok: true, data: { created: ['wa_tags', 'wa_opt_out'] } });
    // A second connector process finds them there.
    expect(await new HubSpotGateway(client(url), { pipeline: '0', stage: '1' }).ensureProperties()).toEqual({
      ok: true,
      created: [],
    });

    const first = await gw.upsertContact({ phone: '+5511999999999', name: 'Ana Souza' });
    expect(first).toMatchObject({ ok: true, status: 201 });
    const id = first.ok ? String(first.data['id']) : '';
    const again = await gw.upsertContact({ phone: '+5511999999999', name: 'Ana' });
    expect(again).toMatchObject({ ok: true, status: 200, data: { id, name: 'Ana Souza', opted_out: false } });
    expect(t.store.contacts.count()).toBe(1);
    expect(t.store.contacts.get(id)).toMatchObject({ phone: '+5511999999999', name: 'Ana Souza' });

    const rng = createRng(5);
    const inWamid = makeWamid(rng, '5511999999999', 'inbound');
    const conv = await gw.openConversation(id);
    const written = await gw.writeMessage(conv.ok ? String(conv.data['id']) : '', {
      direction: 'inbound',
      type: 'text',
      body: 'where is my order?',
      wa_message_id: inWamid,
      at: '2026-11-27T09:00:00.000Z',
    });
    expect(written.ok).toBe(true);
    expect(t.service.messageByWaId(inWamid)).toMatchObject({
      direction: 'inbound',
      contact_id: id,
      body: 'where is my order?',
      at: '2026-11-27T09:00:00.000Z',
    });

    const outWamid = makeWamid(rng, '5511999999999', 'outbound');
    const out = await gw.writeMessage(id, {
      direction: 'outbound',
      type: 'template',
      template_name: 'order_update',
      template_language: 'pt_BR',
      template_params: { body: ['A-17'] },
      wa_message_id: outWamid,
    });
    const commId = out.ok ? String(out.data['id']) : '';
    expect(t.service.messageByWaId(outWamid)).toMatchObject({
      direction: 'outbound',
      type: 'template',
      template_name: 'order_update',
    });
    expect((await gw.writeStatus(commId, { status: 'delivered' })).ok).toBe(true);
    expect((await gw.writeStatus(commId, { status: 'read' })).ok).toBe(true);
    expect(t.service.messageByWaId(outWamid)?.status_history.map((s) => s.status)).toEqual([
      'delivered',
      'read',
    ]);

    const tag = TAG_OPTIONS[0] as string;
    expect((await gw.addTags(id, [tag])).ok).toBe(true);
    expect(t.store.contacts.get(id)?.tags).toEqual([tag]);
    expect(entries(t.journal, 'tags.added')).toEqual([{ contactId: id, tags: [tag], added: [tag] }]);

    expect((await gw.handover(id, 'complaint')).ok).toBe(true);
    expect(entries(t.journal, 'handover.created')).toEqual([
      expect.objectContaining({ contactId: id, reason: 'complaint' }),
    ]);
    const ticket = t.store.hubspot.find('type', 'tickets')[0];
    expect(ticket?.properties).toMatchObject({
      hs_pipeline: '0',
      hs_pipeline_stage: '1',
      hubspot_owner_id: '41629779',
      hs_ticket_priority: 'HIGH',
    });

    expect((await gw.optOut(id)).ok).toBe(true);
    expect(t.store.contacts.get(id)?.opted_out).toBe(true);
    expect(
      (
        await gw.writeErrorLog({
          kind: 'template_failed',
          message: 'no template',
          context: { contact_id: id },
        })
      ).ok,
    ).toBe(true);
    expect(t.store.errorLogs.all()[0]).toMatchObject({ kind: 'template_failed', message: 'no template' });

    // Every call answered with HubSpot's JSON content type and was journalled like native calls.
    const calls = entries(t.journal, 'api.request');
    expect(calls.length).toBeGreaterThan(12);
    // The only refusals were the two property look-ups before their creation.
    expect(
      calls.filter((c) => Number(c['statusCode']) >= 300).map((c) => [c['statusCode'], c['route']]),
    ).toEqual([
      [404, '/crm/v3/properties/:objectType/:name'],
      [404, '/crm/v3/properties/:objectType/:name'],
    ]);
  });

  it('the client reads the 429 (policy, interval) and pauses; the burst header says when it is exhausted', async () => {
    const { url } = await start({ perTenSeconds: 3 });
    const c = client(url, 100);
    for (let i = 0; i < 3; i++)
      expect((await c.request('GET', '/crm/v3/objects/contacts?limit=1')).ok).toBe(true);
    // The third answer said Remaining 0: the client pauses itself before sending a fourth call.
    expect(c.gate.remainingMs()).toBeGreaterThan(8000);
    // A second process that did not see that header is refused, and reads the wait from the answer.
    const other = client(url, 100);
    const r = await other.request('GET', '/crm/v3/objects/contacts?limit=1');
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.failure).toMatchObject({
        httpStatus: 429,
        code: 'TEN_SECONDLY_ROLLING',
        retryable: true,
        retryAfterMs: 10_000,
      });
    expect(other.gate.remainingMs()).toBeGreaterThan(8000);
    expect(other.counters.rateLimited).toBe(1);
  });
});
