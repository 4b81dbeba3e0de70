import type { HubSpotAssociation, HubSpotRecord } from '../../types.js';
import type { HubSpotContext } from './context.js';
import { objectNotFound, validation } from './errors.js';
import { TICKET_PIPELINES } from './pipelines.js';
import { checkWrite, type ObjectType } from './properties.js';
import { contactExtrasFor, type HsObjectJson, objectJson, pick, recordId, saveRecord } from './records.js';

/** Object types stored whole in the dialect's table (contacts live in the native model). */
export type EngagementType = Exclude<ObjectType, 'contacts'>;

/** HubSpot-defined association type ids (directional), by `<from>→<to>`, and their inverse. */
export const ASSOCIATION_TYPES: ReadonlyArray<{
  from: ObjectType;
  to: ObjectType;
  typeId: number;
  inverse: number;
}> = [
  { from: 'communications', to: 'contacts', typeId: 81, inverse: 82 },
  { from: 'communications', to: 'tickets', typeId: 83, inverse: 84 },
  { from: 'tickets', to: 'contacts', typeId: 16, inverse: 15 },
  { from: 'notes', to: 'contacts', typeId: 202, inverse: 201 },
  { from: 'notes', to: 'tickets', typeId: 228, inverse: 227 },
];

/** The HubSpot-defined type from `from` to `to` (the default association), if the pair has one. */
export function defaultType(
  from: ObjectType,
  to: ObjectType,
): { typeId: number; inverse: number } | undefined {
  for (const t of ASSOCIATION_TYPES) {
    if (t.from === from && t.to === to) return { typeId: t.typeId, inverse: t.inverse };
    if (t.from === to && t.to === from) return { typeId: t.inverse, inverse: t.typeId };
  }
  return undefined;
}

/** snake_case name of an association type as v3 reads show it (`communication_to_contact`). */
export function typeName(from: ObjectType, to: ObjectType): string {
  return `${from.slice(0, -1)}_to_${to.slice(0, -1)}`;
}

/** A dialect record of an engagement type, live or not. */
export function engagement(ctx: HubSpotContext, type: EngagementType, id: string): HubSpotRecord | undefined {
  return ctx.crm.store.hubspot.get(recordId(type, id));
}

/** A live record or 404. */
export function liveEngagement(ctx: HubSpotContext, type: EngagementType, id: string): HubSpotRecord {
  const rec = engagement(ctx, type, id);
  if (!rec || rec.archived) throw objectNotFound(id);
  return rec;
}

/** The record (contact's dialect record or engagement) on one side of an association, created if needed. */
export function associable(
  ctx: HubSpotContext,
  type: ObjectType,
  id: string,
): { rec: HubSpotRecord; isNew: boolean } | undefined {
  if (type === 'contacts') {
    const c = ctx.crm.store.contacts.get(id);
    if (!c) return undefined;
    const x = contactExtrasFor(ctx, c);
    return x.rec.archived ? undefined : x;
  }
  const rec = engagement(ctx, type, id);
  return rec && !rec.archived ? { rec, isNew: false } : undefined;
}

function addLabel(
  list: HubSpotAssociation[],
  id: string,
  typeId: number,
  category: string,
  label: string | null,
): void {
  let entry = list.find((a) => a.id === id);
  if (!entry) {
    entry = { id, types: [] };
    list.push(entry);
  }
  if (!entry.types.some((t) => t.typeId === typeId && t.category === category))
    entry.types.push({ category, typeId, label });
}

/** One label to write: category and type id as the client sent them. */
export interface AssociationSpec {
  associationCategory: string;
  associationTypeId: number;
}

