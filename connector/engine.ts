/**
 * The connector's work: what happens after a webhook was acknowledged. Every unit of work is a job
 * on one bounded, per-customer-ordered queue; workers run the flows below against the CRM and
 * WhatsApp clients. A flow keeps what it already did in `job.state`, so a retry resumes where the
 * last attempt stopped (a template is never sent twice because its CRM record failed), and every
 * CRM write carries an idempotency key derived from WhatsApp or CRM ids, so a replay is harmless.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../kernel/clock.js';
import { activeFaults, FAULT_SWITCHES, type FaultName } from '../kernel/connector-faults.js';
import { BoundedMap, SeenIds } from './cache.js';
import type { ConnectorConfig } from './config.js';
import type { CrmApi, CrmResult } from './crm-client.js';
import { type CrmGateway, NativeCrmGateway } from './crm-gateway.js';
import { matchKeywords, ORDER_CONFIRMATION_REPLY } from './keywords.js';
import type { Logger } from './log.js';
import {
  type CrmEvent,
  crmMessageType,
  type InboundMessage,
  parseWhatsAppPayload,
  type StatusUpdate,
} from './payloads.js';
import { normalizePhone } from './phone.js';
import { KeyedQueue } from './queue.js';
import { AdaptiveRateLimiter, PairBackoff } from './rate-limit.js';
import { decideRetry, type Failure } from './retry.js';
import { judgeStatus, type WaStatus } from './status.js';
import { type ActionParameters, buildTemplateComponents, type RecordedParams } from './templates.js';
import type { SendResult, WhatsAppApi } from './whatsapp-client.js';

/** The 24-hour customer-service window. */
export const SERVICE_WINDOW_MS = 24 * 3600 * 1000;

/** Waits for a status whose message the CRM does not have yet (the send's record may still be on its way). */
export const STATUS_LOOKUP_DELAYS_MS = [250, 500, 1000, 2000, 4000] as const;

/** How many ids each de-duplication set and cache remembers (bounded memory over a long soak). */
const MEMORY = {
  seenMessages: 200_000,
  seenStatuses: 600_000,
  seenEvents: 200_000,
  wamids: 200_000,
  customers: 100_000,
};

/** Longest a retry waits while the connector is draining for shutdown. */
const DRAIN_RETRY_CAP_MS = 500;

/** Back-off of an error-log write that failed (the CRM is down): doubling from 1 s, capped. */
function errorLogBackoffMs(tries: number, capMs: number): number {
  return Math.min(1000 * 2 ** Math.min(Math.max(0, tries - 1), 10), Math.max(1000, capMs));
}

/** An entry for the CRM error log (`POST /error-logs`). */
export interface ErrorLogEntry {
  kind: string;
  message: string;
  wa_message_id?: string;
  event_id?: string;
  context?: Record<string, unknown>;
}

interface JobBase {
  key: string;
  seq: number;
  /** Failed attempts so far (drives the retry level). */
  failedAttempts: number;
  acceptedAtMs: number;
  capped?: boolean;
  /** A level-2 retry waiting for this side to recover (released early when it answers again). */
  waitingOn?: 'whatsapp' | 'crm';
}
interface InboundJob extends JobBase {
  kind: 'inbound';
  msg: InboundMessage;
  state: {
    contactId?: string;
    conversationId?: string;
    messageWritten?: boolean;
    complaintDone?: boolean;
    tagsDone?: boolean;
    optOutDone?: boolean;
    longDone?: boolean;
    replyQueued?: boolean;
  };
}
interface EventJob extends JobBase {
  kind: 'event';
  event: CrmEvent;
  state: { to?: string; wamid?: string; sentAtIso?: string; recorded?: RecordedParams; contactId?: string };
}
interface StatusJob extends JobBase {
  kind: 'status';
  update: StatusUpdate;
  lookups: number;
}
interface ReplyJob extends JobBase {
  kind: 'reply';
  phone: string;
  contactId: string;
  conversationId: string;
  text: string;
  inReplyTo: string;
  mode: 'text' | 'template';
  state: { wamid?: string; sentAtIso?: string };
}
interface ErrorLogJob extends JobBase {
  kind: 'errorlog';
  entry: ErrorLogEntry;
}
/** One unit of work on the queue. */
export type Job = InboundJob | EventJob | StatusJob | ReplyJob | ErrorLogJob;

