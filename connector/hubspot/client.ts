import { type Clock, sleep } from '../../kernel/clock.js';
import { type CrmCallContext, sendCrmCall, waitForCrmTurn } from '../crm-call.js';
import type { CrmCounters, CrmResult } from '../crm-client.js';
import type { HttpAnswer } from '../http.js';
import { PauseGate, SlidingWindowLimiter } from '../rate-limit.js';
import { type Failure, isRetryableCrm, parseRetryAfterMs } from '../retry.js';

/** How the connector reaches a HubSpot account (or anything that speaks its CRM v3 API). */
export interface HubSpotClientOptions {
  /** `https://api.hubapi.com`, or a compatible server; no trailing slash. */
  baseUrl: string;
  /** Private-app access token, sent as a bearer token. */
  token: string;
  timeoutMs: number;
  /** Burst budget per rolling ten seconds (HubSpot: 100 for free/starter private apps, 190 above). */
  perTenSeconds: number;
  /** Daily budget (HubSpot: 250,000 for free/starter accounts); counted per UTC day. */
  perDay: number;
  /** The search endpoints' own limit, requests per second (HubSpot: 5). */
  searchPerSecond: number;
  /** Attempts per call for 5xx and transport failures (1 = no in-client retry). */
  attempts: number;
  /** Fault `slow-crm`: wait this long before every call. */
  slowMs?: number;
  /** Fault `ignore-retry-after`: neither pause on a 429 nor on exhausted rate-limit headers. */
  ignoreRetryAfter?: boolean;
}

/** HubSpot's error envelope, as far as the connector reads it. */
interface HubSpotError {
  message?: unknown;
  category?: unknown;
  errorType?: unknown;
  policyName?: unknown;
}

/** Base of the in-client back-off: attempt n waits n × this (HubSpot's own client uses 200 ms). */
const BACKOFF_STEP_MS = 200;
/** Wait after a `SECONDLY` 429 (the search limit) when no `Retry-After` came. */
const SECONDLY_WAIT_MS = 1000;
/** Wait after a `TEN_SECONDLY_ROLLING` 429 when neither `Retry-After` nor the interval header came. */
const TEN_SECONDLY_WAIT_MS = 10_000;

/** Ms from `epochMs` to the next midnight UTC (the daily budget's reset as this client counts it). */
export function msToNextUtcMidnight(epochMs: number): number {
  const d = new Date(epochMs);
  const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  return next - epochMs;
}

/**
 * The HubSpot CRM v3 API behind HubSpot's limits. Every call waits out a pause (a 429, or
 * `X-HubSpot-RateLimit-Remaining: 0`), then for a slot in the rolling ten-second budget, and search
 * calls also for the secondly search budget. 5xx and transport failures are retried in place with a
 * linear back-off; a 429 pauses all calls and comes back as a retryable failure with the wait, so the
 * engine's retry policy (which owns the job) decides when to try again.
 */
export class HubSpotClient {
  readonly burst: SlidingWindowLimiter;
  readonly search: SlidingWindowLimiter;
  readonly gate: PauseGate;
  readonly counters: CrmCounters = { requests: 0, failures: 0, rateLimited: 0 };
  private day = '';
  private usedToday = 0;

  constructor(
    private readonly opts: HubSpotClientOptions,
    private readonly clock: Clock,
  ) {
    this.burst = new SlidingWindowLimiter(clock, opts.perTenSeconds, 10_000);
    this.search = new SlidingWindowLimiter(clock, opts.searchPerSecond, 1000);
    this.gate = new PauseGate(clock);
  }

  /** One call: `path` is relative to the base URL and carries its query. */
  async request<T>(method: string, path: string, body?: unknown): Promise<CrmResult<T>> {
    const what = `${method} ${path.split('?')[0]}`;
    for (let attempt = 1; ; attempt++) {
      const r = await this.once<T>(method, path, body, what);
      const f = r.ok ? undefined : r.failure;
      const again = f?.retryable === true && f.httpStatus !== 429 && attempt < this.opts.attempts;
      if (!again) return r;
      await sleep(this.clock, BACKOFF_STEP_MS * attempt);
    }
  }

