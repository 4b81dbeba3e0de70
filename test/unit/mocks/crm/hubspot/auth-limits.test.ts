import { afterEach, describe, expect, it } from 'vitest';
import { contact, entries, hs, type TestHubSpot, TOKEN, testHubSpot } from './helpers.js';

let t: TestHubSpot;
afterEach(async () => {
  await t?.app.close();
});

const READ_ONLY = 'pat-eu1-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

describe('HubSpot private-app auth', () => {
  it('answers 401 INVALID_AUTHENTICATION for a missing or unknown token, with the auth-failure header', async () => {
    t = testHubSpot();
    for (const headers of [{}, { authorization: 'Bearer pat-na1-unknown' }, { authorization: 'Basic abc' }]) {
      const r = await t.app.inject({ method: 'GET', url: '/crm/v3/objects/contacts', headers });
      expect(r.statusCode).toBe(401);
      expect(r.headers['x-hubspot-auth-failure']).toBe('401 Unauthorized');
      expect(r.headers['content-type']).toBe('application/json;charset=utf-8');
      const b = r.json();
      expect(b).toEqual({
        status: 'error',
        message: expect.stringMatching(/^Authentication credentials not found\./),
        correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        category: 'INVALID_AUTHENTICATION',
      });
      expect(r.headers['x-hubspot-correlation-id']).toBe(b.correlationId);
    }
  });

  it('answers 403 MISSING_SCOPES naming the scopes a call needs', async () => {
    t = testHubSpot({
      tokens: [{ token: TOKEN }, { token: READ_ONLY, scopes: ['crm.objects.contacts.read'] }],
    });
    const as = { authorization: `Bearer ${READ_ONLY}` };
    expect((await hs(t.app, 'GET', '/crm/v3/objects/contacts', undefined, as)).statusCode).toBe(200);
    const w = await hs(t.app, 'POST', '/crm/v3/objects/contacts', { properties: { firstname: 'x' } }, as);
    expect(w.statusCode).toBe(403);
    expect(w.json()).toMatchObject({
      status: 'error',
      message: expect.stringContaining("hasn't been granted all required scopes"),
      errors: [
        {
          message: 'One or more of the following scopes are required.',
          context: { requiredScopes: ['crm.objects.contacts.write'] },
        },
      ],
      links: { scopes: 'https://developers.hubspot.com/scopes' },
      category: 'MISSING_SCOPES',
    });
    const tk = await hs(t.app, 'GET', '/crm/v3/objects/tickets', undefined, as);
    expect(tk.json().errors[0].context.requiredScopes).toEqual(['tickets']);
    const ow = await hs(t.app, 'GET', '/crm/v3/owners', undefined, as);
    expect(ow.json().errors[0].context.requiredScopes).toEqual(['crm.objects.owners.read']);
    const pr = await hs(t.app, 'POST', '/crm/v3/properties/contacts', {}, as);
    expect(pr.json().errors[0].context.requiredScopes).toEqual(['crm.schemas.contacts.write']);
    expect(t.store.contacts.count()).toBe(0);
  });
});

