import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

/** The digits of a phone as typed (`+886 912-345-678` → `886912345678`). */
export function phoneDigits(phone: string): string {
  return phone.replace(/\D/g, '');
}

/** The E.164 form the CRM derives from a stored phone and the contact's country, if it can. */
export function deriveE164(phone: string, country: string | null): string | undefined {
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
export function phoneKeys(phone: string, country: string | null): string[] {
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
export function searchKeys(query: string): string[] {
  const keys = new Set<string>([phoneDigits(query)]);
  if (query.trim().startsWith('+')) {
    const e164 = deriveE164(query, null);
    if (e164) keys.add(e164.slice(1));
  }
  return [...keys].filter((k) => k.length > 0);
}
