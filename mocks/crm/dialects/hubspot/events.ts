import { createHmac } from 'node:crypto';
import type { Clock, TimerHandle } from '../../../../kernel/clock.js';
import type { Rng } from '../../../../kernel/random.js';
import type { RetryPolicy, WebhookDispatcher } from '../../../shared/dispatcher.js';
import type { Journal } from '../../../shared/journal.js';
import type { CrmEventPayload } from '../../types.js';
import type { DialectEvents } from '../types.js';

/**
 * HubSpot's retry policy for app webhook deliveries (docs/crm-hubspot.md): a call that fails to
 * connect, takes longer than 5 s or answers 4xx/5xx is retried up to 10 times over 24 hours with
 * randomised delays. HubSpot publishes no schedule: the delays here start at 1 s and triple
 * (1 s, 3 s, 9 s … ≈ 5.5 h, ≈ 8 h in all), each multiplied by a jitter of 0.75–1.25.
 */
export const HUBSPOT_WEBHOOK_RETRY: Readonly<Required<RetryPolicy>> = Object.freeze({
  initialDelayMs: 1000,
  factor: 3,
  maxDelayMs: 6 * 3_600_000,
  maxAgeMs: 24 * 3_600_000,
  maxAttempts: 11,
});

/** HubSpot gives a receiver 5 s to answer before it counts the call as failed. */
export const HUBSPOT_WEBHOOK_TIMEOUT_MS = 5000;
/** Calls in flight at once per installing account (HubSpot's default `maxConcurrentRequests`). */
export const HUBSPOT_WEBHOOK_CONCURRENCY = 10;
/** Events in one call at most. */
export const HUBSPOT_WEBHOOK_BATCH_MAX = 100;

/** The percent-escapes HubSpot decodes in the URI before it signs (request-validation guide). */
const DECODED: Readonly<Record<string, string>> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/**
 * `X-HubSpot-Signature-v3`: base64 HMAC-SHA256, keyed with the app's client secret, of method +
 * URI + body + timestamp, where the URI is the full URL with only HubSpot's listed escapes decoded.
 */
export function hubspotSignatureV3(
  secret: string,
  method: string,
  uri: string,
  body: Buffer | string,
  timestamp: string,
): string {
  const signedUri = uri.replace(/%[0-9A-Fa-f]{2}/g, (e) => DECODED[e.toUpperCase()] ?? e);
  return createHmac('sha256', secret)
    .update(method.toUpperCase() + signedUri)
    .update(body)
    .update(timestamp)
    .digest('base64');
}

/** Options of {@link createHubSpotEvents}. */
export interface HubSpotEventsOptions {
  clock: Clock;
  journal: Journal;
  /** The app's client secret (signs every call). */
  clientSecret: string;
  /** Jitter of the retry delays (seeded, so a run is reproducible). */
  rng: Rng;
  /** The HubSpot account (portal) and app the events come from. */
  portalId: number;
  appId: number;
  subscriptionId: number;
  /** How long an event waits for others to share its call; default 20 ms. */
  batchWindowMs?: number;
  /** Events per call at most; default 100 (HubSpot's maximum). */
  batchMax?: number;
  /** The HubSpot id of a contact of the model (the id its routes serve); default: the model's id. */
  contactId?: (modelId: string) => string;
}

/** One event of a call, before `attemptNumber` is stamped. */
type HubSpotEvent = Record<string, unknown>;

/** A call's events and what the journal entries of their fate carry. */
interface Batch {
  events: HubSpotEvent[];
  metas: Array<{ eventId: string; eventType: string; contactId: string }>;
}

/** HubSpot's `eventId`: a number (JSON), derived from the model's event id so it is stable across retries and duplicates. */
function numericEventId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * CRM events out as HubSpot delivers app webhook subscriptions: events emitted within a short
 * window share one `POST` whose body is a JSON array (≤ 100), every call signed with
 * `X-HubSpot-Signature-v3` over method, full URL, body and a fresh `X-HubSpot-Request-Timestamp`,
 * re-sent with `attemptNumber` + 1 under {@link HUBSPOT_WEBHOOK_RETRY}. HubSpot's subscription events
 * name a change, not a message to send: each event also carries the model's event fields (`id`,
 * `type`, `contact` with its HubSpot id, `data`, `action`), as a workflow's custom body would.
 * The dispatcher journals `hubspot.webhook.*` per call; each outcome is also journalled as
 * `event.*` per event in it, the kinds the tracer and the event store read in every dialect.
 */
