import { randomBytes } from 'node:crypto';
import { type Clock, RealClock, type TimerHandle } from '../../kernel/clock.js';
import type { DelaySpec } from '../../kernel/distributions.js';
import type { FaultRule } from '../../kernel/fault-spec.js';
import { createRng, type Rng } from '../../kernel/random.js';
import { BoundedRing, FifoMap, RecencyMap } from '../../kernel/recency-map.js';
import { WebhookDispatcher } from '../shared/dispatcher.js';
import { FaultController } from '../shared/faults.js';
import { Journal, type PackedDecoder } from '../shared/journal.js';
import { metaJson } from '../shared/meta-json.js';
import { MetricsRegistry } from '../shared/metrics.js';
import { type ErrorProfile, GraphError, invalidValue } from './errors.js';
import { buildInbound } from './inbound.js';
import { SendLimits } from './limits.js';
import { checkMediaId, inboundMediaResolver } from './media.js';
import { DEFAULT_MEDIA_LIMITS, MediaStore, type MediaStoreLimits } from './media-store.js';
import {
  DEFAULT_API_VERSION,
  DEFAULT_PAIR_RATE,
  DEFAULT_STATUS_TIMING,
  DEFAULT_TEMPLATE_APPROVAL,
  DEFAULT_THROUGHPUT_PER_SEC,
  type InboundInput,
  type MessagingTier,
  type StatusTiming,
  type WhatsAppMockOptions,
} from './options.js';
import { RecipientCache } from './phone.js';
import {
  bindingText,
  bindTemplate,
  materialize,
  type RenderedTemplate,
  resolveTemplate,
  type TemplateBinding,
} from './render.js';
import { SEED_TEMPLATES } from './seed-templates.js';
import { NumberSetup, newAppId } from './setup.js';
import {
  type NextStatus,
  type OutboundMessage,
  pricingFor,
  type StatusPlan,
  StatusSimulator,
} from './statuses.js';
import {
  type StoredTemplate,
  type TemplateCategory,
  type TemplateRecord,
  TemplateStore,
} from './templates.js';
import { validateSend } from './validate.js';
import { CLAIMED_VERSIONS, type VersionRange, versionMajor } from './versions.js';
import { makeNumericId, makeTraceId, makeWamid } from './wamid.js';
import {
  type EnvelopeConfig,
  inboundWebhook,
  reserve,
  type StatusObject,
  statusJson,
  statusJsonTail,
  statusWebhook,
  templateStatusWebhook,
} from './webhooks.js';

/** Options after defaults, checked. */
export interface ResolvedConfig {
  clock: Clock;
  seed: number;
  /** Ids (wamids, template and media ids) drawn from `seed` too, rather than fresh per start. */
  reproducibleIds: boolean;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  webhookUrl: string | undefined;
  phoneNumberId: string;
  displayPhoneNumber: string;
  wabaId: string;
  apiVersion: string;
  /** The Graph versions served (older ones are served at `oldest`, newer ones refused). */
  versions: VersionRange;
  errorProfile: ErrorProfile;
  throughputPerSec: number;
  pairRate: { perSec: number; burst: number };
  messagingTier: MessagingTier;
  windowErrorMode: 'sync' | 'async';
  statusTiming: StatusTiming;
  templateApproval: { approveProbability: number; delay: DelaySpec };
  faults: FaultRule[];
  webhook: NonNullable<WhatsAppMockOptions['webhook']>;
  journalCapacity: number;
  notOnWhatsApp: ReadonlySet<string>;
  allowedRecipients: ReadonlySet<string> | undefined;
  marketingOptOut: ReadonlySet<string>;
  renderedCapacity: number;
  bodyLimitBytes: number;
  media: MediaStoreLimits;
}

function digits(n: string): string {
  return n.replace(/\D/g, '');
}

function positive(name: string, v: number): number {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
    throw new RangeError(`WhatsApp mock option ${name} must be a number > 0, got ${String(v)}`);
  }
  return v;
}

function probability(name: string, v: number): number {
  if (!(typeof v === 'number' && v >= 0 && v <= 1)) {
    throw new RangeError(`WhatsApp mock option ${name} must be a probability from 0 to 1, got ${String(v)}`);
  }
  return v;
}

