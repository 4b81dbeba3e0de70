import { type Clock, sleep } from '../kernel/clock.js';
import type { CrmCounters, CrmResult } from './crm-client.js';
import { type HttpAnswer, requestJson, TransportError, transportFailure } from './http.js';
import type { PauseGate } from './rate-limit.js';
import type { Failure } from './retry.js';

/** What both CRM clients (native and HubSpot) share about sending one call. */
export interface CrmCallContext {
  clock: Clock;
  gate: PauseGate;
  counters: CrmCounters;
  timeoutMs: number;
  /** Fault `slow-crm`: wait this long before every call. */
  slowMs?: number | undefined;
  /** Fault `ignore-retry-after`: never pause for the CRM's asked-for waits. */
  ignoreRetryAfter?: boolean | undefined;
}

/**
 * Waits out a pause the CRM asked for, then for a slot in the client's budgets (`acquire`). A 429
 * may arrive while waiting for the slot: then it waits again, so no call is sent into a known pause.
 */
export async function waitForCrmTurn(ctx: CrmCallContext, acquire: () => Promise<void>): Promise<void> {
  for (;;) {
    if (!ctx.ignoreRetryAfter) {
      const pauseMs = ctx.gate.remainingMs();
      if (pauseMs > 0) await sleep(ctx.clock, pauseMs);
    }
    await acquire();
    if (ctx.ignoreRetryAfter || ctx.gate.remainingMs() === 0) return;
  }
}

/** How one CRM dialect reads its answers. */
export interface CrmDialectAnswers {
  /** The failure an error answer stands for (code, message, retryability, asked-for wait). */
  failureOf(answer: HttpAnswer): Failure;
  /** Reads budget headers of every answer (HubSpot's rate-limit headers); optional. */
  onAnswer?(answer: HttpAnswer): void;
  /** The pause after a 429 that named no wait. */
  default429WaitMs: number;
}

/**
 * Sends one call (after `waitForCrmTurn`), counts it, and turns the answer into a `CrmResult`: a
 * transport failure or an error answer becomes a failure; a 429 also pauses every later call.
 */
export async function sendCrmCall<T>(
  ctx: CrmCallContext,
  dialect: CrmDialectAnswers,
  url: string,
  method: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<CrmResult<T>> {
  if (ctx.slowMs) await sleep(ctx.clock, ctx.slowMs);
  ctx.counters.requests++;
  let answer: HttpAnswer;
  try {
    answer = await requestJson(url, { method, headers, body, timeoutMs: ctx.timeoutMs });
  } catch (err) {
    ctx.counters.failures++;
    if (err instanceof TransportError) return { ok: false, failure: transportFailure('crm', err) };
    throw err;
  }
  dialect.onAnswer?.(answer);
  if (answer.status >= 200 && answer.status < 300)
    return { ok: true, status: answer.status, data: answer.json as T };
  ctx.counters.failures++;
  const failure = dialect.failureOf(answer);
  if (answer.status === 429) {
    ctx.counters.rateLimited++;
    if (!ctx.ignoreRetryAfter) ctx.gate.pauseFor(failure.retryAfterMs ?? dialect.default429WaitMs);
  }
  return { ok: false, failure };
}
