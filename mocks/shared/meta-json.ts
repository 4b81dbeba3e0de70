// Meta writes webhook bodies the way PHP's json_encode does by default: pure ASCII, every character
// above U+007F as a lowercase `\uXXXX` escape (astral characters as their two surrogate escapes,
// since a JS string already holds them as two UTF-16 units) and `/` as `\/`. Receivers that follow
// Meta's advice re-escape the raw body before checking the signature, so the bytes must match.
const NEEDS_ESCAPE = /[\u0080-\uffff/]/;
const ESCAPE_ALL = /[\u0080-\uffff/]/g;

function escapeOne(ch: string): string {
  if (ch === '/') return '\\/';
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Rewrites JSON text into Meta's escaped, pure-ASCII form (the same value, other bytes). */
export function metaEscape(json: string): string {
  return NEEDS_ESCAPE.test(json) ? json.replace(ESCAPE_ALL, escapeOne) : json;
}

/** JSON.stringify, then Meta's escaping: the bytes a Meta webhook body carries for `value`. */
export function metaJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`${typeof value} is not JSON`);
  return metaEscape(json);
}