/** Applies defaults and checks ranges; a bad option is a programming error (RangeError naming it). */
export function resolveConfig(opts: WhatsAppMockOptions): ResolvedConfig {
  for (const k of [
    'accessToken',
    'appSecret',
    'verifyToken',
    'phoneNumberId',
    'displayPhoneNumber',
    'wabaId',
  ] as const) {
    if (typeof opts[k] !== 'string' || opts[k].length === 0) {
      throw new RangeError(`WhatsApp mock option ${k} is required (a non-empty string)`);
    }
  }
  const apiVersion = opts.apiVersion ?? DEFAULT_API_VERSION;
  const apiMajor = versionMajor(apiVersion);
  if (apiMajor === undefined)
    throw new RangeError(`WhatsApp mock option apiVersion must look like v23.0, got ${apiVersion}`);
  const claimed = opts.versions ?? CLAIMED_VERSIONS;
  const oldest = versionMajor(claimed.oldest);
  const newest = versionMajor(claimed.newest);
  if (oldest === undefined || newest === undefined || oldest > newest) {
    throw new RangeError(
      `WhatsApp mock option versions must be two v{N}.0 versions, oldest first; got ${claimed.oldest}..${claimed.newest}`,
    );
  }
  // The default version is always served: the range stretches to take it in.
  const versions: VersionRange = {
    oldest: apiMajor < oldest ? apiVersion : claimed.oldest,
    newest: apiMajor > newest ? apiVersion : claimed.newest,
  };
  const tier = opts.messagingTier ?? 'unlimited';
  if (![250, 2000, 10000, 100000, 'unlimited'].includes(tier)) {
    throw new RangeError(
      `WhatsApp mock option messagingTier must be 250, 2000, 10000, 100000 or 'unlimited', got ${String(tier)}`,
    );
  }
  const timing: StatusTiming = { ...DEFAULT_STATUS_TIMING, ...opts.statusTiming };
  probability('statusTiming.readProbability', timing.readProbability);
  probability('statusTiming.failureRate', timing.failureRate);
  const approval = opts.templateApproval ?? DEFAULT_TEMPLATE_APPROVAL;
  probability('templateApproval.approveProbability', approval.approveProbability);
  const pairRate = opts.pairRate ?? DEFAULT_PAIR_RATE;
  positive('pairRate.perSec', pairRate.perSec);
  positive('pairRate.burst', pairRate.burst);
  const cfg: ResolvedConfig = {
    clock: opts.clock ?? new RealClock(),
    seed: opts.seed ?? 1,
    versions,
    reproducibleIds: opts.reproducibleIds ?? false,
    accessToken: opts.accessToken,
    appSecret: opts.appSecret,
    verifyToken: opts.verifyToken,
    webhookUrl: opts.webhookUrl,
    phoneNumberId: opts.phoneNumberId,
    displayPhoneNumber: opts.displayPhoneNumber,
    wabaId: opts.wabaId,
    apiVersion,
    errorProfile: opts.errorProfile ?? '2026',
    throughputPerSec: positive('throughputPerSec', opts.throughputPerSec ?? DEFAULT_THROUGHPUT_PER_SEC),
    pairRate,
    messagingTier: tier,
    windowErrorMode: opts.windowErrorMode ?? 'async',
    statusTiming: timing,
    templateApproval: approval,
    faults: opts.faults ?? [],
    webhook: opts.webhook ?? {},
    journalCapacity: positive('journalCapacity', opts.journalCapacity ?? 200_000),
    notOnWhatsApp: new Set((opts.notOnWhatsApp ?? []).map(digits)),
    allowedRecipients: opts.allowedRecipients ? new Set(opts.allowedRecipients.map(digits)) : undefined,
    marketingOptOut: new Set((opts.marketingOptOut ?? []).map(digits)),
    renderedCapacity: positive('renderedCapacity', opts.renderedCapacity ?? 100_000),
    bodyLimitBytes: positive('bodyLimitBytes', opts.bodyLimitBytes ?? 256 * 1024),
    media: {
      maxBytes: positive('media.maxBytes', opts.media?.maxBytes ?? DEFAULT_MEDIA_LIMITS.maxBytes),
      maxEntries: positive('media.maxEntries', opts.media?.maxEntries ?? DEFAULT_MEDIA_LIMITS.maxEntries),
      urlTtlMs: positive('media.urlTtlMs', opts.media?.urlTtlMs ?? DEFAULT_MEDIA_LIMITS.urlTtlMs),
    },
  };
  if (cfg.errorProfile !== '2026' && cfg.errorProfile !== 'legacy') {
    throw new RangeError(
      `WhatsApp mock option errorProfile must be '2026' or 'legacy', got ${String(cfg.errorProfile)}`,
    );
  }
  const batch = cfg.webhook.statusBatch;
  if (batch !== undefined && batch !== 'auto' && !(Number.isInteger(batch) && batch >= 1)) {
    throw new RangeError(
      `WhatsApp mock option webhook.statusBatch must be 'auto' or an integer ≥ 1, got ${String(batch)}`,
    );
  }
  const above = cfg.webhook.statusBatchAbovePerSec;
  if (above !== undefined) positive('webhook.statusBatchAbovePerSec', above);
  if (cfg.windowErrorMode !== 'sync' && cfg.windowErrorMode !== 'async') {
    throw new RangeError(
      `WhatsApp mock option windowErrorMode must be 'sync' or 'async', got ${String(cfg.windowErrorMode)}`,
    );
  }
  return cfg;
}

/** What the mock remembers about a message (for reactions, mark-as-read, journal lookups). */
interface MessageRecord {
  direction: 'outbound' | 'inbound';
  waId: string;
  wamid: string;
  /** When the mock accepted or created it (epoch ms on the mock's clock). */
  atEpochMs: number;
  /**
   * A template send, while it is among the newest `renderedCapacity`: what it bound to its
   * template, rendered again when asked for (far smaller to keep than the rendered send).
   */
  binding: TemplateBinding | undefined;
}

/**
 * An accepted send, in one object: what the mock remembers of it by id, what its statuses need
 * (it is the simulator's OutboundMessage), and what its `message.accepted` journal entry says (the
 * entry is packed around it). Every field is always set, so all sends share one shape.
 */
interface SentRecord extends MessageRecord, OutboundMessage {
  direction: 'outbound';
  /** `to` as the send gave it. */
  to: string;
  type: string;
  /** Template sends: the template (its category when sent is the pricing's). */
  template: StoredTemplate | undefined;
  replyTo: string | undefined;
}

/** The plan of a message with nothing planned against it (shared: plans are only read). */
const NORMAL_PLAN: StatusPlan = Object.freeze({ kind: 'normal' });

const CATEGORY_OF_PRICING: Record<string, TemplateCategory> = {
  utility: 'UTILITY',
  marketing: 'MARKETING',
  authentication: 'AUTHENTICATION',
};

/**
 * `message.accepted` data from its packed form: the record, the template binding (template sends:
 * the journal holds it, so the text renders the same however long the record keeps it) or the
 * message's text, the first status put on the timeline, and the error planned for it.
 */
const decodeAccepted: PackedDecoder = (ref, extra, next, nextDueInMs, plannedErrorCode) => {
  const r = ref as SentRecord;
  const data: Record<string, unknown> = { wamid: r.wamid, to: r.to, phone: r.waId, type: r.type };
  if (r.template !== undefined) {
    data['templateName'] = r.template.name;
    data['templateLanguage'] = r.template.language;
    data['renderedText'] = bindingText(extra as TemplateBinding);
    data['category'] = CATEGORY_OF_PRICING[r.pricing.category];
  } else if (typeof extra === 'string') {
    data['text'] = extra;
  }
  if (r.bizOpaque !== undefined) data['bizOpaque'] = r.bizOpaque;
  if (r.replyTo !== undefined) data['replyTo'] = r.replyTo;
  if (!Number.isNaN(plannedErrorCode)) data['plannedErrorCode'] = plannedErrorCode;
  data['next'] = STATUS_NAMES[next];
  data['nextDueInMs'] = nextDueInMs;
  return data;
};

/** A kept template send, rendered again. */
function renderedOf(record: MessageRecord, binding: TemplateBinding): RenderedTemplate {
  return { wamid: record.wamid, to: record.waId, atEpochMs: record.atEpochMs, ...materialize(binding) };
}

