import { afterEach, describe, expect, it } from 'vitest';
import { hs, type TestHubSpot, testHubSpot } from './helpers.js';

// Choices the mock makes where HubSpot's sources are silent or disagree (docs/crm-hubspot.md,
// "Faithful, simplified, guessed"). Each is pinned here or in the test the docs name, so a change
// of mind is a visible change.

let t: TestHubSpot;
afterEach(async () => {
  await t?.app.close();
});

describe('HubSpot dialect guesses', () => {
  it('a create or update without properties is a 400 naming the missing field', async () => {
    t = testHubSpot();
    for (const [method, url] of [
      ['POST', '/crm/v3/objects/contacts'],
      ['POST', '/crm/v3/objects/communications'],
    ] as const) {
      const r = await hs(t.app, method, url, {});
      expect(r.statusCode).toBe(400);
      expect(r.json()).toMatchObject({
        status: 'error',
        category: 'VALIDATION_ERROR',
        message: 'Some required fields were not set: [properties]',
      });
    }
  });

  it('the 429 groupName names the private app policy and the portal', async () => {
    t = testHubSpot({ limits: { perTenSeconds: 1 }, portalId: 777 });
    await hs(t.app, 'GET', '/crm/v3/objects/contacts');
    const r = await hs(t.app, 'GET', '/crm/v3/objects/contacts');
    expect(r.statusCode).toBe(429);
    expect(r.json().groupName).toBe('publicapi:private-app-api-calls-ten-secondly-rolling:777');
  });

  it('searches spend the daily budget but not the ten-second one', async () => {
    t = testHubSpot({ limits: { perDay: 3 } });
    expect((await hs(t.app, 'POST', '/crm/v3/objects/contacts/search', {})).statusCode).toBe(200);
    expect((await hs(t.app, 'POST', '/crm/v3/objects/contacts/search', {})).statusCode).toBe(200);
    const list = await hs(t.app, 'GET', '/crm/v3/objects/contacts');
    expect(list.headers['x-hubspot-ratelimit-daily-remaining']).toBe('0');
    expect(list.headers['x-hubspot-ratelimit-remaining']).toBe('99');
    // The deprecated per-second headers are not sent.
    expect(list.headers['x-hubspot-ratelimit-secondly']).toBeUndefined();
    expect(list.headers['x-hubspot-ratelimit-secondly-remaining']).toBeUndefined();
    const over = await hs(t.app, 'POST', '/crm/v3/objects/contacts/search', {});
    expect(over.statusCode).toBe(429);
    expect(over.json().policyName).toBe('DAILY');
  });

  it('an injected outage answers 503 Service Unavailable in the envelope', async () => {
    t = testHubSpot();
    t.faults.add({ kind: 'outage', mode: 'unavailable' });
    const r = await hs(t.app, 'GET', '/crm/v3/objects/contacts');
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({
      status: 'error',
      message: 'Service Unavailable',
      correlationId: expect.any(String),
      category: 'INTERNAL_ERROR',
    });
  });

  it('a new record is in search at once (no index lag is simulated)', async () => {
    t = testHubSpot();
    const made = await hs(t.app, 'POST', '/crm/v3/objects/contacts', {
      properties: { email: 'lag@example.com', phone: '+15551239999' },
    });
    const found = await hs(t.app, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'lag@example.com' }] }],
    });
    expect(found.json().results.map((r: { id: string }) => r.id)).toEqual([made.json().id]);
  });

  it('a batch create is all or nothing: one bad input is a 400 and nothing is written (never a 207)', async () => {
    t = testHubSpot();
    const r = await hs(t.app, 'POST', '/crm/v3/objects/contacts/batch/create', {
      inputs: [
        { properties: { email: 'ok@example.com' }, objectWriteTraceId: 'a' },
        { properties: { no_such_property: 'x' }, objectWriteTraceId: 'b' },
      ],
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().category).toBe('VALIDATION_ERROR');
    expect(t.store.contacts.count()).toBe(0);
  });
});
