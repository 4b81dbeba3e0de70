import { createHmac, timingSafeEqual } from 'node:crypto';

/** HubSpot refuses (and so do we) a v3 signature whose timestamp is older than five minutes. */
export const HUBSPOT_MAX_SIGNATURE_AGE_MS = 5 * 60_000;

/**
 * The only percent-escapes HubSpot decodes in the URI before signing (its request-validation
 * guide); every other escape, e.g. `%20`, stays as sent.
 */
const DECODED: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/** The URI as HubSpot signs it: the listed escapes decoded (either hex case), the rest untouched. */
export function hubspotSignedUri(uri: string): string {
  return uri.replace(/%[0-9A-Fa-f]{2}/g, (esc) => DECODED[esc.toUpperCase()] ?? esc);
}

/** `X-HubSpot-Signature-v3`: base64 HMAC-SHA256 (key: client secret) of method + URI + body + timestamp. */
export function hubspotSignatureV3(
  secret: string,
  method: string,
  uri: string,
  rawBody: Buffer | string,
  timestamp: string,
): string {
  return createHmac('sha256', secret)
    .update(method.toUpperCase() + hubspotSignedUri(uri))
    .update(rawBody)
    .update(timestamp)
    .digest('base64');
}

/** Why a HubSpot v3 signature was refused, or `ok`. */
export type HubSpotSignatureCheck = 'ok' | 'missing' | 'stale' | 'mismatch';

/** What one inbound HubSpot call carried, as far as its signature needs. */
export interface HubSpotSignedRequest {
  method: string;
  /** The full URL the sender called: protocol, host, path and query. */
  uri: string;
  rawBody: Buffer;
  signature: string | string[] | undefined;
  timestamp: string | string[] | undefined;
}

/**
 * Verifies `X-HubSpot-Signature-v3` in constant time. A timestamp older than five minutes (or
 * unreadable) is refused before the HMAC is compared, so a captured request cannot be replayed.
 * A timestamp slightly in the future is accepted: the sender's clock may run ahead of ours.
 */
export function checkHubSpotSignature(
  secret: string,
  req: HubSpotSignedRequest,
  nowEpochMs: number,
): HubSpotSignatureCheck {
  const sig = Array.isArray(req.signature) ? req.signature[0] : req.signature;
  const ts = Array.isArray(req.timestamp) ? req.timestamp[0] : req.timestamp;
  if (typeof sig !== 'string' || sig.trim() === '' || typeof ts !== 'string' || ts.trim() === '')
    return 'missing';
  const tsMs = Number(ts.trim());
  if (!Number.isFinite(tsMs) || nowEpochMs - tsMs > HUBSPOT_MAX_SIGNATURE_AGE_MS) return 'stale';
  const given = Buffer.from(sig.trim(), 'utf8');
  const expected = Buffer.from(
    hubspotSignatureV3(secret, req.method, req.uri, req.rawBody, ts.trim()),
    'utf8',
  );
  if (given.length !== expected.length) return 'mismatch';
  return timingSafeEqual(given, expected) ? 'ok' : 'mismatch';
}
