import type { Rng } from '../../kernel/random.js';

const HEX = '0123456789ABCDEF';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const HEX_CODES = Array.from(HEX, (c) => c.charCodeAt(0));
const ALNUM_CODES = Array.from(ALNUM, (c) => c.charCodeAt(0));

function hexDigits(rng: Rng, count: number): string {
  let out = '';
  while (out.length < count) {
    // One draw gives 32 random bits = 8 hex digits.
    let v = Math.floor(rng.next() * 0x1_0000_0000);
    for (let i = 0; i < 8 && out.length < count; i++) {
      out += HEX[v & 15];
      v >>>= 4;
    }
  }
  return out;
}

/**
 * A message id shaped like Meta's: `wamid.` + base64 of a small Thrift-compact-like blob that holds
 * the counterparty's wa_id, a direction flag (0x11 outbound, 0x12 inbound) and a hex token (18 hex
 * digits outbound, 20 inbound). Decoding Meta's own examples gives exactly this layout, so ids look
 * and decode like real ones (~52-60 characters). Clients must treat them as opaque anyway.
 */
export function makeWamid(rng: Rng, waId: string, direction: 'outbound' | 'inbound'): string {
  const digits = waId.length > 0 && waId.length < 64 ? waId : '0';
  const tokenLength = direction === 'outbound' ? 18 : 20;
  // Layout: 1C 18 <len> <wa_id> 15 02 00 <11|12> 18 <token len> <token> 00, written in one buffer.
  const blob = Buffer.allocUnsafe(3 + digits.length + 6 + tokenLength + 1);
  blob[0] = 0x1c;
  blob[1] = 0x18;
  blob[2] = digits.length;
  let o = 3 + blob.write(digits, 3, 'latin1');
  blob[o++] = 0x15;
  blob[o++] = 0x02;
  blob[o++] = 0x00;
  blob[o++] = direction === 'outbound' ? 0x11 : 0x12;
  blob[o++] = 0x18;
  blob[o++] = tokenLength;
  // The token's hex digits, written straight into the blob (the digits hexDigits would give).
  for (let written = 0; written < tokenLength; ) {
    let v = Math.floor(rng.next() * 0x1_0000_0000);
    for (let i = 0; i < 8 && written < tokenLength; i++) {
      blob[o + written++] = HEX_CODES[v & 15] as number;
      v >>>= 4;
    }
  }
  o += tokenLength;
  blob[o] = 0;
  return `wamid.${blob.toString('base64')}`;
}

/** Reads the wa_id and direction back out of a wamid made by {@link makeWamid} (undefined for other shapes). */
export function decodeWamid(wamid: string): { waId: string; direction: 'outbound' | 'inbound' } | undefined {
  if (!wamid.startsWith('wamid.')) return undefined;
  const blob = Buffer.from(wamid.slice(6), 'base64');
  if (blob.length < 10 || blob[0] !== 0x1c || blob[1] !== 0x18) return undefined;
  const len = blob[2] as number;
  if (blob.length < 3 + len + 4) return undefined;
  const waId = blob.subarray(3, 3 + len).toString('latin1');
  const flag = blob[3 + len + 3];
  if (flag !== 0x11 && flag !== 0x12) return undefined;
  return { waId, direction: flag === 0x11 ? 'outbound' : 'inbound' };
}

/** A Graph-style trace id (`fbtrace_id`, `x-fb-trace-id`): 11 url-safe characters, made in one allocation. */
export function makeTraceId(rng: Rng): string {
  const v = Math.floor(rng.next() * 0x1_0000_0000);
  const w = Math.floor(rng.next() * 0x1_0000_0000);
  const c = ALNUM_CODES;
  return String.fromCharCode(
    65, // 'A'
    c[v & 63] as number,
    c[(v >>> 6) & 63] as number,
    c[(v >>> 12) & 63] as number,
    c[(v >>> 18) & 63] as number,
    c[(v >>> 24) & 63] as number,
    c[w & 63] as number,
    c[(w >>> 6) & 63] as number,
    c[(w >>> 12) & 63] as number,
    c[(w >>> 18) & 63] as number,
    c[(w >>> 24) & 63] as number,
  );
}

/** A numeric Graph object id (templates, media, conversations use 15-16 digit ids). */
export function makeNumericId(rng: Rng, digits = 16): string {
  let out = String(1 + Math.floor(rng.next() * 9));
  while (out.length < digits) out += String(Math.floor(rng.next() * 10));
  return out;
}

/** 32 lowercase hex characters (conversation ids, sha256-looking media hashes use longer runs of these). */
export function makeHex(rng: Rng, length: number): string {
  return hexDigits(rng, length).toLowerCase();
}
