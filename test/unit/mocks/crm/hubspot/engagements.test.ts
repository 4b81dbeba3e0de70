import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '../../../../../kernel/random.js';
import { makeWamid } from '../../../../../mocks/whatsapp/wamid.js';
import { contact, entries, hs, type TestHubSpot, testHubSpot } from './helpers.js';

let t: TestHubSpot;
afterEach(async () => {
  await t?.app.close();
});

const rng = createRng(3);
const to = (id: string, typeId: number) => [
  { to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }] },
];
const comm = (body: string, contactId?: string, typeId = 81) =>
  hs(t.app, 'POST', '/crm/v3/objects/communications', {
    properties: {
      hs_communication_channel_type: 'WHATS_APP',
      hs_communication_logged_from: 'CRM',
      hs_communication_body: body,
      hs_timestamp: '2026-11-27T09:15:02.000Z',
    },
    ...(contactId ? { associations: to(contactId, typeId) } : {}),
  });

describe('HubSpot communications', () => {
  it('a WHATS_APP communication on a contact becomes a message of its conversation (same journal kinds)', async () => {
    t = testHubSpot();
    const cid = await contact(t.app, { firstname: 'Ana', phone: '+5511999999999' });
    const wamid = makeWamid(rng, '5511999999999', 'inbound');
    const r = await comm(`Received on WhatsApp [${wamid}]: hola, ¿tienen stock?`, cid);
    expect(r.statusCode).toBe(201);
    const b = r.json();
    expect(b.properties).toMatchObject({
      hs_communication_channel_type: 'WHATS_APP',
      hs_timestamp: '2026-11-27T09:15:02.000Z',
      hs_object_id: b.id,
      hs_createdate: expect.any(String),
      hs_lastmodifieddate: expect.any(String),
    });
    expect(b.associations).toBeUndefined();
    const created = entries(t.journal, 'message.created');
    expect(created).toEqual([
      expect.objectContaining({
        contactId: cid,
        waMessageId: wamid,
        direction: 'inbound',
        type: 'text',
        body: 'hola, ¿tienen stock?',
      }),
    ]);
    expect(t.service.messageByWaId(wamid)?.at).toBe('2026-11-27T09:15:02.000Z');
    expect(t.store.conversations.count()).toBe(1);
    // The same message logged twice stays one message.
    await comm(`Received on WhatsApp [${wamid}]: hola, ¿tienen stock?`, cid);
    expect(t.store.messages.count()).toBe(1);
  });

  it('an outbound template and its statuses (by communication id or wamid) land as the native ones do', async () => {
    t = testHubSpot();
    const cid = await contact(t.app, { firstname: 'Kofi', phone: '+233201234567' });
    const wamid = makeWamid(rng, '233201234567', 'outbound');
    const sent = await comm(`Sent on WhatsApp [${wamid}]: Template order_update (en) {"body":["A-1"]}`, cid);
    const msg = t.service.messageByWaId(wamid);
    expect(msg).toMatchObject({
      direction: 'outbound',
      type: 'template',
      template_name: 'order_update',
      template_language: 'en',
    });
    await comm(`WhatsApp status of communication ${sent.json().id}: delivered`, cid);
    await comm(`WhatsApp status of ${wamid}: read`, cid);
    await comm(
      `WhatsApp status of communication ${sent.json().id}: failed (131026 Message undeliverable)`,
      cid,
    );
    expect(entries(t.journal, 'message.status').map((e) => [e['waMessageId'], e['status']])).toEqual([
      [wamid, 'delivered'],
      [wamid, 'read'],
      [wamid, 'failed'],
    ]);
    expect(t.service.messageByWaId(wamid)?.status).toBe('failed');
    expect(t.store.messages.count()).toBe(1);
  });

  it('reads back by contact through associations v4 and v3 ?associations=', async () => {
    t = testHubSpot();
    const cid = await contact(t.app, { firstname: 'Mei' });
    const a = (
      await comm(`Received on WhatsApp [${makeWamid(rng, '8613800000000', 'inbound')}]: 你好`, cid)
    ).json().id;
    const b = (await comm('a note-like SMS without id', cid)).json().id;
    const list = await hs(t.app, 'GET', `/crm/v4/objects/contacts/${cid}/associations/communications`);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({
      results: [a, b].map((id) => ({
        toObjectId: Number(id),
        associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 82, label: null }],
      })),
    });
    const one = await hs(
      t.app,
      'GET',
      `/crm/v3/objects/communications/${a}?properties=hs_communication_body&associations=contact`,
    );
    expect(one.json().associations).toEqual({
      contact: { results: [{ id: cid, type: 'communication_to_contact' }] },
    });
    expect(one.json().properties.hs_communication_body).toBe(
      `Received on WhatsApp [${t.store.messages.all()[0]?.wa_message_id}]: 你好`,
    );
    const batch = await hs(t.app, 'POST', '/crm/v3/objects/communications/batch/read', {
      inputs: [{ id: a }, { id: '99999999999' }],
      properties: ['hs_communication_body'],
    });
    expect(batch.statusCode).toBe(207);
    expect(batch.json()).toMatchObject({
      status: 'COMPLETE',
      numErrors: 1,
      // HubSpot's StandardError: `errors` and `links` are required (the official client declares them).
      errors: [
        {
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          context: { ids: ['99999999999'] },
          errors: [],
          links: {},
        },
      ],
    });
    expect(batch.json().results).toHaveLength(1);
  });

  it('a communication associated after the fact becomes a message then', async () => {
    t = testHubSpot();
    const cid = await contact(t.app, { firstname: 'Ana' });
    const wamid = makeWamid(rng, '5511999999999', 'inbound');
    const id = (await comm(`Received on WhatsApp [${wamid}]: hi`)).json().id;
    expect(t.store.messages.count()).toBe(0);
    const put = await hs(
      t.app,
      'PUT',
      `/crm/v4/objects/communications/${id}/associations/default/contacts/${cid}`,
    );
    expect(put.statusCode).toBe(200);
    expect(
      put
        .json()
        .results.map(
          (r: { associationSpec: { associationTypeId: number } }) => r.associationSpec.associationTypeId,
        )
        .sort(),
    ).toEqual([81, 82]);
    expect(t.service.messageByWaId(wamid)?.contact_id).toBe(cid);
  });

  it('links through the v3 association route (type by id or name) and unlinks', async () => {
    t = testHubSpot();
    const cid = await contact(t.app, { firstname: 'Ana' });
    const wamid = makeWamid(rng, '5511999999999', 'inbound');
    const id = (await comm(`Received on WhatsApp [${wamid}]: hi`)).json().id;
    const put = await hs(
      t.app,
      'PUT',
      `/crm/v3/objects/communications/${id}/associations/contacts/${cid}/communication_to_contact`,
    );
    expect(put.statusCode).toBe(200);
    expect(put.json().associations).toEqual({
      contacts: { results: [{ id: cid, type: 'communication_to_contact' }] },
    });
    expect(t.service.messageByWaId(wamid)?.contact_id).toBe(cid);
    const del = await hs(
      t.app,
      'DELETE',
      `/crm/v3/objects/communications/${id}/associations/contacts/${cid}/81`,
    );
    expect(del.statusCode).toBe(204);
    const after = await hs(t.app, 'GET', `/crm/v3/objects/communications/${id}?associations=contacts`);
    expect(after.json().associations).toBeUndefined();
    const bad = await hs(
      t.app,
      'PUT',
      `/crm/v3/objects/communications/${id}/associations/contacts/${cid}/contact_to_deal`,
    );
    expect(bad.statusCode).toBe(400);
  });

  it('lists (paged, archived apart), updates, batch-updates and archives communications', async () => {
    t = testHubSpot();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await comm(`SMS ${i}`)).json().id);
    const p1 = await hs(
      t.app,
      'GET',
      '/crm/v3/objects/communications?limit=2&properties=hs_communication_body',
    );
    expect(p1.statusCode).toBe(200);
    expect(p1.json().results.map((r: { id: string }) => r.id)).toEqual(ids.slice(0, 2));
    expect(p1.json().results[0].properties).toMatchObject({
      hs_communication_body: 'SMS 0',
      hs_object_id: ids[0],
    });
    const after = p1.json().paging.next.after;
    expect(p1.json().paging.next.link).toContain(`after=${after}`);
    const p2 = (await hs(t.app, 'GET', `/crm/v3/objects/communications?limit=2&after=${after}`)).json();
    expect(p2.results.map((r: { id: string }) => r.id)).toEqual([ids[2]]);
    expect(p2.paging).toBeUndefined();
    const up = await hs(t.app, 'PATCH', `/crm/v3/objects/communications/${ids[0]}`, {
      properties: { hs_communication_body: 'edited', not_a_property: 'ignored' },
    });
    expect(up.statusCode).toBe(200);
    expect(up.json().properties.hs_communication_body).toBe('edited');
    expect(up.json().properties.not_a_property).toBeUndefined();
    const bu = await hs(t.app, 'POST', '/crm/v3/objects/communications/batch/update', {
      inputs: [{ id: ids[1], properties: { hs_communication_body: 'batch' } }],
    });
    expect(bu.json().results[0].properties.hs_communication_body).toBe('batch');
    expect((await hs(t.app, 'DELETE', `/crm/v3/objects/communications/${ids[2]}`)).statusCode).toBe(204);
    expect((await hs(t.app, 'GET', `/crm/v3/objects/communications/${ids[2]}`)).statusCode).toBe(404);
    const archived = (await hs(t.app, 'GET', '/crm/v3/objects/communications?archived=true')).json();
    expect(archived.results.map((r: { id: string; archived: boolean }) => [r.id, r.archived])).toEqual([
      [ids[2], true],
    ]);
    const groups = (await hs(t.app, 'GET', '/crm/v3/properties/communications/groups')).json().results;
    expect(groups.map((g: { name: string }) => g.name)).toEqual(['communication']);
    const props = (await hs(t.app, 'GET', '/crm/v3/properties/0-18'))
      .json()
      .results.map((p: { name: string }) => p.name);
    expect(props).toContain('hs_communication_channel_type');
  });

  it('refuses a wrong-direction association type, a misspelt channel and a missing target', async () => {
    t = testHubSpot();
    const cid = await contact(t.app, { firstname: 'Ana' });
    const wrong = await comm('x', cid, 82);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().category).toBe('VALIDATION_ERROR');
    const ch = await hs(t.app, 'POST', '/crm/v3/objects/communications', {
      properties: { hs_communication_channel_type: 'WHATSAPP', hs_communication_body: 'x' },
    });
    expect(ch.statusCode).toBe(400);
    expect(ch.json().errors[0]).toMatchObject({
      code: 'INVALID_OPTION',
      context: { propertyName: ['hs_communication_channel_type'] },
    });
    const missing = await comm('x', '77777777777');
    expect(missing.statusCode).toBe(400);
    expect(t.store.hubspot.find('type', 'communications')).toHaveLength(0);
  });
});