  private dailyExhausted(): Failure | undefined {
    const today = new Date(this.clock.epochMs()).toISOString().slice(0, 10);
    if (today !== this.day) {
      this.day = today;
      this.usedToday = 0;
    }
    if (this.usedToday < this.opts.perDay) return undefined;
    return {
      side: 'crm',
      kind: 'http',
      httpStatus: 429,
      code: 'DAILY',
      message: `daily budget of ${this.opts.perDay} HubSpot calls used up (not sent)`,
      retryable: true,
      retryAfterMs: msToNextUtcMidnight(this.clock.epochMs()),
    };
  }

  private async once<T>(method: string, path: string, body: unknown, what: string): Promise<CrmResult<T>> {
    const exhausted = this.dailyExhausted();
    if (exhausted) return { ok: false, failure: exhausted };
    const ctx: CrmCallContext = {
      clock: this.clock,
      gate: this.gate,
      counters: this.counters,
      timeoutMs: this.opts.timeoutMs,
      slowMs: this.opts.slowMs,
      ignoreRetryAfter: this.opts.ignoreRetryAfter,
    };
    const isSearch = /\/search(\?|$)/.test(path);
    await waitForCrmTurn(ctx, async () => {
      await this.burst.acquire();
      if (isSearch) await this.search.acquire();
    });
    // Counted when sent: a call refused at HubSpot still used the day's budget.
    this.usedToday++;
    return sendCrmCall<T>(
      ctx,
      {
        failureOf: (answer) => this.failureOf(answer, what),
        onAnswer: (answer) => this.readBudgetHeaders(answer.headers),
        default429WaitMs: SECONDLY_WAIT_MS,
      },
      this.opts.baseUrl + path,
      method,
      { authorization: `Bearer ${this.opts.token}` },
      body,
    );
  }

  /** `X-HubSpot-RateLimit-Remaining: 0` means the next call would be a 429: pause for the interval. */
  private readBudgetHeaders(headers: Headers): void {
    if (this.opts.ignoreRetryAfter) return;
    if (headers.get('x-hubspot-ratelimit-remaining')?.trim() === '0') {
      const interval = Number(headers.get('x-hubspot-ratelimit-interval-milliseconds') ?? '');
      this.gate.pauseFor(Number.isFinite(interval) && interval > 0 ? interval : TEN_SECONDLY_WAIT_MS);
    }
    if (headers.get('x-hubspot-ratelimit-daily-remaining')?.trim() === '0')
      this.gate.pauseFor(msToNextUtcMidnight(this.clock.epochMs()));
  }

  private failureOf(answer: HttpAnswer, what: string): Failure {
    const err = (answer.json ?? {}) as HubSpotError;
    const policy = typeof err.policyName === 'string' ? err.policyName : undefined;
    const category = typeof err.category === 'string' ? err.category : undefined;
    const message = typeof err.message === 'string' ? err.message : `HTTP ${answer.status}`;
    let retryAfterMs = parseRetryAfterMs(answer.headers.get('retry-after'), this.clock.epochMs());
    if (retryAfterMs === undefined && answer.status === 429) {
      const interval = Number(answer.headers.get('x-hubspot-ratelimit-interval-milliseconds') ?? '');
      retryAfterMs =
        policy === 'DAILY'
          ? msToNextUtcMidnight(this.clock.epochMs())
          : policy === 'TEN_SECONDLY_ROLLING'
            ? Number.isFinite(interval) && interval > 0
              ? interval
              : TEN_SECONDLY_WAIT_MS
            : SECONDLY_WAIT_MS;
    }
    return {
      side: 'crm',
      kind: 'http',
      httpStatus: answer.status,
      ...((policy ?? category) ? { code: policy ?? category } : {}),
      message: `${what}: ${message}`,
      retryable: isRetryableCrm(answer.status),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
}