/** Checks association specs sent by a client. */
export function parseSpecs(input: unknown, where: string): AssociationSpec[] {
  if (!Array.isArray(input) || input.length === 0)
    throw validation(`${where} must be a non-empty array of association types`);
  return input.map((t, i) => {
    const o = t as Record<string, unknown>;
    const category = o?.['associationCategory'];
    const typeId = o?.['associationTypeId'];
    if (
      typeof category !== 'string' ||
      !['HUBSPOT_DEFINED', 'USER_DEFINED', 'INTEGRATOR_DEFINED', 'WORK'].includes(category)
    )
      throw validation(
        `${where}[${i}].associationCategory ${String(category)} was not one of the allowed options: [HUBSPOT_DEFINED, USER_DEFINED, INTEGRATOR_DEFINED, WORK]`,
      );
    if (typeof typeId !== 'number' || !Number.isInteger(typeId))
      throw validation(`${where}[${i}].associationTypeId must be an integer`);
    return { associationCategory: category, associationTypeId: typeId };
  });
}

/**
 * Links two records in both directions. A HUBSPOT_DEFINED type must be the pair's own, in the
 * right direction (81 from a communication to a contact, not 82); other categories are labels,
 * and every labelled link also carries the pair's default type, as on HubSpot. Throws 400/404.
 */
export function associate(
  ctx: HubSpotContext,
  from: { type: ObjectType; id: string },
  to: { type: ObjectType; id: string },
  specs: AssociationSpec[],
): void {
  const pair = defaultType(from.type, to.type);
  if (!pair)
    throw validation(`Association from ${from.type} to ${to.type} is not offered`, {
      toObjectType: [to.type],
    });
  for (const s of specs) {
    if (s.associationCategory === 'HUBSPOT_DEFINED' && s.associationTypeId !== pair.typeId) {
      throw validation(
        `invalid association type id ${s.associationTypeId} from ${from.type} to ${to.type}. expected: ${pair.typeId}`,
        { associationTypeId: [String(s.associationTypeId)] },
      );
    }
  }
  const a = associable(ctx, from.type, from.id);
  if (!a) throw objectNotFound(from.id);
  const b = associable(ctx, to.type, to.id);
  if (!b) throw objectNotFound(to.id);
  addSide(ctx, a.rec, to.type, to.id, pair.typeId, specs);
  addSide(ctx, b.rec, from.type, from.id, pair.inverse, specs);
  saveRecord(ctx, a.rec, a.isNew);
  saveRecord(ctx, b.rec, b.isNew);
}

/** Adds one side of an association to a record (unsaved): the pair's default type, then any labels. */
function addSide(
  ctx: HubSpotContext,
  rec: HubSpotRecord,
  otherType: ObjectType,
  otherId: string,
  typeId: number,
  specs: AssociationSpec[],
): void {
  const list = rec.associations[otherType] ?? [];
  rec.associations[otherType] = list;
  addLabel(list, otherId, typeId, 'HUBSPOT_DEFINED', null);
  for (const s of specs) {
    if (s.associationCategory === 'HUBSPOT_DEFINED') continue;
    addLabel(
      list,
      otherId,
      s.associationTypeId,
      s.associationCategory,
      ctx.labels.get(s.associationTypeId) ?? null,
    );
  }
}

/** Removes every label between two records (both directions). */
export function dissociate(
  ctx: HubSpotContext,
  from: { type: ObjectType; id: string },
  to: { type: ObjectType; id: string },
): void {
  const a = associable(ctx, from.type, from.id);
  const b = associable(ctx, to.type, to.id);
  if (a) {
    a.rec.associations[to.type] = (a.rec.associations[to.type] ?? []).filter((x) => x.id !== to.id);
    saveRecord(ctx, a.rec, a.isNew);
  }
  if (b) {
    b.rec.associations[from.type] = (b.rec.associations[from.type] ?? []).filter((x) => x.id !== from.id);
    saveRecord(ctx, b.rec, b.isNew);
  }
}

/** Inline associations of a create body: `[{to:{id}, types:[…]}]`. */
export function parseInline(input: unknown): Array<{ toId: string; specs: AssociationSpec[] }> {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw validation('associations must be an array');
  return input.map((a, i) => {
    const o = a as Record<string, unknown>;
    const to = o?.['to'] as Record<string, unknown> | undefined;
    const id = to?.['id'];
    if (typeof id !== 'string' && typeof id !== 'number')
      throw validation(`associations[${i}].to.id is required`);
    return { toId: String(id), specs: parseSpecs(o['types'], `associations[${i}].types`) };
  });
}

