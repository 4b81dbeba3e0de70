import type { FastifyInstance } from 'fastify';
import type { WebhookDispatcher, WebhookDispatcherOptions } from '../../shared/dispatcher.js';
import type { FaultResponder } from '../../shared/faults.js';
import type { CrmContext } from '../context.js';
import type { CrmEventPayload } from '../types.js';

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

/**
 * A CRM dialect: a translation layer between one CRM's public API and the mock's single model
 * (store, service, journal kinds). The suites, tracer and audit read the model, so a grade means
 * the same whichever dialect the connector spoke. docs/design.md says how to add one.
 */
export interface CrmDialect {
  readonly name: CrmDialectName;
  /** Whether a request path is a call of this dialect's API: timeline faults hit it and it is journalled as `api.request`. */
  isApiPath(urlPath: string): boolean;
  /** Where the API starts, for the not-found hint and `wacrm mock crm`'s banner (e.g. `/api/v1`). */
  readonly apiBase: string;
  /** Answers of injected faults in this dialect's error shape; default: the native shape. */
  readonly faultResponder?: FaultResponder;
  /** Registers the dialect's routes, with their own authentication and limits. */
  register(app: FastifyInstance, ctx: CrmContext): void;
  /** How events go out; default: the native single signed JSON object per event. */
  readonly events?: DialectEvents;
}
