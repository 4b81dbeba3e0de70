import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';

/** A phone number normalised to E.164, or why it could not be. */
export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

/** The CRM country (ISO 3166-1 alpha-2, any case) as a libphonenumber region, if it knows it. */
function region(country: unknown): CountryCode | undefined {
  if (typeof country !== 'string') return undefined;
  const code = country.trim().toUpperCase();
  return isSupportedCountry(code) ? (code as CountryCode) : undefined;
}

function tryParse(text: string, defaultRegion: CountryCode | undefined): string | undefined {
  const parsed = parsePhoneNumberFromString(text, defaultRegion);
  return parsed?.isValid() ? parsed.number : undefined;
}

/**
 * Normalises a CRM phone (possibly dirty: `0912-345-678`, `886912345678`, `+44 7700 900123`,
 * `00886…`) to E.164, using the contact's country as the default region. A number that is valid
 * neither as a national number of that country nor as an international one (digits read with a
 * `+`) is refused: sending it would fail at WhatsApp, so it goes to the error log instead.
 */
export function normalizePhone(raw: unknown, country?: unknown): PhoneResult {
  if (typeof raw !== 'string' || raw.trim() === '') return { ok: false, reason: 'no phone number' };
  const text = raw.trim();
  if (!/^[+\d\s().\-/]+$/.test(text))
    return { ok: false, reason: `'${raw}' has characters a phone cannot have` };
  const digits = text.replace(/\D/g, '');
  if (digits.length < 5 || digits.length > 17)
    return { ok: false, reason: `'${raw}' has ${digits.length} digits` };
  const defaultRegion = region(country);
  const international = text.startsWith('+')
    ? text
    : digits.startsWith('00')
      ? '+' + digits.slice(2)
      : undefined;
  const candidates = international
    ? [tryParse(international, undefined)]
    : // A national number first (the CRM's country says how to read it); then the same digits as
      // an international number missing its `+` (a common dirty form: `886912345678`).
      [defaultRegion ? tryParse(text, defaultRegion) : undefined, tryParse('+' + digits, undefined)];
  const e164 = candidates.find((c) => c !== undefined);
  if (e164) return { ok: true, e164 };
  const where = defaultRegion
    ? ` for country ${defaultRegion}`
    : country
      ? ` (unknown country '${String(country)}')`
      : '';
  return { ok: false, reason: `'${raw}' is not a valid phone number${where}` };
}

/** A WhatsApp `wa_id` (digits) as E.164. */
export function waIdToE164(waId: string): string {
  return '+' + waId.replace(/\D/g, '');
}

/** E.164 → the digits WhatsApp uses as `to` / `recipient_id`. */
export function e164ToWaId(e164: string): string {
  return e164.replace(/\D/g, '');
}