/** The object type an inline association goes to, read from its HUBSPOT_DEFINED type id. */
function inlineTarget(from: ObjectType, specs: AssociationSpec[]): ObjectType {
  for (const s of specs) {
    for (const t of ASSOCIATION_TYPES) {
      if (s.associationCategory !== 'HUBSPOT_DEFINED') continue;
      if (t.from === from && t.typeId === s.associationTypeId) return t.to;
      if (t.to === from && t.inverse === s.associationTypeId) return t.from;
      if (
        t.from !== from &&
        t.to !== from &&
        (t.typeId === s.associationTypeId || t.inverse === s.associationTypeId)
      ) {
        throw validation(
          `invalid from object type ${OBJECT_TYPE_OF_ID[s.associationTypeId] ?? from} for associations to be created. expected: ${from}`,
        );
      }
    }
  }
  // Labels only: HubSpot needs a HUBSPOT_DEFINED type to know the target type; contacts by default.
  return 'contacts';
}

const OBJECT_TYPE_OF_ID: Record<number, string> = Object.fromEntries(
  ASSOCIATION_TYPES.flatMap((t) => [
    [t.typeId, t.from],
    [t.inverse, t.to],
  ]),
);

/** Checks inline associations of a create (targets exist, directions right) before anything is written. */
export function resolveInline(
  ctx: HubSpotContext,
  from: ObjectType,
  input: unknown,
): Array<{ toType: ObjectType; toId: string; specs: AssociationSpec[] }> {
  const out = parseInline(input).map((a) => ({ toType: inlineTarget(from, a.specs), ...a }));
  for (const a of out) {
    const pair = defaultType(from, a.toType);
    const wrong = a.specs.find(
      (s) => s.associationCategory === 'HUBSPOT_DEFINED' && s.associationTypeId !== pair?.typeId,
    );
    if (!pair || wrong)
      throw validation(
        `invalid association type id ${wrong?.associationTypeId ?? '?'} from ${from} to ${a.toType}. expected: ${pair?.typeId ?? 'none'}`,
      );
    if (!associable(ctx, a.toType, a.toId))
      throw validation(`No ${a.toType.slice(0, -1)} with ID ${a.toId} exists`, { id: [a.toId] });
  }
  return out;
}

/** Every property value of an engagement record, computed ones included. */
export function engagementProperties(rec: HubSpotRecord): Record<string, string | null> {
  const type = rec.objectType as EngagementType;
  const props: Record<string, string | null> = { ...rec.properties, hs_object_id: rec.objectId };
  if (type === 'tickets') {
    props['createdate'] = rec.createdAt;
    props['hs_lastmodifieddate'] = rec.updatedAt;
    props['hs_ticket_id'] = rec.objectId;
  } else {
    props['hs_createdate'] = rec.createdAt;
    props['hs_lastmodifieddate'] = rec.updatedAt;
  }
  for (const [k, v] of Object.entries(props)) if (v === '') props[k] = null;
  return props;
}

/** An engagement as HubSpot returns it. */
export function engagementJson(
  ctx: HubSpotContext,
  rec: HubSpotRecord,
  requested: readonly string[] | undefined,
  search = false,
): HsObjectJson {
  const type = rec.objectType as EngagementType;
  const props = pick(ctx, type, engagementProperties(rec), requested, search);
  return objectJson(rec.objectId, props, rec.createdAt, rec.updatedAt, rec.archived ? rec.archivedAt : null);
}

