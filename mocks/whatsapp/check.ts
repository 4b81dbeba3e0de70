import { GraphError, invalidParam, invalidValue, missingParam } from './errors.js';

// Small typed readers shared by the send and template validators. Each failure throws the
// GraphError Meta gives for it: wrong type or unknown key → 100, missing → 131008, bad value → 131009.
// Paths are written the way Graph writes them in `error_data.details`: text['body'], action['buttons'][0].

/** A parameter path such as `interactive['action']['buttons'][0]`. */
export function at(base: string, key: string | number): string {
  return typeof key === 'number' ? `${base}[${key}]` : `${base}['${key}']`;
}

/** True for a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rejects keys outside `allowed` with Graph's "Unexpected key" error. */
export function onlyKeys(obj: Record<string, unknown>, allowed: ReadonlySet<string>, path: string): void {
  for (const k in obj) {
    if (!allowed.has(k)) throw invalidParam(`Unexpected key "${k.slice(0, 64)}" on param "${path}".`);
  }
}

/** The object at `path`; missing → 131008, not an object → 100. */
export function reqObject(v: unknown, path: string): Record<string, unknown> {
  if (v === undefined || v === null) throw missingParam(path);
  if (!isObject(v)) throw invalidParam(`Param ${path} must be a JSON object.`);
  return v;
}

/** An optional object. */
export function optObject(v: unknown, path: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalidParam(`Param ${path} must be a JSON object.`);
  return v;
}

/** A required non-empty string no longer than `maxLength`. */
export function reqString(
  v: unknown,
  path: string,
  maxLength = Number.POSITIVE_INFINITY,
  minLength = 1,
): string {
  if (v === undefined || v === null) throw missingParam(path);
  if (typeof v !== 'string') throw invalidParam(`Param ${path} must be a string.`);
  if (v.length < minLength) {
    if (minLength === 1) throw missingParam(path);
    throw invalidValue(`Param ${path} is too short. Min length: ${minLength}.`);
  }
  if (v.length > maxLength) throw invalidValue(`Param ${path} is too long. Max length: ${maxLength}.`);
  return v;
}

/** An optional string (empty allowed) no longer than `maxLength`. */
export function optString(
  v: unknown,
  path: string,
  maxLength = Number.POSITIVE_INFINITY,
): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParam(`Param ${path} must be a string.`);
  if (v.length > maxLength) throw invalidValue(`Param ${path} is too long. Max length: ${maxLength}.`);
  return v;
}

/** An optional boolean. */
export function optBoolean(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidParam(`Param ${path} must be a boolean.`);
  return v;
}

/** A required array with `min`..`max` items. */
export function reqArray(v: unknown, path: string, min: number, max: number): unknown[] {
  if (v === undefined || v === null) throw missingParam(path);
  if (!Array.isArray(v)) throw invalidParam(`Param ${path} must be an array.`);
  if (v.length < min || v.length > max) {
    throw invalidValue(`Param ${path} must have between ${min} and ${max} elements, got ${v.length}.`);
  }
  return v;
}

/** A number in [min, max]; numeric strings are accepted, as Graph coerces form-style values. */
export function reqNumber(v: unknown, path: string, min: number, max: number): number {
  if (v === undefined || v === null || v === '') throw missingParam(path);
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (typeof v !== 'number' && typeof v !== 'string') throw invalidParam(`Param ${path} must be a number.`);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw invalidValue(`Param ${path} must be a number between ${min} and ${max}.`);
  }
  return n;
}

/** An http(s) URL (media links, CTA urls). */
export function reqUrl(v: unknown, path: string, maxLength = 2000): string {
  const s = reqString(v, path, maxLength);
  let ok = false;
  try {
    const u = new URL(s);
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    ok = false;
  }
  if (!ok) throw invalidValue(`Param ${path} must be a valid http or https URL.`);
  return s;
}

/** Media reference: exactly one of `id` (digits, as Meta's media ids) and `link` (http/https). */
export function mediaRef(obj: Record<string, unknown>, path: string): { id?: string; link?: string } {
  const hasId = obj['id'] !== undefined && obj['id'] !== null;
  const hasLink = obj['link'] !== undefined && obj['link'] !== null;
  if (hasId && hasLink) throw invalidValue(`Param ${path} must have either 'id' or 'link', not both.`);
  if (!hasId && !hasLink)
    throw new GraphError(131008, { details: `The parameter ${path}['id'] or ${path}['link'] is required.` });
  if (hasId) {
    const id = reqString(obj['id'], at(path, 'id'), 64);
    if (!/^\d+$/.test(id)) throw invalidValue(`Param ${at(path, 'id')} is not a valid media id.`);
    return { id };
  }
  return { link: reqUrl(obj['link'], at(path, 'link')) };
}
