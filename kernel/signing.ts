import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=<hex>` HMAC-SHA256 of the exact bytes, as in Meta's `X-Hub-Signature-256` header. */
export function signBody(secret: string, rawBody: Buffer | string): string {
  return 'sha256=' + createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** Constant-time check of a `sha256=<hex>` signature over the exact bytes received. */
export function verifySignature(
  secret: string,
  rawBody: Buffer | string,
  header: string | undefined,
): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(signBody(secret, rawBody), 'utf8');
  const given = Buffer.from(header, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