/** A step failed in a way the retry policy judges. */
class StepFailed extends Error {
  constructor(
    readonly failure: Failure,
    readonly step: string,
  ) {
    super(`${step}: ${failure.message}`);
  }
}
/** The job cannot be done and must not be retried: straight to the error log with this kind. */
class Abort extends Error {
  constructor(
    readonly kind: string,
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
/** Not a failure: try again after `delayMs` without spending a retry level. */
class Later extends Error {
  constructor(readonly delayMs: number) {
    super(`later (${delayMs} ms)`);
  }
}

/** What the connector remembers about one customer (by E.164 phone). */
interface Customer {
  contactId?: string;
  name?: string;
  conversationId?: string;
  inboundCount: number;
  longHandoverConversationId?: string;
  optedOut?: boolean;
  lastInboundEpochMs?: number;
}

/** What the connector remembers about a message it sent. */
interface SentMessage {
  crmMessageId?: string;
  phone: string;
  kind: 'template' | 'reply';
  eventId?: string;
  reply?: Pick<ReplyJob, 'contactId' | 'conversationId' | 'text' | 'inReplyTo'>;
}

/** The outcome of offering one webhook to the engine. */
export type AcceptResult =
  | { accepted: true; jobs: number; duplicates: number }
  | { accepted: false; reason: 'full' };

/** The counters of `/stats`. */
export interface EngineCounters {
  received: { messages: number; statuses: number; events: number; ignored: number; systemErrors: number };
  processed: { inbound: number; events: number; statuses: number; replies: number; errorLogs: number };
  retried: number;
  retriedByLevel: { level1: number; level2: number };
  /** Level-2 retries sent before their pause ended because their dependency answered again. */
  releasedOnRecovery: number;
  errorLogged: number;
  /** Error-log entries the CRM refused (4xx): written to stderr instead. */
  errorLogsRefused: number;
  errorLoggedByKind: Record<string, number>;
  deduplicated: number;
  statusRegressionsSkipped: number;
  rejectedFull: number;
  waitedForLaterMs: number;
  whatsapp: { sends: number; failures: number; throttled: number; pairLimited: number };
  faultHits: Record<string, number>;
}

/** What the engine needs from outside. */
export interface EngineDeps {
  config: ConnectorConfig;
  clock: Clock;
  log: Logger;
  crm: CrmApi;
  /** The CRM operations in the CRM's own API; defaults to the native API over `crm`. */
  gateway?: CrmGateway;
  wa: WhatsAppApi;
  /** Randomness for the drop-* fault switches. */
  random?: () => number;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The queue, the workers and the flows. */
export class Engine {
  readonly queue: KeyedQueue<Job>;
  readonly waLimiter: AdaptiveRateLimiter;
  readonly pairBackoff: PairBackoff;
  readonly counters: EngineCounters;
  /** Whether some level-2 retry may be waiting on each side (checked on every success, so a flag). */
  private readonly waitingOn = { whatsapp: false, crm: false };
  /** Fault `cap`: a steady N flows/min (a smooth rate, not N at once then a pause), like a saturated worker. */
  private readonly capLimiter: AdaptiveRateLimiter | undefined;
  private readonly seenMessages = new SeenIds(MEMORY.seenMessages);
  private readonly seenStatuses = new SeenIds(MEMORY.seenStatuses);
  private readonly seenEvents = new SeenIds(MEMORY.seenEvents);
  private readonly statusWritten = new BoundedMap<string, WaStatus>(MEMORY.wamids);
  private readonly sent = new BoundedMap<string, SentMessage>(MEMORY.wamids);
  private readonly customers = new BoundedMap<string, Customer>(MEMORY.customers);
  private readonly random: () => number;
  private seq = 0;
  /** Tells this process's error-log idempotency keys from those of an earlier run. */
  private readonly runId = randomUUID().slice(0, 8);
  private workers: Promise<void>[] = [];
  private draining = false;
  /** Where every CRM operation goes (the native API, or a dialect such as HubSpot's). */
  private readonly gw: CrmGateway;

  constructor(private readonly deps: EngineDeps) {
    const { config, clock } = deps;
    this.gw = deps.gateway ?? new NativeCrmGateway(deps.crm);
    this.queue = new KeyedQueue<Job>(clock, config.queueLimit);
    this.waLimiter = new AdaptiveRateLimiter(clock, config.waRatePerSec);
    this.pairBackoff = new PairBackoff(clock);
    this.capLimiter =
      config.faults.capPerMin !== undefined
        ? new AdaptiveRateLimiter(clock, config.faults.capPerMin / 60)
        : undefined;
    this.random = deps.random ?? Math.random;
    const faultHits: Record<string, number> = {};
    for (const spec of activeFaults(config.faults)) faultHits[spec.split('=')[0] as string] = 0;
    this.counters = {
      received: { messages: 0, statuses: 0, events: 0, ignored: 0, systemErrors: 0 },
      processed: { inbound: 0, events: 0, statuses: 0, replies: 0, errorLogs: 0 },
      retried: 0,
      retriedByLevel: { level1: 0, level2: 0 },
      releasedOnRecovery: 0,
      errorLogged: 0,
      errorLogsRefused: 0,
      errorLoggedByKind: {},
      deduplicated: 0,
      statusRegressionsSkipped: 0,
      rejectedFull: 0,
      waitedForLaterMs: 0,
      whatsapp: { sends: 0, failures: 0, throttled: 0, pairLimited: 0 },
      faultHits,
    };
  }

  private get faults() {
    return this.deps.config.faults;
  }

  private hit(name: FaultName): void {
    if (Object.hasOwn(FAULT_SWITCHES, name))
      this.counters.faultHits[name] = (this.counters.faultHits[name] ?? 0) + 1;
  }

  private base(key: string): JobBase {
    return { key, seq: ++this.seq, failedAttempts: 0, acceptedAtMs: this.deps.clock.nowMs() };
  }

  /** An idempotency key; with fault `no-dedupe` every delivery gets its own, so nothing is collapsed. */
  private idem(job: JobBase, base: string): string {
    return this.faults.noDedupe ? `${base}#${job.seq}` : base;
  }

  private customer(phone: string): Customer {
    let c = this.customers.get(phone);
    if (!c) {
      c = { inboundCount: 0 };
      this.customers.set(phone, c);
    }
    return c;
  }

  // ---------------------------------------------------------------- accepting webhooks (the ack path)

  /**
   * Queues the work of one WhatsApp webhook, or refuses it whole when the queue is full (the
   * handler answers 503 and WhatsApp redelivers). Nothing is done inline: parsing, de-duplication
   * and queueing only, so the acknowledgement stays fast.
   */
  acceptWhatsApp(body: unknown): AcceptResult {
    const batch = parseWhatsAppPayload(body);
    const dedupe = !this.faults.noDedupe;
    const inBatch = new Set<string>();
    const messages = batch.messages.filter((m) => {
      const id = `m:${m.wamid}`;
      const fresh = !dedupe || (!inBatch.has(id) && !this.seenMessages.has(m.wamid));
      inBatch.add(id);
      return fresh;
    });
    const statuses = batch.statuses.filter((s) => {
      const id = `s:${s.wamid}:${s.status}`;
      const fresh = !dedupe || (!inBatch.has(id) && !this.seenStatuses.has(`${s.wamid}:${s.status}`));
      inBatch.add(id);
      return fresh;
    });
    const duplicates = batch.messages.length - messages.length + (batch.statuses.length - statuses.length);
    if (!this.queue.hasRoom(messages.length + statuses.length)) {
      this.counters.rejectedFull++;
      return { accepted: false, reason: 'full' };
    }
    this.counters.received.messages += batch.messages.length;
    this.counters.received.statuses += batch.statuses.length;
    this.counters.received.ignored += batch.ignored;
    this.counters.received.systemErrors += batch.systemErrors.length;
    this.counters.deduplicated += duplicates;
    for (const e of batch.systemErrors) {
      if (e.code === 130429) {
        this.waLimiter.onThrottle();
        this.counters.whatsapp.throttled++;
      }
      this.deps.log.warn(`WhatsApp reported a system error ${e.code ?? '?'}: ${e.title ?? ''}`);
    }
    let jobs = 0;
    for (const msg of messages) {
      if (dedupe) this.seenMessages.firstSeen(msg.wamid);
      if (this.faults.dropInbound !== undefined && this.random() < this.faults.dropInbound) {
        this.hit('drop-inbound');
        continue;
      }
      this.queue.push({ ...this.base(msg.phone), kind: 'inbound', msg, state: {} });
      jobs++;
    }
    for (const update of statuses) {
      if (dedupe) this.seenStatuses.firstSeen(`${update.wamid}:${update.status}`);
      if (this.faults.dropStatus !== undefined && this.random() < this.faults.dropStatus) {
        this.hit('drop-status');
        continue;
      }
      this.queue.push({ ...this.base('+' + update.recipientId), kind: 'status', update, lookups: 0 });
      jobs++;
    }
    return { accepted: true, jobs, duplicates };
  }

  /** Queues one CRM event (de-duplicated by id), or refuses it when the queue is full. */
  acceptCrmEvent(event: CrmEvent): AcceptResult {
    if (!this.faults.noDedupe && this.seenEvents.has(event.id)) {
      this.counters.deduplicated++;
      return { accepted: true, jobs: 0, duplicates: 1 };
    }
    if (!this.queue.hasRoom(1)) {
      this.counters.rejectedFull++;
      return { accepted: false, reason: 'full' };
    }
    this.counters.received.events++;
    if (!this.faults.noDedupe) this.seenEvents.firstSeen(event.id);
    if (this.faults.dropOutbound !== undefined && this.random() < this.faults.dropOutbound) {
      this.hit('drop-outbound');
      return { accepted: true, jobs: 0, duplicates: 0 };
    }
    // Order by customer: the same key as the statuses of the message this event becomes.
    const contact = isObj(event.contact) ? event.contact : {};
    const phone = normalizePhone(contact['phone'], contact['country']);
    const key = phone.ok ? phone.e164 : `event:${event.id}`;
    this.queue.push({ ...this.base(key), kind: 'event', event, state: {} });
    return { accepted: true, jobs: 1, duplicates: 0 };
  }

  // ---------------------------------------------------------------- workers

  /** Starts the workers. */
  start(): void {
    for (let i = 0; i < this.deps.config.concurrency; i++) this.workers.push(this.worker());
  }

  private async worker(): Promise<void> {
    for (;;) {
      const job = await this.queue.take();
      if (!job) return;
      await this.run(job);
    }
  }

  /**
   * Stops taking new work from outside (the server is closed first), runs the retries that are
   * waiting now rather than later, and waits for the queue to empty, at most `timeoutMs`.
   * Returns the jobs left undone.
   */
  async drain(timeoutMs: number): Promise<number> {
    this.draining = true;
    this.queue.releaseDelayed();
    let timer: NodeJS.Timeout | undefined;
    // A ref'd timer on purpose: the process must stay alive until the drain is over.
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.queue.whenIdle(), timeout]);
    clearTimeout(timer);
    const left = this.queue.pending;
    this.queue.close();
    await Promise.race([Promise.all(this.workers), new Promise((r) => setTimeout(r, 100))]);
    return left;
  }

  private async run(job: Job): Promise<void> {
    try {
      if (
        (job.kind === 'inbound' || job.kind === 'event') &&
        this.capLimiter &&
        !job.capped &&
        !this.draining
      ) {
        job.capped = true;
        this.hit('cap');
        await this.capLimiter.acquire();
      }
      delete job.waitingOn;
      await this.process(job);
      this.countProcessed(job);
    } catch (err) {
      this.onError(job, err);
    } finally {
      this.queue.done(job);
    }
  }

  private countProcessed(job: Job): void {
    const p = this.counters.processed;
    if (job.kind === 'inbound') p.inbound++;
    else if (job.kind === 'event') p.events++;
    else if (job.kind === 'status') p.statuses++;
    else if (job.kind === 'reply') p.replies++;
    else p.errorLogs++;
  }

  private retryLater(job: Job, delayMs: number): void {
    this.queue.pushLater(job, this.draining ? Math.min(delayMs, DRAIN_RETRY_CAP_MS) : delayMs);
  }

  private onError(job: Job, err: unknown): void {
    const { config, log } = this.deps;
    if (err instanceof Later) {
      this.counters.waitedForLaterMs += err.delayMs;
      this.retryLater(job, err.delayMs);
      return;
    }
    if (job.kind === 'errorlog') {
      if (err instanceof StepFailed && !err.failure.retryable) {
        // The CRM refuses the entry itself (it would refuse it forever): stderr is all that is left.
        this.counters.errorLogsRefused++;
        log.error(`the CRM refused an error-log entry (${err.message}): ${JSON.stringify(job.entry)}`);
        return;
      }
      // The error log is the last resort: keep trying while the process lives (the CRM may be down).
      job.failedAttempts++;
      const delayMs = errorLogBackoffMs(job.failedAttempts, config.retryDelayMs);
      if (job.failedAttempts === 1 || job.failedAttempts % 10 === 0) {
        log.warn(`error-log write failed (${(err as Error).message}); retrying in ${delayMs} ms`);
      }
      this.retryLater(job, delayMs);
      return;
    }
    if (err instanceof Abort) {
      this.errorLog(job, err.kind, err.message, err.context);
      return;
    }
    if (err instanceof StepFailed) {
      job.failedAttempts++;
      if (this.faults.noRetry && err.failure.retryable) this.hit('no-retry');
      const decision = decideRetry(err.failure, job.failedAttempts, {
        retryDelayMs: config.retryDelayMs,
        noRetry: this.faults.noRetry,
        ignoreRetryAfter: this.faults.ignoreRetryAfter,
      });
      if (decision.action === 'retry') {
        if (this.faults.ignoreRetryAfter && err.failure.side === 'crm' && err.failure.retryAfterMs) {
          this.hit('ignore-retry-after');
        }
        this.counters.retried++;
        if (decision.level === 1) this.counters.retriedByLevel.level1++;
        else {
          this.counters.retriedByLevel.level2++;
          job.waitingOn = err.failure.side;
          this.waitingOn[err.failure.side] = true;
        }
        log.debug(
          `${job.kind} ${this.jobRef(job)}: ${err.message}; retry level ${decision.level} in ${decision.delayMs} ms`,
        );
        this.retryLater(job, decision.delayMs);
        return;
      }
      const f = err.failure;
      const kind =
        f.side === 'crm' ? 'crm_write_failed' : f.code === 131047 ? 'window_closed' : 'delivery_failed';
      this.errorLog(job, kind, err.message, {
        step: err.step,
        attempts: job.failedAttempts,
        retryable: f.retryable,
        failure: { kind: f.kind, http_status: f.httpStatus ?? null, code: f.code ?? null },
      });
      return;
    }
    log.error(`${job.kind} ${this.jobRef(job)}: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    this.errorLog(job, 'connector_error', `unexpected error: ${(err as Error)?.message ?? String(err)}`, {});
  }

  private jobRef(job: Job): string {
    switch (job.kind) {
      case 'inbound':
        return job.msg.wamid;
      case 'event':
        return job.event.id;
      case 'status':
        return `${job.update.wamid}/${job.update.status}`;
      case 'reply':
        return job.inReplyTo;
      default:
        return job.entry.kind;
    }
  }

  /** Queues an error-log entry for a human, with the ids of the job it is about. */
  private errorLog(job: Job, kind: string, message: string, context: Record<string, unknown>): void {
    const entry: ErrorLogEntry = {
      kind,
      message: message.slice(0, 2000),
      context: { job: job.kind, ...context },
    };
    if (job.kind === 'inbound') entry.wa_message_id = job.msg.wamid;
    if (job.kind === 'status') entry.wa_message_id = job.update.wamid;
    if (job.kind === 'event') {
      entry.event_id = job.event.id;
      if (job.state.wamid) entry.wa_message_id = job.state.wamid;
    }
    if (job.kind === 'reply') entry.wa_message_id = job.state.wamid ?? job.inReplyTo;
    this.counters.errorLogged++;
    this.counters.errorLoggedByKind[kind] = (this.counters.errorLoggedByKind[kind] ?? 0) + 1;
    this.deps.log.warn(`error log [${kind}] ${this.jobRef(job)}: ${message}`);
    this.queue.push({ ...this.base(`errorlog:${this.seq + 1}`), kind: 'errorlog', entry });
  }

  private process(job: Job): Promise<void> {
    switch (job.kind) {
      case 'inbound':
        return this.inbound(job);
      case 'event':
        return this.event(job);
      case 'status':
        return this.status(job);
      case 'reply':
        return this.reply(job);
      default:
        return this.writeErrorLog(job);
    }
  }

  // ---------------------------------------------------------------- helpers

  private ok<T>(result: CrmResult<T>, step: string): { status: number; data: T } {
    if (!result.ok) throw new StepFailed(result.failure, step);
    this.recovered('crm');
    return result;
  }

  /**
   * A call to `side` just succeeded: level-2 retries waiting on that side go now instead of at the
   * end of their pause. The pause exists so a failing dependency is not hammered; once it answers
   * again, waiting longer only delays the backlog (the seed's recovery target is seconds).
   */
  private recovered(side: 'whatsapp' | 'crm'): void {
    if (!this.waitingOn[side]) return;
    const released = this.queue.releaseDelayed((j) => j.waitingOn === side);
    this.waitingOn[side] = false;
    if (released > 0) {
      this.counters.releasedOnRecovery += released;
      this.deps.log.info(`${side} answers again: ${released} waiting retries sent now`);
    }
  }

  private idOf(data: unknown, step: string): string {
    const id = isObj(data) ? data['id'] : undefined;
    if (typeof id !== 'string' || id === '') {
      throw new StepFailed(
        { side: 'crm', kind: 'http', message: 'answer without an id', retryable: false },
        step,
      );
    }
    return id;
  }

  /** The contact's open conversation, cached per phone (a CRM call saved per message). */
  private async conversationFor(
    job: Job,
    cust: Customer,
    contactId: string,
    keyBase: string,
  ): Promise<string> {
    if (cust.conversationId && cust.contactId === contactId) return cust.conversationId;
    const r = this.ok(
      await this.gw.openConversation(contactId, this.idem(job, `conv:${keyBase}`)),
      'conversation',
    );
    const id = this.idOf(r.data, 'conversation');
    const data = r.data as Record<string, unknown>;
    cust.contactId = contactId;
    cust.conversationId = id;
    cust.inboundCount = typeof data['inbound_count'] === 'number' ? data['inbound_count'] : 0;
    return id;
  }

  /** Writes a message to the contact's conversation; re-opens one if the cached one was closed (409). */
  private async writeMessage(
    job: Job,
    cust: Customer,
    contactId: string,
    body: Record<string, unknown>,
    wamid: string,
  ): Promise<{ created: boolean; messageId: string; conversationId: string }> {
    for (let tries = 0; ; tries++) {
      const conversationId = await this.conversationFor(job, cust, contactId, `${wamid}:${tries}`);
      const result = await this.gw.writeMessage(
        conversationId,
        body,
        this.idem(job, `msg:${wamid}:${conversationId}`),
      );
      if (!result.ok && result.failure.httpStatus === 409 && tries === 0) {
        // The conversation was closed by an agent: the next one is opened for this message.
        cust.conversationId = undefined;
        continue;
      }
      const r = this.ok(result, 'message write');
      return { created: r.status === 201, messageId: this.idOf(r.data, 'message write'), conversationId };
    }
  }

  private async waSend(to: string, send: () => Promise<SendResult>, step: string): Promise<string> {
    const waitMs = this.pairBackoff.remainingMs(to);
    if (waitMs > 0) throw new Later(waitMs);
    await this.waLimiter.acquire();
    this.counters.whatsapp.sends++;
    const r = await send();
    if (r.ok) {
      this.pairBackoff.onSuccess(to);
      this.recovered('whatsapp');
      return r.wamid;
    }
    this.counters.whatsapp.failures++;
    const failure = { ...r.failure };
    if (failure.code === 130429) {
      this.waLimiter.onThrottle();
      this.counters.whatsapp.throttled++;
      failure.retryAfterMs = Math.max(failure.retryAfterMs ?? 0, 1000);
    } else if (failure.code === 131056) {
      this.counters.whatsapp.pairLimited++;
      failure.retryAfterMs = this.pairBackoff.onHit(to);
    }
    throw new StepFailed(failure, step);
  }

  // ---------------------------------------------------------------- WhatsApp → CRM

  private async inbound(job: InboundJob): Promise<void> {
    const { clock } = this.deps;
    const gw = this.gw;
    const { msg, state } = job;
    const cust = this.customer(msg.phone);
    // The window opens when the customer wrote (never later than now: clocks may disagree).
    const wroteAtMs = Math.min(msg.timestampSec * 1000, clock.epochMs());
    cust.lastInboundEpochMs = Math.max(cust.lastInboundEpochMs ?? 0, wroteAtMs);
    const at = iso(msg.timestampSec * 1000);

    if (!state.contactId) {
      if (cust.contactId && (msg.name === undefined || msg.name === cust.name)) {
        state.contactId = cust.contactId;
      } else {
        const body: Record<string, unknown> = { phone: msg.phone };
        // The CRM takes names up to 200 characters; a longer profile name must not cost the message.
        if (msg.name !== undefined) body['name'] = [...msg.name].slice(0, 200).join('');
        if (!cust.contactId) body['last_inbound_at'] = at;
        const r = this.ok(
          await gw.upsertContact(body, this.idem(job, `contact:${msg.wamid}`)),
          'contact upsert',
        );
        const contactId = this.idOf(r.data, 'contact upsert');
        const data = r.data as Record<string, unknown>;
        if (cust.contactId !== contactId) cust.conversationId = undefined;
        cust.contactId = contactId;
        cust.name = typeof data['name'] === 'string' ? data['name'] : msg.name;
        cust.optedOut = data['opted_out'] === true;
        state.contactId = contactId;
      }
    }
    const contactId = state.contactId;

    if (!state.messageWritten) {
      const body: Record<string, unknown> = {
        direction: 'inbound',
        type: crmMessageType(msg.type),
        wa_message_id: msg.wamid,
        at,
      };
      if (msg.body !== undefined) body['body'] = msg.body.slice(0, 4096);
      else if (msg.type === 'text') body['body'] = '(empty)';
      const w = await this.writeMessage(job, cust, contactId, body, msg.wamid);
      state.conversationId = w.conversationId;
      state.messageWritten = true;
      if (w.created) cust.inboundCount++;
    }
    const conversationId = state.conversationId as string;

    const matches = matchKeywords(msg.body);
    const tags = new Set(matches.map((m) => m.tag));
    if (tags.has('complaint') && !state.complaintDone) {
      if (this.faults.noHandover) this.hit('no-handover');
      else {
        this.ok(
          await gw.handover(conversationId, 'complaint', this.idem(job, `handover:${msg.wamid}`)),
          'complaint handover',
        );
      }
      state.complaintDone = true;
    }
    if (tags.size > 0 && !state.tagsDone) {
      if (this.faults.noTags) this.hit('no-tags');
      else {
        this.ok(await gw.addTags(contactId, [...tags], this.idem(job, `tags:${msg.wamid}`)), 'tags');
      }
      state.tagsDone = true;
    }
    if (tags.has('unsubscribe') && !state.optOutDone) {
      this.ok(await gw.optOut(contactId, this.idem(job, `optout:${msg.wamid}`)), 'opt-out');
      cust.optedOut = true;
      state.optOutDone = true;
    }
    if (
      !state.longDone &&
      cust.conversationId === conversationId &&
      cust.inboundCount > 6 &&
      cust.longHandoverConversationId !== conversationId
    ) {
      if (this.faults.noHandover) this.hit('no-handover');
      else {
        this.ok(
          await gw.handover(
            conversationId,
            'long_conversation',
            this.idem(job, `handover-long:${conversationId}`),
          ),
          'long-conversation handover',
        );
      }
      cust.longHandoverConversationId = conversationId;
      state.longDone = true;
    }
    const confirm = matches.find((m) => m.tag === 'order_confirmation');
    if (confirm && !state.replyQueued) {
      state.replyQueued = true;
      this.queue.push({
        ...this.base(msg.phone),
        kind: 'reply',
        phone: msg.phone,
        contactId,
        conversationId,
        text: ORDER_CONFIRMATION_REPLY[confirm.language],
        inReplyTo: msg.wamid,
        mode: 'text',
        state: {},
      });
    }
  }

  /** The automatic answer to an order confirmation: free-form inside the 24 h window, else a template. */
  private async reply(job: ReplyJob): Promise<void> {
    const { clock, wa, config } = this.deps;
    const cust = this.customer(job.phone);
    const { state } = job;
    if (!state.wamid) {
      if (job.mode === 'text') {
        const lastMs = cust.lastInboundEpochMs;
        const open = lastMs !== undefined && clock.epochMs() - lastMs < SERVICE_WINDOW_MS;
        if (!open && this.faults.noWindowCheck) this.hit('no-window-check');
        else if (!open) this.fallBack(job, 'the 24 h customer-service window is closed');
      }
      const to = job.phone;
      const fallback = config.fallbackTemplate;
      try {
        state.wamid = await this.waSend(
          to,
          () =>
            job.mode === 'text' || !fallback
              ? wa.sendText(to, job.text, job.inReplyTo)
              : wa.sendTemplate(to, fallback.name, fallback.language, []),
          job.mode === 'text' ? 'auto-reply send' : 'fallback template send',
        );
      } catch (err) {
        if (err instanceof StepFailed && err.failure.code === 131047 && job.mode === 'text') {
          this.fallBack(job, 'WhatsApp refused the free-form reply (131047: outside the 24 h window)');
        }
        throw err;
      }
      state.sentAtIso = iso(clock.epochMs());
      this.sent.set(state.wamid, {
        phone: job.phone,
        kind: 'reply',
        reply: {
          contactId: job.contactId,
          conversationId: job.conversationId,
          text: job.text,
          inReplyTo: job.inReplyTo,
        },
      });
    }
    const body: Record<string, unknown> =
      job.mode === 'text'
        ? { direction: 'outbound', type: 'text', body: job.text }
        : {
            direction: 'outbound',
            type: 'template',
            template_name: config.fallbackTemplate?.name,
            template_language: config.fallbackTemplate?.language,
          };
    body['wa_message_id'] = state.wamid;
    body['at'] = state.sentAtIso;
    if (!cust.conversationId) {
      cust.contactId = job.contactId;
      cust.conversationId = job.conversationId;
    }
    const w = await this.writeMessage(job, cust, job.contactId, body, state.wamid);
    const sent = this.sent.get(state.wamid);
    if (sent) sent.crmMessageId = w.messageId;
  }

  /** Switches a reply to the fallback template (retried at once), or gives up with `window_closed`. */
  private fallBack(job: ReplyJob, why: string): never {
    const fallback = this.deps.config.fallbackTemplate;
    if (!fallback) {
      throw new Abort(
        'window_closed',
        `automatic reply not sent: ${why} and no fallback template is configured`,
        {
          code: 131047,
        },
      );
    }
    job.mode = 'template';
    throw new Later(0);
  }

  // ---------------------------------------------------------------- CRM → WhatsApp

  private async event(job: EventJob): Promise<void> {
    const { wa, clock } = this.deps;
    const { event, state } = job;
    const contact = isObj(event.contact) ? event.contact : undefined;
    const action = isObj(event.action) ? event.action : undefined;
    if (!state.wamid) {
      if (!contact || !action)
        throw new Abort('event_rejected', `event ${event.id} has no contact or no action`);
      if (action['channel'] !== undefined && action['channel'] !== 'whatsapp') {
        this.counters.received.ignored++;
        return;
      }
      const template = action['template'];
      const language = action['language'];
      if (
        typeof template !== 'string' ||
        template === '' ||
        typeof language !== 'string' ||
        language === ''
      ) {
        throw new Abort(
          'event_rejected',
          `event ${event.id}: action.template and action.language are required`,
        );
      }
      let to: string;
      if (this.faults.noNormalize) {
        this.hit('no-normalize');
        to = String(contact['phone'] ?? '');
      } else {
        const phone = normalizePhone(contact['phone'], contact['country']);
        if (!phone.ok) {
          throw new Abort('invalid_phone', `event ${event.id}: ${phone.reason}; no message sent`, {
            phone: contact['phone'] ?? null,
            country: contact['country'] ?? null,
            contact_id: contact['id'] ?? null,
          });
        }
        to = phone.e164;
      }
      state.to = to;
      const category = typeof action['category'] === 'string' ? action['category'].toUpperCase() : '';
      const consent = contact['consent'];
      const optedOut = contact['opted_out'] === true || this.customers.get(to)?.optedOut === true;
      const transactional = category === 'UTILITY' || category === 'AUTHENTICATION';
      // An unknown category is treated as marketing: sending it needs the strongest consent.
      const blocked = transactional
        ? false
        : consent !== 'marketing'
          ? `contact consent is '${String(consent ?? 'none')}', not 'marketing'`
          : optedOut
            ? 'contact opted out of marketing'
            : false;
      if (blocked && this.faults.ignoreConsent) this.hit('ignore-consent');
      else if (blocked) {
        throw new Abort(
          'consent_blocked',
          `event ${event.id}: ${category || 'uncategorised'} template '${template}' not sent: ${blocked}`,
          {
            category: category || null,
            consent: consent ?? null,
            opted_out: optedOut,
            contact_id: contact['id'] ?? null,
          },
        );
      }
      if (this.faults.wrongParams) this.hit('wrong-params');
      const built = buildTemplateComponents(event, action['parameters'] as ActionParameters | undefined, {
        phoneE164: to,
        mangleOne: this.faults.wrongParams,
      });
      if (!built.ok) {
        throw new Abort('event_rejected', `event ${event.id}: ${built.path}: ${built.reason}`, {
          path: built.path,
        });
      }
      state.recorded = built.recorded;
      state.wamid = await this.waSend(
        to,
        () => wa.sendTemplate(to, template, language, built.components, event.id),
        'template send',
      );
      state.sentAtIso = iso(clock.epochMs());
      this.sent.set(state.wamid, { phone: to, kind: 'template', eventId: event.id });
    }

    // Record the sent template in the CRM.
    const to = state.to as string;
    const cust = this.customer(to);
    if (!state.contactId) {
      const given = contact?.['id'];
      if (typeof given === 'string' && given !== '') state.contactId = given;
      else {
        const r = this.ok(
          await this.gw.upsertContact({ phone: to }, this.idem(job, `contact:${event.id}`)),
          'contact upsert',
        );
        state.contactId = this.idOf(r.data, 'contact upsert');
      }
    }
    const action2 = action as Record<string, unknown>;
    const body: Record<string, unknown> = {
      direction: 'outbound',
      type: 'template',
      template_name: action2['template'],
      template_language: action2['language'],
      wa_message_id: state.wamid,
      at: state.sentAtIso,
    };
    if (state.recorded && Object.keys(state.recorded).length > 0) body['template_params'] = state.recorded;
    const w = await this.writeMessage(job, cust, state.contactId, body, state.wamid);
    const sent = this.sent.get(state.wamid);
    if (sent) sent.crmMessageId = w.messageId;
  }

  // ---------------------------------------------------------------- statuses

  private async status(job: StatusJob): Promise<void> {
    const u = job.update;
    const current = this.statusWritten.get(u.wamid);
    const verdict = judgeStatus(current, u.status);
    if (verdict === 'regression') {
      if (!this.faults.statusRegress) {
        this.counters.statusRegressionsSkipped++;
        return;
      }
      this.hit('status-regress');
    }
    if (verdict === 'duplicate') {
      if (!this.faults.noDedupe) {
        this.counters.deduplicated++;
        return;
      }
      this.hit('no-dedupe');
    }
    const sent = this.sent.get(u.wamid);
    let messageId = sent?.crmMessageId;
    if (!messageId) {
      const r = this.ok(await this.gw.findMessage(u.wamid), 'message lookup');
      messageId = r.data.id;
      if (!messageId) {
        // Likely a race: the status overtook the CRM record of the send. Wait a little, then retry.
        const delayMs = STATUS_LOOKUP_DELAYS_MS[job.lookups];
        if (delayMs !== undefined) {
          job.lookups++;
          throw new Later(delayMs);
        }
        throw new StepFailed(
          {
            side: 'crm',
            kind: 'http',
            httpStatus: 404,
            message: `no CRM message has wa_message_id ${u.wamid}`,
            retryable: true,
          },
          'status write',
        );
      }
      if (sent) sent.crmMessageId = messageId;
    }
    const body: Record<string, unknown> = { status: u.status, at: iso(u.timestampSec * 1000) };
    if (u.status === 'failed') {
      body['error'] = {
        code: u.error?.code ?? null,
        title: u.error?.title ?? 'unknown error',
        ...(u.error?.message ? { message: u.error.message } : {}),
        ...(u.error?.details ? { details: u.error.details } : {}),
      };
    }
    this.ok(
      await this.gw.writeStatus(messageId, body, this.idem(job, `status:${u.wamid}:${u.status}`)),
      'status write',
    );
    if (verdict === 'write' || this.faults.statusRegress) this.statusWritten.set(u.wamid, u.status);
    if (u.status === 'failed') this.onFailedStatus(job, sent);
  }

  /** A message failed after it was accepted: fall back for a reply outside the window, else tell a human. */
  private onFailedStatus(job: StatusJob, sent: SentMessage | undefined): void {
    const u = job.update;
    const code = u.error?.code;
    if (code === 131047 && sent?.kind === 'reply' && sent.reply) {
      const cust = this.customer(sent.phone);
      cust.lastInboundEpochMs = 0;
      if (this.deps.config.fallbackTemplate) {
        this.queue.push({
          ...this.base(sent.phone),
          kind: 'reply',
          phone: sent.phone,
          ...sent.reply,
          mode: 'template',
          state: {},
        });
        return;
      }
      this.errorLog(
        job,
        'window_closed',
        `automatic reply ${u.wamid} failed with 131047 (outside the 24 h window) and no fallback template is configured`,
        { code },
      );
      return;
    }
    this.errorLog(
      job,
      'delivery_failed',
      `message ${u.wamid} failed at WhatsApp: ${code ?? '?'} ${u.error?.title ?? ''}`.trim(),
      {
        code: code ?? null,
        title: u.error?.title ?? null,
        event_id: sent?.eventId ?? u.bizOpaque ?? null,
      },
    );
  }

  // ---------------------------------------------------------------- error log

  private async writeErrorLog(job: ErrorLogJob): Promise<void> {
    this.ok(
      await this.gw.writeErrorLog(
        job.entry as unknown as Record<string, unknown>,
        `errorlog:${this.runId}:${job.seq}:${job.entry.kind}:${job.entry.wa_message_id ?? job.entry.event_id ?? ''}`,
      ),
      'error log',
    );
  }

  /** Gauges for `/stats`. */
  gauges(): Record<string, number> {
    return {
      queued: this.queue.queued,
      delayed: this.queue.delayed,
      inFlight: this.queue.inFlight,
      pending: this.queue.pending,
      limit: this.queue.limit,
      waitingForWhatsAppBudget: this.waLimiter.waiting,
      whatsappRatePerSec: Math.round(this.waLimiter.currentRatePerSec() * 100) / 100,
    };
  }
}
