import type { CrmStore } from '../../store.js';
import type { HubSpotRecord } from '../../types.js';
import type { HubSpotContext } from './context.js';
import { HsError, invalidProperties, type PropertyProblem, validation } from './errors.js';

/** The object types the dialect offers, by their plural API name. */
export type ObjectType = 'contacts' | 'communications' | 'notes' | 'tickets';

/** HubSpot's object type ids (`0-1` …) and singular names, for path segments that use them. */
export const OBJECT_TYPE_IDS: Readonly<Record<ObjectType, string>> = {
  contacts: '0-1',
  tickets: '0-5',
  notes: '0-4',
  communications: '0-18',
};

/** A path segment (`contacts`, `contact`, `0-1`, …) → the plural object type, if offered. */
export function objectTypeOf(segment: string): ObjectType | undefined {
  const s = segment.toLowerCase();
  for (const [plural, id] of Object.entries(OBJECT_TYPE_IDS) as Array<[ObjectType, string]>) {
    if (s === plural || s === plural.slice(0, -1) || s === id) return plural;
  }
  return undefined;
}

/** An option of an enumeration property. */
export interface PropertyOption {
  label: string;
  value: string;
  displayOrder: number;
  hidden: boolean;
}

/** What the dialect knows of a property (built-in or created through the API). */
export interface PropertyDef {
  name: string;
  label: string;
  type: 'string' | 'number' | 'bool' | 'enumeration' | 'date' | 'datetime';
  fieldType: string;
  groupName: string;
  options: PropertyOption[];
  /** Computed by the CRM: writing it is READ_ONLY_VALUE. */
  readOnly?: boolean;
  hasUniqueValue?: boolean;
  hubspotDefined: boolean;
  description?: string;
  displayOrder?: number;
  createdAt?: string;
  updatedAt?: string;
}

function opts(values: readonly string[]): PropertyOption[] {
  return values.map((v, i) => ({ label: v, value: v, displayOrder: i, hidden: false }));
}

const str = (name: string, label: string, groupName: string, fieldType = 'text'): PropertyDef => ({
  name,
  label,
  type: 'string',
  fieldType,
  groupName,
  options: [],
  hubspotDefined: true,
});
const ro = (def: PropertyDef): PropertyDef => ({ ...def, readOnly: true });
const dt = (name: string, label: string, groupName: string): PropertyDef => ({
  ...str(name, label, groupName, 'date'),
  type: 'datetime',
});
const en = (
  name: string,
  label: string,
  groupName: string,
  values: readonly string[],
  fieldType = 'select',
): PropertyDef => ({ ...str(name, label, groupName, fieldType), type: 'enumeration', options: opts(values) });

/** Lifecycle stages (internal values) in their only allowed order of progression. */
export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
] as const;

const CI = 'contactinformation';