/** Messages the mock remembers by id, at least this many (more when `renderedCapacity` is larger). */
const MESSAGES_KEPT = 200_000;

/** The result of one accepted send, ready to serialise. */
export interface SendResult {
  /** The JSON response body (built as text: the send path avoids a generic serialiser). */
  json: string;
  wamid?: string;
}

/** Per-request facts the HTTP layer journals after the response (what was asked, what failed). */
export interface RequestNote {
  to?: string;
  waId?: string;
  type?: string;
  templateName?: string;
  /** `biz_opaque_callback_data` of the send, so a rejection can be tied to the flow that caused it. */
  bizOpaque?: string;
}

/** The answer of a webhook verification handshake. */
export interface VerifyResult {
  ok: boolean;
  statusCode?: number;
  body?: string;
  error?: string;
}

// Independent random streams per concern, so that (say) an extra status delay draw does not shift
// the wamids of a seeded run.
const STREAM = {
  wamid: 0x9e37,
  status: 0x85eb,
  template: 0xc2b2,
  faults: 0x27d4,
  trace: 0x1656,
  inbound: 0x5bd1,
  mediaContent: 0x6d1b,
  templateIds: 0x6d2b,
  mediaIds: 0xa54f,
};

/** Recipients are spread over this many ordered webhook streams when statuses are batched. */
const STATUS_SHARDS = 16;

/** With `statusBatch: 'auto'`: most statuses one webhook carries once batching has begun. */
export const AUTO_STATUS_BATCH = 100;

/** With `statusBatch: 'auto'`: statuses per second above which they are batched (twice what Meta's fastest number, 1,000 msg/s, produces). */
export const DEFAULT_STATUS_BATCH_ABOVE_PER_SEC = 5_000;

/** First size of a shard's batch buffer (it grows, and stays grown, when a batch needs more). */
const STATUS_BATCH_BYTES = 64 * 1024;
const COMMA = 0x2c;

/**
 * Statuses of one shard collected during a drain, written straight into the webhook body's bytes
 * (the envelope's prefix stays at the front of `bytes` from one webhook to the next). A string
 * grown status by status over a batch window would be a rope of hundreds of pieces that outlives
 * a young-generation collection or two and is flattened and encoded at the end; bytes are written
 * once, off the JavaScript heap.
 */
interface StatusBatch {
  bytes: Buffer;
  /** Where the statuses begin: the prefix's length in bytes. */
  start: number;
  /** Bytes in use: the prefix, then the statuses so far, comma-separated. */
  length: number;
  wamids: string[];
  kinds: string[];
}

function shardOf(waId: string): number {
  let h = 0;
  for (let i = 0; i < waId.length; i++) h = (h * 31 + waId.charCodeAt(i)) | 0;
  return (h >>> 0) % STATUS_SHARDS;
}

/**
 * Counts increments in a Map keyed by a cheap string and hands them to the registry's counter
 * only when /metrics is rendered: the send path pays one Map lookup, not a label-object walk.
 */
class BufferedCounter {
  private readonly pending = new Map<string, { labels: Record<string, string>; n: number }>();
  constructor(private readonly counter: { inc(labels?: Record<string, string>, n?: number): void }) {}
  /** Adds one to the series `key`; `labels` is called (with the key) only the first time the key is seen. */
  inc(key: string, labels: (key: string) => Record<string, string>): void {
    const p = this.pending.get(key);
    if (p) p.n++;
    else this.pending.set(key, { labels: labels(key), n: 1 });
  }
  /** Hands the pending counts to the registry. */
  flush(): void {
    for (const p of this.pending.values()) {
      if (p.n > 0) this.counter.inc(p.labels, p.n);
      p.n = 0;
    }
  }
}

// Label builders of the counters keyed by one label (module-level: nothing is allocated per call).
const typeLabels = (type: string) => ({ type });
const statusLabels = (status: string) => ({ status });

const STATUS_NAMES: ReadonlyArray<StatusObject['status']> = ['sent', 'delivered', 'read', 'failed'];

/** `status.emitted` data from its packed form: the message, the status, and what it put on the timeline. */
const decodeStatusEmitted: PackedDecoder = (ref, status, next, nextDueInMs, errorCode) => {
  const msg = ref as OutboundMessage;
  const data: Record<string, unknown> = { wamid: msg.wamid, status, phone: msg.waId };
  if (!Number.isNaN(errorCode)) data['errorCode'] = errorCode;
  if (msg.bizOpaque !== undefined) data['bizOpaque'] = msg.bizOpaque;
  if (next >= 0) {
    data['next'] = STATUS_NAMES[next];
    data['nextDueInMs'] = nextDueInMs;
  }
  return data;
};

/**
 * The WhatsApp mock's state and behaviour, independent of HTTP: sends, inbound messages, status
 * simulation, templates, limits, faults, journal and metrics. The fastify layer (app.ts) is a
 * thin shell over this.
 */
