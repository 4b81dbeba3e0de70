import http from 'node:http';
import https from 'node:https';
import type { Clock, TimerHandle } from '../../kernel/clock.js';
import { signBody } from '../../kernel/signing.js';
import type { Journal } from './journal.js';

/** When to retry a failed delivery: initialDelayMs · factor^(attempt−1), capped at maxDelayMs, given up after maxAgeMs. */
export interface RetryPolicy {
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  maxAgeMs: number;
}

/** Meta-like retry policy: 1 s, doubling, at most an hour apart, for up to 7 days. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  initialDelayMs: 1000,
  factor: 2,
  maxDelayMs: 3_600_000,
  maxAgeMs: 7 * 24 * 3_600_000,
});

/** Extra fields copied into every journal entry of a delivery (what the harness traces flows by). */
export interface DeliveryMeta {
  field?: string;
  wamids?: string[];
  statuses?: string[];
  [k: string]: unknown;
}

/** What one POST attempt came to, as the transport saw it: an HTTP status, or an error code. */
export type AttemptOutcome = { statusCode: number } | { error: string };

/**
 * Sends POSTs. `send` must call `done` at most once and never throw asynchronously; it returns a
 * function that aborts the attempt (used on timeout and close). Pluggable so unit tests can drive
 * the dispatcher on a VirtualClock without sockets.
 */
export interface WebhookTransport {
  send(
    target: URL,
    headers: Record<string, string>,
    body: Buffer,
    done: (outcome: AttemptOutcome) => void,
  ): () => void;
  /** Releases sockets; later sends may fail. */
  close(): void;
}

/** Options of {@link WebhookDispatcher}. */
export interface WebhookDispatcherOptions {
  clock: Clock;
  journal: Journal;
  secret: string;
  url?: string;
  /** Default 'x-hub-signature-256' (value 'sha256=<hex>' over the exact bytes sent). */
  signatureHeader?: string;
  /** Max POSTs in flight, default 64. */
  concurrency?: number;
  /** Per attempt, default 10_000. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Fault hook, asked before each first attempt (webhook delivery delay). */
  extraDelayMs?: () => number;
  /** Default 'webhook' → kinds `${prefix}.delivered|failed|abandoned`. */
  journalPrefix?: string;
  /**
   * Told of every attempt's outcome, with the data of its journal entry (after the entry is
   * appended). Cheaper than a journal listener for counting: a listener makes the journal build
   * every entry's data as it is appended, packed kinds included.
   */
  onRecord?: (what: 'delivered' | 'failed' | 'abandoned', data: Record<string, unknown>) => void;
  /** Default 'facebookexternalua'. */
  userAgent?: string;
  /** Default: node:http / node:https with a keep-alive Agent (maxSockets = concurrency). */
  transport?: WebhookTransport;
  /**
   * Clock for the per-attempt timeout; default `clock`. In a compressed run (ScaledClock) pass a
   * RealClock so a 10 s timeout is 10 real seconds for a connector that answers in real time.
   */
  attemptClock?: Clock;
}

/** Counts of {@link WebhookDispatcher.stats}. */
export interface DispatcherStats {
  /** Accepted, not yet sent: held without a URL, behind an earlier delivery of the same key, delayed, or waiting for a slot. */
  queued: number;
  inFlight: number;
  /** Failed at least once, waiting for the backoff timer. */
  waitingRetry: number;
  delivered: number;
  /** Attempts that failed (non-2xx, timeout, refused, reset, garbage). */
  failedAttempts: number;
  /** Retry attempts started (attempts after the first). */
  retried: number;
  abandoned: number;
}

type DeliveryState = 'queued' | 'delaying' | 'ready' | 'inFlight' | 'waitingRetry' | 'done';

interface Delivery {
  id: string;
  orderKey: string;
  body: Buffer;
  signature: string;
  meta: DeliveryMeta | undefined;
  state: DeliveryState;
  attempt: number;
  /** Changes with each attempt, so a late callback of an earlier attempt is ignored. */
  token: number;
  firstAttemptAtMs: number;
  attemptStartMs: number;
  timer: TimerHandle | undefined;
  abort: (() => void) | undefined;
}

/** Deliveries of one order key, oldest first; only the one at `head` is ever active. */
interface KeyQueue {
  key: string;
  /** Finished slots before `head` are cleared so their bodies can be collected. */
  items: Array<Delivery | undefined>;
  head: number;
}

/** Short, stable error text for the journal (`ECONNREFUSED`, `HPE_INVALID_CONSTANT`, …). */
function errorCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code) return code;
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string' && message) return message.slice(0, 200);
  }
  return 'unknown error';
}

