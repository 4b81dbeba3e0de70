import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { deriveE164, memoPhone, phoneDigits } from '../../phone.js';
import { blankContact } from '../../service.js';
import type { Contact, HubSpotAssociation, HubSpotRecord, LifecycleStage } from '../../types.js';
import type { HubSpotContext } from './context.js';
import { HsError, objectNotFound, validation } from './errors.js';
import { checkWrite, type ObjectType, propertyDef } from './properties.js';

/** A record as the CRM v3 object APIs return it. */
export interface HsObjectJson {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  associations?: Record<string, { results: Array<{ id: string; type: string }> }>;
}

/** Properties a read returns when the caller names none. */
export const DEFAULT_READ_PROPERTIES: Readonly<Record<ObjectType, readonly string[]>> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  tickets: [
    'content',
    'createdate',
    'hs_lastmodifieddate',
    'hs_object_id',
    'hs_pipeline',
    'hs_pipeline_stage',
    'hs_ticket_category',
    'hs_ticket_priority',
    'subject',
  ],
  communications: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  notes: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};

/** Properties a read adds to the ones asked for. */
export const ALWAYS_READ: Readonly<Record<ObjectType, readonly string[]>> = {
  contacts: ['createdate', 'hs_object_id', 'lastmodifieddate'],
  tickets: ['createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  communications: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  notes: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};

/** The store id of a record of `type`. */
export function recordId(type: string, objectId: string): string {
  return `${type}:${objectId}`;
}

/** The dialect's record of a contact (its extra properties, archive flag, associations), if any. */
export function contactExtras(ctx: HubSpotContext, contactId: string): HubSpotRecord | undefined {
  return ctx.crm.store.hubspot.get(recordId('contacts', contactId));
}

function blankRecord(ctx: HubSpotContext, type: string, objectId: string, nowIso: string): HubSpotRecord {
  void ctx;
  return {
    id: recordId(type, objectId),
    objectType: type,
    objectId,
    properties: {},
    createdAt: nowIso,
    updatedAt: nowIso,
    archived: false,
    archivedAt: null,
    associations: {},
    nativeId: null,
  };
}

/** The contact's dialect record, created (unsaved) when missing. */
export function contactExtrasFor(ctx: HubSpotContext, c: Contact): { rec: HubSpotRecord; isNew: boolean } {
  const rec = contactExtras(ctx, c.id);
  if (rec) return { rec, isNew: false };
  return { rec: blankRecord(ctx, 'contacts', c.id, c.created_at), isNew: true };
}

/** Saves a dialect record (insert or update). */
export function saveRecord(ctx: HubSpotContext, rec: HubSpotRecord, isNew: boolean): void {
  if (isNew) ctx.crm.store.hubspot.insert(rec);
  else ctx.crm.store.hubspot.update(rec);
}

function splitName(name: string | null): { first: string | null; last: string | null } {
  if (name === null || name.trim() === '') return { first: null, last: null };
  const parts = name.trim().split(/\s+/);
  return { first: parts[0] ?? null, last: parts.length > 1 ? parts.slice(1).join(' ') : null };
}

const NATIVE_STAGES: ReadonlySet<string> = new Set([
  'subscriber',
  'lead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
]);

/** HubSpot's stage → the native model's (the qualified-lead stages are leads there). */
function nativeStage(stage: string): LifecycleStage {
  return (NATIVE_STAGES.has(stage) ? stage : 'lead') as LifecycleStage;
}

/** Every property value of a contact, as strings (`null` = unset). */
export function contactProperties(
  ctx: HubSpotContext,
  c: Contact,
  rec: HubSpotRecord | undefined,
): Record<string, string | null> {
  const extra = rec?.properties ?? {};
  const derived = splitName(c.name);
  const forms = c.phone === '' ? undefined : phoneForms(c.phone, c.country);
  const props: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(c.custom_fields)) props[k] = String(v);
  Object.assign(props, {
    createdate: c.created_at,
    email: c.email,
    firstname: 'firstname' in extra ? (extra['firstname'] ?? null) : derived.first,
    lastname: 'lastname' in extra ? (extra['lastname'] ?? null) : derived.last,
    phone: c.phone === '' ? null : c.phone,
    company: c.company,
    country: extra['country'] ?? c.country,
    hs_language: c.language,
    hs_timezone: c.timezone,
    hubspot_owner_id: c.owner,
    lifecyclestage: extra['lifecyclestage'] ?? c.lifecycle_stage,
    hs_object_id: c.id,
    lastmodifieddate: c.updated_at,
    hs_is_contact: 'true',
    hs_calculated_phone_number: forms?.e164 ?? null,
    hs_calculated_phone_number_country_code: forms?.region ?? null,
    hs_searchable_calculated_phone_number: forms?.national ?? null,
    [ctx.tagsProperty]: c.tags.length > 0 ? c.tags.join(';') : null,
    [ctx.optOutProperty]: String(c.opted_out),
  });
  for (const [k, v] of Object.entries(extra)) {
    if (k === 'firstname' || k === 'lastname' || k === 'country' || k === 'lifecyclestage') continue;
    props[k] = v === '' ? null : v;
  }
  return props;
}

/** A phone's derived forms, as HubSpot's calculated phone properties show them. */
interface PhoneForms {
  e164: string | null;
  national: string;
  /** ISO region of the number (`BR`), when it has one. */
  region: string | null;
}

/** The E.164 form and the national digits (HubSpot's searchable form: no country code) of a phone. */
export function phoneForms(phone: string, country: string | null): PhoneForms {
  // Every read shows the calculated forms: remembered with the CRM's other normalised phones.
  return memoPhone(`f|${country ?? ''}|${phone}`, () => {
    const e164 = deriveE164(phone, country);
    const parsed = e164 ? parsePhoneNumberFromString(e164) : undefined;
    const national = parsed?.nationalNumber;
    return {
      e164: e164 ?? null,
      national: national ? String(national) : phoneDigits(phone),
      region: parsed?.country ?? null,
    };
  });
}

/** Picks the requested properties (unknown names are left out silently, unset ones are `null`). */
export function pick(
  ctx: HubSpotContext,
  type: ObjectType,
  all: Record<string, string | null>,
  requested: readonly string[] | undefined,
  search = false,
): Record<string, string | null> {
  const names =
    requested === undefined || requested.length === 0
      ? DEFAULT_READ_PROPERTIES[type]
      : search || type !== 'contacts'
        ? [...requested, ...ALWAYS_READ[type]]
        : requested;
  const out: Record<string, string | null> = {};
  for (const n of [...new Set(names)].sort()) {
    if (n in all) out[n] = all[n] ?? null;
    else if (propertyDef(ctx, type, n)) out[n] = null;
  }
  return out;
}

/** The object envelope of a record. */
export function objectJson(
  id: string,
  properties: Record<string, string | null>,
  createdAt: string,
  updatedAt: string,
  archivedAt: string | null,
): HsObjectJson {
  const out: HsObjectJson = { id, properties, createdAt, updatedAt, archived: archivedAt !== null };
  if (archivedAt !== null) out.archivedAt = archivedAt;
  return out;
}

/** A contact as HubSpot returns it. */
export function contactJson(
  ctx: HubSpotContext,
  c: Contact,
  requested: readonly string[] | undefined,
  search = false,
): HsObjectJson {
  const rec = contactExtras(ctx, c.id);
  const props = pick(ctx, 'contacts', contactProperties(ctx, c, rec), requested, search);
  return objectJson(c.id, props, c.created_at, c.updated_at, rec?.archived ? rec.archivedAt : null);
}

/** A live (not archived) contact or 404. */
export function liveContact(ctx: HubSpotContext, id: string): Contact {
  const c = ctx.crm.store.contacts.get(id);
  if (!c || contactExtras(ctx, id)?.archived) throw objectNotFound(id);
  return c;
}

/** The live contact whose `idProperty` equals `value` (email case-insensitive). */
export function contactBy(ctx: HubSpotContext, value: string, idProperty: string | undefined): Contact {
  if (idProperty === undefined || idProperty === 'hs_object_id') return liveContact(ctx, value);
  const def = propertyDef(ctx, 'contacts', idProperty);
  if (!def) throw validation(`Property ${idProperty} does not exist`, { idProperty: [idProperty] });
  if (idProperty !== 'email' && def.hasUniqueValue !== true) {
    throw validation(
      `Unable to perform update/upsert by non-unique 0-1 property ${idProperty} in portal ID ${ctx.portalId}`,
    );
  }
  const hit = findByProperty(ctx, idProperty, value);
  if (!hit) throw objectNotFound(value);
  return hit;
}

/** The first live contact whose property equals `value` (case-insensitive). */
export function findByProperty(ctx: HubSpotContext, name: string, value: string): Contact | undefined {
  const want = value.toLowerCase();
  for (const c of ctx.crm.store.contacts.all()) {
    const rec = contactExtras(ctx, c.id);
    if (rec?.archived) continue;
    const v = name === 'email' ? c.email : contactProperties(ctx, c, rec)[name];
    if (typeof v === 'string' && v.toLowerCase() === want) return c;
  }
  return undefined;
}

function uniqueClash(ctx: HubSpotContext, values: Record<string, string>, selfId: string | undefined): void {
  for (const [name, v] of Object.entries(values)) {
    if (v === '') continue;
    if (name === 'email') {
      const other = findByProperty(ctx, 'email', v);
      if (other && other.id !== selfId) {
        throw new HsError(409, `Contact already exists. Existing ID: ${other.id}`, { category: 'CONFLICT' });
      }
      continue;
    }
    if (propertyDef(ctx, 'contacts', name)?.hasUniqueValue !== true) continue;
    const other = findByProperty(ctx, name, v);
    if (other && other.id !== selfId) {
      throw validation(
        `Cannot set PropertyValueCoordinates{portalId=${ctx.portalId}, objectTypeId=ObjectTypeId{legacyObjectType=CONTACT}, propertyName=${name}, value=${v}} on ${selfId ?? 'a new record'}. ${other.id} already has that value.`,
      );
    }
  }
}

const FIELD_OF: Record<string, keyof Contact> = {
  email: 'email',
  company: 'company',
  hs_language: 'language',
  hs_timezone: 'timezone',
  hubspot_owner_id: 'owner',
};

/**
 * Applies checked values to the native contact and its dialect record; returns the tags added (for
 * the journal) or undefined when the tags property was not written.
 */
function apply(
  ctx: HubSpotContext,
  c: Contact,
  rec: HubSpotRecord,
  values: Record<string, string>,
): { tags: string[]; added: string[] } | undefined {
  let tagChange: { tags: string[]; added: string[] } | undefined;
  const extra = rec.properties;
  let nameTouched = false;
  for (const [k, v] of Object.entries(values)) {
    const field = FIELD_OF[k];
    if (field) {
      (c as unknown as Record<string, unknown>)[field] = v === '' ? null : v;
    } else if (k === 'phone') {
      c.phone = v;
    } else if (k === 'firstname' || k === 'lastname') {
      extra[k] = v;
      nameTouched = true;
    } else if (k === 'country') {
      extra[k] = v;
      c.country = /^[A-Z]{2}$/.test(v) ? v : null;
    } else if (k === 'lifecyclestage') {
      extra[k] = v;
      c.lifecycle_stage = nativeStage(v === '' ? 'lead' : v);
    } else if (k === ctx.tagsProperty) {
      const next = v === '' ? [] : v.split(';');
      const added = next.filter((t) => !c.tags.includes(t));
      c.tags = next;
      tagChange = { tags: next, added };
    } else if (k === ctx.optOutProperty) {
      c.opted_out = v === 'true';
    } else if (v === '') {
      delete extra[k];
    } else {
      extra[k] = v;
    }
  }
  if (nameTouched) {
    const first = extra['firstname'] ?? '';
    const last = extra['lastname'] ?? '';
    const name = `${first} ${last}`.trim();
    c.name = name === '' ? null : name;
  }
  // A contact typed with only a WhatsApp or mobile number is still findable by the native phone index.
  if (c.phone === '') c.phone = extra['hs_whatsapp_phone_number'] ?? extra['mobilephone'] ?? '';
  return tagChange;
}

function journalWrite(
  ctx: HubSpotContext,
  c: Contact,
  created: boolean,
  tags: { tags: string[]; added: string[]; requested?: string[] } | undefined,
): void {
  ctx.crm.journal.append('contact.upserted', { contactId: c.id, phone: c.phone, created });
  // The native API journals the tags a call asked for, and the tracer credits each to its message.
  // An append (`;a;b`) names them; a whole-value write names only what it added beyond the old value.
  const asked = tags?.requested ?? tags?.added ?? [];
  if (tags && asked.length > 0)
    ctx.crm.journal.append('tags.added', { contactId: c.id, tags: asked, added: tags.added });
}

/**
 * Checks the properties of contacts to create (values, taken emails and unique values, and
 * clashes among the batch itself) before anything is written, so a batch is all or nothing.
 */
export function checkContactCreates(ctx: HubSpotContext, inputs: unknown[]): void {
  const seen = new Map<string, number>();
  for (const input of inputs) {
    const values = checkWrite(ctx, 'contacts', input);
    uniqueClash(ctx, values, undefined);
    for (const [k, v] of Object.entries(values)) {
      if (v === '' || (k !== 'email' && propertyDef(ctx, 'contacts', k)?.hasUniqueValue !== true)) continue;
      const key = `${k}\u0000${v.toLowerCase()}`;
      if (seen.has(key)) throw validation(`Duplicate ${k} ${v} in the batch inputs`, { [k]: [v] });
      seen.set(key, 1);
    }
  }
}

/** Creates a contact from HubSpot properties (409 on a taken email). */
export function createContact(ctx: HubSpotContext, input: unknown): Contact {
  const values = checkWrite(ctx, 'contacts', input);
  uniqueClash(ctx, values, undefined);
  const { store } = ctx.crm;
  return store.transaction(() => {
    const now = ctx.nowIso();
    const c = blankContact(ctx.newObjectId(), '', now);

    const rec = blankRecord(ctx, 'contacts', c.id, now);
    // HubSpot puts API-created contacts in the lead stage unless told otherwise.
    if (values['lifecyclestage'] === undefined) rec.properties['lifecyclestage'] = 'lead';
    const tags = apply(ctx, c, rec, values);
    store.contacts.insert(c);
    store.hubspot.insert(rec);
    journalWrite(ctx, c, true, tags);
    return c;
  });
}

/** The tags an append to the tags property (`";a;b"`) names, or undefined for any other write. */
function appendedTags(ctx: HubSpotContext, input: unknown): string[] | undefined {
  // `input` is the request's `properties` object.
  const v =
    typeof input === 'object' && input !== null
      ? (input as Record<string, unknown>)[ctx.tagsProperty]
      : undefined;
  if (typeof v !== 'string' || !v.startsWith(';')) return undefined;
  return [...new Set(v.split(';').filter((t) => t !== ''))];
}

/** Updates a live contact from HubSpot properties. */
export function updateContact(ctx: HubSpotContext, c: Contact, input: unknown): Contact {
  const { rec, isNew } = contactExtrasFor(ctx, c);
  const values = checkWrite(ctx, 'contacts', input, contactProperties(ctx, c, rec));
  uniqueClash(ctx, values, c.id);
  const { store } = ctx.crm;
  return store.transaction(() => {
    const tags = apply(ctx, c, rec, values);
    const appended = appendedTags(ctx, input);
    c.updated_at = ctx.nowIso();
    rec.updatedAt = c.updated_at;
    store.contacts.update(c);
    saveRecord(ctx, rec, isNew);
    journalWrite(
      ctx,
      c,
      false,
      appended ? { tags: c.tags, added: tags?.added ?? [], requested: appended } : tags,
    );
    return c;
  });
}

/** Archives a contact (a soft delete: reads and searches no longer see it). */
export function archiveContact(ctx: HubSpotContext, c: Contact): void {
  const { rec, isNew } = contactExtrasFor(ctx, c);
  rec.archived = true;
  rec.archivedAt = ctx.nowIso();
  saveRecord(ctx, rec, isNew);
}

/** Association entries of a record toward `toType`. */
export function associationsOf(rec: HubSpotRecord | undefined, toType: string): HubSpotAssociation[] {
  return rec?.associations[toType] ?? [];
}
