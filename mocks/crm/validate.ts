import { ApiError, type ErrorDetail, validationError } from './errors.js';

/**
 * Checks one value at `path`; pushes problems to `out` and returns the normalised value (only used
 * when nothing was pushed). Hand-written rather than a schema library: mocks/ depend on fastify and
 * node only, and every message must name the field and what it accepts.
 */
export type Check = (value: unknown, path: string, out: ErrorDetail[]) => unknown;

/** A field of a request body. */
export interface FieldSpec {
  check: Check;
  required?: boolean;
}

/** Describes a JSON value's type for error messages (`null`, `array`, `string`, …). */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a request body against `spec`: the body must be a JSON object (else 400), every
 * required field present, no unknown or read-only field, each field valid (else 422 listing all).
 * Returns the normalised values of the fields that were given.
 */
export function validateBody(
  body: unknown,
  spec: Record<string, FieldSpec>,
  readOnly: readonly string[] = [],
): Record<string, unknown> {
  if (!isObject(body)) {
    throw validationError(
      [
        {
          path: '(body)',
          message: `must be a JSON object, got ${body === undefined ? 'no body' : typeName(body)}`,
        },
      ],
      400,
    );
  }
  const out: ErrorDetail[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    // Own keys only: a body field named `constructor` must not find Object.prototype's.
    const field = Object.hasOwn(spec, key) ? spec[key] : undefined;
    if (!field) {
      if (readOnly.includes(key)) out.push({ path: key, message: 'is read-only' });
      else out.push({ path: key, message: `is not a known field (known: ${Object.keys(spec).join(', ')})` });
      continue;
    }
    const before = out.length;
    const v = field.check(value, key, out);
    if (out.length === before) values[key] = v;
  }
  for (const [key, field] of Object.entries(spec)) {
    if (field.required && !Object.hasOwn(body, key)) out.push({ path: key, message: 'is required' });
  }
  if (out.length > 0) throw validationError(out);
  return values;
}

/** A string of `min`–`max` characters (after trimming when `trim`), optionally null, optionally matching `pattern`. */
export function str(opts: {
  min?: number;
  max: number;
  nullable?: boolean;
  trim?: boolean;
  pattern?: RegExp;
  patternHelp?: string;
}): Check {
  const min = opts.min ?? 0;
  return (value, path, out) => {
    if (value === null && opts.nullable) return null;
    if (typeof value !== 'string') {
      out.push({
        path,
        message: `must be a string${opts.nullable ? ' or null' : ''}, got ${typeName(value)}`,
      });
      return undefined;
    }
    const v = opts.trim ? value.trim() : value;
    if (v.length < min || v.length > opts.max) {
      out.push({ path, message: `must be ${min}-${opts.max} characters long, got ${v.length}` });
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      out.push({ path, message: `must be ${opts.patternHelp ?? `match ${opts.pattern}`}` });
      return undefined;
    }
    return v;
  };
}

/** One of a fixed list of strings. */
export function oneOf<T extends string>(values: readonly T[], opts: { nullable?: boolean } = {}): Check {
  return (value, path, out) => {
    if (value === null && opts.nullable) return null;
    if (typeof value !== 'string' || !values.includes(value as T)) {
      out.push({
        path,
        message: `must be one of ${values.join(', ')}, got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeName(value)}`,
      });
      return undefined;
    }
    return value;
  };
}

/** true or false. */
export function bool(): Check {
  return (value, path, out) => {
    if (typeof value !== 'boolean') {
      out.push({ path, message: `must be true or false, got ${typeName(value)}` });
      return undefined;
    }
    return value;
  };
}

/** An integer in [min, max]. */
export function int(min: number, max: number): Check {
  return (value, path, out) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      out.push({
        path,
        message: `must be an integer ${min}-${max}, got ${JSON.stringify(value) ?? 'nothing'}`,
      });
      return undefined;
    }
    return value;
  };
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const MIN_EPOCH_MS = Date.UTC(2000, 0, 1);
const MAX_EPOCH_MS = Date.UTC(2100, 0, 1);