describe('HubSpot tickets and notes', () => {
  it('a ticket on a contact is a handover (reason from the subject); closing it resolves the handover', async () => {
    t = testHubSpot();
    const cid = await contact(t.app, { firstname: 'Ana', phone: '+5511999999999' });
    const r = await hs(t.app, 'POST', '/crm/v3/objects/tickets', {
      properties: {
        hs_pipeline: '0',
        hs_pipeline_stage: '1',
        subject: 'WhatsApp handover: complaint',
        content: 'The customer complained.',
        hs_ticket_priority: 'HIGH',
        hubspot_owner_id: '41629779',
      },
      associations: to(cid, 16),
    });
    expect(r.statusCode).toBe(201);
    const tk = r.json();
    expect(tk.properties).toMatchObject({
      hs_pipeline: '0',
      hs_pipeline_stage: '1',
      hs_ticket_id: tk.id,
      subject: 'WhatsApp handover: complaint',
    });
    expect(entries(t.journal, 'handover.created')).toEqual([
      expect.objectContaining({ contactId: cid, reason: 'complaint' }),
    ]);
    const [h] = t.store.handovers.all();
    expect(h).toMatchObject({ status: 'queued', note: 'The customer complained.' });
    const closed = await hs(t.app, 'PATCH', `/crm/v3/objects/tickets/${tk.id}`, {
      properties: { hs_pipeline_stage: '4' },
    });
    expect(closed.statusCode).toBe(200);
    expect(t.store.handovers.all()[0]?.status).toBe('resolved');
    const tickets = await hs(t.app, 'POST', '/crm/v3/objects/tickets/search', {
      filterGroups: [{ filters: [{ propertyName: 'associations.contact', operator: 'EQ', value: cid }] }],
    });
    expect(tickets.json().results.map((x: { id: string }) => x.id)).toEqual([tk.id]);
  });

  it('refuses an unknown stage or pipeline and a ticket without subject', async () => {
    t = testHubSpot();
    for (const properties of [
      { subject: 's', hs_pipeline: '0', hs_pipeline_stage: '9' },
      { subject: 's', hs_pipeline: '7', hs_pipeline_stage: '1' },
      { hs_pipeline_stage: '1' },
      { subject: 's', hs_pipeline_stage: '1', hs_ticket_priority: 'high' },
    ]) {
      const r = await hs(t.app, 'POST', '/crm/v3/objects/tickets', { properties });
      expect(r.statusCode, JSON.stringify(properties)).toBe(400);
      expect(r.json().category).toBe('VALIDATION_ERROR');
    }
    expect(t.store.handovers.count()).toBe(0);
  });

  it('a note is an error-log entry: kind, message, wamid and contact', async () => {
    t = testHubSpot();
    const cid = await contact(t.app, { firstname: 'Ana' });
    const wamid = makeWamid(rng, '5511999999999', 'outbound');
    const r = await hs(t.app, 'POST', '/crm/v3/objects/notes', {
      properties: {
        hs_note_body: `WhatsApp connector: template_send_failed: ${wamid} was refused`,
        hs_timestamp: Date.UTC(2026, 10, 27),
      },
      associations: to(cid, 202),
    });
    expect(r.statusCode).toBe(201);
    expect(r.json().properties.hs_timestamp).toBe('2026-11-27T00:00:00.000Z');
    expect(t.store.errorLogs.all()).toEqual([
      expect.objectContaining({
        kind: 'template_send_failed',
        message: `${wamid} was refused`,
        wa_message_id: wamid,
        context: { note_id: r.json().id, contact_id: cid },
      }),
    ]);
    expect(entries(t.journal, 'errorlog.created')).toHaveLength(1);
  });
});
