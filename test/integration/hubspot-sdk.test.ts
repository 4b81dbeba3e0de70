/**
 * HubSpot's official Node client (`@hubspot/api-client`) against the CRM mock's HubSpot dialect on
 * a real socket, only its base URL and token changed: the typed APIs a vendor's integration calls
 * must get answers the client accepts (exact status codes, a JSON content type) and deserialises
 * into its model classes with every declared field of its declared type (hubspot-sdk-models.ts),
 * and errors the client turns into `ApiException`s with HubSpot's envelope.
 */
import type { AddressInfo } from 'node:net';
import { Client } from '@hubspot/api-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Clock, RealClock, VirtualClock } from '../../kernel/clock.js';
import type { HubSpotOptions } from '../../mocks/crm/dialects/hubspot/context.js';
import { type TestHubSpot, TOKEN, testHubSpotOn } from '../unit/mocks/crm/hubspot/helpers.js';
import { type Allowance, modelProblems, sdkDeserialize } from './hubspot-sdk-models.js';

let running: TestHubSpot<Clock> | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await running?.app.close();
  running = undefined;
});

/** Starts the HubSpot dialect on port 0; the base URL has no trailing slash (the SDK concatenates). */
async function start(
  opts: Partial<HubSpotOptions> = {},
  clock: Clock = new RealClock(),
): Promise<{ basePath: string; t: TestHubSpot<Clock> }> {
  const t = testHubSpotOn(clock, opts);
  running = t;
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  return { basePath: `http://127.0.0.1:${port}`, t };
}

function sdk(basePath: string, accessToken = TOKEN, numberOfApiCallRetries = 0): Client {
  return new Client({ accessToken, basePath, numberOfApiCallRetries });
}

/**
 * v4 association ids: HubSpot's docs and the mock answer JSON numbers where the SDK declares
 * strings (docs/crm-hubspot.md, "Tested with the official client"); everything else must match.
 */
const v4Ids: Allowance = (path, v) =>
  /\.(toObjectId|fromObjectId)$/.test(path) && typeof v === 'number' && Number.isSafeInteger(v);

function wellFormed(value: unknown, module: string, allow?: Allowance): void {
  expect(modelProblems(value, module, allow)).toEqual([]);
}

/** An error body against the SDK's declared error model (`ModelError`: message, correlationId, category). */
function errorModel(body: unknown, module: string): void {
  expect(modelProblems(body, module, undefined, 'ModelError')).toEqual([]);
}

interface SdkError {
  code: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** The ApiException a call throws, with HubSpot's error envelope checked. */
async function rejected(p: Promise<unknown>): Promise<SdkError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  const e = err as SdkError & Error;
  expect(e.constructor.name).toBe('ApiException');
  expect(typeof e.code).toBe('number');
  expect(e.body).toMatchObject({ status: 'error', message: expect.any(String) });
  expect(e.body['correlationId']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(e.headers['content-type']).toBe('application/json;charset=utf-8');
  return e;
}

/** An inline association on a create (HUBSPOT_DEFINED; the SDK's category enums differ per module). */
const inline = (id: string, associationTypeId: number) => ({
  to: { id },
  types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId }],
});

const WHATS_APP = {
  hs_communication_channel_type: 'WHATS_APP',
  hs_communication_logged_from: 'CRM',
};

