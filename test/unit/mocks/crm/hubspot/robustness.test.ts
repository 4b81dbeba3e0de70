import { afterEach, describe, expect, it } from 'vitest';
import { contact, hs, type TestHubSpot, testHubSpot } from './helpers.js';

let t: TestHubSpot;
afterEach(async () => {
  await t?.app.close();
});

const BODIES: unknown[] = [
  [],
  'text',
  123,
  { properties: [] },
  { properties: { email: { nested: true } } },
  { properties: { hs_timestamp: 'not a date', hs_pipeline_stage: 5 } },
  { inputs: 'x' },
  { inputs: [null, 1] },
  { inputs: [{ id: {} }] },
  { associations: 'x' },
  { associations: [{ to: {}, types: [] }] },
  { associations: [{ to: { id: '1' }, types: [{ associationCategory: 'NOPE', associationTypeId: 'x' }] }] },
  { filterGroups: 'x' },
  { filterGroups: [{ filters: [{ operator: 'EQ' }] }] },
  { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'BETWEEN', value: 'a' }] }] },
  { sorts: [{ direction: 'UP' }] },
  { limit: 'many', after: -1 },
  { name: 1, label: [], type: {}, groupName: null, fieldType: 'x' },
  { label: '' },
];

describe('HubSpot dialect robustness', () => {
  it('answers every malformed body on every write route with a 4xx in HubSpot envelope, never a 500', async () => {
    t = testHubSpot({ limits: { perTenSeconds: 100_000, searchPerSecond: 100_000 } });
    const cid = await contact(t.app, { firstname: 'Ana' });
    const routes: Array<['POST' | 'PATCH' | 'PUT', string]> = [
      ['POST', '/crm/v3/objects/contacts'],
      ['PATCH', `/crm/v3/objects/contacts/${cid}`],
      ['POST', '/crm/v3/objects/communications'],
      ['POST', '/crm/v3/objects/tickets'],
      ['POST', '/crm/v3/objects/notes'],
      ['POST', '/crm/v3/objects/contacts/search'],
      ['POST', '/crm/v3/objects/tickets/search'],
      ['POST', '/crm/v3/objects/contacts/batch/read'],
      ['POST', '/crm/v3/objects/contacts/batch/create'],
      ['POST', '/crm/v3/objects/contacts/batch/update'],
      ['POST', '/crm/v3/objects/contacts/batch/upsert'],
      ['POST', '/crm/v3/objects/contacts/batch/archive'],
      ['POST', '/crm/v3/properties/contacts'],
      ['PUT', `/crm/v4/objects/contacts/${cid}/associations/tickets/1`],
      ['POST', '/crm/v4/associations/contacts/tickets/batch/create'],
      ['POST', '/crm/v4/associations/contacts/tickets/batch/read'],
      ['POST', '/crm/v4/associations/contacts/tickets/batch/archive'],
      ['POST', '/crm/v4/associations/tickets/contacts/labels'],
    ];
    const before = t.store.contacts.count();
    for (const [method, url] of routes) {
      for (const body of BODIES) {
        const r = await hs(t.app, method, url, body);
        const where = `${method} ${url} ${JSON.stringify(body)}`;
        expect(r.statusCode, where).toBeLessThan(500);
        if (r.statusCode >= 400) {
          expect(r.headers['content-type'], where).toBe('application/json;charset=utf-8');
          expect(r.json(), where).toMatchObject({
            status: 'error',
            message: expect.any(String),
            correlationId: expect.any(String),
          });
        }
      }
    }
    // Nothing half-written: bad creates created nothing.
    expect(t.store.contacts.count()).toBe(before);
    expect(t.store.hubspot.find('type', 'tickets')).toHaveLength(0);
  });
});
