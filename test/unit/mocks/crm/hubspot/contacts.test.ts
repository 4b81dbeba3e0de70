import { afterEach, describe, expect, it } from 'vitest';
import { contact, entries, hs, type TestHubSpot, testHubSpot } from './helpers.js';

let t: TestHubSpot;
afterEach(async () => {
  await t?.app.close();
});

describe('HubSpot contacts', () => {
  it('creates a contact: 201, string id above 2^31, string properties, timestamps, archived false', async () => {
    t = testHubSpot();
    const r = await hs(t.app, 'POST', '/crm/v3/objects/contacts', {
      properties: { firstname: 'Ana', lastname: 'Ruiz', phone: '+5511999999999', email: 'ana@example.com' },
    });
    expect(r.statusCode).toBe(201);
    expect(r.headers['content-type']).toBe('application/json;charset=utf-8');
    const b = r.json();
    expect(typeof b.id).toBe('string');
    expect(Number(b.id)).toBeGreaterThan(2 ** 31);
    expect(b.archived).toBe(false);
    expect(b.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(b.updatedAt).toBe(b.createdAt);
    expect(b.properties).toMatchObject({
      firstname: 'Ana',
      lastname: 'Ruiz',
      email: 'ana@example.com',
      phone: '+5511999999999',
      hs_object_id: b.id,
      lifecyclestage: 'lead',
      hs_calculated_phone_number: '+5511999999999',
      hs_searchable_calculated_phone_number: '11999999999',
    });
    for (const v of Object.values(b.properties)) expect(typeof v).toBe('string');
    // The native model holds the same contact, and the journal says so as the native routes do.
    const native = t.store.contacts.get(b.id);
    expect(native).toMatchObject({ name: 'Ana Ruiz', phone: '+5511999999999', email: 'ana@example.com' });
    expect(entries(t.journal, 'contact.upserted')).toEqual([
      { contactId: b.id, phone: '+5511999999999', created: true },
    ]);
  });

  it('reads by id with default properties, requested ones (unset null, unknown omitted), and by email', async () => {
    t = testHubSpot();
    const id = await contact(t.app, { firstname: 'Kofi', email: 'kofi@example.com' });
    const d = (await hs(t.app, 'GET', `/crm/v3/objects/contacts/${id}`)).json();
    expect(Object.keys(d.properties).sort()).toEqual([
      'createdate',
      'email',
      'firstname',
      'hs_object_id',
      'lastmodifieddate',
      'lastname',
    ]);
    expect(d.properties.lastname).toBeNull();
    const p = (
      await hs(t.app, 'GET', `/crm/v3/objects/contacts/${id}?properties=phone&properties=nope,firstname`)
    ).json();
    expect(p.properties).toEqual({ firstname: 'Kofi', phone: null });
    const byEmail = await hs(
      t.app,
      'GET',
      `/crm/v3/objects/contacts/${encodeURIComponent('KOFI@example.com')}?idProperty=email`,
    );
    expect(byEmail.statusCode).toBe(200);
    expect(byEmail.json().id).toBe(id);
  });

  it('answers 404 in HubSpot shapes for unknown numeric and malformed ids', async () => {
    t = testHubSpot();
    const r = await hs(t.app, 'GET', '/crm/v3/objects/contacts/12345678901');
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({
      status: 'error',
      message: 'resource not found',
      correlationId: expect.any(String),
    });
    const m = await hs(t.app, 'GET', '/crm/v3/objects/contacts/abc');
    expect(m.json()).toMatchObject({
      status: 'error',
      message: 'Object not found.  objectId are usually numeric.',
      context: { id: ['abc'] },
      category: 'OBJECT_NOT_FOUND',
    });
  });

  it('refuses a duplicate email with 409 "Existing ID" and an unknown property with PROPERTY_DOESNT_EXIST', async () => {
    t = testHubSpot();
    const id = await contact(t.app, { email: 'x@example.com' });
    const dup = await hs(t.app, 'POST', '/crm/v3/objects/contacts', {
      properties: { email: 'X@example.com' },
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({
      message: `Contact already exists. Existing ID: ${id}`,
      category: 'CONFLICT',
    });
    const bad = await hs(t.app, 'POST', '/crm/v3/objects/contacts', { properties: { missing: 'x' } });
    expect(bad.statusCode).toBe(400);
    const b = bad.json();
    expect(b.category).toBe('VALIDATION_ERROR');
    expect(b.message).toMatch(/^Property values were not valid: \[/);
    expect(JSON.parse(b.message.slice('Property values were not valid: '.length))[0]).toMatchObject({
      isValid: false,
      error: 'PROPERTY_DOESNT_EXIST',
      name: 'missing',
    });
    expect(t.store.contacts.count()).toBe(1);
  });

  it('updates (numbers become strings), archives (204, then 404) and lists with after-paging', async () => {
    t = testHubSpot();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await contact(t.app, { firstname: `P${i}`, hs_pinned_engagement_id: i }));
    const u = await hs(t.app, 'PATCH', `/crm/v3/objects/contacts/${ids[0]}`, {
      properties: { hs_pinned_engagement_id: 42 },
    });
    expect(u.statusCode).toBe(200);
    expect(u.json().properties.hs_pinned_engagement_id).toBe('42');
    const del = await hs(t.app, 'DELETE', `/crm/v3/objects/contacts/${ids[1]}`);
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expect((await hs(t.app, 'GET', `/crm/v3/objects/contacts/${ids[1]}`)).statusCode).toBe(404);
    const p1 = (await hs(t.app, 'GET', '/crm/v3/objects/contacts?limit=2')).json();
    expect(p1.results.map((r: { id: string }) => r.id)).toEqual([ids[0], ids[2]]);
    const after = p1.paging.next.after;
    expect(typeof after).toBe('string');
    const p2 = (await hs(t.app, 'GET', `/crm/v3/objects/contacts?limit=2&after=${after}`)).json();
    expect(p2.results.map((r: { id: string }) => r.id)).toEqual([ids[3], ids[4]]);
    expect(p2.paging).toBeUndefined();
    const arch = (await hs(t.app, 'GET', '/crm/v3/objects/contacts?archived=true')).json();
    expect(arch.results.map((r: { id: string; archived: boolean }) => [r.id, r.archived])).toEqual([
      [ids[1], true],
    ]);
  });

  it('guesses, as docs/crm-hubspot.md lists them: phone-only create, READ_ONLY_VALUE, email clash on update, region', async () => {
    t = testHubSpot({ limits: { searchPerSecond: 100 } });
    const only = await hs(t.app, 'POST', '/crm/v3/objects/contacts', {
      properties: { phone: '+886912345678' },
    });
    expect(only.statusCode).toBe(201);
    expect(only.json().properties).toMatchObject({
      hs_calculated_phone_number_country_code: 'TW',
      hs_searchable_calculated_phone_number: '912345678',
    });
    const ro = await hs(t.app, 'PATCH', `/crm/v3/objects/contacts/${only.json().id}`, {
      properties: { createdate: '2020-01-01' },
    });
    expect(ro.statusCode).toBe(400);
    expect(ro.json().errors[0]).toMatchObject({
      code: 'READ_ONLY_VALUE',
      context: { propertyName: ['createdate'] },
    });
    const a = await contact(t.app, { email: 'a@example.com' });
    const b = await contact(t.app, { email: 'b@example.com' });
    const clash = await hs(t.app, 'PATCH', `/crm/v3/objects/contacts/${b}`, {
      properties: { email: 'A@EXAMPLE.COM' },
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().message).toBe(`Contact already exists. Existing ID: ${a}`);
    // A contact may keep its own email.
    expect(
      (await hs(t.app, 'PATCH', `/crm/v3/objects/contacts/${a}`, { properties: { email: 'a@example.com' } }))
        .statusCode,
    ).toBe(200);
    const unknown = await hs(t.app, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'no_such_property', operator: 'NOT_HAS_PROPERTY' }] }],
    });
    expect(unknown.json().total).toBe(3);
  });
});
