import type { CrmResult } from '../crm-client.js';
import { KEYWORD_TABLE } from '../keywords.js';
import type { Failure } from '../retry.js';
import type { HubSpotClient } from './client.js';

/** The multi-value contact property the connector keeps its keyword tags in. */
export const TAGS_PROPERTY = 'wa_tags';
/** The boolean contact property the connector records a marketing opt-out in. */
export const OPT_OUT_PROPERTY = 'wa_opt_out';
/** The tags the connector can set (options of {@link TAGS_PROPERTY}). */
export const TAG_OPTIONS: readonly string[] = [...new Set(KEYWORD_TABLE.map((k) => k.tag))];
/** HubSpot-defined association type ids (directional): communication, ticket and note → contact. */
export const ASSOC = { communicationToContact: 81, ticketToContact: 16, noteToContact: 202 } as const;

/** Where a handover ticket lands (HubSpot's default support pipeline: `0`, stage `1` = New). */
export interface TicketPlacement {
  pipeline: string;
  stage: string;
  /** Owner id to assign, when the connector knows one. */
  ownerId?: string;
}

/** A CRM record as HubSpot returns it (only what the connector reads). */
interface HsObject {
  id?: unknown;
  properties?: Record<string, unknown>;
}

/** A gateway call's outcome: the record id, or why not. */
export type GatewayResult = { ok: true; id: string; created: boolean } | { ok: false; failure: Failure };

/** A contact found or created by phone. */
export type ContactResult =
  | { ok: true; id: string; created: boolean; name?: string; optedOut: boolean }
  | { ok: false; failure: Failure };

function fail(result: CrmResult<unknown>): { ok: false; failure: Failure } {
  if (result.ok) throw new Error('fail() called on a success');
  return { ok: false, failure: result.failure };
}

function idOf(data: unknown): string | undefined {
  const id = (data as HsObject | undefined)?.id;
  return typeof id === 'string' && id !== '' ? id : typeof id === 'number' ? String(id) : undefined;
}

function noId(what: string): { ok: false; failure: Failure } {
  return {
    ok: false,
    failure: { side: 'crm', kind: 'http', message: `${what}: answer without an id`, retryable: false },
  };
}

/**
 * The engine's CRM operations in HubSpot's CRM v3 model: contacts found by phone through the
 * search API (then created), every WhatsApp message and status logged as a communication
 * (`WHATS_APP`) associated to its contact, tags in a multi-value contact property, handovers as
 * tickets.
 */
export class HubSpotGateway {
  constructor(
    private readonly hs: HubSpotClient,
    private readonly placement: TicketPlacement,
  ) {}

  /**
   * Creates the connector's contact properties the account lacks (once at start): the multi-value
   * tags property and the opt-out flag. A 409 means another process created one meanwhile, which is
   * as good.
   */
  async ensureProperties(): Promise<{ ok: true; created: string[] } | { ok: false; failure: Failure }> {
    const created: string[] = [];
    for (const def of [
      {
        name: TAGS_PROPERTY,
        label: 'WhatsApp tags',
        type: 'enumeration',
        fieldType: 'checkbox',
        groupName: 'contactinformation',
        options: TAG_OPTIONS.map((t, i) => ({ label: t, value: t, displayOrder: i, hidden: false })),
      },
      {
        name: OPT_OUT_PROPERTY,
        label: 'WhatsApp marketing opt-out',
        type: 'bool',
        fieldType: 'booleancheckbox',
        groupName: 'contactinformation',
        options: [
          { label: 'Yes', value: 'true', displayOrder: 0, hidden: false },
          { label: 'No', value: 'false', displayOrder: 1, hidden: false },
        ],
      },
    ]) {
      const got = await this.hs.request('GET', `/crm/v3/properties/contacts/${def.name}`);
      if (got.ok) continue;
      if (got.failure.httpStatus !== 404) return fail(got);
      const made = await this.hs.request('POST', '/crm/v3/properties/contacts', def);
      if (made.ok) created.push(def.name);
      else if (made.failure.httpStatus !== 409) return fail(made);
    }
    return { ok: true, created };
  }