export class WhatsAppCore {
  readonly clock: Clock;
  readonly journal: Journal;
  readonly faults: FaultController;
  readonly metrics = new MetricsRegistry();
  readonly templates: TemplateStore;
  /** Registration, PIN, profile and webhook subscriptions (the setup calls). */
  readonly setup: NumberSetup;
  readonly limits: SendLimits;
  readonly statuses: StatusSimulator;
  readonly env: EnvelopeConfig;
  /** Uploaded media and the media customers sent (bounded, see MediaStore). */
  readonly media: MediaStore;
  private dispatcherImpl: WebhookDispatcher;
  private webhookUrl: string | undefined;
  private readonly recipients = new RecipientCache();
  /** Every message by wamid; template sends carry their binding while their rendered text is kept. */
  private readonly messages: FifoMap<string, MessageRecord>;
  /** The records that hold rendered text, oldest first; one pushed out loses its text. */
  private readonly rendered: BoundedRing<MessageRecord>;
  /** wa_id → the newest message sent to that user (what a button tap replies to). */
  private readonly lastOutbound = new RecencyMap<string, string>(200_000);
  private readonly rngWamid: Rng;
  /** What the id streams are seeded with: `seed` with `reproducibleIds`, else fresh random bits per start. */
  readonly idSeed: number;
  private readonly rngInbound: Rng;
  private readonly rngTrace: Rng;
  private readonly startedAtMs: number;
  private counts = {
    accepted: 0,
    rejected: 0,
    inbound: 0,
    markedRead: 0,
    statusesEmitted: 0,
    /** Status webhooks enqueued (one per status unless batched). */
    statusWebhooks: 0,
    templatesCreated: 0,
  };
  private callsHour = { hour: -1, count: 0 };
  /** `x-business-use-case-usage` values by percentage (0–100), written once each. */
  private readonly usageTexts: string[] = [];
  private sendsSecond = { second: -1, count: 0 };
  /** The request series counted last (see countRequest). */
  private lastRequestSeries: {
    route: string;
    statusCode: number;
    errorCode: number | undefined;
    key: string;
    labels: Record<string, string>;
  } = { route: '', statusCode: 0, errorCode: undefined, key: '', labels: {} };
  private readonly requestLabels = (): Record<string, string> => this.lastRequestSeries.labels;
  private readonly ownWaId: string;
  private readonly counters: {
    accepted: BufferedCounter;
    statuses: BufferedCounter;
    inbound: BufferedCounter;
    webhooks: BufferedCounter;
    requests: BufferedCounter;
  };
  /** Status webhooks waiting for the end of the current drain, per shard (only while batching). */
  private readonly statusBatches = new Map<number, StatusBatch>();
  /** Most statuses per webhook (1: never batched). */
  private readonly statusBatch: number;
  private readonly statusBatchWindowMs: number;
  /** 'auto': batch only while the status rate is above this many per second; Infinity when fixed. */
  private readonly statusBatchAbovePerSec: number;
  /** Statuses emitted in the current clock second and in the one before (for 'auto'). */
  private statusRate = { second: Number.NEGATIVE_INFINITY, count: 0, previous: 0 };
  /** Pending flush of the status batches (one timer for every shard). */
  private batchTimer: TimerHandle | undefined;
  /** The envelope around `statuses`, split once: prefix + statuses JSON + suffix. */
  private readonly statusEnvelope: { prefix: string; suffix: string };

  constructor(readonly cfg: ResolvedConfig) {
    this.clock = cfg.clock;
    this.startedAtMs = this.clock.nowMs();
    this.journal = new Journal('whatsapp', this.clock, cfg.journalCapacity);
    // The kinds written several times per message keep no data object of their own (see Journal).
    this.journal.definePacked('message.accepted', decodeAccepted);
    this.journal.definePacked('status.emitted', decodeStatusEmitted);
    this.journal.definePacked('status.finished', (ref) => {
      const msg = ref as OutboundMessage;
      return { wamid: msg.wamid, phone: msg.waId };
    });
    // A connector keeps a dedupe store across runs: ids repeating after a restart would make it drop
    // real messages. Content stays reproducible (its streams use `seed`); ids do only when asked.
    this.idSeed = cfg.reproducibleIds ? cfg.seed : randomBytes(4).readUInt32LE(0);
    this.rngWamid = createRng(this.idSeed ^ STREAM.wamid);
    this.rngInbound = createRng(cfg.seed ^ STREAM.inbound);
    this.rngTrace = createRng(cfg.seed ^ STREAM.trace);
    this.media = new MediaStore(
      this.clock,
      createRng(cfg.seed ^ STREAM.mediaContent),
      cfg.phoneNumberId,
      cfg.appSecret,
      cfg.media,
      createRng(this.idSeed ^ STREAM.mediaIds),
    );
    this.faults = new FaultController(this.clock, createRng(cfg.seed ^ STREAM.faults), this.journal);
    this.setup = new NumberSetup(this.clock, cfg.seed, newAppId(cfg.seed));
    for (const rule of cfg.faults) this.faults.add(rule);
    this.env = {
      wabaId: cfg.wabaId,
      phoneNumberId: cfg.phoneNumberId,
      displayPhoneNumber: cfg.displayPhoneNumber,
    };
    this.ownWaId = digits(cfg.displayPhoneNumber);
    this.webhookUrl = cfg.webhookUrl;
    this.dispatcherImpl = this.makeDispatcher();
    this.rendered = new BoundedRing(cfg.renderedCapacity);
    this.messages = new FifoMap(Math.max(MESSAGES_KEPT, cfg.renderedCapacity));
    this.limits = new SendLimits(this.clock, {
      throughputPerSec: cfg.throughputPerSec,
      pairRate: cfg.pairRate,
      tier: cfg.messagingTier,
    });
    this.templates = new TemplateStore({
      clock: this.clock,
      rng: createRng(cfg.seed ^ STREAM.template),
      idRng: createRng(this.idSeed ^ STREAM.templateIds),
      seeds: SEED_TEMPLATES,
      approval: cfg.templateApproval,
      onStatus: (rec, event, reason) => this.onTemplateStatus(rec, event, reason),
    });
    const statusRng = createRng(cfg.seed ^ STREAM.status);
    this.statuses = new StatusSimulator({
      clock: this.clock,
      rng: statusRng,
      timing: cfg.statusTiming,
      emit: (msg, s, next) => this.emitStatus(msg, s, next),
      flush: () => this.flushStatuses(),
      finished: (msg) => {
        // Its statuses are over: the JSON they shared need not be kept with the record.
        msg.jsonTail = undefined;
        this.journal.appendPacked('status.finished', msg, undefined, 0, 0, 0);
      },
      reorder: () => this.faults.webhookReorder(),
    });
    const m = this.metrics;
    this.counters = {
      requests: new BufferedCounter(
        m.counter('whatsapp_mock_requests_total', 'Graph API requests by route, HTTP status and error code', [
          'route',
          'status',
          'error_code',
        ]),
      ),
      accepted: new BufferedCounter(
        m.counter('whatsapp_mock_messages_accepted_total', 'Messages accepted by type', ['type']),
      ),
      statuses: new BufferedCounter(
        m.counter('whatsapp_mock_statuses_total', 'Status webhooks enqueued by status', ['status']),
      ),
      inbound: new BufferedCounter(
        m.counter('whatsapp_mock_inbound_total', 'Inbound customer messages by type', ['type']),
      ),
      webhooks: new BufferedCounter(
        m.counter(
          'whatsapp_mock_webhooks_total',
          'Webhook delivery attempts by field and result (delivered, failed, abandoned)',
          ['field', 'result'],
        ),
      ),
    };
    const batch = cfg.webhook.statusBatch ?? 'auto';
    if (batch === 'auto') {
      this.statusBatch = AUTO_STATUS_BATCH;
      this.statusBatchAbovePerSec = cfg.webhook.statusBatchAbovePerSec ?? DEFAULT_STATUS_BATCH_ABOVE_PER_SEC;
    } else {
      this.statusBatch = Math.max(1, Math.floor(batch));
      this.statusBatchAbovePerSec = this.statusBatch > 1 ? 0 : Number.POSITIVE_INFINITY;
    }
    this.statusBatchWindowMs = Math.max(0, cfg.webhook.statusBatchWindowMs ?? 50);
    const envelope = metaJson(statusWebhook(this.env, [])).split('"statuses":[]');
    this.statusEnvelope = { prefix: `${envelope[0]}"statuses":[`, suffix: `]${envelope[1]}` };
    this.metrics.gauge(
      'whatsapp_mock_webhook_queue_depth',
      'Webhooks not yet delivered (queued, in flight, waiting to retry)',
      [],
      () => {
        const s = this.dispatcherImpl.stats();
        return s.queued + s.inFlight + s.waitingRetry;
      },
    );
    this.metrics.gauge(
      'whatsapp_mock_webhook_in_flight',
      'Webhook POSTs in flight',
      [],
      () => this.dispatcherImpl.stats().inFlight,
    );
    this.metrics.gauge(
      'whatsapp_mock_webhook_retried',
      'Webhook retry attempts started since start',
      [],
      () => this.dispatcherImpl.stats().retried,
    );
    this.metrics.gauge(
      'whatsapp_mock_pending_statuses',
      'Accepted messages whose statuses are still to come',
      [],
      () => this.statuses.pendingCount(),
    );
    this.metrics.gauge(
      'whatsapp_mock_open_windows',
      'Users with an open 24 h customer-service window',
      [],
      () => this.limits.openWindows(),
    );
  }

