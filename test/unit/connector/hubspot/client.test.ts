import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  HubSpotClient,
  type HubSpotClientOptions,
  msToNextUtcMidnight,
} from '../../../../connector/hubspot/client.js';
import { HubSpotGateway, OPT_OUT_PROPERTY, TAGS_PROPERTY } from '../../../../connector/hubspot/gateway.js';
import { RealClock } from '../../../../kernel/clock.js';

const BASE = 'http://hubspot.test';
const JSON_HDR = { 'content-type': 'application/json;charset=utf-8' };

function client(over: Partial<HubSpotClientOptions> = {}): HubSpotClient {
  return new HubSpotClient(
    {
      baseUrl: BASE,
      token: 'pat-na1-test',
      timeoutMs: 2000,
      perTenSeconds: 100,
      perDay: 250_000,
      searchPerSecond: 5,
      attempts: 3,
      ...over,
    },
    new RealClock(),
  );
}
const placement = { pipeline: '0', stage: '1', ownerId: '41629779' };

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe('HubSpotClient', () => {
  it('sends the bearer token and returns the parsed answer', async () => {
    nock(BASE, { reqheaders: { authorization: 'Bearer pat-na1-test' } })
      .get('/crm/v3/owners')
      .reply(200, { results: [] }, JSON_HDR);
    const r = await client().request('GET', '/crm/v3/owners');
    expect(r).toEqual({ ok: true, status: 200, data: { results: [] } });
  });

  it('a TEN_SECONDLY_ROLLING 429 pauses every call for the interval and is returned retryable', async () => {
    nock(BASE)
      .post('/crm/v3/objects/contacts')
      .reply(
        429,
        {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          correlationId: 'c9',
          policyName: 'TEN_SECONDLY_ROLLING',
        },
        {
          ...JSON_HDR,
          'x-hubspot-ratelimit-interval-milliseconds': '10000',
          'x-hubspot-ratelimit-remaining': '0',
        },
      );
    const c = client();
    const r = await c.request('POST', '/crm/v3/objects/contacts', { properties: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure).toMatchObject({
      httpStatus: 429,
      code: 'TEN_SECONDLY_ROLLING',
      retryable: true,
      retryAfterMs: 10_000,
    });
    expect(c.gate.remainingMs()).toBeGreaterThan(9000);
    expect(c.counters.rateLimited).toBe(1);
  });

  it('Retry-After wins over the policy default; ignore-retry-after does not pause', async () => {
    const body = {
      status: 'error',
      message: 'You have reached your secondly limit.',
      errorType: 'RATE_LIMIT',
      policyName: 'SECONDLY',
    };
    nock(BASE)
      .post('/crm/v3/objects/contacts/search')
      .reply(429, body, { ...JSON_HDR, 'retry-after': '3' });
    const c = client();
    const r = await c.request('POST', '/crm/v3/objects/contacts/search', {});
    expect(!r.ok && r.failure.retryAfterMs).toBe(3000);
    expect(c.gate.remainingMs()).toBeGreaterThan(2000);

    nock(BASE)
      .post('/crm/v3/objects/contacts/search')
      .reply(429, body, { ...JSON_HDR, 'retry-after': '3' });
    const rude = client({ ignoreRetryAfter: true });
    await rude.request('POST', '/crm/v3/objects/contacts/search', {});
    expect(rude.gate.remainingMs()).toBe(0);
  });

  it('a DAILY 429 waits until the next UTC midnight', async () => {
    nock(BASE).get('/crm/v3/owners').reply(
      429,
      {
        status: 'error',
        message: 'You have reached your daily limit.',
        errorType: 'RATE_LIMIT',
        policyName: 'DAILY',
      },
      JSON_HDR,
    );
    const r = await client().request('GET', '/crm/v3/owners');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure.code).toBe('DAILY');
    expect(Math.abs((r.failure.retryAfterMs ?? 0) - msToNextUtcMidnight(Date.now()))).toBeLessThan(1000);
  });

  it('retries a 5xx with back-off, then succeeds; does not retry a 400', async () => {
    nock(BASE).get('/crm/v3/owners').reply(502, { status: 'error', message: 'bad gateway' }, JSON_HDR);
    nock(BASE).get('/crm/v3/owners').reply(200, { results: [] }, JSON_HDR);
    const r = await client().request('GET', '/crm/v3/owners');
    expect(r.ok).toBe(true);

    nock(BASE).post('/crm/v3/objects/contacts').reply(
      400,
      {
        status: 'error',
        message: 'Property values were not valid',
        category: 'VALIDATION_ERROR',
        correlationId: 'x',
      },
      JSON_HDR,
    );
    const bad = await client().request('POST', '/crm/v3/objects/contacts', {});
    expect(!bad.ok && bad.failure).toMatchObject({
      httpStatus: 400,
      code: 'VALIDATION_ERROR',
      retryable: false,
    });
  });

  it('stops at the daily budget without calling', async () => {
    nock(BASE).get('/crm/v3/owners').reply(200, { results: [] }, JSON_HDR);
    const c = client({ perDay: 1 });
    expect((await c.request('GET', '/crm/v3/owners')).ok).toBe(true);
    const r = await c.request('GET', '/crm/v3/owners');
    expect(!r.ok && r.failure.code).toBe('DAILY');
    expect(c.counters.requests).toBe(1);
  });
});

