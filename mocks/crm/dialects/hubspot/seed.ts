import type { CrmContext } from '../../context.js';
import type { SeedContact } from '../../seed.js';
import type { Consent, Contact, HubSpotRecord } from '../../types.js';
import type { DialectSeed } from '../types.js';
import type { HubSpotContext } from './context.js';
import { createProperty, propertyDef } from './properties.js';
import { recordId } from './records.js';

/**
 * HubSpot's GDPR property "Legal basis for processing contact's data": where a HubSpot account
 * records why it may message a contact. wacrm's consent tiers map onto it (docs/crm-hubspot.md).
 */
export const LEGAL_BASIS_PROPERTY = 'hs_legal_basis';

/**
 * The seed's consent tier → `hs_legal_basis` (option values as HubSpot shows them; their exact
 * internal values are a guess, documented as such). `none`: the property stays unset.
 */
export const LEGAL_BASIS_BY_CONSENT: Readonly<Record<Consent, string | null>> = {
  marketing: 'Freely given consent from contact',
  transactional: 'Performance of a contract',
  none: null,
};

const LEGAL_BASIS_OPTIONS = [
  'Legitimate interest – prospect/lead',
  'Legitimate interest – existing customer',
  'Legitimate interest - other',
  'Performance of a contract',
  'Freely given consent from contact',
  'Not applicable',
];

/** HubSpot's lead stages beyond the native model's `lead`, spread over seeded leads. */
const LEAD_STAGES = ['lead', 'marketingqualifiedlead', 'salesqualifiedlead'] as const;
const LEAD_STATUSES = ['NEW', 'OPEN', 'IN_PROGRESS', 'ATTEMPTED_TO_CONTACT', 'CONNECTED'] as const;

/** A stable small number from a string (which owner, which stage), so a seed is reproducible. */
function bucket(s: string, n: number): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h % n;
}

/** The seeded contact's fields in HubSpot's model: its owner is one of the account's owners (by id). */
export function hubspotSeedFields(hs: HubSpotContext, s: SeedContact): SeedContact['fields'] {
  const owner = hs.owners[bucket(s.fields.owner, hs.owners.length)];
  return { ...s.fields, owner: owner ? owner.id : s.fields.owner };
}

/** Defines `hs_legal_basis` once (a built-in property of every HubSpot account). */
function ensureLegalBasis(hs: HubSpotContext): void {
  if (propertyDef(hs, 'contacts', LEGAL_BASIS_PROPERTY)) return;
  createProperty(hs, 'contacts', {
    name: LEGAL_BASIS_PROPERTY,
    label: "Legal basis for processing contact's data",
    type: 'enumeration',
    fieldType: 'checkbox',
    groupName: 'contactinformation',
    options: LEGAL_BASIS_OPTIONS.map((v, i) => ({ label: v, value: v, displayOrder: i, hidden: false })),
    hubspotDefined: true,
    createdAt: '2019-08-06T02:43:10.000Z',
    updatedAt: '2019-08-06T02:43:10.000Z',
  });
}

/**
 * What HubSpot holds beside a seeded contact: the qualified-lead stages and a lead status, the
 * WhatsApp number an integration wrote before (E.164, or as a person typed it when the record is
 * dirty), the legal basis of its consent tier. The opt-out lives in the connector's own
 * `wa_opt_out` property, served from the model once the connector has defined it.
 */
export function storeHubSpotSeedExtras(hs: HubSpotContext, c: Contact, s: SeedContact): void {
  ensureLegalBasis(hs);
  const props: Record<string, string> = {};
  if (c.lifecycle_stage === 'lead') {
    props['lifecyclestage'] = LEAD_STAGES[bucket(c.id, LEAD_STAGES.length)] as string;
    props['hs_lead_status'] = LEAD_STATUSES[bucket(`${c.id}/status`, LEAD_STATUSES.length)] as string;
  }
  if (s.fields.consent !== 'none') {
    const typed = s.dirty.some((d) => d === 'local_format' || d === 'missing_plus' || d === 'punctuation');
    props['hs_whatsapp_phone_number'] = typed ? c.phone : s.e164;
  }
  const basis = LEGAL_BASIS_BY_CONSENT[s.fields.consent];
  if (basis !== null) props[LEGAL_BASIS_PROPERTY] = basis;
  const rec: HubSpotRecord = {
    id: recordId('contacts', c.id),
    objectType: 'contacts',
    objectId: c.id,
    properties: props,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
    archived: false,
    archivedAt: null,
    associations: {},
    nativeId: null,
  };
  hs.crm.store.hubspot.insert(rec);
}

/** The dialect's seeding: HubSpot ids, owners by id, the extras above. */
export function hubspotSeeding(hsOf: (ctx: CrmContext) => HubSpotContext): DialectSeed {
  return {
    contactId: (ctx: CrmContext) => hsOf(ctx).newObjectId(),
    fields: (ctx: CrmContext, s: SeedContact) => hubspotSeedFields(hsOf(ctx), s),
    stored: (ctx: CrmContext, c: Contact, s: SeedContact) => storeHubSpotSeedExtras(hsOf(ctx), c, s),
  };
}