  /** The current dispatcher (reset replaces it, dropping pending webhooks). */
  get dispatcher(): WebhookDispatcher {
    return this.dispatcherImpl;
  }

  private makeDispatcher(): WebhookDispatcher {
    const w = this.cfg.webhook;
    const opts: ConstructorParameters<typeof WebhookDispatcher>[0] = {
      clock: this.clock,
      // Per-attempt timeouts are about real sockets, whatever clock the mock's timeline runs on.
      attemptClock: new RealClock(),
      journal: this.journal,
      secret: this.cfg.appSecret,
      extraDelayMs: () => this.faults.webhookDelayMs(),
      onRecord: (what, data) => {
        const field = typeof data['field'] === 'string' ? data['field'] : '';
        this.counters.webhooks.inc(`${field}\u0000${what}`, () => ({ field, result: what }));
      },
    };
    if (this.webhookUrl !== undefined) opts.url = this.webhookUrl;
    if (w.concurrency !== undefined) opts.concurrency = w.concurrency;
    if (w.timeoutMs !== undefined) opts.timeoutMs = w.timeoutMs;
    if (w.retry !== undefined) opts.retry = w.retry;
    if (w.transport !== undefined) opts.transport = w.transport;
    return new WebhookDispatcher(opts);
  }

  /** A new Graph trace id (`fbtrace_id`, `x-fb-trace-id`). */
  traceId(): string {
    return makeTraceId(this.rngTrace);
  }

  /** Value of `x-business-use-case-usage`: % of the hourly management budget, or of this second's send throughput. */
  usageHeader(isSend: boolean): string {
    let pct: number;
    if (isSend) {
      const sec = Math.floor(this.clock.nowMs() / 1000);
      if (sec !== this.sendsSecond.second) this.sendsSecond = { second: sec, count: 0 };
      pct = Math.min(100, Math.round((++this.sendsSecond.count * 100) / this.cfg.throughputPerSec));
    } else {
      const hour = Math.floor(this.clock.nowMs() / 3_600_000);
      if (hour !== this.callsHour.hour) this.callsHour = { hour, count: 0 };
      // 5,000 calls per hour for a WABA with a registered number (Business Use Case limit).
      pct = Math.min(100, Math.round((++this.callsHour.count * 100) / 5000));
    }
    let text = this.usageTexts[pct];
    if (text === undefined) {
      text = `{"${this.cfg.wabaId}":[{"type":"whatsapp","call_count":${pct},"total_cputime":${pct > 0 ? 1 : 0},"total_time":${pct > 0 ? 1 : 0},"estimated_time_to_regain_access":0}]}`;
      this.usageTexts[pct] = text;
    }
    return text;
  }

  /**
   * `x-business-use-case-usage` while a call is throttled: the budget is spent (`call_count` 100)
   * and `estimated_time_to_regain_access` says when calls are accepted again. Graph gives that
   * field in whole minutes, so it is the wait rounded up: never 0 while throttled, and a client
   * that waits that long finds its next call accepted.
   */
  throttledUsageHeader(regainMs: number): string {
    const minutes = Math.max(1, Math.ceil(regainMs / 60_000));
    return `{"${this.cfg.wabaId}":[{"type":"whatsapp","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":${minutes}}]}`;
  }

  /** Counts a Graph request for /metrics. */
  countRequest(route: string, statusCode: number, errorCode: number | undefined): void {
    // Calls come in long runs of one series (accepted sends): its key is worked out once per run.
    const last = this.lastRequestSeries;
    if (last.route !== route || last.statusCode !== statusCode || last.errorCode !== errorCode) {
      const code = errorCode === undefined ? '' : String(errorCode);
      this.lastRequestSeries = {
        route,
        statusCode,
        errorCode,
        key: `${route}\u0000${statusCode}\u0000${code}`,
        labels: { route, status: String(statusCode), error_code: code },
      };
    }
    this.counters.requests.inc(this.lastRequestSeries.key, this.requestLabels);
  }