export function createHubSpotEvents(opts: HubSpotEventsOptions): DialectEvents {
  const windowMs = opts.batchWindowMs ?? 20;
  const batchMax = opts.batchMax ?? HUBSPOT_WEBHOOK_BATCH_MAX;
  if (!(Number.isFinite(windowMs) && windowMs >= 0))
    throw new RangeError(`batchWindowMs must be ≥ 0, got ${windowMs}`);
  if (!(Number.isInteger(batchMax) && batchMax >= 1 && batchMax <= HUBSPOT_WEBHOOK_BATCH_MAX))
    throw new RangeError(`batchMax must be an integer 1-${HUBSPOT_WEBHOOK_BATCH_MAX}, got ${batchMax}`);
  const contactId = opts.contactId ?? ((id: string) => id);
  const inFlight = new Map<string, Batch>();
  let open: { batch: Batch; duplicates: number; timer: TimerHandle | undefined } | undefined;
  let seq = 0;
  let dispatcherRef: WebhookDispatcher | undefined;

  const flush = (): void => {
    const o = open;
    open = undefined;
    if (!o || !dispatcherRef) return;
    if (o.timer) opts.clock.clearTimeout(o.timer);
    // Serialised once with attemptNumber 0; retries re-serialise with their number.
    const body = JSON.stringify(o.batch.events);
    for (let copy = 0; copy <= o.duplicates; copy++) {
      // Calls are independent: HubSpot promises no order between them (receivers sort by occurredAt).
      const id = dispatcherRef.enqueue(`hubspot-call-${++seq}`, body, {
        eventIds: o.batch.metas.map((m) => m.eventId),
        events: o.batch.metas.length,
      });
      inFlight.set(id, o.batch);
    }
  };

  return {
    dispatcher: {
      signatureHeader: 'x-hubspot-signature-v3',
      journalPrefix: 'hubspot.webhook',
      userAgent: 'HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon-executor',
      concurrency: HUBSPOT_WEBHOOK_CONCURRENCY,
      timeoutMs: HUBSPOT_WEBHOOK_TIMEOUT_MS,
      retry: HUBSPOT_WEBHOOK_RETRY,
      backoffJitter: () => 0.75 + opts.rng.next() / 2,
      prepareAttempt({ deliveryId, attempt, body, target }) {
        const batch = inFlight.get(deliveryId);
        const bytes =
          attempt <= 1 || !batch
            ? body
            : Buffer.from(JSON.stringify(batch.events.map((e) => ({ ...e, attemptNumber: attempt - 1 }))));
        const timestamp = String(Math.round(opts.clock.epochMs()));
        return {
          body: bytes,
          headers: {
            'x-hubspot-signature-v3': hubspotSignatureV3(
              opts.clientSecret,
              'POST',
              target.href,
              bytes,
              timestamp,
            ),
            'x-hubspot-request-timestamp': timestamp,
            'x-hubspot-timeout-millis': String(HUBSPOT_WEBHOOK_TIMEOUT_MS),
          },
        };
      },
      onRecord(what, data) {
        const id = typeof data['deliveryId'] === 'string' ? data['deliveryId'] : undefined;
        const batch = id === undefined ? undefined : inFlight.get(id);
        if (!batch) return;
        if (what !== 'failed') inFlight.delete(id as string);
        const { eventIds: _ids, events: _n, ...rest } = data;
        for (const m of batch.metas) {
          opts.journal.append(`event.${what}`, { ...rest, ...m, batchSize: batch.metas.length });
        }
      },
    },
    enqueue(payload: CrmEventPayload, dispatcher: WebhookDispatcher, duplicate: boolean) {
      dispatcherRef = dispatcher;
      const hsContactId = contactId(payload.contact.id);
      const objectId = Number(hsContactId);
      const event: HubSpotEvent = {
        eventId: numericEventId(payload.id),
        subscriptionId: opts.subscriptionId,
        portalId: opts.portalId,
        appId: opts.appId,
        occurredAt: Date.parse(payload.created_at),
        subscriptionType: 'object.propertyChange',
        objectTypeId: '0-1',
        attemptNumber: 0,
        objectId: Number.isSafeInteger(objectId) ? objectId : hsContactId,
        propertyName: 'wa_event_type',
        propertyValue: payload.type,
        changeSource: 'INTEGRATION',
        sourceId: `app:${opts.appId}`,
        id: payload.id,
        type: payload.type,
        created_at: payload.created_at,
        contact: { ...payload.contact, id: hsContactId },
        data: payload.data,
        action: payload.action,
      };
      if (!open) {
        open = { batch: { events: [], metas: [] }, duplicates: 0, timer: undefined };
        const o = open;
        o.timer = opts.clock.setTimeout(() => {
          o.timer = undefined;
          if (open === o) flush();
        }, windowMs);
      }
      open.batch.events.push(event);
      open.batch.metas.push({ eventId: payload.id, eventType: payload.type, contactId: payload.contact.id });
      // An injected duplicate re-sends the whole call, as HubSpot does when an answer is lost.
      if (duplicate) open.duplicates = 1;
      if (open.batch.events.length >= batchMax) flush();
    },
    clear() {
      if (open?.timer) opts.clock.clearTimeout(open.timer);
      open = undefined;
      inFlight.clear();
    },
  };
}
