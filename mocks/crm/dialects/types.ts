import type { FastifyInstance } from 'fastify';
import type { WebhookDispatcher, WebhookDispatcherOptions } from '../../shared/dispatcher.js';
import type { CrmContext } from '../context.js';
import type { SeedContact } from '../seed.js';
import type { Contact, CrmEventPayload } from '../types.js';

/** The CRM APIs the mock can speak; one CRM model under all of them. */
export const CRM_DIALECTS = ['native', 'hubspot'] as const;

/** A CRM API the mock can speak. */
export type CrmDialectName = (typeof CRM_DIALECTS)[number];

/**
 * How a dialect sends the CRM's events to the connector. The dispatcher stays the shared one
 * (mocks/shared/dispatcher.ts); a dialect only changes its options (signing, retries, timeouts)
 * and how one emitted event becomes deliveries.
 */
export interface DialectEvents {
  /** Overrides of the dispatcher's options; the mock's own (`eventDelivery`) still win. */
  dispatcher: Partial<
    Pick<
      WebhookDispatcherOptions,
      | 'signatureHeader'
      | 'journalPrefix'
      | 'userAgent'
      | 'concurrency'
      | 'timeoutMs'
      | 'retry'
      | 'prepareAttempt'
      | 'backoffJitter'
      | 'onRecord'
    >
  >;
  /**
   * Hands one emitted event to `dispatcher`; `duplicate` says the timeline asks for it twice.
   * Must journal `event.delivered|failed|abandoned` with the event's `eventId` (the tracer and
   * the store's delivery state read those), directly or through the dispatcher's prefix.
   */
  enqueue(payload: CrmEventPayload, dispatcher: WebhookDispatcher, duplicate: boolean): void;
  /** Drops what is buffered and not yet handed over (reset, close). */
  clear?(): void;
}

/** Seeding in a dialect's model: the ids of seeded contacts, their fields, what it keeps beside them. */
export interface DialectSeed {
  /** The id a seeded contact gets (HubSpot: a numeric id above 2^31). */
  contactId(ctx: CrmContext): string;
  /** The generated fields as this CRM would hold them (HubSpot: owners by owner id). */
  fields(ctx: CrmContext, seeded: SeedContact): SeedContact['fields'];
  /** Stores what the dialect keeps beside the contact (HubSpot: extra properties). */
  stored(ctx: CrmContext, contact: Contact, seeded: SeedContact): void;
}

/**
 * A CRM dialect: a translation layer between one CRM's public API and the mock's single model
 * (store, service, journal kinds). The suites, tracer and audit read the model, so a grade means
 * the same whichever dialect the connector spoke. docs/design.md says how to add one.
 */
export interface CrmDialect {
  readonly name: CrmDialectName;
  /**
   * Whether the CRM app's own hooks serve a request path: timeline faults in the native error
   * shape, an `api.request` journal entry, the request counters. A dialect that registers those
   * hooks in its own fastify scope (with its own error shape) answers false for its paths.
   */
  sharedHooksFor(urlPath: string): boolean;
  /** Where the API starts, for the not-found hint and `wacrm mock crm`'s banner (e.g. `/api/v1`). */
  readonly apiBase: string;
  /** Registers the dialect's routes, with their own authentication and limits. */
  register(app: FastifyInstance, ctx: CrmContext): void;
  /** Seeding in the dialect's model; default: the generated records as they are. */
  readonly seed?: DialectSeed;
  /** How events go out; default: the native single signed JSON object per event. */
  readonly events?: DialectEvents;
  /**
   * What a reset keeps: the schema the connector created in the dialect's model (HubSpot: its
   * custom properties and association labels), which a real CRM keeps when its records go.
   * Called before the store is cleared; the function it returns puts the kept parts back into
   * the emptied store. Default: a reset empties everything.
   */
  keepOnReset?(ctx: CrmContext): () => void;
}
