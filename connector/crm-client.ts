import type { Clock } from '../kernel/clock.js';
import { type CrmCallContext, sendCrmCall, waitForCrmTurn } from './crm-call.js';
import type { HttpAnswer } from './http.js';
import { PauseGate, SlidingWindowLimiter } from './rate-limit.js';
import { type Failure, isRetryableCrm, parseRetryAfterMs } from './retry.js';

/** How the connector reaches the CRM. */
export interface CrmClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  /** Client-side budget: requests per sliding minute. */
  ratePerMin: number;
  /** Fault `slow-crm`: wait this long before every call. */
  slowMs?: number;
  /** Fault `ignore-retry-after`: do not pause on a 429's Retry-After. */
  ignoreRetryAfter?: boolean;
}

/** A CRM answer (2xx), or why not. */
export type CrmResult<T> = { ok: true; status: number; data: T } | { ok: false; failure: Failure };

/** Counters the connector's `/stats` shows. */
export interface CrmCounters {
  requests: number;
  failures: number;
  rateLimited: number;
}

/** The calls the engine makes to the CRM (an interface, so unit tests can stand in for it). */
export interface CrmApi {
  get<T>(path: string): Promise<CrmResult<T>>;
  post<T>(path: string, body: unknown, idempotencyKey: string): Promise<CrmResult<T>>;
  patch<T>(path: string, body: unknown, idempotencyKey: string): Promise<CrmResult<T>>;
}

/** The CRM error envelope, as far as the connector reads it. */
interface CrmError {
  error?: { code?: unknown; message?: unknown; limit?: { retry_after_s?: unknown } };
}

/**
 * The CRM REST API (docs/crm-api.md) behind the plan's rate budget. Every call first waits out a
 * pause the CRM asked for (`Retry-After` on a 429), then for a slot in the sliding-minute budget;
 * every POST and PATCH carries an `Idempotency-Key`, so a retry never writes twice.
 */
export class CrmClient implements CrmApi {
  readonly limiter: SlidingWindowLimiter;
  readonly gate: PauseGate;
  readonly counters: CrmCounters = { requests: 0, failures: 0, rateLimited: 0 };

  constructor(
    private readonly opts: CrmClientOptions,
    private readonly clock: Clock,
  ) {
    this.limiter = new SlidingWindowLimiter(clock, opts.ratePerMin, 60_000);
    this.gate = new PauseGate(clock);
  }

  /** GET `path` (relative to the base URL, with its query). */
  get<T>(path: string): Promise<CrmResult<T>> {
    return this.call<T>('GET', path);
  }

  /** POST `body` to `path` with an idempotency key. */
  post<T>(path: string, body: unknown, idempotencyKey: string): Promise<CrmResult<T>> {
    return this.call<T>('POST', path, body, idempotencyKey);
  }

  /** PATCH `path` with an idempotency key. */
  patch<T>(path: string, body: unknown, idempotencyKey: string): Promise<CrmResult<T>> {
    return this.call<T>('PATCH', path, body, idempotencyKey);
  }

  private get callContext(): CrmCallContext {
    return {
      clock: this.clock,
      gate: this.gate,
      counters: this.counters,
      timeoutMs: this.opts.timeoutMs,
      slowMs: this.opts.slowMs,
      ignoreRetryAfter: this.opts.ignoreRetryAfter,
    };
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<CrmResult<T>> {
    const ctx = this.callContext;
    await waitForCrmTurn(ctx, () => this.limiter.acquire());
    const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}` };
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey.slice(0, 255);
    const what = `${method} ${path.split('?')[0]}`;
    return sendCrmCall<T>(
      ctx,
      { failureOf: (answer) => this.failureOf(answer, what), default429WaitMs: 1000 },
      this.opts.baseUrl + path,
      method,
      headers,
      body,
    );
  }

  private failureOf(answer: HttpAnswer, what: string): Failure {
    const err = (answer.json as CrmError | undefined)?.error;
    const code = typeof err?.code === 'string' ? err.code : undefined;
    const message = typeof err?.message === 'string' ? err.message : `HTTP ${answer.status}`;
    let retryAfterMs = parseRetryAfterMs(answer.headers.get('retry-after'), this.clock.epochMs());
    const bodyHint = err?.limit?.retry_after_s;
    if (retryAfterMs === undefined && typeof bodyHint === 'number') retryAfterMs = bodyHint * 1000;
    return {
      side: 'crm',
      kind: 'http',
      httpStatus: answer.status,
      code,
      message: `${what}: ${message}`,
      retryable: isRetryableCrm(answer.status),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
}
