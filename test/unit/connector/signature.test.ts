import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSignature, signatureOf } from '../../../connector/signature.js';

const secret = 'app-secret';
const hmac = (raw: Buffer | string) => 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex');

describe('webhook signature check', () => {
  it('accepts the HMAC-SHA256 of the exact raw bytes', () => {
    const raw = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
    expect(signatureOf(secret, raw)).toBe(hmac(raw));
    expect(checkSignature(secret, raw, hmac(raw))).toBe('ok');
  });

  it('checks the escaped-unicode bytes Meta sends, which re-serialised JSON would change', () => {
    // Meta escapes non-ASCII: the bytes are `\u00e9`, not `é`. Parsing and re-stringifying gives `é`.
    const raw = Buffer.from('{"text":{"body":"caf\\u00e9 \\u4f60\\u597d"}}', 'utf8');
    const header = hmac(raw);
    expect(checkSignature(secret, raw, header)).toBe('ok');
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))), 'utf8');
    expect(reserialised.equals(raw)).toBe(false);
    expect(checkSignature(secret, reserialised, header)).toBe('mismatch');
  });

  it('refuses a missing, malformed, wrong-secret or tampered signature', () => {
    const raw = Buffer.from('{"a":1}');
    expect(checkSignature(secret, raw, undefined)).toBe('missing');
    expect(checkSignature(secret, raw, '')).toBe('missing');
    expect(checkSignature(secret, raw, 'sha256=abc')).toBe('mismatch');
    expect(checkSignature(secret, raw, hmac(raw).replace('sha256=', 'sha1='))).toBe('mismatch');
    expect(checkSignature('other', raw, hmac(raw))).toBe('mismatch');
    expect(checkSignature(secret, Buffer.from('{"a":2}'), hmac(raw))).toBe('mismatch');
  });

  it('accepts upper-case hex and takes the first of repeated headers', () => {
    const raw = Buffer.from('x');
    const sig = hmac(raw);
    expect(checkSignature(secret, raw, 'sha256=' + sig.slice(7).toUpperCase())).toBe('ok');
    expect(checkSignature(secret, raw, [sig, 'sha256=00'])).toBe('ok');
  });
});
