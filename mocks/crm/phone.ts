import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import { RecencyMap } from '../../kernel/recency-map.js';

/** How many normalised phones are remembered by default (a few MB at most). */
export const PHONE_MEMO_CAPACITY = 20_000;

// Parsing a phone with libphonenumber costs tens of microseconds, and the CRM does it on every
// request that touches a contact: each contact write re-derives the phone index keys, each lookup by
// phone its search keys, each HubSpot read the calculated phone properties. The answers depend only
// on (phone, country), so they are remembered, in insertion order and bounded (the oldest go first),
// so that a long soak over many numbers cannot grow the process.
let memo: RecencyMap<string, unknown> | undefined = new RecencyMap(PHONE_MEMO_CAPACITY);

/**
 * Sets how many normalised phones are remembered; 0 turns remembering off (every call parses
 * again, as before: bench/crm-dialects.ts measures both in the same run). Clears what was held.
 */
export function setPhoneMemo(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < 0)
    throw new RangeError(`capacity must be an integer ≥ 0, got ${capacity}`);
  memo = capacity === 0 ? undefined : new RecencyMap(capacity);
}

/** How many answers are held now and how many were dropped for capacity (tests, benches). */
export function phoneMemoStats(): { size: number; evicted: number } {
  return { size: memo?.size ?? 0, evicted: memo?.evicted ?? 0 };
}

/**
 * `compute()` remembered under `key` (which must name everything the answer depends on). Answers
 * are shared between callers, so they are frozen: nobody can change another caller's copy.
 */
export function memoPhone<T>(key: string, compute: () => T): T {
  if (!memo) return compute();
  const hit = memo.get(key);
  if (hit !== undefined) return hit as T;
  const value = compute();
  memo.set(key, typeof value === 'object' && value !== null ? Object.freeze(value) : value);
  return value;
}

/** The digits of a phone as typed (`+886 912-345-678` → `886912345678`). */
export function phoneDigits(phone: string): string {
  return phone.replace(/\D/g, '');
}

/** The E.164 form the CRM derives from a stored phone and the contact's country, if it can. */
export function deriveE164(phone: string, country: string | null): string | undefined {
  // `null` stands for "none" in the memo: undefined is what a miss looks like.
  const e164 = memoPhone(`e|${country ?? ''}|${phone}`, () => parseE164(phone, country) ?? null);
  return e164 ?? undefined;
}

function parseE164(phone: string, country: string | null): string | undefined {
  try {
    const cc = country && /^[A-Z]{2}$/.test(country) ? (country as CountryCode) : undefined;
    // A phone written without '+' but starting with its country code (886912345678) is tried
    // both ways: as a national number of `country`, then as an international one.
    const parsed = parsePhoneNumberFromString(phone, cc);
    if (parsed?.isPossible()) return parsed.number;
    const intl = parsePhoneNumberFromString('+' + phoneDigits(phone));
    if (intl?.isPossible() && (!cc || intl.country === cc || intl.country === undefined)) return intl.number;
  } catch {
    // libphonenumber throws on some garbage; the stored digits stay searchable anyway.
  }
  return undefined;
}

/**
 * Index keys for a contact's phone: its digits, the digits of its derived E.164 form and of that
 * number's national form, so `+886912345678`, `886912345678` and `0912-345-678` all find a record
 * stored as any of them (with country TW).
 */
export function phoneKeys(phone: string, country: string | null): readonly string[] {
  return memoPhone(`k|${country ?? ''}|${phone}`, () => derivePhoneKeys(phone, country));
}

function derivePhoneKeys(phone: string, country: string | null): string[] {
  const keys = new Set<string>([phoneDigits(phone)]);
  const e164 = deriveE164(phone, country);
  if (e164) {
    keys.add(e164.slice(1));
    // The national form too (0912345678), so a search typed the local way finds an E.164 record.
    const national = parsePhoneNumberFromString(e164)?.formatNational();
    if (national) keys.add(phoneDigits(national));
  }
  return [...keys].filter((k) => k.length > 0);
}

/** Keys to look a searched phone up by: its digits, and its E.164 digits when it has a '+'. */
export function searchKeys(query: string): readonly string[] {
  return memoPhone(`s|${query}`, () => deriveSearchKeys(query));
}

function deriveSearchKeys(query: string): string[] {
  const keys = new Set<string>([phoneDigits(query)]);
  if (query.trim().startsWith('+')) {
    const e164 = deriveE164(query, null);
    if (e164) keys.add(e164.slice(1));
  }
  return [...keys].filter((k) => k.length > 0);
}
