/**
 * The retry policy, as pure functions. A failure is either retryable (the same request may work
 * later: timeouts, network errors, 5xx, 429, WhatsApp throttling and transient codes) or not (the
 * request itself is wrong: retrying it blindly only repeats the error). Retryable failures get
 * three levels: a retry at once (within 1 s), a second one after `retryDelayMs` (30 s by default),
 * then an error-log entry in the CRM for a human. Non-retryable failures go to the error log at once.
 */

/** What went wrong with one HTTP call, normalised across WhatsApp and the CRM. */
export interface Failure {
  /** Which side failed. */
  side: 'whatsapp' | 'crm';
  /** `timeout` and `network` have no HTTP status. */
  kind: 'timeout' | 'network' | 'http';
  httpStatus?: number;
  /** Graph error code (WhatsApp) or the CRM's error code string. */
  code?: number | string;
  message: string;
  /** From `Retry-After` (CRM 429/503) or derived from a WhatsApp throttling code. */
  retryAfterMs?: number;
  retryable: boolean;
}

/** WhatsApp codes worth retrying: throttling and transient server trouble. */
export const RETRYABLE_WA_CODES: ReadonlySet<number> = new Set([
  1, 2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004,
]);

/** WhatsApp codes that are never retried blindly, whatever the HTTP status says. */
export const FATAL_WA_CODES: ReadonlySet<number> = new Set([
  0, 10, 100, 190, 131005, 131008, 131009, 131021, 131026, 131030, 131031, 131047, 131050, 131051, 132000,
  132001, 132005, 132007, 132012, 132015, 132016, 133010, 135000,
]);

/** Whether a WhatsApp error is worth retrying: by code first, then by HTTP status. */
export function isRetryableWhatsApp(httpStatus: number | undefined, code: number | undefined): boolean {
  if (code !== undefined && RETRYABLE_WA_CODES.has(code)) return true;
  if (code !== undefined && FATAL_WA_CODES.has(code)) return false;
  if (httpStatus === undefined) return true;
  return httpStatus === 429 || httpStatus >= 500;
}

/** Whether a CRM error is worth retrying: 429, 5xx (and 408) are; validation, auth, conflict are not. */
export function isRetryableCrm(httpStatus: number | undefined): boolean {
  if (httpStatus === undefined) return true;
  return httpStatus === 429 || httpStatus === 408 || httpStatus >= 500;
}

/** `Retry-After` (seconds or an HTTP date) → ms, or undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | null | undefined, nowEpochMs: number): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowEpochMs);
}

/** The delay of the first-level retry when nothing asks for longer: "at once", well inside 1 s. */
export const IMMEDIATE_RETRY_MS = 200;

/** Longest wait honoured from a Retry-After on the first level (a sender's hint, not a promise). */
export const MAX_HONOURED_RETRY_AFTER_MS = 120_000;

/** What to do after an attempt failed. */
export type RetryDecision = { action: 'retry'; delayMs: number; level: 1 | 2 } | { action: 'error-log' };

/** Policy inputs that are not about the failure itself. */
export interface RetryPolicyOptions {
  retryDelayMs: number;
  /** Fault `no-retry`. */
  noRetry?: boolean;
  /** Fault `ignore-retry-after`: drop the server's Retry-After hint. */
  ignoreRetryAfter?: boolean;
}

/**
 * Decides what follows failed attempt number `failedAttempts` (1 = the first attempt failed).
 * Level 1 retries at once, or after the server's Retry-After / back-off hint; level 2 waits
 * `retryDelayMs` (or the hint, if longer); after that, the error log.
 */
export function decideRetry(
  failure: Failure,
  failedAttempts: number,
  opts: RetryPolicyOptions,
): RetryDecision {
  if (!failure.retryable || opts.noRetry) return { action: 'error-log' };
  const hintMs =
    opts.ignoreRetryAfter && failure.side === 'crm'
      ? 0
      : Math.min(failure.retryAfterMs ?? 0, MAX_HONOURED_RETRY_AFTER_MS);
  if (failedAttempts <= 1)
    return { action: 'retry', level: 1, delayMs: Math.max(IMMEDIATE_RETRY_MS, hintMs) };
  if (failedAttempts === 2)
    return { action: 'retry', level: 2, delayMs: Math.max(opts.retryDelayMs, hintMs) };
  return { action: 'error-log' };
}

/** Pair-rate back-off for WhatsApp 131056: 4^X seconds, X = consecutive hits for that recipient. */
export function pairBackoffMs(consecutiveHits: number): number {
  return 4 ** Math.max(0, Math.min(consecutiveHits, 5)) * 1000;
}
