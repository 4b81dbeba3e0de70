import { describe, expect, it } from 'vitest';
import { createRng } from '../../../kernel/random.js';
import {
  buildWhatsAppMock,
  DEFAULT_BUSINESS_IDS,
  type WhatsAppMockHandle,
} from '../../../mocks/whatsapp/index.js';
import {
  type ConsentTier,
  pickTemplates,
  planContacts,
  planDeliverySends,
  SEED_CONSENT_TIERS,
  type TemplateInfo,
  tierOf,
} from '../../../src/flows/outbound-plan.js';

async function seededTemplates(): Promise<TemplateInfo[]> {
  const app = buildWhatsAppMock({
    ...DEFAULT_BUSINESS_IDS,
    accessToken: 'token',
    appSecret: 'secret',
    verifyToken: 'verify',
  });
  try {
    await app.ready();
    return (app as unknown as { whatsapp: WhatsAppMockHandle }).whatsapp.templates() as TemplateInfo[];
  } finally {
    await app.close();
  }
}

describe('planContacts', () => {
  it("gives contacts the seed's consent tiers, every tier even in a small pool", () => {
    const contacts = planContacts(16, createRng(3));
    const tiers = contacts.map(tierOf);
    expect(new Set(tiers)).toEqual(
      new Set<ConsentTier>(['first-time', 'transactional', 'opted-in', 'opted-out']),
    );
    expect(tiers).toEqual([...SEED_CONSENT_TIERS, ...SEED_CONSENT_TIERS]);
    const firstTime = contacts.find((c) => tierOf(c) === 'first-time');
    expect(firstTime).toMatchObject({ consent: 'none', opted_out: false });
    const optedOut = contacts.find((c) => tierOf(c) === 'opted-out');
    expect(optedOut).toMatchObject({ consent: 'marketing', opted_out: true });
  });

  it('plans only the tiers asked for', () => {
    const contacts = planContacts(20, createRng(3), { tiers: ['opted-in'] });
    expect(contacts.every((c) => c.consent === 'marketing' && !c.opted_out)).toBe(true);
  });
});

describe('pickTemplates', () => {
  it('takes every category the mock has, even for a handful of templates', async () => {
    const all = await seededTemplates();
    const five = pickTemplates(all, 5);
    expect(five).toHaveLength(5);
    expect(new Set(five.map((t) => t.category))).toEqual(new Set(['UTILITY', 'MARKETING', 'AUTHENTICATION']));
    expect(five.every((t) => t.status === 'APPROVED')).toBe(true);
    // Asking for more than exist gives every approved template once.
    const approved = all.filter((t) => t.status === 'APPROVED');
    const every = pickTemplates(all, 1000);
    expect(every).toHaveLength(approved.length);
    expect(new Set(every.map((t) => `${t.name}/${t.language}`)).size).toBe(approved.length);
  });
});

describe('planDeliverySends', () => {
  it('sends every marketing template to every tier, so a connector that ignores consent is caught', async () => {
    const templates = pickTemplates(await seededTemplates(), 5);
    const rng = createRng(11);
    const contacts = planContacts(150, rng);
    const plans = planDeliverySends(templates, 30, contacts, rng);
    expect(plans).toHaveLength(150);
    for (const t of templates) {
      const own = plans.filter((p) => p.action.template === t.name && p.action.language === t.language);
      expect(own).toHaveLength(30);
      const tiers = new Set(own.map((p) => tierOf(p.contact)));
      expect(tiers.size).toBe(4);
      for (const p of own) {
        // The ground truth the consent check reads: marketing only to opted-in contacts.
        const allowed = t.category !== 'MARKETING' || tierOf(p.contact) === 'opted-in';
        expect(p.expectation.sendAllowed).toBe(allowed);
      }
    }
    const forbidden = plans.filter((p) => !p.expectation.sendAllowed);
    // Two marketing templates of five (utility, marketing, authentication, utility, marketing),
    // half of their sends to tiers that forbid marketing.
    expect(templates.filter((t) => t.category === 'MARKETING')).toHaveLength(2);
    expect(forbidden).toHaveLength(30);
    expect(new Set(forbidden.map((p) => tierOf(p.contact)))).toEqual(
      new Set<ConsentTier>(['first-time', 'transactional', 'opted-out']),
    );
    // First-time contacts still get transactional templates: those sends are allowed.
    expect(plans.some((p) => p.expectation.sendAllowed && tierOf(p.contact) === 'first-time')).toBe(true);
  });

  it('spreads each tier over its contacts and falls back when a tier has none', async () => {
    const templates = pickTemplates(await seededTemplates(), 3);
    const rng = createRng(2);
    const onlyOptedIn = planContacts(4, rng, { tiers: ['opted-in'] });
    const plans = planDeliverySends(templates, 8, onlyOptedIn, rng);
    expect(plans).toHaveLength(24);
    expect(plans.every((p) => p.expectation.sendAllowed)).toBe(true);
    expect(new Set(plans.map((p) => p.contact.phone)).size).toBe(4);
    expect(() => planDeliverySends(templates, 1, [], rng)).toThrow(RangeError);
  });
});