describe('the official HubSpot client against the HubSpot dialect', () => {
  it('the model check fails a body the SDK would accept but a vendor’s typed code would trip on', () => {
    // The SDK itself lets all of this through; the check is what catches it.
    const loose = sdkDeserialize(
      'crm/contacts',
      { id: 52000000097, properties: { n: 0 }, createdAt: 'yesterday', archived: 'false' },
      'SimplePublicObject',
    );
    expect(modelProblems(loose, 'crm/contacts')).toEqual([
      '$.createdAt: not a valid date',
      '$.archived: boolean expected, got "false"',
      '$.id: string expected, got 52000000097',
      '$.properties.n: string expected, got 0',
      '$.updatedAt: missing',
    ]);
    const batch = sdkDeserialize(
      'crm/contacts',
      { status: 'DONE', results: [] },
      'BatchResponseSimplePublicObject',
    );
    expect(modelProblems(batch, 'crm/contacts')).toEqual([
      '$.completedAt: missing',
      '$.startedAt: missing',
      '$.status: "DONE" is not one of PENDING, PROCESSING, CANCELED, COMPLETE',
    ]);
    expect(modelProblems({ status: 'error', message: 'x' }, 'crm/contacts', undefined, 'ModelError')).toEqual(
      ['$.correlationId: missing', '$.category: missing'],
    );
  });

  it('contacts basicApi: create, getById (by id and by email), update, getPage paging by after, archive', async () => {
    const { basePath } = await start();
    const contacts = sdk(basePath).crm.contacts.basicApi;

    const made = await contacts.create({
      properties: { email: 'ana@example.com', firstname: 'Ana', lastname: 'Souza', phone: '+5511999999999' },
      associations: [],
    });
    wellFormed(made, 'crm/contacts');
    expect(Number(made.id)).toBeGreaterThan(2 ** 31);
    expect(made.properties).toMatchObject({
      email: 'ana@example.com',
      hs_object_id: made.id,
      lifecyclestage: 'lead',
    });
    expect(made.createdAt.getTime()).toBe(made.updatedAt.getTime());

    const byId = await contacts.getById(made.id, ['email', 'phone', 'wa_nothing']);
    wellFormed(byId, 'crm/contacts');
    expect(byId.properties).toMatchObject({ email: 'ana@example.com', phone: '+5511999999999' });
    expect(byId.properties).not.toHaveProperty('wa_nothing');
    const byEmail = await contacts.getById(
      'ANA@example.com',
      ['firstname'],
      undefined,
      undefined,
      false,
      'email',
    );
    expect(byEmail.id).toBe(made.id);

    const updated = await contacts.update(made.id, { properties: { firstname: 'Ana Maria' } });
    wellFormed(updated, 'crm/contacts');
    expect(updated.properties['firstname']).toBe('Ana Maria');
    const byEmailUpdate = await contacts.update(
      'ana@example.com',
      { properties: { lastname: 'Lima' } },
      'email',
    );
    expect(byEmailUpdate).toMatchObject({ id: made.id, properties: { lastname: 'Lima' } });

    for (let i = 0; i < 4; i++)
      await contacts.create({
        properties: { email: `c${i}@example.com`, firstname: `C${i}` },
        associations: [],
      });
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await contacts.getPage(2, after, ['email']);
      wellFormed(page, 'crm/contacts');
      seen.push(...page.results.map((r) => r.id));
      after = page.paging?.next?.after;
      pages++;
    } while (after !== undefined && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);

    await expect(contacts.archive(made.id)).resolves.toBeUndefined();
    const gone = await rejected(contacts.getById(made.id));
    expect(gone.code).toBe(404);
    const archived = await contacts.getPage(10, undefined, undefined, undefined, undefined, true);
    expect(archived.results.map((r) => r.id)).toEqual([made.id]);
    expect(archived.results[0]?.archived).toBe(true);
    wellFormed(archived, 'crm/contacts');
  });

  it('contacts batchApi: create, read (by id and by email), update, upsert by email', async () => {
    const { basePath } = await start();
    const batch = sdk(basePath).crm.contacts.batchApi;
    const made = await batch.create({
      inputs: [
        { properties: { email: 'b1@example.com', firstname: 'B1' }, associations: [] },
        { properties: { email: 'b2@example.com', firstname: 'B2' }, associations: [] },
      ],
    });
    wellFormed(made, 'crm/contacts');
    expect(made.status).toBe('COMPLETE');
    const ids = made.results.map((r) => r.id);
    expect(ids).toHaveLength(2);

    const read = await batch.read({
      inputs: ids.map((id) => ({ id })),
      properties: ['email'],
      propertiesWithHistory: [],
    });
    wellFormed(read, 'crm/contacts');
    expect(read.results.map((r) => r.properties['email']).sort()).toEqual([
      'b1@example.com',
      'b2@example.com',
    ]);
    const byEmail = await batch.read({
      inputs: [{ id: 'b2@example.com' }],
      idProperty: 'email',
      properties: ['firstname'],
      propertiesWithHistory: [],
    });
    expect(byEmail.results[0]).toMatchObject({ id: ids[1], properties: { firstname: 'B2' } });

    // A missing id: 207 with the SDK's "with errors" model, numErrors and a StandardError.
    const partial = await batch.read({
      inputs: [{ id: ids[0] ?? '' }, { id: '99999999999' }],
      properties: [],
      propertiesWithHistory: [],
    });
    wellFormed(partial, 'crm/contacts');
    expect(partial.constructor.name).toBe('BatchResponseSimplePublicObjectWithErrors');
    expect(partial).toMatchObject({
      numErrors: 1,
      errors: [{ category: 'OBJECT_NOT_FOUND', status: 'error' }],
    });

    const updated = await batch.update({
      inputs: [{ id: ids[0] ?? '', properties: { lastname: 'Um' } }],
    });
    wellFormed(updated, 'crm/contacts');
    expect(updated.results[0]?.properties['lastname']).toBe('Um');

    const upserted = await batch.upsert({
      inputs: [
        { id: 'b1@example.com', idProperty: 'email', properties: { lastname: 'Again' } },
        { id: 'b3@example.com', idProperty: 'email', properties: { firstname: 'B3' } },
      ],
    });
    wellFormed(upserted, 'crm/contacts');
    const byNew = new Map(upserted.results.map((r) => [r.properties['email'], r._new]));
    expect(byNew).toEqual(
      new Map([
        ['b1@example.com', false],
        ['b3@example.com', true],
      ]),
    );
  });

  it('contacts searchApi doSearch: filter groups (OR of ANDs), sorts, limit and after paging, total', async () => {
    const { basePath } = await start();
    const c = sdk(basePath).crm.contacts;
    for (const [i, phone] of ['+5511999990001', '+5511999990002', '+5511999990003', '+14155550100'].entries())
      await c.basicApi.create({
        properties: { email: `s${i}@example.com`, firstname: `S${i}`, phone },
        associations: [],
      });

    const search = (after?: string) =>
      c.searchApi.doSearch({
        filterGroups: [
          {
            filters: [{ propertyName: 'phone', operator: 'CONTAINS_TOKEN' as never, value: '*55119999900*' }],
          },
          { filters: [{ propertyName: 'email', operator: 'EQ' as never, value: 's3@example.com' }] },
        ],
        // The form of HubSpot's SDK README: the client types sorts as strings.
        sorts: [JSON.stringify({ propertyName: 'firstname', direction: 'DESCENDING' })],
        properties: ['firstname', 'phone'],
        limit: 2,
        ...(after === undefined ? {} : { after }),
      });
    const first = await search();
    wellFormed(first, 'crm/contacts');
    expect(first.total).toBe(4);
    expect(first.results.map((r) => r.properties['firstname'])).toEqual(['S3', 'S2']);
    const next = first.paging?.next?.after;
    expect(next).toBeDefined();
    const second = await search(next);
    expect(second.results.map((r) => r.properties['firstname'])).toEqual(['S1', 'S0']);
    expect(second.paging).toBeUndefined();

    // The search a WhatsApp integration makes: the national number, no country code.
    const byPhone = await c.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            {
              propertyName: 'hs_searchable_calculated_phone_number',
              operator: 'EQ' as never,
              value: '11999990002',
            },
          ],
        },
      ],
      properties: ['email'],
      limit: 10,
      after: '0',
      sorts: [],
    });
    expect(byPhone.results.map((r) => r.properties['email'])).toEqual(['s1@example.com']);
  });

  it('properties coreApi: getAll and create the connector’s multi-value tags property', async () => {
    const { basePath } = await start();
    const props = sdk(basePath).crm.properties.coreApi;
    const all = await props.getAll('contacts');
    wellFormed(all, 'crm/properties');
    expect(all.results.map((p) => p.name)).toEqual(
      expect.arrayContaining(['email', 'phone', 'lifecyclestage']),
    );

    const made = await props.create('contacts', {
      name: 'wa_tags',
      label: 'WhatsApp tags',
      type: 'enumeration' as never,
      fieldType: 'checkbox' as never,
      groupName: 'contactinformation',
      options: [
        { label: 'VIP', value: 'vip', hidden: false, displayOrder: 0 },
        { label: 'Support', value: 'support', hidden: false, displayOrder: 1 },
      ],
    });
    wellFormed(made, 'crm/properties');
    expect(made).toMatchObject({ name: 'wa_tags', type: 'enumeration', fieldType: 'checkbox' });
    expect(made.options.map((o) => o.value)).toEqual(['vip', 'support']);
    const byName = await props.getByName('contacts', 'wa_tags');
    wellFormed(byName, 'crm/properties');

    const taken = await rejected(
      props.create('contacts', {
        name: 'wa_tags',
        label: 'Again',
        type: 'string' as never,
        fieldType: 'text' as never,
        groupName: 'contactinformation',
      }),
    );
    expect(taken.code).toBe(409);
    expect(taken.body['category']).toBe('OBJECT_ALREADY_EXISTS');
  });

  it('communications with inline associations, read back by id and from the contact (associations v4)', async () => {
    const { basePath } = await start();
    const client = sdk(basePath);
    const contact = await client.crm.contacts.basicApi.create({
      properties: { firstname: 'Rui', phone: '+351912345678' },
      associations: [],
    });
    const comm = await client.crm.objects.communications.basicApi.create({
      properties: {
        ...WHATS_APP,
        hs_communication_body: 'Received wamid.HBgMMzUxOTEyMzQ1Njc4FQIAEhgUM0VCMDQ1 hello',
        hs_timestamp: '2026-11-27T09:15:02.000Z',
      },
      associations: [inline(contact.id, 81)],
    });
    wellFormed(comm, 'crm/objects/communications');
    expect(comm.properties).toMatchObject({
      hs_communication_channel_type: 'WHATS_APP',
      hs_object_id: comm.id,
    });

    const back = await client.crm.objects.communications.basicApi.getById(
      comm.id,
      ['hs_communication_body'],
      undefined,
      ['contacts'],
    );
    wellFormed(back, 'crm/objects/communications');
    expect(back.associations?.['contacts']?.results.map((a) => a.id)).toEqual([contact.id]);

    const batchRead = await client.crm.objects.communications.batchApi.read({
      inputs: [{ id: comm.id }],
      properties: ['hs_communication_body', 'hs_timestamp'],
      propertiesWithHistory: [],
    });
    wellFormed(batchRead, 'crm/objects/communications');
    expect(batchRead.results[0]?.properties['hs_timestamp']).toBe('2026-11-27T09:15:02.000Z');

    const fromContact = await client.crm.associations.v4.basicApi.getPage(
      'contacts',
      contact.id,
      'communications',
    );
    wellFormed(fromContact, 'crm/associations/v4', v4Ids);
    expect(fromContact.results.map((r) => String(r.toObjectId))).toEqual([comm.id]);
    expect(fromContact.results[0]?.associationTypes).toEqual([
      expect.objectContaining({ category: 'HUBSPOT_DEFINED', typeId: 82 }),
    ]);
  });

  it('tickets with pipeline, stage and owner; owners getPage; associations v4 default, labelled and batch', async () => {
    const { basePath } = await start();
    const client = sdk(basePath);
    const owners = await client.crm.owners.ownersApi.getPage();
    wellFormed(owners, 'crm/owners');
    const owner = owners.results[0];
    expect(owner?.userId).toEqual(expect.any(Number));
    const filtered = await client.crm.owners.ownersApi.getPage(owner?.email, undefined, 10, false);
    expect(filtered.results.map((o) => o.id)).toEqual([owner?.id]);
    const one = await client.crm.owners.ownersApi.getById(Number(owner?.id));
    wellFormed(one, 'crm/owners');

    const contact = await client.crm.contacts.basicApi.create({
      properties: { firstname: 'Lea', phone: '+4915112345678' },
      associations: [],
    });
    const ticket = await client.crm.tickets.basicApi.create({
      properties: {
        hs_pipeline: '0',
        hs_pipeline_stage: '1',
        hs_ticket_priority: 'HIGH',
        subject: 'WhatsApp handover: complaint',
        hubspot_owner_id: owner?.id ?? '',
      },
      associations: [inline(contact.id, 16)],
    });
    wellFormed(ticket, 'crm/tickets');
    expect(ticket.properties).toMatchObject({
      hs_pipeline: '0',
      hs_pipeline_stage: '1',
      hubspot_owner_id: owner?.id,
    });
    const closed = await client.crm.tickets.basicApi.update(ticket.id, {
      properties: { hs_pipeline_stage: '4' },
    });
    wellFormed(closed, 'crm/tickets');
    const ofContact = await client.crm.tickets.searchApi.doSearch({
      filterGroups: [
        { filters: [{ propertyName: 'associations.contact', operator: 'EQ' as never, value: contact.id }] },
      ],
      properties: ['subject', 'hs_pipeline_stage'],
      sorts: [],
      limit: 10,
      after: '0',
    });
    wellFormed(ofContact, 'crm/tickets');
    expect(ofContact.results.map((r) => r.properties['hs_pipeline_stage'])).toEqual(['4']);

    // What an integration reads at start-up to find real pipeline and stage ids.
    const pipelines = await client.crm.pipelines.pipelinesApi.getAll('tickets');
    wellFormed(pipelines, 'crm/pipelines');
    const support = pipelines.results.find((p) => p.id === '0');
    expect(support?.stages.map((st) => st.id)).toEqual(['1', '2', '3', '4']);
    expect(support?.stages[3]?.metadata).toMatchObject({ ticketState: 'CLOSED' });
    const groups = await client.crm.properties.groupsApi.getAll('contacts');
    wellFormed(groups, 'crm/properties');
    expect(groups.results.map((g) => g.name)).toContain('contactinformation');

    const v4 = client.crm.associations.v4;
    const comm = await client.crm.objects.communications.basicApi.create({
      properties: { ...WHATS_APP, hs_communication_body: 'note', hs_timestamp: '2026-11-27T09:16:00.000Z' },
      associations: [],
    });
    const def = await v4.basicApi.createDefault('communications', comm.id, 'contacts', contact.id);
    wellFormed(def, 'crm/associations/v4');
    expect(def.results.map((r) => r.associationSpec.associationTypeId).sort()).toEqual([81, 82]);

    const label = await v4.schema.definitionsApi.create('contacts', 'tickets', {
      label: 'Escalated by',
      name: 'escalated_by',
    });
    wellFormed(label, 'crm/associations/v4/schema');
    const typeId = label.results.find((l) => l.label === 'Escalated by')?.typeId ?? 0;
    expect(typeId).toBeGreaterThan(0);
    const labelled = await v4.basicApi.create('contacts', contact.id, 'tickets', ticket.id, [
      { associationCategory: 'USER_DEFINED' as never, associationTypeId: typeId },
    ]);
    wellFormed(labelled, 'crm/associations/v4', v4Ids);
    expect(labelled.labels).toEqual(['Escalated by']);

    const other = await client.crm.tickets.basicApi.create({
      properties: { hs_pipeline: '0', hs_pipeline_stage: '1', subject: 'second' },
      associations: [],
    });
    const created = await v4.batchApi.create('contacts', 'tickets', {
      inputs: [
        {
          _from: { id: contact.id },
          to: { id: other.id },
          types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 15 }],
        },
      ],
    });
    wellFormed(created, 'crm/associations/v4', v4Ids);
    const defaults = await v4.batchApi.createDefault('communications', 'tickets', {
      inputs: [{ _from: { id: comm.id }, to: { id: other.id } }],
    });
    wellFormed(defaults, 'crm/associations/v4');
    const read = await v4.batchApi.getPage('contacts', 'tickets', { inputs: [{ id: contact.id }] });
    wellFormed(read, 'crm/associations/v4', v4Ids);
    expect(read.results[0]?.to.map((t) => String(t.toObjectId)).sort()).toEqual([ticket.id, other.id].sort());
    await expect(v4.basicApi.archive('contacts', contact.id, 'tickets', other.id)).resolves.toBeUndefined();
  });

  describe('errors reach the SDK as ApiException with HubSpot’s envelope', () => {
    it('401 for an unknown token, 403 for a missing scope', async () => {
      const { basePath } = await start({
        tokens: [{ token: TOKEN }, { token: 'pat-na1-contacts-only', scopes: ['crm.objects.contacts.read'] }],
      });
      const bad = await rejected(sdk(basePath, 'pat-na1-not-issued').crm.contacts.basicApi.getPage());
      expect(bad.code).toBe(401);
      expect(bad.body['category']).toBe('INVALID_AUTHENTICATION');
      expect(bad.headers['x-hubspot-auth-failure']).toBe('401 Unauthorized');
      errorModel(bad.body, 'crm/contacts');

      const narrow = sdk(basePath, 'pat-na1-contacts-only');
      await expect(narrow.crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();
      const denied = await rejected(narrow.crm.owners.ownersApi.getPage());
      expect(denied.code).toBe(403);
      expect(denied.body).toMatchObject({
        category: 'MISSING_SCOPES',
        errors: [{ context: { requiredScopes: ['crm.objects.owners.read'] } }],
      });
      errorModel(denied.body, 'crm/owners');
    });

    it('404 for an unknown id, 409 for a taken email, 400 for an invalid value', async () => {
      const { basePath } = await start();
      const contacts = sdk(basePath).crm.contacts.basicApi;
      const missing = await rejected(contacts.getById('99999999999'));
      expect(missing.code).toBe(404);
      // HubSpot's 404 for an unknown numeric id has no category, though the SDK declares one.
      expect(missing.body).toEqual({
        status: 'error',
        message: 'resource not found',
        correlationId: expect.any(String),
      });
      const malformed = await rejected(contacts.getById('not-a-number'));
      expect(malformed.body).toMatchObject({
        category: 'OBJECT_NOT_FOUND',
        context: { id: ['not-a-number'] },
      });
      errorModel(malformed.body, 'crm/contacts');

      const first = await contacts.create({ properties: { email: 'taken@example.com' }, associations: [] });
      const clash = await rejected(
        contacts.create({ properties: { email: 'taken@example.com' }, associations: [] }),
      );
      expect(clash.code).toBe(409);
      expect(clash.body).toMatchObject({
        category: 'CONFLICT',
        message: `Contact already exists. Existing ID: ${first.id}`,
      });
      errorModel(clash.body, 'crm/contacts');

      const invalid = await rejected(contacts.update(first.id, { properties: { no_such_property: 'x' } }));
      expect(invalid.code).toBe(400);
      expect(invalid.body).toMatchObject({
        category: 'VALIDATION_ERROR',
        errors: [{ code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: ['no_such_property'] } }],
      });
      expect(String(invalid.body['message'])).toMatch(/^Property values were not valid: \[/);
      errorModel(invalid.body, 'crm/contacts');
    });

    it('429 with policyName once the rolling ten seconds are spent (no retries configured)', async () => {
      const { basePath } = await start({ limits: { perTenSeconds: 2 } });
      const contacts = sdk(basePath).crm.contacts.basicApi;
      await contacts.getPage(1);
      await contacts.getPage(1);
      const limited = await rejected(contacts.getPage(1));
      expect(limited.code).toBe(429);
      expect(limited.body).toMatchObject({
        errorType: 'RATE_LIMIT',
        policyName: 'TEN_SECONDLY_ROLLING',
        message: 'You have reached your ten_secondly_rolling limit.',
      });
      expect(limited.headers['x-hubspot-ratelimit-remaining']).toBe('0');
      expect(limited.headers['x-hubspot-ratelimit-max']).toBe('2');
    });
  });

  describe('the SDK’s own retry on 429', () => {
    it('search: waits the second its "secondly limit" rule names and then succeeds', async () => {
      const { basePath, t } = await start({ limits: { searchPerSecond: 1 } });
      const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      const search = sdk(basePath, TOKEN, 2).crm.contacts.searchApi;
      const req = { filterGroups: [], sorts: [], properties: ['email'], limit: 1, after: '0' };
      await search.doSearch(req);
      const t0 = performance.now();
      const again = await search.doSearch(req);
      const waitedMs = performance.now() - t0;
      wellFormed(again, 'crm/contacts');
      expect(waitedMs).toBeGreaterThanOrEqual(900);
      expect(waitedMs).toBeLessThan(3000);
      expect(quiet).toHaveBeenCalledWith(expect.stringContaining('[429], will retry [1] time in [1000] ms'));
      const statuses = t.journal.query({ kind: 'api.request' }).map((e) => e.data['statusCode']);
      expect(statuses).toEqual([200, 429, 200]);
    });

    it('ten-second burst: the SDK waits its 10 s, the window rolls, the retry succeeds (virtual clock)', async () => {
      // The mock's rolling window runs on a virtual clock so the SDK's 10 s wait can be compressed:
      // the test moves the clock by exactly the wait the SDK asked for, then lets the SDK go on.
      const clock = new VirtualClock({ epochMs: Date.UTC(2026, 10, 27, 9, 0, 0) });
      const { basePath, t } = await start({ limits: { perTenSeconds: 1 } }, clock);
      vi.spyOn(console, 'error').mockImplementation(() => undefined);
      const waits: number[] = [];
      const realSetTimeout = globalThis.setTimeout;
      vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
        if (ms !== 10_000) return realSetTimeout(fn, ms);
        waits.push(ms);
        clock.advance(ms);
        return realSetTimeout(fn, 0);
      }) as typeof setTimeout);
      const contacts = sdk(basePath, TOKEN, 2).crm.contacts.basicApi;
      await contacts.getPage(1);
      const page = await contacts.getPage(1);
      wellFormed(page, 'crm/contacts');
      expect(waits).toEqual([10_000]);
      const statuses = t.journal.query({ kind: 'api.request' }).map((e) => e.data['statusCode']);
      expect(statuses).toEqual([200, 429, 200]);
    });
  });
});