  /** The Graph error for an object id this mock does not have (code 100, subcode 33). */
  unknownObject(method: string, id: string): GraphError {
    return new GraphError(100, {
      subcode: 33,
      type: 'GraphMethodException',
      noErrorData: true,
      message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id.slice(0, 64)}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    });
  }

  /** `POST /{version}/{phone-number-id}/messages` after auth: validates, applies limits, accepts. Throws GraphError. */
  send(phoneNumberId: string, body: unknown, note: RequestNote): SendResult {
    if (phoneNumberId !== this.cfg.phoneNumberId) throw this.unknownObject('post', phoneNumberId);
    // A deregistered number sends nothing until it registers again (`POST …/register`).
    if (!this.setup.registered) throw new GraphError(133010);
    const req = validateSend(body);
    if (req.kind === 'read') return this.markRead(req.messageId, req.typing);
    checkMediaId(this.media, req.type, req.content);
    note.to = req.to;
    note.type = req.type;
    if (req.bizOpaque !== undefined) note.bizOpaque = req.bizOpaque;
    const recipient = this.recipients.get(req.to);
    if (!recipient)
      throw invalidValue(
        `Param to must be a phone number or WhatsApp ID; got ${JSON.stringify(req.to.slice(0, 64))}.`,
      );
    const waId = recipient.waId;
    note.waId = waId;
    if (waId === this.ownWaId) throw new GraphError(131021);
    if (this.cfg.allowedRecipients && !this.cfg.allowedRecipients.has(waId)) throw new GraphError(131030);

    let template: StoredTemplate | undefined;
    let binding: TemplateBinding | undefined;
    if (req.type === 'template') {
      const tplObj = req.content as Record<string, unknown>;
      if (typeof tplObj['name'] === 'string') note.templateName = tplObj['name'];
      template = resolveTemplate(this.templates, tplObj);
      binding = bindTemplate(template, tplObj['components']);
    }
    const windowOpen = this.limits.windowOpen(waId);
    // A sync 131047 is a validation answer: it comes before the rate limits and spends none of them.
    if (!template && !windowOpen && this.cfg.windowErrorMode === 'sync') throw new GraphError(131047);
    if (!this.limits.takeThroughput()) {
      throw new GraphError(130429, {
        headers: {
          'x-business-use-case-usage': this.throttledUsageHeader(this.limits.throughputRetryAfterMs()),
        },
      });
    }
    if (!this.limits.takePair(waId)) throw new GraphError(131056);

    let plan: StatusPlan = NORMAL_PLAN;
    if (!template && !windowOpen) plan = { kind: 'fail', code: 131047, afterSent: false };
    if (!recipient.plausible || this.cfg.notOnWhatsApp.has(waId)) {
      plan = { kind: 'fail', code: 131026, afterSent: false };
    } else if (template && plan.kind === 'normal') {
      if (template.category === 'MARKETING' && this.cfg.marketingOptOut.has(waId)) {
        plan = { kind: 'fail', code: 131050, afterSent: false };
      } else if (!windowOpen && !this.limits.takeTier(waId)) {
        plan = {
          kind: 'fail',
          code: 131048,
          afterSent: false,
          details: `Message failed to send because the business reached its messaging limit of ${this.cfg.messagingTier} unique users in 24 hours.`,
        };
      }
    }

    const wamid = makeWamid(this.rngWamid, waId, 'outbound');
    const record: SentRecord = {
      direction: 'outbound',
      waId,
      wamid,
      atEpochMs: this.clock.epochMs(),
      binding,
      pricing: pricingFor(template?.category, windowOpen),
      bizOpaque: req.bizOpaque,
      jsonTail: undefined,
      to: req.to,
      type: req.type,
      template,
      replyTo: req.replyTo,
    };
    this.messages.set(wamid, record);
    this.lastOutbound.touch(waId, wamid);
    if (binding) {
      const dropped = this.rendered.push(record);
      if (dropped) dropped.binding = undefined;
    }
    this.counts.accepted++;
    const type = req.type;
    this.counters.accepted.inc(type, typeLabels);
    const first = this.statuses.start(record, plan);
    this.journal.appendPacked(
      'message.accepted',
      record,
      // The binding (its text is rendered only if the entry is read), or a free-form message's text.
      binding ?? req.summary,
      STATUS_NAMES.indexOf(first.status),
      first.dueInMs,
      plan.kind === 'fail' ? plan.code : Number.NaN,
    );

    // Built as text: the send path is the mock's hot path and this shape never varies.
    const json =
      `{"messaging_product":"whatsapp","contacts":[{"input":${JSON.stringify(req.to)},"wa_id":"${waId}"}],` +
      `"messages":[{"id":"${wamid}"${template ? ',"message_status":"accepted"' : ''}}]}`;
    return { json, wamid };
  }

  private markRead(messageId: string, typing: boolean): SendResult {
    const known = this.messages.get(messageId);
    if (known && known.direction === 'outbound') {
      throw invalidValue(
        'Param message_id refers to a message sent by the business; only received messages can be marked as read.',
      );
    }
    this.counts.markedRead++;
    const entry: Record<string, unknown> = { wamid: messageId, typing };
    if (known) entry['phone'] = known.waId;
    this.journal.append('mark.read', entry);
    return { json: '{"success":true}' };
  }

  /** Notes a rejected send in the journal (called by the HTTP layer once the error response is known). */
  noteRejected(note: RequestNote, errorCode: number, httpStatus: number): void {
    this.counts.rejected++;
    const entry: Record<string, unknown> = { errorCode, httpStatus };
    if (note.to !== undefined) entry['to'] = note.to;
    if (note.waId !== undefined) entry['phone'] = note.waId;
    if (note.type !== undefined) entry['type'] = note.type;
    if (note.templateName !== undefined) entry['templateName'] = note.templateName;
    if (note.bizOpaque !== undefined) entry['bizOpaque'] = note.bizOpaque;
    this.journal.append('message.rejected', entry);
  }

  private emitStatus(msg: OutboundMessage, s: StatusObject, next: NextStatus | undefined): void {
    this.counts.statusesEmitted++;
    const status = s.status;
    this.counters.statuses.inc(status, statusLabels);
    if (msg.jsonTail === undefined) msg.jsonTail = statusJsonTail(s);
    if (!this.batchingNow()) {
      // Built as text around the one status: the envelope never changes.
      const body = this.statusEnvelope.prefix + statusJson(s, msg.jsonTail) + this.statusEnvelope.suffix;
      this.enqueueStatuses(s.id, body, [s.id], [status]);
    } else {
      const shard = shardOf(msg.waId);
      let batch = this.statusBatches.get(shard);
      if (!batch) {
        const bytes = Buffer.allocUnsafe(STATUS_BATCH_BYTES);
        const start = bytes.write(this.statusEnvelope.prefix, 0);
        batch = { bytes, start, length: start, wamids: [], kinds: [] };
        this.statusBatches.set(shard, batch);
      }
      this.appendStatus(batch, s, msg.jsonTail);
      batch.wamids.push(s.id);
      batch.kinds.push(status);
      if (batch.wamids.length >= this.statusBatch) this.flushShard(shard, batch);
      else if (this.batchTimer === undefined && this.statusBatchWindowMs > 0) {
        this.batchTimer = this.clock.setTimeout(() => {
          this.batchTimer = undefined;
          for (const [k, b] of this.statusBatches) this.flushShard(k, b);
        }, this.statusBatchWindowMs);
      }
    }
    this.journal.appendPacked(
      'status.emitted',
      msg,
      status,
      next ? STATUS_NAMES.indexOf(next.status) : -1,
      next ? next.dueInMs : 0,
      s.errors?.[0]?.code ?? Number.NaN,
    );
  }

  /**
   * Whether this status joins a batch: always with a fixed `statusBatch` > 1, never with 1; with
   * 'auto', while this second or the one before emitted more than `statusBatchAbovePerSec` statuses.
   */
  private batchingNow(): boolean {
    const above = this.statusBatchAbovePerSec;
    if (above === Number.POSITIVE_INFINITY) return false;
    if (above === 0) return true;
    const r = this.statusRate;
    const second = Math.floor(this.clock.nowMs() / 1000);
    if (second !== r.second) {
      r.previous = second === r.second + 1 ? r.count : 0;
      r.second = second;
      r.count = 0;
    }
    r.count++;
    return r.count > above || r.previous > above;
  }

  private enqueueStatuses(
    orderKey: string,
    body: string | Buffer,
    wamids: string[],
    statuses: string[],
  ): void {
    this.counts.statusWebhooks++;
    const meta = { field: 'messages', wamids, statuses };
    this.dispatcherImpl.enqueue(orderKey, body, meta);
    if (this.faults.webhookDuplicate())
      this.dispatcherImpl.enqueue(orderKey, body, { ...meta, duplicate: true });
  }

  /** Adds one status's JSON to a batch's bytes, after a comma unless it is the first. */
  private appendStatus(batch: StatusBatch, s: StatusObject, tail: string | null): void {
    if (batch.wamids.length > 0) {
      reserve(batch, 1);
      batch.bytes[batch.length++] = COMMA;
    }
    const json = statusJson(s, tail);
    // Meta's escaping leaves only ASCII: one byte per character.
    reserve(batch, json.length);
    batch.length += batch.bytes.write(json, batch.length, 'latin1');
  }

  private flushShard(shard: number, batch: StatusBatch): void {
    if (batch.wamids.length === 0) return;
    reserve(batch, this.statusEnvelope.suffix.length);
    const end = batch.length + batch.bytes.write(this.statusEnvelope.suffix, batch.length, 'latin1');
    // One order key per shard of recipients keeps each message's statuses in order across batches.
    this.enqueueStatuses(
      `statuses:${shard}`,
      Buffer.from(batch.bytes.subarray(0, end)),
      batch.wamids,
      batch.kinds,
    );
    batch.length = batch.start;
    batch.wamids = [];
    batch.kinds = [];
  }

  /** End of a drain of due statuses: without a batch window, batched statuses go out now. */
  private flushStatuses(): void {
    if (this.statusBatch <= 1 || this.statusBatchWindowMs > 0 || this.statusBatches.size === 0) return;
    for (const [shard, batch] of this.statusBatches) this.flushShard(shard, batch);
  }

  private dropStatusBatches(): void {
    if (this.batchTimer) this.clock.clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.statusBatches.clear();
    this.statusRate = { second: Number.NEGATIVE_INFINITY, count: 0, previous: 0 };
  }

  /** Pushes buffered metric increments into the registry (before /metrics renders). */
  flushMetrics(): void {
    for (const c of Object.values(this.counters)) c.flush();
  }

  /** A customer sends a message (`POST /_mock/inbound`): opens the 24 h window, enqueues the webhook. Throws InboundError. */
  sendInbound(input: InboundInput | unknown): { wamid: string } {
    const m = buildInbound(input, this.rngInbound, inboundMediaResolver(this.media));
    const wamid = makeWamid(this.rngWamid, m.waId, 'inbound');
    const timestamp = String(Math.floor(this.clock.epochMs() / 1000));
    const { from, ...rest } = m.message;
    // A button or list tap always answers a business message: Meta sends its context.
    if ((m.type === 'button' || m.type === 'interactive') && rest['context'] === undefined) {
      const repliedTo = this.lastOutbound.get(m.waId);
      if (repliedTo !== undefined) rest['context'] = { from: this.ownWaId, id: repliedTo };
    }
    const message: Record<string, unknown> = { from, id: wamid, timestamp, type: m.type, ...rest };
    if (m.type !== 'system') this.limits.openWindow(m.waId);
    this.messages.set(wamid, {
      direction: 'inbound',
      waId: m.waId,
      wamid,
      atEpochMs: this.clock.epochMs(),
      binding: undefined,
    });
    const body = metaJson(
      inboundWebhook(
        this.env,
        message,
        m.profileName === undefined ? undefined : { name: m.profileName, waId: m.waId },
      ),
    );
    const meta = { field: 'messages', wamids: [wamid] };
    this.dispatcherImpl.enqueue(`in:${m.waId}`, body, meta);
    if (this.faults.webhookDuplicate())
      this.dispatcherImpl.enqueue(`in:${m.waId}`, body, { ...meta, duplicate: true });
    this.counts.inbound++;
    this.counters.inbound.inc(m.type, typeLabels);
    const entry: Record<string, unknown> = { wamid, from: m.waId, phone: m.waId, type: m.type };
    if (m.text !== undefined) entry['text'] = m.text;
    const mediaId = (rest[m.type] as { id?: unknown } | undefined)?.id;
    if (typeof mediaId === 'string') entry['mediaId'] = mediaId;
    this.journal.append('inbound.created', entry);
    return { wamid };
  }

  private onTemplateStatus(rec: TemplateRecord, event: string, reason: string): void {
    this.journal.append('template.status', {
      templateId: rec.id,
      name: rec.name,
      language: rec.language,
      status: event,
      reason,
    });
    if (event === 'DELETED') return;
    const body = metaJson(
      templateStatusWebhook(
        this.env,
        Math.floor(this.clock.epochMs() / 1000),
        rec,
        event as TemplateRecord['status'],
        reason,
      ),
    );
    this.dispatcherImpl.enqueue(`tpl:${rec.id}`, body, {
      field: 'message_template_status_update',
      templateId: rec.id,
    });
  }

  /** `POST message_templates`: creates a PENDING template whose review runs on the mock's clock. */
  createTemplate(wabaId: string, body: unknown): StoredTemplate {
    if (wabaId !== this.cfg.wabaId) throw this.unknownObject('post', wabaId);
    const rec = this.templates.create(body);
    this.counts.templatesCreated++;
    this.journal.append('template.created', {
      templateId: rec.id,
      name: rec.name,
      language: rec.language,
      status: rec.status,
      category: rec.category,
    });
    return rec;
  }

  /** Rendered text of an accepted template send. */
  renderedText(wamid: string): RenderedTemplate | undefined {
    const record = this.messages.get(wamid);
    return record?.binding ? renderedOf(record, record.binding) : undefined;
  }

  /** The newest rendered sends, optionally of one template. */
  recentRendered(limit: number, name?: string): RenderedTemplate[] {
    return this.rendered
      .newest(
        limit,
        (r) => r.binding !== undefined && (name === undefined || r.binding.template.name === name),
      )
      .map((r) => renderedOf(r, r.binding as TemplateBinding));
  }

  /** Points webhooks at `url` (undefined holds them). Throws RangeError on a bad URL. */
  setWebhookUrl(url: string | undefined): void {
    this.dispatcherImpl.setUrl(url);
    this.webhookUrl = url;
  }

  /** The current webhook URL. */
  getWebhookUrl(): string | undefined {
    return this.webhookUrl;
  }

  /**
   * Meta's verification handshake against the webhook URL (or `other`, e.g. a subscription's
   * override callback with its own verify token): GET with hub.mode/verify_token/challenge; ok
   * when the challenge is echoed.
   */
  async verifyWebhook(other?: { url: string; verifyToken: string }): Promise<VerifyResult> {
    const url = other ? other.url : this.webhookUrl;
    if (url === undefined) return { ok: false, error: 'no webhook URL is set' };
    const challenge = makeNumericId(this.rngTrace, 10);
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { ok: false, error: `invalid webhook URL ${url}` };
    }
    target.searchParams.set('hub.mode', 'subscribe');
    target.searchParams.set('hub.challenge', challenge);
    target.searchParams.set('hub.verify_token', other ? other.verifyToken : this.cfg.verifyToken);
    let result: VerifyResult;
    try {
      const res = await fetch(target, {
        method: 'GET',
        headers: { 'user-agent': 'facebookplatform/1.0 (+http://developers.facebook.com)' },
        signal: AbortSignal.timeout(this.cfg.webhook.timeoutMs ?? 10_000),
      });
      const text = (await res.text()).slice(0, 1000);
      const trimmed = text.trim();
      result = { ok: res.status === 200 && trimmed === challenge, statusCode: res.status, body: text };
      if (!result.ok) {
        result.error =
          res.status !== 200
            ? `the endpoint answered HTTP ${res.status}`
            : 'the endpoint did not echo hub.challenge';
      }
    } catch (err) {
      result = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    const entry: Record<string, unknown> = { ok: result.ok };
    if (result.statusCode !== undefined) entry['statusCode'] = result.statusCode;
    if (result.error !== undefined) entry['error'] = result.error;
    this.journal.append('webhook.verify', entry);
    return result;
  }

  /** Forgets messages, windows, limits, journal and pending webhooks; keeps config, faults and seeded templates. */
  reset(): void {
    this.statuses.cancelAll();
    this.dropStatusBatches();
    this.limits.reset();
    this.messages.clear();
    this.lastOutbound.clear();
    this.rendered.clear();
    this.templates.reset();
    this.media.reset();
    this.restoreSubscription();
    this.setup.reset();
    const old = this.dispatcherImpl;
    this.dispatcherImpl = this.makeDispatcher();
    void old.close();
    this.journal.clear();
    this.counts = {
      accepted: 0,
      rejected: 0,
      inbound: 0,
      markedRead: 0,
      statusesEmitted: 0,
      statusWebhooks: 0,
      templatesCreated: 0,
    };
  }

  /** Undoes an override callback or an unsubscribe: webhooks go to the URL they went to before. */
  private restoreSubscription(): void {
    const saved = this.setup.savedWebhookUrl;
    if (saved !== undefined || this.setup.subscriptions.length === 0) {
      this.webhookUrl = saved;
    }
  }

  /** Counters for /_mock/stats and the harness. */
  stats(): Record<string, number> {
    const d = this.dispatcherImpl.stats();
    return {
      ...this.counts,
      pendingStatuses: this.statuses.pendingCount(),
      templates: this.templates.size(),
      openWindows: this.limits.openWindows(),
      tierUsers24h: this.limits.tierCount(),
      renderedKept: this.rendered.size,
      mediaKept: this.media.size.entries,
      mediaBytes: this.media.size.bytes,
      mediaEvicted: this.media.evicted,
      journalSize: this.journal.size(),
      journalDropped: this.journal.droppedCount,
      webhooksQueued: d.queued,
      webhooksInFlight: d.inFlight,
      webhooksWaitingRetry: d.waitingRetry,
      webhooksDelivered: d.delivered,
      webhookFailedAttempts: d.failedAttempts,
      webhooksRetried: d.retried,
      webhooksAbandoned: d.abandoned,
      uptimeMs: Math.round(this.clock.nowMs() - this.startedAtMs),
    };
  }

  /** Stops timers and sockets (the app's onClose). */
  async close(): Promise<void> {
    this.statuses.cancelAll();
    this.dropStatusBatches();
    this.templates.reset();
    await this.dispatcherImpl.close();
  }
}
