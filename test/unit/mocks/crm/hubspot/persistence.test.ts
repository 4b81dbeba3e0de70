import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../../../../mocks/crm/store.js';
import { contact, hs, type TestHubSpot, testHubSpot } from './helpers.js';

let dir = '';
let t: TestHubSpot | undefined;
afterEach(async () => {
  await t?.app.close();
  t?.store.close();
  t = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('HubSpot dialect on a SQLite store', () => {
  it('keeps contacts, extra properties, archive flags, associations, custom properties and labels across a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hs-store-'));
    const file = join(dir, 'crm.sqlite');
    t = testHubSpot({}, createSqliteStore(file));
    await hs(t.app, 'POST', '/crm/v3/properties/contacts', {
      name: 'wa_segment',
      label: 'Segment',
      type: 'string',
      fieldType: 'text',
      groupName: 'contactinformation',
    });
    const id = await contact(t.app, {
      firstname: 'Ana',
      lastname: 'Ruiz',
      wa_segment: 'gold',
      phone: '+5511999999999',
    });
    const gone = await contact(t.app, { firstname: 'Gone' });
    await hs(t.app, 'DELETE', `/crm/v3/objects/contacts/${gone}`);
    const tk = (
      await hs(t.app, 'POST', '/crm/v3/objects/tickets', {
        properties: { subject: 'Help: complaint', hs_pipeline_stage: '1' },
        associations: [
          { to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 16 }] },
        ],
      })
    ).json().id;
    const typeId = (
      await hs(t.app, 'POST', '/crm/v4/associations/tickets/contacts/labels', { label: 'Requester' })
    ).json().results[0].typeId;
    await t.app.close();
    t.store.close();

    t = testHubSpot({}, createSqliteStore(file));
    const c = await hs(
      t.app,
      'GET',
      `/crm/v3/objects/contacts/${id}?properties=firstname,lastname,wa_segment`,
    );
    expect(c.json().properties).toMatchObject({ firstname: 'Ana', lastname: 'Ruiz', wa_segment: 'gold' });
    expect((await hs(t.app, 'GET', `/crm/v3/objects/contacts/${gone}`)).statusCode).toBe(404);
    const assoc = (await hs(t.app, 'GET', `/crm/v4/objects/contacts/${id}/associations/tickets`)).json();
    expect(assoc.results).toEqual([
      {
        toObjectId: Number(tk),
        associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 15, label: null }],
      },
    ]);
    const labels = (await hs(t.app, 'GET', '/crm/v4/associations/tickets/contacts/labels')).json().results;
    expect(labels).toContainEqual({ category: 'USER_DEFINED', typeId, label: 'Requester' });
    // New ids keep counting from where the last process stopped.
    const next = await contact(t.app, { firstname: 'Next' });
    expect(Number(next)).toBeGreaterThan(Number(tk));
    expect(t.store.handovers.count()).toBe(1);
  });
});