function noop(): void {}

/**
 * The default transport: node:http(s) with a keep-alive Agent, which keeps thousands of POSTs per
 * second to a local receiver on one core (fetch/undici would cost more per request here). The
 * outcome is decided on the response headers; the body is drained, and destroyed after
 * `drainTimeoutMs` of real time if the receiver never finishes it, so a socket is never stuck.
 */
export function createHttpTransport(opts: { maxSockets: number; drainTimeoutMs?: number }): WebhookTransport {
  const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets, maxFreeSockets: opts.maxSockets };
  const httpAgent = new http.Agent(agentOpts);
  const httpsAgent = new https.Agent(agentOpts);
  const drainTimeoutMs = opts.drainTimeoutMs ?? 10_000;
  return {
    send(target, headers, body, done) {
      let finished = false;
      const finish = (o: AttemptOutcome): void => {
        if (finished) return;
        finished = true;
        done(o);
      };
      const isHttps = target.protocol === 'https:';
      const req = (isHttps ? https : http).request({
        protocol: target.protocol,
        hostname: target.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: target.port || undefined,
        path: target.pathname + target.search,
        method: 'POST',
        headers,
        agent: isHttps ? httpsAgent : httpAgent,
      });
      req.on('response', (res) => {
        res.on('error', noop);
        res.setTimeout(drainTimeoutMs, () => req.destroy());
        res.resume();
        finish({ statusCode: res.statusCode ?? 0 });
      });
      req.on('error', (err) => finish({ error: errorCode(err) }));
      req.on('close', () => finish({ error: 'closed without a response' }));
      req.end(body);
      return () => req.destroy();
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** Parses and checks a webhook URL; throws a RangeError that names it. */
function parseTargetUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError(
      `invalid webhook URL ${JSON.stringify(url)}: expected http://host[:port]/path or https://…`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new RangeError(`invalid webhook URL ${JSON.stringify(url)}: only http: and https: are supported`);
  }
  return u;
}

/**
 * Outgoing signed webhooks (WhatsApp → connector, CRM events → connector): bounded concurrency,
 * per-key ordering, exponential backoff on the injected clock, a journal entry for every attempt
 * outcome. Nothing a receiver does (refuse, reset, hang, answer garbage) throws into the caller or
 * becomes an unhandled rejection: failures are journal entries and counters.
 */
export class WebhookDispatcher {
  private readonly clock: Clock;
  private readonly attemptClock: Clock;
  private readonly journal: Journal;
  private readonly secret: string;
  private readonly signatureHeader: string;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly extraDelayMs: (() => number) | undefined;
  private readonly prefix: string;
  private readonly onRecord: WebhookDispatcherOptions['onRecord'];
  private readonly userAgent: string;
  private readonly transport: WebhookTransport;
  private target: URL | undefined;

  private readonly queues = new Map<string, KeyQueue>();
  /** Keys whose head delivery is ready to go, in the order they became ready (FIFO across keys). */
  private ready: KeyQueue[] = [];
  private readyHead = 0;
  private seq = 0;
  private pending = 0;
  private inFlight = 0;
  private waitingRetry = 0;
  private delivered = 0;
  private failedAttempts = 0;
  private retried = 0;
  private abandoned = 0;
  private closed = false;
  private pumping = false;
  private pumpAgain = false;
  private idleWaiters: Array<() => void> = [];

  constructor(opts: WebhookDispatcherOptions) {
    this.clock = opts.clock;
    this.attemptClock = opts.attemptClock ?? opts.clock;
    this.journal = opts.journal;
    this.secret = opts.secret;
    this.signatureHeader = (opts.signatureHeader ?? 'x-hub-signature-256').toLowerCase();
    this.concurrency = opts.concurrency ?? 64;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`concurrency must be an integer ≥ 1, got ${opts.concurrency}`);
    }
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${opts.timeoutMs}`);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    const r = this.retry;
    if (!(r.initialDelayMs >= 0 && r.factor >= 1 && r.maxDelayMs >= 0 && r.maxAgeMs >= 0)) {
      throw new RangeError(`invalid retry policy ${JSON.stringify(r)}: delays and age ≥ 0, factor ≥ 1`);
    }
    this.extraDelayMs = opts.extraDelayMs;
    this.prefix = opts.journalPrefix ?? 'webhook';
    this.onRecord = opts.onRecord;
    this.userAgent = opts.userAgent ?? 'facebookexternalua';
    this.transport =
      opts.transport ?? createHttpTransport({ maxSockets: this.concurrency, drainTimeoutMs: this.timeoutMs });
    this.target = opts.url === undefined ? undefined : parseTargetUrl(opts.url);
  }

  /**
   * Serialises `body` once (JSON.stringify unless already a string/Buffer), signs those exact bytes;
   * deliveries with the same orderKey go out in enqueue order (the next waits until the previous
   * succeeded or was abandoned); different keys go concurrently up to `concurrency`. Never blocks
   * or throws; a body that cannot be serialised is journalled as abandoned. Returns the delivery id.
   */
  enqueue(orderKey: string, body: unknown, meta?: DeliveryMeta): string {
    const id = `${this.prefix}-${++this.seq}`;
    let bytes: Buffer;
    try {
      if (Buffer.isBuffer(body)) bytes = body;
      else if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
      else {
        const json = JSON.stringify(body);
        if (json === undefined) throw new TypeError(`${typeof body} is not JSON`);
        bytes = Buffer.from(json, 'utf8');
      }
    } catch (err) {
      this.abandoned++;
      this.record('abandoned', {
        ...meta,
        deliveryId: id,
        orderKey,
        attempt: 0,
        error: `unserialisable body: ${errorCode(err)}`,
        latencyMs: 0,
      });
      return id;
    }
    const d: Delivery = {
      id,
      orderKey,
      body: bytes,
      signature: signBody(this.secret, bytes),
      meta,
      state: 'queued',
      attempt: 0,
      token: 0,
      firstAttemptAtMs: 0,
      attemptStartMs: 0,
      timer: undefined,
      abort: undefined,
    };
    this.pending++;
    if (this.closed) return id; // counted as queued, never sent: the dispatcher is shut
    let q = this.queues.get(orderKey);
    if (!q) {
      q = { key: orderKey, items: [], head: 0 };
      this.queues.set(orderKey, q);
    }
    q.items.push(d);
    if (q.items.length - q.head === 1) this.activateHead(q);
    return id;
  }

  /** Points deliveries at `url` (held ones go out now); `undefined` holds new attempts. Throws RangeError on a bad URL. */
  setUrl(url: string | undefined): void {
    this.target = url === undefined ? undefined : parseTargetUrl(url);
    this.pump();
  }

  /** Current counts; after close() they stay as they were at close. */
  stats(): DispatcherStats {
    return {
      queued: this.pending - this.inFlight - this.waitingRetry,
      inFlight: this.inFlight,
      waitingRetry: this.waitingRetry,
      delivered: this.delivered,
      failedAttempts: this.failedAttempts,
      retried: this.retried,
      abandoned: this.abandoned,
    };
  }

  /** Resolves when nothing is queued, in flight or waiting to retry (or when the dispatcher is closed). Never rejects. */
  idle(): Promise<void> {
    if (this.pending === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels timers and sockets; what was pending stays counted in stats(). Idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const q of this.queues.values()) {
      const d = q.items[q.head];
      if (!d) continue;
      if (d.timer) this.timerClock(d).clearTimeout(d.timer);
      d.timer = undefined;
      const abort = d.abort;
      d.abort = undefined;
      if (abort) {
        try {
          abort();
        } catch {
          // The transport is being torn down anyway.
        }
      }
    }
    try {
      this.transport.close();
    } catch {
      // Same: nothing useful to do with a failure to release sockets at shutdown.
    }
    this.notifyIdle(true);
    return Promise.resolve();
  }

  /** In-flight deliveries time out on the attempt clock; delays and backoff run on the mock's clock. */
  private timerClock(d: Delivery): Clock {
    return d.state === 'inFlight' ? this.attemptClock : this.clock;
  }

  /** A delivery just became the head of its key: apply the first-attempt delay, then make it ready. */
  private activateHead(q: KeyQueue): void {
    const d = q.items[q.head];
    if (!d) return;
    let delayMs = 0;
    if (d.attempt === 0 && this.extraDelayMs) {
      try {
        const v = this.extraDelayMs();
        delayMs = Number.isFinite(v) && v > 0 ? v : 0;
      } catch {
        delayMs = 0; // a broken fault hook must not lose the delivery
      }
    }
    if (delayMs > 0) {
      d.state = 'delaying';
      d.timer = this.clock.setTimeout(() => {
        d.timer = undefined;
        this.markReady(q, d);
      }, delayMs);
    } else {
      this.markReady(q, d);
    }
  }

  private markReady(q: KeyQueue, d: Delivery): void {
    if (this.closed) return;
    d.state = 'ready';
    this.ready.push(q);
    this.pump();
  }

  /** Starts ready deliveries while slots are free. Re-entrant calls (a transport that answers synchronously) loop here instead of recursing. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (
          !this.closed &&
          this.target &&
          this.inFlight < this.concurrency &&
          this.readyHead < this.ready.length
        ) {
          const q = this.ready[this.readyHead++] as KeyQueue;
          const d = q.items[q.head];
          if (d && d.state === 'ready') this.startAttempt(d, this.target);
        }
        if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
          this.ready = this.ready.slice(this.readyHead);
          this.readyHead = 0;
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private startAttempt(d: Delivery, target: URL): void {
    const nowMs = this.clock.nowMs();
    d.attempt++;
    if (d.attempt === 1) d.firstAttemptAtMs = nowMs;
    else this.retried++;
    const token = ++d.token;
    d.state = 'inFlight';
    d.attemptStartMs = nowMs;
    this.inFlight++;
    d.timer = this.attemptClock.setTimeout(() => {
      d.timer = undefined;
      const abort = d.abort;
      d.abort = undefined;
      this.settle(d, token, { error: 'timeout' });
      try {
        abort?.();
      } catch {
        // Aborting a request that is already gone is fine.
      }
    }, this.timeoutMs);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(d.body.length),
      'user-agent': this.userAgent,
      [this.signatureHeader]: d.signature,
    };
    try {
      const abort = this.transport.send(target, headers, d.body, (o) => this.settle(d, token, o));
      if (d.token === token && d.state === 'inFlight') d.abort = abort;
    } catch (err) {
      this.settle(d, token, { error: errorCode(err) });
    }
  }

  /** One attempt ended: success finishes the delivery; failure schedules a retry or abandons it. */
  private settle(d: Delivery, token: number, outcome: AttemptOutcome): void {
    if (this.closed || d.token !== token || d.state !== 'inFlight') return;
    if (d.timer) this.attemptClock.clearTimeout(d.timer);
    d.timer = undefined;
    d.abort = undefined;
    this.inFlight--;
    const nowMs = this.clock.nowMs();
    const latencyMs = nowMs - d.attemptStartMs;
    const statusCode = 'statusCode' in outcome ? outcome.statusCode : undefined;
    const base = { ...d.meta, deliveryId: d.id, orderKey: d.orderKey, attempt: d.attempt };
    if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) {
      this.delivered++;
      this.record('delivered', { ...base, statusCode, latencyMs });
      this.finishHead(d);
    } else {
      this.failedAttempts++;
      const failure =
        statusCode !== undefined
          ? { statusCode, error: `HTTP ${statusCode}` }
          : { error: 'error' in outcome ? outcome.error : 'unknown error' };
      const r = this.retry;
      const backoffMs = Math.min(r.maxDelayMs, r.initialDelayMs * r.factor ** (d.attempt - 1));
      const ageMs = nowMs - d.firstAttemptAtMs;
      if (ageMs + backoffMs > r.maxAgeMs) {
        this.record('failed', { ...base, ...failure, latencyMs });
        this.abandoned++;
        this.record('abandoned', { ...base, ...failure, latencyMs, ageMs });
        this.finishHead(d);
      } else {
        this.record('failed', { ...base, ...failure, latencyMs, nextRetryInMs: backoffMs });
        d.state = 'waitingRetry';
        this.waitingRetry++;
        const q = this.queues.get(d.orderKey);
        d.timer = this.clock.setTimeout(() => {
          d.timer = undefined;
          if (this.closed) return;
          this.waitingRetry--;
          if (q) this.markReady(q, d);
        }, backoffMs);
      }
    }
    this.pump();
  }

  /** The head of a key is done (delivered or abandoned): the next delivery of that key may go. */
  private finishHead(d: Delivery): void {
    d.state = 'done';
    this.pending--;
    const q = this.queues.get(d.orderKey);
    if (q) {
      q.items[q.head] = undefined;
      q.head++;
      if (q.head >= q.items.length) {
        this.queues.delete(q.key);
      } else {
        if (q.head > 32 && q.head * 2 > q.items.length) {
          q.items = q.items.slice(q.head);
          q.head = 0;
        }
        this.activateHead(q);
      }
    }
    this.notifyIdle(false);
  }

  private notifyIdle(force: boolean): void {
    if ((force || this.pending === 0) && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Journals `${prefix}.${what}`; a throwing journal listener must not corrupt the dispatcher's state. */
  private record(what: 'delivered' | 'failed' | 'abandoned', data: Record<string, unknown>): void {
    try {
      this.journal.append(`${this.prefix}.${what}`, data);
    } catch {
      // The entry was appended before listeners ran; a listener's bug is the listener's.
    }
    try {
      this.onRecord?.(what, data);
    } catch {
      // As above: the observer's bug must not corrupt the delivery's state.
    }
  }
}
