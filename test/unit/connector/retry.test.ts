import { describe, expect, it } from 'vitest';
import {
  decideRetry,
  type Failure,
  IMMEDIATE_RETRY_MS,
  isRetryableCrm,
  isRetryableWhatsApp,
  pairBackoffMs,
  parseRetryAfterMs,
} from '../../../connector/retry.js';

const wa = (code: number, httpStatus = 400): Failure => ({
  side: 'whatsapp',
  kind: 'http',
  httpStatus,
  code,
  message: `(#${code})`,
  retryable: isRetryableWhatsApp(httpStatus, code),
});
const crm503: Failure = { side: 'crm', kind: 'http', httpStatus: 503, message: 'down', retryable: true };

describe('retry policy', () => {
  it('retries throttling and transient WhatsApp codes, never request errors', () => {
    for (const code of [130429, 131056, 131016, 131000, 133004])
      expect(isRetryableWhatsApp(400, code), String(code)).toBe(true);
    for (const code of [131009, 132000, 132001, 131047, 131026, 190])
      expect(isRetryableWhatsApp(500, code), String(code)).toBe(false);
    expect(isRetryableWhatsApp(502, undefined)).toBe(true);
    expect(isRetryableWhatsApp(undefined, undefined)).toBe(true);
    expect(isRetryableWhatsApp(400, 999999)).toBe(false);
  });

  it('retries CRM 429, 408 and 5xx, not validation, auth, not-found or conflict', () => {
    for (const s of [429, 408, 500, 502, 503]) expect(isRetryableCrm(s)).toBe(true);
    for (const s of [400, 401, 404, 409, 422]) expect(isRetryableCrm(s)).toBe(false);
    expect(isRetryableCrm(undefined)).toBe(true);
  });

  it('has three levels: at once (within 1 s), after retryDelayMs, then the error log', () => {
    const opts = { retryDelayMs: 30_000 };
    const first = decideRetry(crm503, 1, opts);
    expect(first).toEqual({ action: 'retry', level: 1, delayMs: IMMEDIATE_RETRY_MS });
    expect(IMMEDIATE_RETRY_MS).toBeLessThan(1000);
    expect(decideRetry(crm503, 2, opts)).toEqual({ action: 'retry', level: 2, delayMs: 30_000 });
    expect(decideRetry(crm503, 3, opts)).toEqual({ action: 'error-log' });
  });

  it('sends non-retryable failures to the error log at once', () => {
    for (const code of [131009, 132000, 132001, 131047, 131026]) {
      expect(decideRetry(wa(code), 1, { retryDelayMs: 30_000 })).toEqual({ action: 'error-log' });
    }
  });

  it('waits at least the Retry-After hint, unless told to ignore it (CRM only)', () => {
    const limited: Failure = { ...crm503, httpStatus: 429, retryAfterMs: 7000 };
    expect(decideRetry(limited, 1, { retryDelayMs: 30_000 })).toMatchObject({ level: 1, delayMs: 7000 });
    expect(decideRetry(limited, 2, { retryDelayMs: 1000 })).toMatchObject({ level: 2, delayMs: 7000 });
    expect(decideRetry(limited, 1, { retryDelayMs: 30_000, ignoreRetryAfter: true })).toMatchObject({
      delayMs: IMMEDIATE_RETRY_MS,
    });
    expect(decideRetry({ ...limited, retryAfterMs: 10 * 60_000 }, 1, { retryDelayMs: 0 })).toMatchObject({
      delayMs: 120_000,
    });
  });

  it('no-retry fault: the first retryable failure goes to the error log', () => {
    expect(decideRetry(crm503, 1, { retryDelayMs: 30_000, noRetry: true })).toEqual({ action: 'error-log' });
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfterMs('7', 0)).toBe(7000);
    expect(parseRetryAfterMs('1.5', 0)).toBe(1500);
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('garbage', now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
  });

  it('backs off 4^X seconds per recipient for the pair rate limit', () => {
    expect([0, 1, 2, 3].map(pairBackoffMs)).toEqual([1000, 4000, 16_000, 64_000]);
    expect(pairBackoffMs(99)).toBe(4 ** 5 * 1000);
  });
});
