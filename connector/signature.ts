import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=<hex>` HMAC-SHA256 of the exact bytes (Meta's `X-Hub-Signature-256`, the CRM's `X-CRM-Signature`). */
export function signatureOf(secret: string, raw: Buffer | string): string {
  return 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex');
}

/** Why a signature was refused, or `ok`. */
export type SignatureCheck = 'ok' | 'missing' | 'mismatch';

/**
 * Checks a `sha256=<hex>` header against the raw body bytes, in constant time. It must be the raw
 * bytes: Meta signs its payload with unicode escaped (`\u00e9`), so re-serialising parsed JSON
 * would change them and break every non-ASCII message.
 */
export function checkSignature(
  secret: string,
  raw: Buffer,
  header: string | string[] | undefined,
): SignatureCheck {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || value.trim() === '') return 'missing';
  const given = Buffer.from(value.trim().toLowerCase(), 'utf8');
  const expected = Buffer.from(signatureOf(secret, raw), 'utf8');
  if (given.length !== expected.length) return 'mismatch';
  return timingSafeEqual(given, expected) ? 'ok' : 'mismatch';
}