  /**
   * The contact whose phone is `e164` (`+` and digits), created when none exists. The search looks
   * at `phone` and `hs_whatsapp_phone_number`, in E.164 and without the `+`, since records typed in
   * by people carry either; a 409 on create (the search index lags behind writes) yields the
   * existing id from HubSpot's message.
   */
  async findOrCreateContact(e164: string, name?: string): Promise<ContactResult> {
    const bare = e164.replace(/^\+/, '');
    const filterGroups = ['phone', 'hs_whatsapp_phone_number'].map((propertyName) => ({
      filters: [{ propertyName, operator: 'IN', values: [e164, bare] }],
    }));
    const found = await this.hs.request<{ results?: HsObject[] }>('POST', '/crm/v3/objects/contacts/search', {
      filterGroups,
      properties: ['phone', 'hs_whatsapp_phone_number', 'firstname', TAGS_PROPERTY],
      sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }],
      limit: 1,
    });
    if (!found.ok) return fail(found);
    const first = found.data?.results?.[0];
    const hit = idOf(first);
    if (hit) {
      const props = first?.properties ?? {};
      const given = props['firstname'];
      return {
        ok: true,
        id: hit,
        created: false,
        ...(typeof given === 'string' && given !== '' ? { name: given } : {}),
        optedOut: props[OPT_OUT_PROPERTY] === 'true',
      };
    }
    const properties: Record<string, string> = { phone: e164, hs_whatsapp_phone_number: e164 };
    if (name !== undefined && name !== '') properties['firstname'] = [...name].slice(0, 200).join('');
    else properties['firstname'] = e164;
    const made = await this.hs.request('POST', '/crm/v3/objects/contacts', { properties });
    if (!made.ok) {
      const existing = /Existing ID:\s*(\d+)/.exec(made.failure.message)?.[1];
      if (made.failure.httpStatus === 409 && existing)
        return { ok: true, id: existing, created: false, optedOut: false };
      return fail(made);
    }
    const id = idOf(made.data);
    if (!id) return noId('contact create');
    return { ok: true, id, created: true, ...(name ? { name } : {}), optedOut: false };
  }

  /** Logs one WhatsApp message (or a status of one) on the contact's timeline. */
  async logCommunication(contactId: string, body: string, atIso: string): Promise<GatewayResult> {
    const r = await this.hs.request('POST', '/crm/v3/objects/communications', {
      properties: {
        hs_communication_channel_type: 'WHATS_APP',
        hs_communication_logged_from: 'CRM',
        hs_communication_body: body,
        hs_timestamp: atIso,
      },
      associations: [
        {
          to: { id: contactId },
          types: [
            { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: ASSOC.communicationToContact },
          ],
        },
      ],
    });
    if (!r.ok) return fail(r);
    const id = idOf(r.data);
    return id ? { ok: true, id, created: true } : noId('communication create');
  }

  /**
   * Adds `tags` to the contact's tags property with HubSpot's append form (a leading `;`): one
   * call, no read first, and tags already there are kept (a multi-value write never removes them).
   */
  async addTags(contactId: string, tags: readonly string[]): Promise<GatewayResult> {
    if (tags.length === 0) return { ok: true, id: contactId, created: false };
    const path = `/crm/v3/objects/contacts/${encodeURIComponent(contactId)}`;
    const r = await this.hs.request('PATCH', path, {
      properties: { [TAGS_PROPERTY]: `;${[...new Set(tags)].join(';')}` },
    });
    return r.ok ? { ok: true, id: contactId, created: true } : fail(r);
  }

  /** Opens a handover ticket for a human agent, associated to the contact. */
  async openHandoverTicket(contactId: string, reason: string, detail: string): Promise<GatewayResult> {
    const properties: Record<string, string> = {
      hs_pipeline: this.placement.pipeline,
      hs_pipeline_stage: this.placement.stage,
      subject: `WhatsApp handover: ${reason}`,
      content: detail,
      hs_ticket_priority: reason === 'complaint' ? 'HIGH' : 'MEDIUM',
    };
    if (this.placement.ownerId) properties['hubspot_owner_id'] = this.placement.ownerId;
    const r = await this.hs.request('POST', '/crm/v3/objects/tickets', {
      properties,
      associations: [
        {
          to: { id: contactId },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: ASSOC.ticketToContact }],
        },
      ],
    });
    if (!r.ok) return fail(r);
    const id = idOf(r.data);
    return id ? { ok: true, id, created: true } : noId('ticket create');
  }

  /** Sets the contact's opt-out property. */
  async optOut(contactId: string): Promise<GatewayResult> {
    const r = await this.hs.request('PATCH', `/crm/v3/objects/contacts/${encodeURIComponent(contactId)}`, {
      properties: { [OPT_OUT_PROPERTY]: 'true' },
    });
    return r.ok ? { ok: true, id: contactId, created: false } : fail(r);
  }

  /**
   * Leaves a note for a human (HubSpot has no error log): associated to the contact when one is
   * known (type 202, note → contact), otherwise a free-standing note.
   */
  async logNote(body: string, atIso: string, contactId?: string): Promise<GatewayResult> {
    const r = await this.hs.request('POST', '/crm/v3/objects/notes', {
      properties: { hs_note_body: body, hs_timestamp: atIso },
      ...(contactId
        ? {
            associations: [
              {
                to: { id: contactId },
                types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: ASSOC.noteToContact }],
              },
            ],
          }
        : {}),
    });
    if (!r.ok) return fail(r);
    const id = idOf(r.data);
    return id ? { ok: true, id, created: true } : noId('note create');
  }
}