describe('HubSpotGateway', () => {
  it('finds a contact by phone through the search API', async () => {
    let sent: unknown;
    nock(BASE)
      .post('/crm/v3/objects/contacts/search', (b) => {
        sent = b;
        return true;
      })
      .reply(200, { total: 1, results: [{ id: '108782252209', properties: {} }] }, JSON_HDR);
    const r = await new HubSpotGateway(client(), placement).findOrCreateContact('+5511999999999');
    expect(r).toEqual({ ok: true, id: '108782252209', created: false, optedOut: false });
    expect(sent).toMatchObject({
      filterGroups: [
        { filters: [{ propertyName: 'phone', operator: 'IN', values: ['+5511999999999', '5511999999999'] }] },
        {
          filters: [
            {
              propertyName: 'hs_whatsapp_phone_number',
              operator: 'IN',
              values: ['+5511999999999', '5511999999999'],
            },
          ],
        },
      ],
      limit: 1,
    });
  });

  it('creates the contact when the search finds none, and takes the existing id from a 409', async () => {
    nock(BASE).post('/crm/v3/objects/contacts/search').reply(200, { total: 0, results: [] }, JSON_HDR);
    nock(BASE)
      .post('/crm/v3/objects/contacts', {
        properties: { phone: '+4915112345678', hs_whatsapp_phone_number: '+4915112345678', firstname: 'Ana' },
      })
      .reply(201, { id: '57156923994', properties: {} }, JSON_HDR);
    const gw = new HubSpotGateway(client(), placement);
    expect(await gw.findOrCreateContact('+4915112345678', 'Ana')).toEqual({
      ok: true,
      id: '57156923994',
      created: true,
      name: 'Ana',
      optedOut: false,
    });

    nock(BASE).post('/crm/v3/objects/contacts/search').reply(200, { total: 0, results: [] }, JSON_HDR);
    nock(BASE).post('/crm/v3/objects/contacts').reply(
      409,
      {
        status: 'error',
        message: 'Contact already exists. Existing ID: 37765128953',
        category: 'CONFLICT',
      },
      JSON_HDR,
    );
    expect(await gw.findOrCreateContact('+4915112345678')).toEqual({
      ok: true,
      id: '37765128953',
      created: false,
      optedOut: false,
    });
  });

  it('logs a WHATS_APP communication associated to the contact (type 81)', async () => {
    nock(BASE)
      .post('/crm/v3/objects/communications', {
        properties: {
          hs_communication_channel_type: 'WHATS_APP',
          hs_communication_logged_from: 'CRM',
          hs_communication_body: 'Hola',
          hs_timestamp: '2026-11-27T09:15:02.000Z',
        },
        associations: [
          { to: { id: '9' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 81 }] },
        ],
      })
      .reply(201, { id: '12021896773', properties: {} }, JSON_HDR);
    const r = await new HubSpotGateway(client(), placement).logCommunication(
      '9',
      'Hola',
      '2026-11-27T09:15:02.000Z',
    );
    expect(r).toEqual({ ok: true, id: '12021896773', created: true });
  });

  it('creates the tags property when missing, and merges tags into it', async () => {
    nock(BASE)
      .get(`/crm/v3/properties/contacts/${TAGS_PROPERTY}`)
      .reply(404, { status: 'error', message: 'resource not found' }, JSON_HDR);
    nock(BASE)
      .post(
        '/crm/v3/properties/contacts',
        (b) => b.name === TAGS_PROPERTY && b.type === 'enumeration' && b.fieldType === 'checkbox',
      )
      .reply(201, { name: TAGS_PROPERTY }, JSON_HDR);
    nock(BASE)
      .get(`/crm/v3/properties/contacts/${OPT_OUT_PROPERTY}`)
      .reply(200, { name: OPT_OUT_PROPERTY, type: 'bool' }, JSON_HDR);
    const gw = new HubSpotGateway(client(), placement);
    expect(await gw.ensureProperties()).toEqual({ ok: true, created: [TAGS_PROPERTY] });

    nock(BASE)
      .get('/crm/v3/objects/contacts/9')
      .query({ properties: TAGS_PROPERTY })
      .reply(200, { id: '9', properties: { [TAGS_PROPERTY]: 'pricing' } }, JSON_HDR);
    nock(BASE)
      .patch('/crm/v3/objects/contacts/9', { properties: { [TAGS_PROPERTY]: 'pricing;complaint' } })
      .reply(200, { id: '9', properties: {} }, JSON_HDR);
    expect((await gw.addTags('9', ['complaint', 'pricing'])).ok).toBe(true);
  });

  it('opens a handover ticket in the configured pipeline and stage, owned and associated (type 16)', async () => {
    nock(BASE)
      .post(
        '/crm/v3/objects/tickets',
        (b) =>
          b.properties.hs_pipeline === '0' &&
          b.properties.hs_pipeline_stage === '1' &&
          b.properties.hubspot_owner_id === '41629779' &&
          b.properties.subject === 'WhatsApp handover: complaint' &&
          b.associations[0].to.id === '9' &&
          b.associations[0].types[0].associationTypeId === 16,
      )
      .reply(201, { id: '777', properties: {} }, JSON_HDR);
    const r = await new HubSpotGateway(client(), placement).openHandoverTicket(
      '9',
      'complaint',
      'customer complained',
    );
    expect(r).toEqual({ ok: true, id: '777', created: true });
  });
});