/** Built-in properties per object type (the subset a messaging integration touches). */
export const BUILTIN_PROPERTIES: Readonly<Record<ObjectType, readonly PropertyDef[]>> = {
  contacts: [
    str('email', 'Email', CI),
    str('firstname', 'First Name', CI),
    str('lastname', 'Last Name', CI),
    str('phone', 'Phone Number', CI, 'phonenumber'),
    str('mobilephone', 'Mobile Phone Number', CI, 'phonenumber'),
    str('hs_whatsapp_phone_number', 'WhatsApp phone number', CI, 'phonenumber'),
    str('company', 'Company Name', CI),
    str('jobtitle', 'Job Title', CI),
    str('country', 'Country/Region', CI),
    str('city', 'City', CI),
    str('hs_language', 'Preferred language', CI),
    str('hs_timezone', 'Time Zone', CI),
    str('hs_additional_emails', 'Additional email addresses', CI, 'textarea'),
    str('hubspot_owner_id', 'Contact owner', CI),
    { ...str('hs_pinned_engagement_id', 'Pinned Engagement ID', CI, 'number'), type: 'number' },
    en('lifecyclestage', 'Lifecycle Stage', CI, LIFECYCLE_STAGES, 'radio'),
    en('hs_lead_status', 'Lead Status', CI, [
      'NEW',
      'OPEN',
      'IN_PROGRESS',
      'OPEN_DEAL',
      'UNQUALIFIED',
      'ATTEMPTED_TO_CONTACT',
      'CONNECTED',
      'BAD_TIMING',
    ]),
    ro(dt('createdate', 'Create Date', CI)),
    ro(dt('lastmodifieddate', 'Last Modified Date', CI)),
    ro({ ...str('hs_object_id', 'Record ID', CI, 'number'), type: 'number' }),
    ro(str('hs_calculated_phone_number', 'Calculated Phone Number', CI)),
    ro(str('hs_calculated_phone_number_country_code', 'Calculated Phone Number Country Code', CI)),
    ro(str('hs_searchable_calculated_phone_number', 'Phone Number (searchable)', CI)),
    ro({ ...en('hs_is_contact', 'Is a contact', CI, ['true', 'false'], 'booleancheckbox'), type: 'bool' }),
  ],
  tickets: [
    str('subject', 'Ticket name', 'ticketinformation'),
    str('content', 'Ticket description', 'ticketinformation', 'textarea'),
    str('hs_pipeline', 'Pipeline', 'ticketinformation', 'select'),
    str('hs_pipeline_stage', 'Ticket status', 'ticketinformation', 'select'),
    en('hs_ticket_priority', 'Priority', 'ticketinformation', ['LOW', 'MEDIUM', 'HIGH', 'URGENT']),
    en('hs_ticket_category', 'Category', 'ticketinformation', [
      'PRODUCT_ISSUE',
      'BILLING_ISSUE',
      'FEATURE_REQUEST',
      'GENERAL_INQUIRY',
    ]),
    str('hubspot_owner_id', 'Ticket owner', 'ticketinformation'),
    ro(dt('createdate', 'Create date', 'ticketinformation')),
    ro(dt('hs_lastmodifieddate', 'Last modified date', 'ticketinformation')),
    ro({ ...str('hs_object_id', 'Record ID', 'ticketinformation', 'number'), type: 'number' }),
    ro({ ...str('hs_ticket_id', 'Ticket ID', 'ticketinformation', 'number'), type: 'number' }),
  ],
  communications: [
    en('hs_communication_channel_type', 'Channel type', 'communication', [
      'WHATS_APP',
      'LINKEDIN_MESSAGE',
      'SMS',
    ]),
    en('hs_communication_logged_from', 'Logged from', 'communication', ['CRM']),
    str('hs_communication_body', 'Body', 'communication', 'html'),
    dt('hs_timestamp', 'Timestamp', 'communication'),
    str('hubspot_owner_id', 'Owner', 'communication'),
    ro(dt('hs_createdate', 'Create date', 'communication')),
    ro(dt('hs_lastmodifieddate', 'Last modified date', 'communication')),
    ro({ ...str('hs_object_id', 'Record ID', 'communication', 'number'), type: 'number' }),
  ],
  notes: [
    str('hs_note_body', 'Note body', 'engagement', 'html'),
    dt('hs_timestamp', 'Timestamp', 'engagement'),
    str('hubspot_owner_id', 'Owner', 'engagement'),
    str('hs_attachment_ids', 'Attachment ids', 'engagement'),
    ro(dt('hs_createdate', 'Create date', 'engagement')),
    ro(dt('hs_lastmodifieddate', 'Last modified date', 'engagement')),
    ro({ ...str('hs_object_id', 'Record ID', 'engagement', 'number'), type: 'number' }),
  ],
};

const BUILTIN_BY_NAME: Record<ObjectType, Map<string, PropertyDef>> = {
  contacts: new Map(BUILTIN_PROPERTIES.contacts.map((p) => [p.name, p])),
  tickets: new Map(BUILTIN_PROPERTIES.tickets.map((p) => [p.name, p])),
  communications: new Map(BUILTIN_PROPERTIES.communications.map((p) => [p.name, p])),
  notes: new Map(BUILTIN_PROPERTIES.notes.map((p) => [p.name, p])),
};

/** The store id of a custom property's definition. */
export function propertyRecordId(type: ObjectType, name: string): string {
  return `property:${type}/${name}`;
}

/** A property of `type` (built-in first, then the account's own), or undefined. */
export function propertyDef(ctx: HubSpotContext, type: ObjectType, name: string): PropertyDef | undefined {
  const b = BUILTIN_BY_NAME[type].get(name);
  if (b) return b;
  const rec = ctx.crm.store.hubspot.get(propertyRecordId(type, name));
  return rec && !rec.archived ? (rec.definition as unknown as PropertyDef) : undefined;
}

/** Every property of `type`: built-ins, then custom ones in creation order. */
export function allProperties(ctx: HubSpotContext, type: ObjectType): PropertyDef[] {
  const custom = ctx.crm.store.hubspot
    .find('type', 'property')
    .filter((r) => r.objectId.startsWith(`${type}/`))
    .map((r) => r.definition as unknown as PropertyDef);
  return [...BUILTIN_PROPERTIES[type], ...custom];
}

