import { afterEach, describe, expect, it } from 'vitest';
import { contact, entries, hs, type TestHubSpot, testHubSpot } from './helpers.js';

let t: TestHubSpot;
afterEach(async () => {
  await t?.app.close();
});

const TAGS = {
  name: 'wa_tags',
  label: 'WhatsApp tags',
  type: 'enumeration',
  fieldType: 'checkbox',
  groupName: 'contactinformation',
  options: ['vip', 'support', 'order'].map((v, i) => ({
    label: v,
    value: v,
    displayOrder: i,
    hidden: false,
  })),
};

describe('HubSpot properties', () => {
  it('404s an unknown property, creates a multi-value tags property (201 + Location), 409s a second create', async () => {
    t = testHubSpot();
    const missing = await hs(t.app, 'GET', '/crm/v3/properties/contacts/wa_tags');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().status).toBe('error');
    const made = await hs(t.app, 'POST', '/crm/v3/properties/contacts', TAGS);
    expect(made.statusCode).toBe(201);
    expect(made.headers.location).toBe('/crm/v3/properties/contacts/wa_tags');
    expect(made.json()).toMatchObject({
      name: 'wa_tags',
      type: 'enumeration',
      fieldType: 'checkbox',
      options: TAGS.options,
      hubspotDefined: false,
      hasUniqueValue: false,
      archived: false,
      modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
    });
    expect((await hs(t.app, 'GET', '/crm/v3/properties/0-1/wa_tags')).statusCode).toBe(200);
    const again = await hs(t.app, 'POST', '/crm/v3/properties/contacts', TAGS);
    expect(again.statusCode).toBe(409);
    const all = (await hs(t.app, 'GET', '/crm/v3/properties/contacts'))
      .json()
      .results.map((p: { name: string }) => p.name);
    expect(all).toEqual(
      expect.arrayContaining(['email', 'phone', 'hs_whatsapp_phone_number', 'lifecyclestage', 'wa_tags']),
    );
  });

  it('rejects property definitions HubSpot rejects', async () => {
    t = testHubSpot();
    for (const body of [
      { ...TAGS, fieldType: 'text' },
      { ...TAGS, options: [] },
      { ...TAGS, name: 'Bad Name' },
      { name: 'x', label: 'x', type: 'string' },
      { ...TAGS, type: 'money' },
    ]) {
      const r = await hs(t.app, 'POST', '/crm/v3/properties/contacts', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.json().category).toBe('VALIDATION_ERROR');
    }
  });

  it('tags written as a ;-list become the native tags (tags.added journalled); a leading ; appends; a bad option is INVALID_OPTION', async () => {
    t = testHubSpot();
    await hs(t.app, 'POST', '/crm/v3/properties/contacts', TAGS);
    const id = await contact(t.app, { firstname: 'Ana', phone: '+5511999999999' });
    const p = await hs(t.app, 'PATCH', `/crm/v3/objects/contacts/${id}`, {
      properties: { wa_tags: 'vip;support' },
    });
    expect(p.statusCode).toBe(200);
    expect(p.json().properties.wa_tags).toBe('vip;support');
    expect(t.store.contacts.get(id)?.tags).toEqual(['vip', 'support']);
    await hs(t.app, 'PATCH', `/crm/v3/objects/contacts/${id}`, { properties: { wa_tags: ';order' } });
    expect(t.store.contacts.get(id)?.tags).toEqual(['vip', 'support', 'order']);
    expect(entries(t.journal, 'tags.added')).toEqual([
      { contactId: id, tags: ['vip', 'support'], added: ['vip', 'support'] },
      // An append names the tags it asks for: order.
      { contactId: id, tags: ['order'], added: ['order'] },
    ]);
    // An append of a tag already there still names it (the message asked for it); a whole-value
    // write that re-states old tags names only what it added.
    await hs(t.app, 'PATCH', `/crm/v3/objects/contacts/${id}`, { properties: { wa_tags: ';vip' } });
    await hs(t.app, 'PATCH', `/crm/v3/objects/contacts/${id}`, {
      properties: { wa_tags: 'vip;support;order' },
    });
    expect(entries(t.journal, 'tags.added').slice(2)).toEqual([{ contactId: id, tags: ['vip'], added: [] }]);
    const bad = await hs(t.app, 'PATCH', `/crm/v3/objects/contacts/${id}`, {
      properties: { wa_tags: 'vip;gold' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatchObject({
      code: 'INVALID_OPTION',
      message: 'gold was not one of the allowed options: [vip, support, order]',
    });
    expect(t.store.contacts.get(id)?.tags).toEqual(['vip', 'support', 'order']);
    const read = await hs(t.app, 'GET', `/crm/v3/objects/contacts/${id}?properties=wa_tags`);
    expect(read.json().properties).toEqual({ wa_tags: 'vip;support;order' });
  });

  it('the opt-out property is the native opted_out flag', async () => {
    t = testHubSpot();
    await hs(t.app, 'POST', '/crm/v3/properties/contacts', {
      name: 'wa_opt_out',
      label: 'WhatsApp opt-out',
      type: 'bool',
      fieldType: 'booleancheckbox',
      groupName: 'contactinformation',
      options: [
        { label: 'Yes', value: 'true', hidden: false },
        { label: 'No', value: 'false', hidden: false },
      ],
    });
    const id = await contact(t.app, { firstname: 'Ana' });
    await hs(t.app, 'PATCH', `/crm/v3/objects/contacts/${id}`, { properties: { wa_opt_out: true } });
    expect(t.store.contacts.get(id)?.opted_out).toBe(true);
    const r = await hs(t.app, 'GET', `/crm/v3/objects/contacts/${id}?properties=wa_opt_out`);
    expect(r.json().properties.wa_opt_out).toBe('true');
  });

  it('a unique custom property works as idProperty; a non-unique one is refused with HubSpot words', async () => {
    t = testHubSpot();
    await hs(t.app, 'POST', '/crm/v3/properties/contacts', {
      name: 'wa_phone',
      label: 'WhatsApp id',
      type: 'string',
      fieldType: 'text',
      groupName: 'contactinformation',
      hasUniqueValue: true,
    });
    const id = await contact(t.app, { firstname: 'Ana', wa_phone: '5511999999999' });
    expect(
      (await hs(t.app, 'GET', '/crm/v3/objects/contacts/5511999999999?idProperty=wa_phone')).json().id,
    ).toBe(id);
    const clash = await hs(t.app, 'POST', '/crm/v3/objects/contacts', {
      properties: { wa_phone: '5511999999999' },
    });
    expect(clash.statusCode).toBe(400);
    expect(clash.json().message).toContain(`${id} already has that value.`);
    const nonUnique = await hs(t.app, 'GET', '/crm/v3/objects/contacts/1?idProperty=phone');
    expect(nonUnique.statusCode).toBe(400);
    expect(nonUnique.json().message).toBe(
      `Unable to perform update/upsert by non-unique 0-1 property phone in portal ID ${t.ctx.portalId}`,
    );
  });
});

describe('HubSpot batch contacts', () => {
  it('batch create (201), read (200, 207 with missing ids), update, upsert by email (new true/false), archive (204)', async () => {
    t = testHubSpot();
    const c = await hs(t.app, 'POST', '/crm/v3/objects/contacts/batch/create', {
      inputs: [
        { properties: { email: 'a@example.com', firstname: 'A' } },
        { properties: { email: 'b@example.com' } },
      ],
    });
    expect(c.statusCode).toBe(201);
    expect(c.json()).toMatchObject({
      status: 'COMPLETE',
      startedAt: expect.any(String),
      completedAt: expect.any(String),
    });
    const [a, b] = c.json().results.map((r: { id: string }) => r.id);
    const r = await hs(t.app, 'POST', '/crm/v3/objects/contacts/batch/read', {
      inputs: [{ id: a }, { id: b }],
      properties: ['email'],
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().results.map((x: { properties: { email: string } }) => x.properties.email)).toEqual([
      'a@example.com',
      'b@example.com',
    ]);
    const byEmail = await hs(t.app, 'POST', '/crm/v3/objects/contacts/batch/read', {
      idProperty: 'email',
      inputs: [{ id: 'b@example.com' }, { id: 'z@example.com' }],
    });
    expect(byEmail.statusCode).toBe(207);
    expect(byEmail.json().numErrors).toBe(1);
    const u = await hs(t.app, 'POST', '/crm/v3/objects/contacts/batch/update', {
      inputs: [{ id: a, properties: { lastname: 'Alpha' } }],
    });
    expect(u.json().results[0].properties.lastname).toBe('Alpha');
    const up = await hs(t.app, 'POST', '/crm/v3/objects/contacts/batch/upsert', {
      inputs: [
        { id: 'a@example.com', idProperty: 'email', properties: { firstname: 'Ann' } },
        { id: 'c@example.com', idProperty: 'email', properties: { firstname: 'Cy' } },
      ],
    });
    expect(up.statusCode).toBe(200);
    expect(up.json().results.map((x: { id: string; new: boolean }) => [x.id === a, x.new])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(t.store.contacts.count()).toBe(3);
    const badUp = await hs(t.app, 'POST', '/crm/v3/objects/contacts/batch/upsert', {
      inputs: [{ id: '+15550000000', idProperty: 'phone', properties: {} }],
    });
    expect(badUp.statusCode).toBe(400);
    const dup = await hs(t.app, 'POST', '/crm/v3/objects/contacts/batch/create', {
      inputs: [{ properties: { email: 'd@example.com' } }, { properties: { email: 'a@example.com' } }],
    });
    expect(dup.statusCode).toBe(409);
    expect(t.store.contacts.count()).toBe(3);
    const arch = await hs(t.app, 'POST', '/crm/v3/objects/contacts/batch/archive', { inputs: [{ id: a }] });
    expect(arch.statusCode).toBe(204);
    expect((await hs(t.app, 'GET', `/crm/v3/objects/contacts/${a}`)).statusCode).toBe(404);
    const tooMany = await hs(t.app, 'POST', '/crm/v3/objects/contacts/batch/read', {
      inputs: Array.from({ length: 101 }, (_, i) => ({ id: String(i) })),
    });
    expect(tooMany.statusCode).toBe(400);
  });
});

describe('HubSpot owners and pipelines', () => {
  it('lists owners (string id, numeric userId), filters by email on the trailing-slash path, reads one', async () => {
    t = testHubSpot();
    const all = await hs(t.app, 'GET', '/crm/v3/owners');
    expect(all.statusCode).toBe(200);
    const [first] = all.json().results;
    expect(first).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      type: 'PERSON',
      userId: expect.any(Number),
      archived: false,
    });
    const one = await hs(
      t.app,
      'GET',
      `/crm/v3/owners/?email=${encodeURIComponent(first.email)}&limit=10&archived=false`,
    );
    expect(one.json().results).toEqual([first]);
    expect((await hs(t.app, 'GET', `/crm/v3/owners/${first.id}`)).json()).toEqual(first);
    expect((await hs(t.app, 'GET', `/crm/v3/owners/${first.userId}?idProperty=userId`)).json().id).toBe(
      first.id,
    );
    expect((await hs(t.app, 'GET', '/crm/v3/owners/1')).statusCode).toBe(404);
    const paged = (await hs(t.app, 'GET', '/crm/v3/owners?limit=2')).json();
    expect(paged.results).toHaveLength(2);
    expect(paged.paging.next.after).toBe('2');
  });

  it('serves the default ticket pipeline with its stages', async () => {
    t = testHubSpot();
    const r = await hs(t.app, 'GET', '/crm/v3/pipelines/tickets');
    expect(r.statusCode).toBe(200);
    const [p] = r.json().results;
    expect(p).toMatchObject({
      id: '0',
      label: 'Support Pipeline',
      archived: false,
      createdAt: '1970-01-01T00:00:00Z',
    });
    expect(
      p.stages.map((s: { id: string; metadata: { ticketState: string } }) => [s.id, s.metadata.ticketState]),
    ).toEqual([
      ['1', 'OPEN'],
      ['2', 'OPEN'],
      ['3', 'OPEN'],
      ['4', 'CLOSED'],
    ]);
    expect((await hs(t.app, 'GET', '/crm/v3/pipelines/tickets/0/stages')).json().results).toHaveLength(4);
    expect((await hs(t.app, 'GET', '/crm/v3/pipelines/tickets/9')).statusCode).toBe(404);
  });
});

describe('HubSpot associations v4', () => {
  it('labels: create one, associate with it (201, numeric ids), read back with labels, batch create/read/archive', async () => {
    t = testHubSpot();
    const cid = await contact(t.app, { firstname: 'Ana' });
    const tk = (
      await hs(t.app, 'POST', '/crm/v3/objects/tickets', {
        properties: { subject: 'Help', hs_pipeline_stage: '1' },
      })
    ).json().id;
    const label = await hs(t.app, 'POST', '/crm/v4/associations/tickets/contacts/labels', {
      label: 'Requester',
      name: 'requester',
    });
    expect(label.statusCode).toBe(200);
    const typeId = label.json().results[0].typeId;
    const put = await hs(t.app, 'PUT', `/crm/v4/objects/tickets/${tk}/associations/contacts/${cid}`, [
      { associationCategory: 'USER_DEFINED', associationTypeId: typeId },
    ]);
    expect(put.statusCode).toBe(201);
    expect(put.json()).toEqual({
      fromObjectTypeId: '0-5',
      fromObjectId: Number(tk),
      toObjectTypeId: '0-1',
      toObjectId: Number(cid),
      labels: ['Requester'],
    });
    const got = (await hs(t.app, 'GET', `/crm/v4/objects/tickets/${tk}/associations/contacts`)).json();
    expect(got.results[0].associationTypes).toEqual([
      { category: 'HUBSPOT_DEFINED', typeId: 16, label: null },
      { category: 'USER_DEFINED', typeId, label: 'Requester' },
    ]);
    // Linking the ticket to a contact after creation opens the handover then.
    expect(entries(t.journal, 'handover.created')).toHaveLength(1);
    const labels = (await hs(t.app, 'GET', '/crm/v4/associations/tickets/contacts/labels')).json().results;
    expect(labels).toEqual([
      { category: 'HUBSPOT_DEFINED', typeId: 16, label: null },
      { category: 'USER_DEFINED', typeId, label: 'Requester' },
    ]);
    const cid2 = await contact(t.app, { firstname: 'Bea' });
    const bc = await hs(t.app, 'POST', '/crm/v4/associations/contacts/tickets/batch/create', {
      inputs: [
        {
          from: { id: cid2 },
          to: { id: tk },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 15 }],
        },
      ],
    });
    expect(bc.statusCode).toBe(201);
    const br = await hs(t.app, 'POST', '/crm/v4/associations/tickets/contacts/batch/read', {
      inputs: [{ id: tk }],
    });
    expect(br.json().results[0].to.map((x: { toObjectId: number }) => x.toObjectId)).toEqual([
      Number(cid),
      Number(cid2),
    ]);
    const ba = await hs(t.app, 'POST', '/crm/v4/associations/tickets/contacts/batch/archive', {
      inputs: [{ from: { id: tk }, to: [{ id: cid }] }],
    });
    expect(ba.statusCode).toBe(204);
    const del = await hs(t.app, 'DELETE', `/crm/v4/objects/contacts/${cid2}/associations/tickets/${tk}`);
    expect(del.statusCode).toBe(204);
    expect(
      (await hs(t.app, 'GET', `/crm/v4/objects/tickets/${tk}/associations/contacts`)).json().results,
    ).toEqual([]);
    const wrong = await hs(t.app, 'POST', '/crm/v4/associations/contacts/tickets/batch/create', {
      inputs: [
        {
          from: { id: cid2 },
          to: { id: tk },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 16 }],
        },
      ],
    });
    expect(wrong.statusCode).toBe(400);
    const none = await hs(
      t.app,
      'PUT',
      `/crm/v4/objects/contacts/${cid}/associations/default/tickets/12345678901`,
    );
    expect(none.statusCode).toBe(404);
  });
});

describe('HubSpot unknown routes and bad bodies', () => {
  it('answers in the HubSpot envelope', async () => {
    t = testHubSpot();
    const nf = await hs(t.app, 'GET', '/crm/v3/objects/deals-and-more/1/x');
    expect(nf.statusCode).toBe(404);
    expect(nf.json()).toMatchObject({ status: 'error', message: 'resource not found' });
    const bad = await t.app.inject({
      method: 'POST',
      url: '/crm/v3/objects/contacts',
      headers: {
        authorization: 'Bearer pat-na1-11111111-2222-3333-4444-555555555555',
        'content-type': 'application/json',
      },
      payload: '{"properties":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    const type = await hs(t.app, 'GET', '/crm/v3/objects/deals');
    expect(type.statusCode).toBe(400);
    expect(type.json().message).toBe('Unable to infer object type from: deals');
    expect(bad.body + nf.body + type.body).not.toMatch(/mock|wacrm|fastify/i);
  });
});
