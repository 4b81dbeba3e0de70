import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCrmMock } from '../../../../../mocks/crm/index.js';

// A reset between suites empties the records but keeps the schema the connector created (its
// tags and opt-out properties, its association labels): the reference connector defines them
// once at start-up and writes them on every contact, as it would against a real HubSpot account.

type App = ReturnType<typeof buildCrmMock>;
let app: App | undefined;
let dir: string | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const TAGS = {
  name: 'wa_tags',
  label: 'WhatsApp tags',
  type: 'enumeration',
  fieldType: 'checkbox',
  groupName: 'whatsapp_connector',
  options: ['vip', 'support'].map((v, i) => ({ label: v, value: v, displayOrder: i, hidden: false })),
};

function call(a: App, method: InjectOptions['method'], url: string, payload?: unknown) {
  const o: InjectOptions = { method, url, headers: { authorization: 'Bearer tok' } };
  if (payload !== undefined) o.payload = payload as InjectOptions['payload'];
  return a.inject(o);
}

async function defineSchema(a: App): Promise<{ contactId: string; labelTypeId: number }> {
  expect((await call(a, 'POST', '/crm/v3/properties/contacts', TAGS)).statusCode).toBe(201);
  const label = await call(a, 'POST', '/crm/v4/associations/contacts/tickets/labels', { label: 'Handover' });
  expect(label.statusCode).toBe(200);
  const made = await call(a, 'POST', '/crm/v3/objects/contacts', {
    properties: { email: 'ana@example.com', phone: '+15551230001', wa_tags: 'vip' },
  });
  expect(made.statusCode).toBe(201);
  return { contactId: made.json().id as string, labelTypeId: label.json().results[0].typeId as number };
}

async function expectSchemaKept(a: App, old: { contactId: string; labelTypeId: number }): Promise<void> {
  // The records are gone …
  expect((await call(a, 'GET', `/crm/v3/objects/contacts/${old.contactId}`)).statusCode).toBe(404);
  expect(a.crm.contacts()).toHaveLength(0);
  // … the property the connector created is still there and still takes values …
  expect((await call(a, 'GET', '/crm/v3/properties/contacts/wa_tags')).json()).toMatchObject({
    name: 'wa_tags',
    options: TAGS.options,
  });
  const again = await call(a, 'POST', '/crm/v3/objects/contacts', {
    properties: { email: 'kofi@example.com', phone: '+15551230002', wa_tags: 'support' },
  });
  expect(again.statusCode, again.body).toBe(201);
  expect(again.json().properties.wa_tags).toBe('support');
  expect(a.crm.contacts()[0]?.tags).toEqual(['support']);
  // … a new record never reuses an id handed out before the reset …
  expect(again.json().id).not.toBe(old.contactId);
  // … and so is the association label.
  const labels = (await call(a, 'GET', '/crm/v4/associations/contacts/tickets/labels')).json().results;
  expect(labels).toContainEqual({ category: 'USER_DEFINED', typeId: old.labelTypeId, label: 'Handover' });
}

describe('resetting the HubSpot dialect', () => {
  it('empties the records and keeps the properties and labels the connector created (memory store)', async () => {
    app = buildCrmMock({ token: 'tok', webhookSecret: 's', dialect: 'hubspot', seedContacts: { count: 0 } });
    const old = await defineSchema(app);
    app.crm.reset({ reseed: false });
    await expectSchemaKept(app, old);
  });

  it('keeps them on a SQLite store too, and a reseed still defines the built-in legal-basis property once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wacrm-hs-reset-'));
    app = buildCrmMock({
      token: 'tok',
      webhookSecret: 's',
      dialect: 'hubspot',
      seedContacts: { count: 5 },
      store: { file: join(dir, 'crm.sqlite') },
    });
    const old = await defineSchema(app);
    app.crm.reset({ reseed: false });
    await expectSchemaKept(app, old);
    app.crm.reset({ reseed: true });
    expect(app.crm.contacts()).toHaveLength(5);
    const names = (await call(app, 'GET', '/crm/v3/properties/contacts'))
      .json()
      .results.map((p: { name: string }) => p.name);
    expect(names.filter((n: string) => n === 'wa_tags')).toHaveLength(1);
    expect(names.filter((n: string) => n === 'hs_legal_basis')).toHaveLength(1);
  });

  it('the native dialect still empties everything', async () => {
    app = buildCrmMock({ token: 'tok', webhookSecret: 's', seedContacts: { count: 3 } });
    expect(app.crm.contacts()).toHaveLength(3);
    app.crm.reset({ reseed: false });
    expect(app.crm.contacts()).toHaveLength(0);
  });
});