/** A property as the properties API returns it. */
export function propertyJson(def: PropertyDef): Record<string, unknown> {
  return {
    updatedAt: def.updatedAt ?? '2019-08-06T02:41:52.000Z',
    createdAt: def.createdAt ?? '2019-08-06T02:41:52.000Z',
    name: def.name,
    label: def.label,
    type: def.type,
    fieldType: def.fieldType,
    description: def.description ?? '',
    groupName: def.groupName,
    options: def.options,
    displayOrder: def.displayOrder ?? -1,
    calculated: def.readOnly === true && def.hubspotDefined,
    externalOptions: false,
    hasUniqueValue: def.hasUniqueValue === true,
    hidden: false,
    hubspotDefined: def.hubspotDefined,
    modificationMetadata: {
      archivable: !def.hubspotDefined,
      readOnlyDefinition: def.hubspotDefined,
      readOnlyValue: def.readOnly === true,
    },
    formField: !def.readOnly,
    dataSensitivity: 'non_sensitive',
    archived: false,
  };
}

const TYPE_FIELD: Record<PropertyDef['type'], readonly string[]> = {
  string: ['text', 'textarea', 'html', 'phonenumber', 'file', 'calculation_equation'],
  number: ['number'],
  bool: ['booleancheckbox'],
  enumeration: ['checkbox', 'radio', 'select', 'booleancheckbox'],
  date: ['date'],
  datetime: ['date'],
};

/** Checks a POST /crm/v3/properties body; returns the definition to store. */
export function parsePropertyCreate(body: unknown, nowIso: string): PropertyDef {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw validation('Invalid input JSON on line 1, column 1: the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const missing = ['name', 'label', 'type', 'groupName', 'fieldType'].filter(
    (k) => typeof b[k] !== 'string' || b[k] === '',
  );
  if (missing.length > 0)
    throw validation(
      `Some required fields were not set: [${missing.join(', ')}]`,
      Object.fromEntries(missing.map((m) => [m, ['is required']])),
    );
  const name = b['name'] as string;
  if (!/^[a-z][a-z0-9_]{0,99}$/.test(name))
    throw validation(
      `Property name ${JSON.stringify(name)} is invalid: use lowercase letters, digits and underscores, starting with a letter`,
    );
  const type = b['type'] as PropertyDef['type'];
  if (!Object.hasOwn(TYPE_FIELD, type))
    throw validation(`${type} was not one of the allowed options: [${Object.keys(TYPE_FIELD).join(', ')}]`);
  const fieldType = b['fieldType'] as string;
  if (!TYPE_FIELD[type].includes(fieldType))
    throw validation(`fieldType ${fieldType} is not valid for a property of type ${type}`);
  const options: PropertyOption[] = [];
  if (b['options'] !== undefined) {
    if (!Array.isArray(b['options'])) throw validation('options must be an array');
    for (const [i, o] of (b['options'] as unknown[]).entries()) {
      const opt = o as Record<string, unknown>;
      if (typeof opt?.['label'] !== 'string' || typeof opt['value'] !== 'string')
        throw validation(`options[${i}] needs a string label and value`);
      options.push({
        label: opt['label'],
        value: opt['value'],
        displayOrder: typeof opt['displayOrder'] === 'number' ? opt['displayOrder'] : i,
        hidden: opt['hidden'] === true,
      });
    }
  }
  if (type === 'enumeration' && options.length === 0)
    throw validation('An enumeration property needs at least one option');
  return {
    name,
    label: b['label'] as string,
    type,
    fieldType,
    groupName: b['groupName'] as string,
    options,
    hasUniqueValue: b['hasUniqueValue'] === true,
    hubspotDefined: false,
    ...(typeof b['description'] === 'string' ? { description: b['description'] } : {}),
    ...(typeof b['displayOrder'] === 'number' ? { displayOrder: b['displayOrder'] } : {}),
    createdAt: nowIso,
    updatedAt: nowIso,
  };
}

/** Store settings that belong to the account's schema (labels) or keep ids unique across resets. */
const SCHEMA_META = ['hubspot_labels', 'hubspot_id_counter'] as const;

/**
 * Takes the account's schema out of `store` before a reset: the custom properties (the connector
 * created them once at start-up and writes them on every record), the association labels and the
 * id counter. The returned function writes them back into the emptied store. Records go; a
 * HubSpot account that loses its contacts keeps its properties.
 */
