import { afterEach, describe, expect, it } from 'vitest';
import { contact, hs, type TestHubSpot, testHubSpot } from './helpers.js';

let t: TestHubSpot;
afterEach(async () => {
  await t?.app.close();
});

const search = (body: unknown) => hs(t.app, 'POST', '/crm/v3/objects/contacts/search', body);

describe('HubSpot CRM search', () => {
  it('finds a contact by phone the way the reference connector asks (IN over two properties), 200 not 201', async () => {
    t = testHubSpot({ limits: { searchPerSecond: 1000 } });
    await contact(t.app, { firstname: 'Other', phone: '+15550000000' });
    const id = await contact(t.app, { firstname: 'Ana', hs_whatsapp_phone_number: '+5511999999999' });
    const r = await search({
      filterGroups: ['phone', 'hs_whatsapp_phone_number'].map((propertyName) => ({
        filters: [{ propertyName, operator: 'IN', values: ['+5511999999999', '5511999999999'] }],
      })),
      properties: ['phone', 'hs_whatsapp_phone_number', 'firstname'],
      sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }],
      limit: 1,
    });
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.total).toBe(1);
    expect(b.results[0].id).toBe(id);
    expect(b.results[0].properties).toMatchObject({
      firstname: 'Ana',
      hs_whatsapp_phone_number: '+5511999999999',
      hs_object_id: id,
      createdate: expect.any(String),
      lastmodifieddate: expect.any(String),
    });
    expect(b.results[0].associations).toBeUndefined();
    // Search answers carry no rate-limit headers.
    expect(r.headers['x-hubspot-ratelimit-remaining']).toBeUndefined();
  });

  it('reads a sort sent as a JSON-encoded object, as the official client’s README sends it; a broken one is a 400', async () => {
    t = testHubSpot({ limits: { searchPerSecond: 1000 } });
    const a = await contact(t.app, { firstname: 'Alma' });
    const b = await contact(t.app, { firstname: 'Bruno' });
    const r = await search({
      sorts: [JSON.stringify({ propertyName: 'firstname', direction: 'DESCENDING' })],
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().results.map((x: { id: string }) => x.id)).toEqual([b, a]);
    const bad = await search({ sorts: ['{"propertyName": firstname'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      category: 'VALIDATION_ERROR',
      message: expect.stringContaining('sorts[0]'),
    });
  });

  it('ANDs filters in a group, ORs groups, sorts, pages by offset and counts the total', async () => {
    t = testHubSpot({ limits: { searchPerSecond: 1000 } });
    const ids: string[] = [];
    for (const [i, n] of ['ana', 'bea', 'cid', 'dan', 'eva'].entries()) {
      ids.push(
        await contact(t.app, {
          firstname: n,
          email: `${n}@${i % 2 ? 'odd' : 'even'}.example.com`,
          hs_pinned_engagement_id: i,
        }),
      );
      t.clock.advance(1000);
    }
    const even = await search({
      filterGroups: [
        { filters: [{ propertyName: 'email', operator: 'CONTAINS_TOKEN', value: '*@even.example.com' }] },
      ],
      sorts: [{ propertyName: 'createdate', direction: 'DESCENDING' }],
      limit: 2,
    });
    const b = even.json();
    expect(b.total).toBe(3);
    expect(b.results.map((x: { id: string }) => x.id)).toEqual([ids[4], ids[2]]);
    expect(b.paging).toEqual({ next: { after: '2' } });
    const rest = await search({
      filterGroups: [
        { filters: [{ propertyName: 'email', operator: 'CONTAINS_TOKEN', value: '*@even.example.com' }] },
      ],
      sorts: [{ propertyName: 'createdate', direction: 'DESCENDING' }],
      limit: 2,
      after: '2',
    });
    expect(rest.json().results.map((x: { id: string }) => x.id)).toEqual([ids[0]]);
    expect(rest.json().paging).toBeUndefined();
    const and = await search({
      filterGroups: [
        {
          filters: [
            { propertyName: 'hs_pinned_engagement_id', operator: 'GTE', value: '1' },
            { propertyName: 'hs_pinned_engagement_id', operator: 'LT', value: 3 },
          ],
        },
        { filters: [{ propertyName: 'firstname', operator: 'EQ', value: 'EVA' }] },
      ],
      sorts: ['-hs_pinned_engagement_id'],
    });
    expect(and.json().results.map((x: { id: string }) => x.id)).toEqual([ids[4], ids[2], ids[1]]);
    const between = await search({
      filterGroups: [
        {
          filters: [
            { propertyName: 'hs_pinned_engagement_id', operator: 'BETWEEN', value: '3', highValue: '10' },
          ],
        },
      ],
    });
    expect(between.json().total).toBe(2);
    const has = await search({
      filterGroups: [{ filters: [{ propertyName: 'phone', operator: 'NOT_HAS_PROPERTY' }] }],
    });
    expect(has.json().total).toBe(5);
    const q = await search({ query: 'dan' });
    expect(q.json().results.map((x: { id: string }) => x.id)).toEqual([ids[3]]);
  });

  it('keeps HubSpot case rules: enumerations exact, IN values lowercase', async () => {
    t = testHubSpot({ limits: { searchPerSecond: 1000 } });
    await contact(t.app, { firstname: 'Ana', lifecyclestage: 'customer' });
    const f = (propertyName: string, operator: string, v: unknown) => ({
      filterGroups: [
        { filters: [{ propertyName, operator, ...(Array.isArray(v) ? { values: v } : { value: v }) }] },
      ],
    });
    expect((await search(f('lifecyclestage', 'EQ', 'customer'))).json().total).toBe(1);
    expect((await search(f('lifecyclestage', 'EQ', 'CUSTOMER'))).json().total).toBe(0);
    expect((await search(f('firstname', 'EQ', 'ANA'))).json().total).toBe(1);
    expect((await search(f('firstname', 'IN', ['ana']))).json().total).toBe(1);
    expect((await search(f('firstname', 'IN', ['Ana']))).json().total).toBe(0);
  });

  it('rejects what HubSpot rejects: too many groups/filters, limit over 200, past 10,000, bad operator', async () => {
    t = testHubSpot({ limits: { searchPerSecond: 1000 } });
    const filter = { propertyName: 'email', operator: 'HAS_PROPERTY' };
    const cases: unknown[] = [
      { filterGroups: Array.from({ length: 6 }, () => ({ filters: [filter] })) },
      { filterGroups: [{ filters: Array.from({ length: 7 }, () => filter) }] },
      {
        filterGroups: Array.from({ length: 4 }, () => ({ filters: Array.from({ length: 5 }, () => filter) })),
      },
      { limit: 201 },
      { limit: 100, after: '9950' },
      { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'LIKE', value: 'x' }] }] },
      { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'IN' }] }] },
    ];
    for (const c of cases) {
      const r = await search(c);
      expect(r.statusCode, JSON.stringify(c)).toBe(400);
      expect(r.json()).toMatchObject({
        status: 'error',
        category: 'VALIDATION_ERROR',
        correlationId: expect.any(String),
      });
    }
  });

  it('never returns archived records', async () => {
    t = testHubSpot({ limits: { searchPerSecond: 1000 } });
    const id = await contact(t.app, { firstname: 'Gone' });
    await hs(t.app, 'DELETE', `/crm/v3/objects/contacts/${id}`);
    expect((await search({})).json().total).toBe(0);
  });
});