/** Parses a timestamp as accepted on input (ISO 8601 with zone, or Unix seconds); undefined if invalid. */
export function parseTimestamp(value: unknown): string | undefined {
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) ms = value * 1000;
  else if (typeof value === 'string' && /^\d{9,11}$/.test(value)) ms = Number(value) * 1000;
  else if (typeof value === 'string' && ISO_RE.test(value)) ms = Date.parse(value);
  if (ms === undefined || !Number.isFinite(ms) || ms < MIN_EPOCH_MS || ms >= MAX_EPOCH_MS) return undefined;
  return new Date(ms).toISOString();
}

/** A timestamp (ISO 8601 with a zone, or Unix seconds), normalised to ISO UTC with milliseconds. */
export function timestamp(opts: { nullable?: boolean } = {}): Check {
  return (value, path, out) => {
    if (value === null && opts.nullable) return null;
    const iso = parseTimestamp(value);
    if (iso === undefined) {
      out.push({
        path,
        message: `must be an ISO 8601 timestamp with a zone (2026-01-05T09:30:00Z) or Unix seconds between 2000 and 2100${opts.nullable ? ', or null' : ''}`,
      });
    }
    return iso;
  };
}

const PHONE_CHARS_RE = /^\(?\+?[0-9 ().\-/]+$/;

/** A phone number as a CRM accepts it: 5-15 digits, optional leading +, spaces and punctuation. */
export function phone(): Check {
  return (value, path, out) => {
    const help =
      'must be a phone number: 5-15 digits with an optional leading +, spaces, dashes, dots or parentheses';
    if (typeof value !== 'string') {
      out.push({ path, message: `${help}; got ${typeName(value)}` });
      return undefined;
    }
    const v = value.trim();
    const digits = v.replace(/\D/g, '').length;
    if (v.length > 32 || !PHONE_CHARS_RE.test(v) || digits < 5 || digits > 15) {
      out.push({ path, message: help });
      return undefined;
    }
    return v;
  };
}

const tzCache = new Map<string, boolean>();
/** True if `tz` is an IANA time zone this Node knows. */
export function isTimeZone(tz: string): boolean {
  let ok = tzCache.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    if (tzCache.size < 1000) tzCache.set(tz, ok);
  }
  return ok;
}

/** An IANA time zone or null. */
export function timezone(): Check {
  return (value, path, out) => {
    if (value === null) return null;
    if (typeof value !== 'string' || value.length > 64 || !isTimeZone(value)) {
      out.push({ path, message: 'must be an IANA time zone (Asia/Taipei, Europe/Madrid) or null' });
      return undefined;
    }
    return value;
  };
}

/** ISO 3166-1 alpha-2 country (upper-cased) or null. */
export function country(): Check {
  return (value, path, out) => {
    if (value === null) return null;
    if (typeof value !== 'string' || !/^[A-Za-z]{2}$/.test(value)) {
      out.push({ path, message: 'must be an ISO 3166-1 alpha-2 country code (TW, SA, MX) or null' });
      return undefined;
    }
    return value.toUpperCase();
  };
}

/** A list of tags: 1-64 characters each after trimming, de-duplicated, at most `maxItems`. */
export function tagList(minItems: number, maxItems: number): Check {
  return (value, path, out) => {
    if (!Array.isArray(value)) {
      out.push({ path, message: `must be an array of strings, got ${typeName(value)}` });
      return undefined;
    }
    if (value.length < minItems || value.length > maxItems) {
      out.push({ path, message: `must hold ${minItems}-${maxItems} tags, got ${value.length}` });
      return undefined;
    }
    const tags: string[] = [];
    value.forEach((t, i) => {
      if (typeof t !== 'string' || t.trim().length < 1 || t.trim().length > 64) {
        out.push({ path: `${path}.${i}`, message: 'must be a string of 1-64 characters' });
      } else if (!tags.includes(t.trim())) tags.push(t.trim());
    });
    return tags;
  };
}