export function keepSchema(store: CrmStore): () => void {
  const props = store.hubspot.find('type', 'property');
  const meta = SCHEMA_META.flatMap((k) => {
    const v = store.getMeta(k);
    return v === undefined ? [] : [[k, v] as const];
  });
  return () =>
    store.transaction(() => {
      for (const rec of props) store.hubspot.insert(rec);
      for (const [k, v] of meta) store.setMeta(k, v);
    });
}

/** Stores a new custom property; 409 if the name is taken. */
export function createProperty(ctx: HubSpotContext, type: ObjectType, def: PropertyDef): void {
  if (propertyDef(ctx, type, def.name))
    throw new HsError(409, `Property named '${def.name}' already exists.`, {
      category: 'OBJECT_ALREADY_EXISTS',
    });
  const id = propertyRecordId(type, def.name);
  const old = ctx.crm.store.hubspot.get(id);
  const rec: HubSpotRecord = {
    id,
    objectType: 'property',
    objectId: `${type}/${def.name}`,
    properties: {},
    createdAt: def.createdAt ?? ctx.nowIso(),
    updatedAt: def.updatedAt ?? ctx.nowIso(),
    archived: false,
    archivedAt: null,
    associations: {},
    nativeId: null,
    definition: def as unknown as Record<string, unknown>,
  };
  if (old) ctx.crm.store.hubspot.update(rec);
  else ctx.crm.store.hubspot.insert(rec);
}

function isoOf(v: string): string | undefined {
  if (/^\d{1,15}$/.test(v)) return new Date(Number(v)).toISOString();
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * Checks and normalises written property values: numbers and booleans become strings, `null` and
 * `""` clear, datetimes become ISO-8601. Unknown or read-only properties are errors for contacts
 * and tickets and are ignored for communications and notes (as HubSpot documents each).
 * Returns the values to store (`""` meaning cleared).
 */
export function checkWrite(
  ctx: HubSpotContext,
  type: ObjectType,
  input: unknown,
  current: Record<string, string | null> = {},
): Record<string, string> {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw validation('properties must be an object of property names to values');
  const strict = type === 'contacts' || type === 'tickets';
  const problems: PropertyProblem[] = [];
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(input as Record<string, unknown>)) {
    const def = propertyDef(ctx, type, name);
    if (!def || def.readOnly) {
      if (!strict) continue;
      problems.push(
        def
          ? { name, error: 'READ_ONLY_VALUE', message: `Property "${name}" is read-only` }
          : { name, error: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` },
      );
      continue;
    }
    if (raw !== null && typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      problems.push({
        name,
        error: 'INVALID_OPTION',
        message: `${name} must be a string, number or boolean`,
      });
      continue;
    }
    let value = raw === null ? '' : String(raw);
    if (value === '') {
      out[name] = '';
      continue;
    }
    if (def.type === 'number' && !/^-?\d+(\.\d+)?$/.test(value)) {
      problems.push({ name, error: 'INVALID_INTEGER', message: `${value} was not a valid number` });
      continue;
    }
    if (def.type === 'bool') {
      const v = value.toLowerCase();
      if (v !== 'true' && v !== 'false') {
        problems.push({
          name,
          error: 'INVALID_OPTION',
          message: `${value} was not one of the allowed options: [true, false]`,
        });
        continue;
      }
      value = v;
    }
    if (def.type === 'datetime' || def.type === 'date') {
      const iso = isoOf(value);
      if (!iso) {
        problems.push({ name, error: 'INVALID_OPTION', message: `${value} is not a valid date` });
        continue;
      }
      value = iso;
    }
    if (def.type === 'enumeration') {
      const multi = def.fieldType === 'checkbox';
      // A leading ';' on a multi-value property appends to the current value.
      if (multi && value.startsWith(';')) {
        const had = current[name];
        value = `${had ?? ''}${value}`.replace(/^;+/, '');
      }
      const values = multi ? value.split(';').filter((v) => v !== '') : [value];
      const allowed = def.options.map((o) => o.value);
      const bad = values.find((v) => !allowed.includes(v));
      if (bad !== undefined) {
        problems.push({
          name,
          error: 'INVALID_OPTION',
          message: `${bad} was not one of the allowed options: [${allowed.join(', ')}]`,
        });
        continue;
      }
      value = [...new Set(values)].join(';');
    }
    if (name === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
      problems.push({ name, error: 'INVALID_EMAIL', message: `Email address ${value} is invalid` });
      continue;
    }
    if (value.length > 65_536) {
      problems.push({ name, error: 'INVALID_OPTION', message: `${name} is longer than 65536 characters` });
      continue;
    }
    out[name] = value;
  }
  if (problems.length > 0) throw invalidProperties(problems, ctx.portalId);
  return out;
}
