import { describe, expect, it } from 'vitest';
import {
  checkHubSpotSignature,
  hubspotSignatureV3,
  hubspotSignedUri,
} from '../../../../connector/hubspot/signature.js';

const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const URI = 'https://www.example.com/webhook_uri';
const BODY = '{"example_field":"example_value"}';
const TS = '1700000000000';
// CONTRACT.md §12c's worked vector (HubSpot's request-validation guide; re-computed with its SDK).
const EXPECTED = 'rQEKkaNUiu+1qGF//O/pw4BCzstSqO1PyUnGICmf+7o=';

describe('X-HubSpot-Signature-v3', () => {
  it('matches the worked example', () => {
    expect(hubspotSignatureV3(SECRET, 'POST', URI, BODY, TS)).toBe(EXPECTED);
  });

  it('accepts the worked example within five minutes, refuses it after', () => {
    const req = { method: 'POST', uri: URI, rawBody: Buffer.from(BODY), signature: EXPECTED, timestamp: TS };
    expect(checkHubSpotSignature(SECRET, req, 1700000000000 + 299_000)).toBe('ok');
    expect(checkHubSpotSignature(SECRET, req, 1700000000000 + 300_001)).toBe('stale');
  });

  it('refuses a changed body, method, URI or timestamp, and a missing header', () => {
    const base = { method: 'POST', uri: URI, rawBody: Buffer.from(BODY), signature: EXPECTED, timestamp: TS };
    const now = 1700000000000;
    expect(checkHubSpotSignature(SECRET, { ...base, rawBody: Buffer.from(BODY + ' ') }, now)).toBe(
      'mismatch',
    );
    expect(checkHubSpotSignature(SECRET, { ...base, method: 'PUT' }, now)).toBe('mismatch');
    expect(checkHubSpotSignature(SECRET, { ...base, uri: `${URI}?a=1` }, now)).toBe('mismatch');
    expect(checkHubSpotSignature(SECRET, { ...base, timestamp: '1700000000001' }, now)).toBe('mismatch');
    expect(checkHubSpotSignature('other-secret', base, now)).toBe('mismatch');
    expect(checkHubSpotSignature(SECRET, { ...base, signature: undefined }, now)).toBe('missing');
    expect(checkHubSpotSignature(SECRET, { ...base, timestamp: 'soon' }, now)).toBe('stale');
  });

  it('decodes only the escapes HubSpot decodes before signing', () => {
    expect(hubspotSignedUri('https://h/p%3Ax?q=a%2Cb%20c%40d')).toBe('https://h/p:x?q=a,b%20c@d');
    expect(hubspotSignedUri('https://h/p%3ax')).toBe('https://h/p:x');
  });
});
