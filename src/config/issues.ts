import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Document as YamlDocument,
} from 'yaml';
import type { z } from 'zod';

/**
 * Turning schema issues into errors a user can act on: each names the file, the line and column of
 * the offending node (found by walking the YAML document along the issue's path), the path written
 * the way a user reads it (`suites[2].rate`), and a message that says what was expected and what
 * was found.
 */

/** One error in a config file. */
export interface ConfigIssue {
  /** The file as the user named it. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
  /** Path of the field, `suites[0].rate`; empty for the whole document. */
  path: string;
  message: string;
}

/** `FILE:LINE:COL path.to.field: message` — the form editors and CI logs link to. */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.col} ${issue.path === '' ? '(document)' : issue.path}: ${issue.message}`;
}

/** Path segments → `suites[0].mocks.crm`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      out += /^[A-Za-z_$][\w$-]*$/.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Where a node sits: line and column (1-based) of `offset` in the text. */
function position(lc: LineCounter, offset: number): { line: number; col: number } {
  const { line, col } = lc.linePos(offset);
  return { line, col };
}

/**
 * Finds the node at `path` in the document; when the path goes deeper than the document (a
 * missing key), the deepest node that exists. With `keyOf`, the last segment's KEY node instead
 * of its value (for unknown keys: point at the key itself).
 */
export function locate(
  doc: YamlDocument,
  lc: LineCounter,
  path: readonly PropertyKey[],
  keyOf = false,
): { line: number; col: number } {
  let node: unknown = doc.contents;
  let best: { line: number; col: number } = { line: 1, col: 1 };
  let ownerKey: { line: number; col: number } | undefined;
  const mark = (n: unknown): void => {
    const range = (n as { range?: [number, number, number] } | null)?.range;
    if (range) best = position(lc, range[0]);
  };
  mark(node);
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      // A missing key is reported at the key that owns this mapping (`metrics:`), the line a user would edit.
      if (!pair) return ownerKey ?? best;
      if (last && keyOf) {
        mark(pair.key);
        return best;
      }
      // `key:` with nothing after it has a null value node; point at the key then.
      if (pair.value === null || pair.value === undefined) {
        mark(pair.key);
        return best;
      }
      node = pair.value;
      const keyRange = (pair.key as { range?: [number, number, number] } | null)?.range;
      ownerKey = keyRange ? position(lc, keyRange[0]) : undefined;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) return best;
      node = item;
      ownerKey = undefined;
    } else {
      return best;
    }
    mark(node);
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Messages

interface ZodDefLike {
  type: string;
  in?: ZodLike;
  innerType?: ZodLike;
  shape?: Record<string, ZodLike>;
  element?: ZodLike;
  valueType?: ZodLike;
  keyType?: ZodLike;
  entries?: Record<string, string | number>;
  options?: ZodLike[];
  values?: unknown[];
}
interface ZodLike {
  _zod: { def: ZodDefLike };
}

function unwrap(schema: ZodLike): ZodLike {
  let s = schema;
  for (let guard = 0; guard < 50; guard++) {
    const def = s._zod.def;
    if (def.type === 'pipe' && def.in) s = def.in;
    else if (
      def.innerType &&
      ['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch'].includes(def.type)
    )
      s = def.innerType;
    else break;
  }
  return s;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg as string];
  }
  return cur;
}

/** The keys a strict object at `path` allows (walking unions by the data's `kind`), or undefined. */
export function allowedKeysAt(
  root: ZodLike,
  data: unknown,
  path: readonly PropertyKey[],
): string[] | undefined {
  let s: ZodLike | undefined = unwrap(root);
  for (let i = 0; i <= path.length && s; i++) {
    const def: ZodDefLike = s._zod.def;
    if (def.type === 'union' && def.options) {
      const here = valueAt(data, path.slice(0, i)) as { kind?: unknown } | undefined;
      const match = def.options.map(unwrap).find((o) => {
        const kind = o._zod.def.shape?.['kind'];
        const values = kind ? unwrap(kind)._zod.def.values : undefined;
        return values?.includes(here?.kind);
      });
      s = match;
      if (!s) return undefined;
      i--;
      continue;
    }
    if (i === path.length) {
      if (def.type === 'object' && def.shape) return Object.keys(def.shape);
      // A record keyed by an enum (the acceptance table's metrics) allows exactly the enum's values.
      const keyValues =
        def.type === 'record' && def.keyType ? unwrap(def.keyType)._zod.def.entries : undefined;
      return keyValues ? Object.values(keyValues).map(String) : undefined;
    }
    const seg = path[i];
    if (def.type === 'object' && def.shape) s = def.shape[String(seg)];
    else if (def.type === 'array' && def.element) s = def.element;
    else if (def.type === 'record' && def.valueType) s = def.valueType;
    else return undefined;
    if (s) s = unwrap(s);
  }
  return undefined;
}

/** Levenshtein distance, for "did you mean" on unknown keys (short strings only). */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j] as number;
      row[j] = Math.min(up + 1, (row[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length] as number;
}

/** The closest allowed key when it is plausibly a typo. */
export function didYouMean(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const a of allowed) {
    const d = editDistance(key.toLowerCase(), a.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** A short description of a found value for "got …". */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

function literal(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  null: 'null',
};

function bound(issue: {
  minimum?: unknown;
  maximum?: unknown;
  inclusive?: boolean;
  origin?: string;
}): string {
  const isMin = issue.minimum !== undefined;
  const n = isMin ? issue.minimum : issue.maximum;
  const unit = issue.origin === 'array' ? 'item' : issue.origin === 'string' ? 'character' : '';
  if (unit) return `${isMin ? 'at least' : 'at most'} ${String(n)} ${unit}${n === 1 ? '' : 's'}`;
  const op = isMin ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
  return `${op} ${String(n)}`;
}

/** Expected literal values collected from a failed union's branches (`250 | 2000 | 'unlimited'`). */
function unionExpectations(issue: z.core.$ZodIssue): string[] {
  const out: string[] = [];
  if (issue.code !== 'invalid_union') return out;
  for (const branch of issue.errors) {
    for (const sub of branch) {
      if (sub.code === 'invalid_value') out.push(...sub.values.map(literal));
      else if (sub.code === 'invalid_type') out.push(TYPE_WORDS[sub.expected] ?? sub.expected);
    }
  }
  return [...new Set(out)];
}

/**
 * One zod issue → one or more (path, message, keyOf) entries; unknown keys become one entry per
 * key so each points at its own line.
 */
export function describeIssue(
  issue: z.core.$ZodIssue,
  root: ZodLike,
  data: unknown,
): Array<{ path: PropertyKey[]; message: string; keyOf: boolean }> {
  const path = [...issue.path];
  const got = valueAt(data, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(root, data, path) ?? [];
      return issue.keys.map((key) => {
        const guess = didYouMean(key, allowed);
        const list = allowed.length > 0 ? `; allowed here: ${allowed.join(', ')}` : '';
        return {
          path: [...path, key],
          message: `unknown key ${JSON.stringify(key)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}${list}`,
          keyOf: true,
        };
      });
    }
    case 'invalid_type': {
      // A schema with its own wording ('expected a rate with its unit, such as 500/min') keeps it.
      const custom = issue.message.startsWith('Invalid input')
        ? undefined
        : issue.message.replace(/^expected /, '');
      const expected = custom ?? TYPE_WORDS[issue.expected] ?? issue.expected;
      if (got === undefined) return [{ path, message: `required: expected ${expected}`, keyOf: false }];
      return [{ path, message: `expected ${expected}, got ${describeValue(got)}`, keyOf: false }];
    }
    case 'invalid_union': {
      if ((issue as { note?: string }).note === 'No matching discriminator') {
        const options = (issue as { options?: unknown[] }).options ?? [];
        const present = valueAt(data, path);
        return [
          {
            path,
            message:
              present === undefined
                ? `required: expected one of ${options.map(literal).join(', ')}`
                : `unknown ${String(path[path.length - 1] ?? 'value')} ${describeValue(present)}: expected one of ${options.map(literal).join(', ')}`,
            keyOf: false,
          },
        ];
      }
      const expected = unionExpectations(issue);
      return [
        {
          path,
          message:
            expected.length > 0
              ? `expected one of ${expected.join(', ')}, got ${describeValue(got)}`
              : `invalid value ${describeValue(got)}`,
          keyOf: false,
        },
      ];
    }
    case 'invalid_value':
      return [
        {
          path,
          message: `expected ${issue.values.length === 1 ? literal(issue.values[0]) : `one of ${issue.values.map(literal).join(', ')}`}, got ${describeValue(got)}`,
          keyOf: false,
        },
      ];
    case 'too_small':
    case 'too_big':
      return [
        {
          path,
          message: `must ${issue.origin === 'array' ? 'have' : 'be'} ${bound(issue)}, got ${Array.isArray(got) ? `${got.length}` : describeValue(got)}`,
          keyOf: false,
        },
      ];
    case 'invalid_key':
      return [
        {
          path,
          message: `invalid key ${describeValue(path[path.length - 1])}: ${issue.issues.map((i) => i.message).join('; ')}`,
          keyOf: true,
        },
      ];
    case 'invalid_format':
      return [{ path, message: `${issue.message}, got ${describeValue(got)}`, keyOf: false }];
    default:
      return [{ path, message: issue.message, keyOf: false }];
  }
}