function checkTicket(values: Record<string, string>, current: Record<string, string>): void {
  const pipelineId = values['hs_pipeline'] ?? current['hs_pipeline'] ?? '0';
  const pipeline = TICKET_PIPELINES.find((p) => p.id === pipelineId);
  if (!pipeline) throw validation(`${pipelineId} is not a valid pipeline ID`, { hs_pipeline: [pipelineId] });
  const stage = values['hs_pipeline_stage'] ?? current['hs_pipeline_stage'];
  if (stage === undefined || stage === '')
    throw validation('hs_pipeline_stage is required for a ticket', { hs_pipeline_stage: ['is required'] });
  if (!pipeline.stages.some((s) => s.id === stage))
    throw validation(`${stage} is not a valid pipeline stage ID for pipeline ${pipelineId}`, {
      hs_pipeline_stage: [stage],
    });
  values['hs_pipeline'] = pipelineId;
}

/** Checks an engagement create (values, ticket placement, association targets); returns what to write. */
export function checkEngagementCreate(
  ctx: HubSpotContext,
  type: EngagementType,
  body: Record<string, unknown>,
): { values: Record<string, string>; links: ReturnType<typeof resolveInline> } {
  const values = checkWrite(ctx, type, body['properties'] ?? {});
  if (type === 'tickets') {
    if (!values['subject'])
      throw validation('subject is required for a ticket', { subject: ['is required'] });
    checkTicket(values, {});
  }
  if (type === 'communications' && !values['hs_communication_channel_type'])
    throw validation('hs_communication_channel_type is required', {
      hs_communication_channel_type: ['is required'],
    });
  const links = resolveInline(ctx, type, body['associations']);
  return { values, links };
}

/**
 * Creates an engagement (communication, note, ticket) with its inline associations; `afterCreate`
 * (the translation into the native model) runs on the record before it is stored.
 */
export function createEngagement(
  ctx: HubSpotContext,
  type: EngagementType,
  body: Record<string, unknown>,
  afterCreate: (ctx: HubSpotContext, rec: HubSpotRecord) => void = () => {},
): HubSpotRecord {
  const { values, links } = checkEngagementCreate(ctx, type, body);
  const { store } = ctx.crm;
  return store.transaction(() => {
    const now = ctx.nowIso();
    const id = ctx.newObjectId();
    const properties: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) if (v !== '') properties[k] = v;
    if ((type === 'communications' || type === 'notes') && properties['hs_timestamp'] === undefined)
      properties['hs_timestamp'] = now;
    const rec: HubSpotRecord = {
      id: recordId(type, id),
      objectType: type,
      objectId: id,
      properties,
      createdAt: now,
      updatedAt: now,
      archived: false,
      archivedAt: null,
      associations: {},
      nativeId: null,
    };
    // One write per record: the new record gets its side of each association and its native
    // counterpart before it is inserted; each associated record is updated once.
    for (const l of links)
      addSide(ctx, rec, l.toType, l.toId, defaultType(type, l.toType)?.typeId ?? 0, l.specs);
    afterCreate(ctx, rec);
    store.hubspot.insert(rec);
    for (const l of links) {
      const other = associable(ctx, l.toType, l.toId);
      if (!other) continue;
      addSide(ctx, other.rec, type, id, defaultType(type, l.toType)?.inverse ?? 0, l.specs);
      saveRecord(ctx, other.rec, other.isNew);
    }
    return rec;
  });
}

/** Updates an engagement's properties. */
export function updateEngagement(ctx: HubSpotContext, rec: HubSpotRecord, input: unknown): HubSpotRecord {
  const type = rec.objectType as EngagementType;
  const values = checkWrite(ctx, type, input, rec.properties);
  if (type === 'tickets') checkTicket(values, rec.properties);
  for (const [k, v] of Object.entries(values)) {
    if (v === '') delete rec.properties[k];
    else rec.properties[k] = v;
  }
  rec.updatedAt = ctx.nowIso();
  ctx.crm.store.hubspot.update(rec);
  return rec;
}

/** Archives an engagement. */
export function archiveEngagement(ctx: HubSpotContext, rec: HubSpotRecord): void {
  rec.archived = true;
  rec.archivedAt = ctx.nowIso();
  ctx.crm.store.hubspot.update(rec);
}