const CUSTOM_KEY_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Custom fields: up to 50 keys; values string (≤ 1,000), number, boolean, or null (= remove). */
export function customFields(): Check {
  return (value, path, out) => {
    if (!isObject(value)) {
      out.push({ path, message: `must be an object, got ${typeName(value)}` });
      return undefined;
    }
    const keys = Object.keys(value);
    if (keys.length > 50) {
      out.push({ path, message: `must have at most 50 keys, got ${keys.length}` });
      return undefined;
    }
    for (const k of keys) {
      const v = value[k];
      const p = `${path}.${k.slice(0, 64)}`;
      if (!CUSTOM_KEY_RE.test(k) || k === '__proto__')
        out.push({ path: p, message: 'key must be 1-64 characters of A-Z a-z 0-9 _ . -' });
      else if (typeof v === 'string' ? v.length > 1000 : typeof v === 'number' ? !Number.isFinite(v) : false)
        out.push({ path: p, message: 'must be a string of at most 1000 characters or a finite number' });
      else if (!(v === null || ['string', 'number', 'boolean'].includes(typeof v)))
        out.push({ path: p, message: `must be a string, number, boolean or null, got ${typeName(v)}` });
    }
    return value;
  };
}

/**
 * Any JSON value whose leaves are scalars, bounded in size: at most `maxBytes` serialised, at most
 * `maxLeaves` leaves and depth 8, so a huge or deeply nested payload is refused by name.
 */
export function boundedJson(opts: {
  maxBytes: number;
  maxLeaves: number;
  kinds: Array<'object' | 'array' | 'string'>;
  nullable?: boolean;
}): Check {
  return (value, path, out) => {
    if (value === null && opts.nullable) return null;
    const kind = Array.isArray(value) ? 'array' : isObject(value) ? 'object' : typeof value;
    if (!opts.kinds.includes(kind as 'object')) {
      out.push({
        path,
        message: `must be ${opts.kinds.join(' or ')}${opts.nullable ? ' or null' : ''}, got ${typeName(value)}`,
      });
      return undefined;
    }
    let leaves = 0;
    let tooDeep = false;
    const walk = (v: unknown, depth: number): void => {
      if (depth > 8) {
        tooDeep = true;
        return;
      }
      if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
      else if (isObject(v)) for (const x of Object.values(v)) walk(x, depth + 1);
      else leaves++;
    };
    walk(value, 0);
    if (tooDeep) out.push({ path, message: 'must not be nested deeper than 8 levels' });
    else if (leaves > opts.maxLeaves)
      out.push({ path, message: `must hold at most ${opts.maxLeaves} values, got ${leaves}` });
    else if (JSON.stringify(value).length > opts.maxBytes)
      out.push({ path, message: `must be at most ${opts.maxBytes} bytes as JSON` });
    return value;
  };
}

/** A query parameter that must be an integer in range; `fallback` when absent. */
export function queryInt(
  q: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const raw = q[name];
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw validationError([{ path: name, message: `must be an integer ${min}-${max}` }], 400);
  }
  return n;
}

/** A query parameter that must be a single string, if present. */
export function queryString(q: Record<string, unknown>, name: string, maxLength = 256): string | undefined {
  const raw = q[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length > maxLength) {
    throw validationError(
      [{ path: name, message: `must be given once, as a string of at most ${maxLength} characters` }],
      400,
    );
  }
  return raw;
}

/** Rejects query parameters a route does not know, naming them. */
export function rejectUnknownQuery(q: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(q).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw validationError(
      unknown.map((k) => ({
        path: k.slice(0, 64),
        message: `is not a known query parameter${known.length ? ` (known: ${known.join(', ')})` : ''}`,
      })),
      400,
    );
  }
}

/** Opaque pagination cursor: `c_` + base64url of the last record's sequence number. */
export function encodeCursor(seq: number): string {
  return 'c_' + Buffer.from(String(seq)).toString('base64url');
}

/** Decodes a cursor from {@link encodeCursor}; 400 naming `cursor` when malformed. */
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const m = /^c_([A-Za-z0-9_-]{1,16})$/.exec(cursor);
  const n = m?.[1] ? Number(Buffer.from(m[1], 'base64url').toString('utf8')) : Number.NaN;
  if (!Number.isInteger(n) || n < 0) {
    throw new ApiError(400, 'validation_failed', 'cursor is not a cursor this API returned', [
      { path: 'cursor', message: 'must be a next_cursor value from a previous page' },
    ]);
  }
  return n;
}
