import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { RecencyMap } from '../../kernel/recency-map.js';

/** What the mock makes of a `to` field. */
export interface RecipientInfo {
  /** Digits only, as Meta's `contacts[].wa_id`. */
  waId: string;
  /** Whether the input reads as a valid international number (country code + national number). */
  plausible: boolean;
}

const SEPARATORS = /[\s\-().]/g;
const DIALABLE = /^\+?[0-9\s\-().]+$/;

/**
 * Normalises a `to` value the way Meta's response shows it: the input may carry `+`, spaces and
 * dashes; `wa_id` is its digits. Returns undefined when the input is not dialable at all (letters,
 * empty) — a sync 131009 — while a dialable but implausible number (a local `0912345678`, a number
 * missing its country code) is accepted and fails later with 131026, as Meta does.
 */
export function parseRecipient(to: string): RecipientInfo | undefined {
  if (!DIALABLE.test(to)) return undefined;
  const waId = to.replace(SEPARATORS, '').replace(/^\+/, '');
  if (waId.length < 5 || waId.length > 20 || !/^\d+$/.test(waId)) return undefined;
  return { waId, plausible: isPlausibleInternational(waId) };
}

/** True when `digits`, read as `+digits`, is a valid number for its country (full metadata). */
export function isPlausibleInternational(digits: string): boolean {
  if (digits.startsWith('0')) return false;
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  return parsed?.isValid() === true;
}

/**
 * A bounded memo of {@link parseRecipient}: a load test sends to the same customers again and
 * again, and full-metadata validation costs far more than a Map lookup.
 */
export class RecipientCache {
  private readonly memo: RecencyMap<string, RecipientInfo | null>;
  constructor(maxEntries = 50_000) {
    this.memo = new RecencyMap(maxEntries);
  }

  /** Same as {@link parseRecipient}, memoised. */
  get(to: string): RecipientInfo | undefined {
    const hit = this.memo.get(to);
    if (hit !== undefined) return hit ?? undefined;
    const info = parseRecipient(to);
    this.memo.set(to, info ?? null);
    return info;
  }
}
