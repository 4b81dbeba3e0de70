import { afterEach, describe, expect, it } from 'vitest';
import {
  LEGAL_BASIS_BY_CONSENT,
  LEGAL_BASIS_PROPERTY,
} from '../../../../../mocks/crm/dialects/hubspot/seed.js';
import { buildCrmMock } from '../../../../../mocks/crm/index.js';

type App = ReturnType<typeof buildCrmMock>;
let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const PROPS = [
  'phone',
  'hs_whatsapp_phone_number',
  'lifecyclestage',
  'hs_lead_status',
  'hubspot_owner_id',
  LEGAL_BASIS_PROPERTY,
].join(',');

async function page(a: App, after?: string) {
  const r = await a.inject({
    method: 'GET',
    url: `/crm/v3/objects/contacts?limit=100&properties=${PROPS}${after ? `&after=${after}` : ''}`,
    headers: { authorization: 'Bearer tok' },
  });
  expect(r.statusCode).toBe(200);
  return r.json() as {
    results: Array<{ id: string; properties: Record<string, string | null> }>;
    paging?: { next: { after: string } };
  };
}

describe('the seed in HubSpot’s model', () => {
  it('numeric ids above 2^31, owners by owner id, HubSpot lead stages, WhatsApp numbers and legal basis by consent', async () => {
    app = buildCrmMock({
      token: 'tok',
      webhookSecret: 's',
      dialect: 'hubspot',
      seed: 3,
      seedContacts: { count: 150, dirtyShare: 0.4 },
    });
    const owners = (
      (
        await app.inject({ method: 'GET', url: '/crm/v3/owners', headers: { authorization: 'Bearer tok' } })
      ).json() as { results: Array<{ id: string }> }
    ).results.map((o) => o.id);
    const first = await page(app);
    const rest = first.paging ? (await page(app, first.paging.next.after)).results : [];
    const all = [...first.results, ...rest];
    expect(all).toHaveLength(150);
    const truth = new Map(app.crm.seedInfo().map((s) => [s.id, s]));
    const model = new Map(app.crm.contacts().map((c) => [c.id, c]));
    const stages = new Set<string>();
    for (const c of all) {
      expect(c.id).toMatch(/^\d+$/);
      expect(Number(c.id)).toBeGreaterThan(2 ** 31);
      expect(owners).toContain(c.properties['hubspot_owner_id']);
      stages.add(String(c.properties['lifecyclestage']));
      const m = model.get(c.id);
      const t = truth.get(c.id);
      if (!m || !t) throw new Error(`no model record or seed truth for ${c.id}`);
      expect(c.properties[LEGAL_BASIS_PROPERTY]).toBe(LEGAL_BASIS_BY_CONSENT[m.consent]);
      if (m.consent === 'none') expect(c.properties['hs_whatsapp_phone_number']).toBeNull();
      else if (
        t.dirty.includes('local_format') ||
        t.dirty.includes('missing_plus') ||
        t.dirty.includes('punctuation')
      )
        expect(c.properties['hs_whatsapp_phone_number']).toBe(m.phone);
      else expect(c.properties['hs_whatsapp_phone_number']).toBe(t.e164);
    }
    expect(stages.has('marketingqualifiedlead') || stages.has('salesqualifiedlead')).toBe(true);
    // Dirty local formats stay in `phone`, as a person typed them.
    expect(
      all.some((c) => c.properties['phone'] !== null && !String(c.properties['phone']).startsWith('+')),
    ).toBe(true);
  });

  it('the native dialect keeps its own ids and owner names', () => {
    app = buildCrmMock({ token: 'tok', webhookSecret: 's', seedContacts: { count: 5 } });
    for (const c of app.crm.contacts()) expect(c.id).toMatch(/^ctc_/);
  });
});
