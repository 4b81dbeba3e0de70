import type { Clock } from '../../kernel/clock.js';
import type { DelaySpec } from '../../kernel/distributions.js';
import type { FaultRule } from '../../kernel/fault-spec.js';
import type { RetryPolicy, WebhookTransport } from '../shared/dispatcher.js';
import type { ErrorProfile } from './errors.js';

/** Messaging-limit tiers: unique business-initiated users per rolling 24 h. */
export type MessagingTier = 250 | 2000 | 10000 | 100000 | 'unlimited';

/** When and how statuses follow an accepted message (delays are relative to the previous status). */
export interface StatusTiming {
  sent: DelaySpec;
  delivered: DelaySpec;
  read: DelaySpec;
  /** Share of delivered messages that are later read. */
  readProbability: number;
  /** Share of messages that fail after `sent` (131026 Message undeliverable). */
  failureRate: number;
}

/** Everything `buildWhatsAppMock` takes. */
export interface WhatsAppMockOptions {
  /** Default RealClock. */
  clock?: Clock;
  /** Seeds all randomness (status delays, approvals, wamids); default 1. */
  seed?: number;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  /** The connector's WhatsApp webhook; without it webhooks are held until one is set. */
  webhookUrl?: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  wabaId: string;
  /** Version written in webhooks and docs; requests may use any `v{N}.0`. Default 'v23.0'. */
  apiVersion?: string;
  /** HTTP status per error code: '2026' (default) or 'legacy'. */
  errorProfile?: ErrorProfile;
  /** Messages per second per number (Meta: 80 default, up to 1,000) → 130429. */
  throughputPerSec?: number;
  /** Pair rate limit per recipient → 131056; default 1 per 6 s with a burst of 20. */
  pairRate?: { perSec: number; burst: number };
  /** Unique business-initiated users per rolling 24 h; default 'unlimited'. Over it → failed status 131048. */
  messagingTier?: MessagingTier;
  /** 131047 outside the 24 h window: as a sync error or as a failed status (default 'async'). */
  windowErrorMode?: 'sync' | 'async';
  statusTiming?: Partial<StatusTiming>;
  /** Review of created templates; default 95 % approved, delay lognormal(30m,1,24h). */
  templateApproval?: { approveProbability: number; delay: DelaySpec };
  /**
   * Webhook delivery: `concurrency` (POSTs in flight), per-attempt `timeoutMs`, `retry` policy, and
   * `statusBatch`: up to this many statuses share one webhook (`statuses[]` holds several), collected
   * for at most `statusBatchWindowMs` (default 50). `1`: always one status per webhook, as Meta
   * usually sends them. Default `'auto'`: one status per webhook while the mock emits at most
   * `statusBatchAbovePerSec` statuses per second (default 5,000: more than a number at Meta's
   * highest throughput, 1,000 msg/s, produces); above that, up to 100 per webhook, so the webhook
   * stream keeps up instead of queueing without bound.
   */
  webhook?: {
    concurrency?: number;
    timeoutMs?: number;
    retry?: Partial<RetryPolicy>;
    statusBatch?: number | 'auto';
    statusBatchWindowMs?: number;
    statusBatchAbovePerSec?: number;
    /** How POSTs leave (default: node:http with a keep-alive agent); benches and tests may plug in their own. */
    transport?: WebhookTransport;
  };
  /** Faults active from the start. */
  faults?: FaultRule[];
  /** Journal entries kept in memory (default 200,000). */
  journalCapacity?: number;
  /** Numbers (digits or +digits) that are "not on WhatsApp": accepted, then failed with 131026. */
  notOnWhatsApp?: string[];
  /** Test-number mode: only these recipients may be messaged; others → sync 131030. */
  allowedRecipients?: string[];
  /** Numbers that stopped marketing messages: MARKETING templates to them fail with 131050. */
  marketingOptOut?: string[];
  /** Rendered template texts kept for content checks (default 100,000, oldest dropped first). */
  renderedCapacity?: number;
  /** Largest accepted request body in bytes (default 256 KiB). */
  bodyLimitBytes?: number;
  /**
   * The media store (uploads and the media customers send): `maxBytes` of uploaded content kept in
   * memory (default 128 MiB), `maxEntries` media objects (default 100,000), the oldest evicted
   * first past either; `urlTtlMs`, how long a download URL works (default 5 min, as at Meta).
   */
  media?: { maxBytes?: number; maxEntries?: number; urlTtlMs?: number };
}

/** What a customer sends through `POST /_mock/inbound` or `sendInbound()`: Meta's inbound message object without `id`/`timestamp`. */
export interface InboundInput {
  /** The customer's wa_id (digits; a leading + is dropped). */
  from: string;
  type: string;
  /** The customer's profile name for `contacts[].profile.name` (default: a name derived from the number). */
  profile?: { name: string };
  context?: { from?: string; id: string };
  [typeObject: string]: unknown;
}

/** Default status timing: `sent` within about a second, `delivered` within a few seconds, `read` later or never. */
export const DEFAULT_STATUS_TIMING: StatusTiming = {
  sent: { kind: 'lognormal', medianMs: 300, sigma: 0.5, maxMs: 1_000 },
  delivered: { kind: 'lognormal', medianMs: 900, sigma: 0.6, maxMs: 5_000 },
  read: { kind: 'lognormal', medianMs: 20_000, sigma: 1, maxMs: 600_000 },
  readProbability: 0.6,
  failureRate: 0,
};

/** Default template review: 95 % approved, most within an hour, all within 24 h. */
export const DEFAULT_TEMPLATE_APPROVAL = {
  approveProbability: 0.95,
  delay: { kind: 'lognormal', medianMs: 30 * 60_000, sigma: 1, maxMs: 24 * 3_600_000 } as DelaySpec,
};

/** Default pair rate: one message per 6 s to the same user, with a burst allowance of 20. */
export const DEFAULT_PAIR_RATE = { perSec: 1 / 6, burst: 20 };

/** Default per-number throughput (Meta's standard tier). */
export const DEFAULT_THROUGHPUT_PER_SEC = 80;

/**
 * The business number and account the mock plays by default: one source for `wacrm mock whatsapp`,
 * `wacrm run`'s stack and the docs (a docs test holds docs/connector.md, docs/whatsapp-mock.md and
 * the reference connector's own default to it). The phone number id is the one Meta's docs use.
 */
export const DEFAULT_BUSINESS_IDS = {
  phoneNumberId: '106540352242922',
  displayPhoneNumber: '15550783881',
  wabaId: '419561257915477',
} as const;

/** Default Graph version. */
export const DEFAULT_API_VERSION = 'v23.0';