describe('HubSpot limits', () => {
  it('sends the X-HubSpot-RateLimit headers and 429 TEN_SECONDLY_ROLLING past the burst, then recovers', async () => {
    t = testHubSpot({ limits: { perTenSeconds: 3 } });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await hs(t.app, 'GET', '/crm/v3/objects/contacts');
      expect(r.statusCode).toBe(200);
      seen.push(String(r.headers['x-hubspot-ratelimit-remaining']));
      expect(r.headers).toMatchObject({
        'x-hubspot-ratelimit-max': '3',
        'x-hubspot-ratelimit-interval-milliseconds': '10000',
        'x-hubspot-ratelimit-daily': '250000',
        'x-hubspot-ratelimit-daily-remaining': String(250_000 - i - 1),
      });
    }
    expect(seen).toEqual(['2', '1', '0']);
    const r = await hs(t.app, 'GET', '/crm/v3/objects/contacts');
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBeUndefined();
    expect(r.json()).toEqual({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      correlationId: expect.any(String),
      errorType: 'RATE_LIMIT',
      policyName: 'TEN_SECONDLY_ROLLING',
      groupName: expect.any(String),
    });
    t.clock.advance(10_001);
    expect((await hs(t.app, 'GET', '/crm/v3/objects/contacts')).statusCode).toBe(200);
    // The journal records the refusals under the policy name, as the native dialect records its codes.
    expect(entries(t.journal, 'api.request').filter((e) => e['statusCode'] === 429)).toEqual([
      expect.objectContaining({ errorCode: 'TEN_SECONDLY_ROLLING', route: '/crm/v3/objects/:objectType' }),
    ]);
  });

  it('answers 429 DAILY once the day is used up, until midnight UTC', async () => {
    t = testHubSpot({ limits: { perDay: 2, perTenSeconds: 100 } });
    await hs(t.app, 'GET', '/crm/v3/objects/contacts');
    await hs(t.app, 'GET', '/crm/v3/objects/contacts');
    const r = await hs(t.app, 'GET', '/crm/v3/objects/contacts');
    expect(r.statusCode).toBe(429);
    expect(r.json()).toMatchObject({
      message: 'You have reached your daily limit.',
      policyName: 'DAILY',
      errorType: 'RATE_LIMIT',
    });
    expect(r.headers['x-hubspot-ratelimit-daily-remaining']).toBe('0');
    t.clock.advance(15 * 3_600_000);
    expect((await hs(t.app, 'GET', '/crm/v3/objects/contacts')).statusCode).toBe(200);
  });

  it('limits search on its own: 5 per second, SECONDLY with the exact message the SDK retries on', async () => {
    t = testHubSpot();
    const codes: number[] = [];
    for (let i = 0; i < 6; i++)
      codes.push((await hs(t.app, 'POST', '/crm/v3/objects/contacts/search', {})).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
    const r = await hs(t.app, 'POST', '/crm/v3/objects/contacts/search', {});
    expect(r.json()).toMatchObject({
      message: 'You have reached your secondly limit.',
      policyName: 'SECONDLY',
    });
    // The burst budget is untouched by searches.
    expect(
      (await hs(t.app, 'GET', '/crm/v3/objects/contacts')).headers['x-hubspot-ratelimit-remaining'],
    ).toBe('99');
    t.clock.advance(1001);
    expect((await hs(t.app, 'POST', '/crm/v3/objects/contacts/search', {})).statusCode).toBe(200);
  });

  it('tiers set the figures', async () => {
    t = testHubSpot({ tier: 'enterprise' });
    const r = await hs(t.app, 'GET', '/crm/v3/objects/contacts');
    expect(r.headers['x-hubspot-ratelimit-max']).toBe('190');
    expect(r.headers['x-hubspot-ratelimit-daily']).toBe('1000000');
    expect(() => testHubSpot({ tier: 'gold' as never })).toThrow(/hubspot.tier/);
    expect(() => testHubSpot({ tokens: [] })).toThrow(/hubspot.tokens/);
  });
});

describe('HubSpot faults (the mock timeline)', () => {
  it('an injected 429 storm answers HubSpot 429s, an outage 503s, an error 500s; none says what it is', async () => {
    t = testHubSpot();
    await contact(t.app, { firstname: 'Ana' });
    const storm = t.faults.add({ kind: 'rate-limit', retryAfterS: 2 });
    const r = await hs(t.app, 'GET', '/crm/v3/objects/contacts');
    expect(r.statusCode).toBe(429);
    expect(r.json()).toMatchObject({ policyName: 'TEN_SECONDLY_ROLLING', errorType: 'RATE_LIMIT' });
    expect(r.headers['x-hubspot-ratelimit-remaining']).toBe('0');
    t.faults.clear(storm.id);
    const out = t.faults.add({ kind: 'outage', mode: 'unavailable' });
    const o = await hs(t.app, 'POST', '/crm/v3/objects/contacts/search', {});
    expect(o.statusCode).toBe(503);
    expect(o.json()).toMatchObject({ status: 'error', category: 'INTERNAL_ERROR' });
    t.faults.clear(out.id);
    t.faults.add({ kind: 'error', code: 500, rate: 1 });
    const e = await hs(t.app, 'GET', '/crm/v3/owners');
    expect(e.statusCode).toBe(500);
    for (const res of [r, o, e]) expect(res.body).not.toMatch(/mock|wacrm|inject|fault/i);
  });
});
