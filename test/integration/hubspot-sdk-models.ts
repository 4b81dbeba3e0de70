/**
 * Checks what HubSpot's official Node client made of a response, against the client's own model
 * declarations: the SDK deserialises leniently (a missing field stays `undefined`, a wrong type
 * passes through), so a vendor's TypeScript that trusts its `.d.ts` breaks later, far from the
 * call. This walks a deserialised value with the model's attribute map and its declaration file
 * and lists every required field that is absent, every value of the wrong JSON type, every
 * invalid date and every enum value the SDK does not declare.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const sdkRoot = dirname(require.resolve('@hubspot/api-client/package.json'));

/** A model class of an SDK module by name (for bodies the SDK hands over as plain JSON). */
function modelClass(module: string, name: string): ModelClass | undefined {
  const exports = require(`@hubspot/api-client/lib/codegen/${module}`) as Record<string, unknown>;
  const c = exports[name] as Partial<ModelClass> | undefined;
  return typeof c?.getAttributeTypeMap === 'function' ? (c as ModelClass) : undefined;
}

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}

interface ModelClass {
  name: string;
  getAttributeTypeMap(): Attribute[];
}

interface Declared {
  required: Set<string>;
  enums: Map<string, Set<string>>;
}

const declared = new Map<string, Declared>();

/** Required fields and enum values of a model, read from its `.d.ts` in the SDK module `module`. */
function declaration(module: string, model: string): Declared {
  const key = `${module}/${model}`;
  const hit = declared.get(key);
  if (hit) return hit;
  const text = readFileSync(join(sdkRoot, 'lib/codegen', module, 'models', `${model}.d.ts`), 'utf8');
  const required = new Set<string>();
  for (const m of text.matchAll(/^ {4}'(\w+)'(\??):/gm)) if (m[2] === '' && m[1]) required.add(m[1]);
  const enums = new Map<string, Set<string>>();
  for (const m of text.matchAll(/export declare enum (\w+) \{([^}]*)\}/g)) {
    const values = [...(m[2] ?? '').matchAll(/= "([^"]*)"/g)].map((v) => v[1] ?? '');
    if (m[1]) enums.set(m[1], new Set(values));
  }
  const d = { required, enums };
  declared.set(key, d);
  return d;
}

/** Fields where HubSpot itself sends another JSON type than the SDK declares (docs/crm-hubspot.md). */
export type Allowance = (path: string, value: unknown) => boolean;

/**
 * Problems with `value`, a model instance the SDK returned from `module` (e.g. `crm/contacts`):
 * an empty list means every declared field is there with its declared type. `allow` names the
 * paths where the mock deliberately follows HubSpot's wire over the SDK's declaration. `as`
 * checks plain JSON against a named model instead: the SDK hands an `ApiException`'s body over
 * undeserialised, though it declares it as `ModelError`.
 */
export function modelProblems(
  value: unknown,
  module: string,
  allow: Allowance = () => false,
  as?: string,
): string[] {
  const raw = as !== undefined;
  const problems: string[] = [];
  const visit = (v: unknown, type: string, path: string, enums: Map<string, Set<string>>): void => {
    if (v === undefined || v === null) return;
    if (allow(path, v)) return;
    const t = type.trim();
    if (t === 'any' || t === 'void') return;
    if (t === 'string' || t === 'number' || t === 'boolean') {
      if (typeof v !== t) problems.push(`${path}: ${t} expected, got ${JSON.stringify(v)}`);
      return;
    }
    if (t === 'Date') {
      if (!(v instanceof Date) || Number.isNaN(v.getTime())) problems.push(`${path}: not a valid date`);
      return;
    }
    const arr = /^Array<(.+)>$/.exec(t);
    if (arr) {
      if (!Array.isArray(v)) return void problems.push(`${path}: array expected`);
      for (const [i, x] of v.entries()) visit(x, arr[1] ?? '', `${path}[${i}]`, enums);
      return;
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(t);
    if (map) {
      if (typeof v !== 'object' || Array.isArray(v)) return void problems.push(`${path}: object expected`);
      for (const [k, x] of Object.entries(v)) visit(x, map[1] ?? '', `${path}.${k}`, enums);
      return;
    }
    if (t.includes(' | ')) {
      // `string | null` (property values): the value was not null, so it must be the other member.
      const parts = t.split(' | ').filter((p) => p !== 'null');
      if (parts.length === 1) visit(v, parts[0] ?? '', path, enums);
      return;
    }
    const values = enums.get(t);
    if (values) {
      if (typeof v !== 'string' || !values.has(v))
        problems.push(`${path}: ${JSON.stringify(v)} is not one of ${[...values].join(', ')}`);
      return;
    }
    const ctor = raw ? modelClass(module, t) : (v as { constructor?: Partial<ModelClass> }).constructor;
    if (raw && ctor && (typeof v !== 'object' || Array.isArray(v))) {
      problems.push(`${path}: object expected`);
      return;
    }
    if (typeof ctor?.getAttributeTypeMap !== 'function' || ctor.name !== t) {
      problems.push(`${path}: the SDK did not deserialise it into ${t}`);
      return;
    }
    model(v as Record<string, unknown>, ctor as ModelClass, path);
  };
  const model = (v: Record<string, unknown>, ctor: ModelClass, path: string): void => {
    const d = declaration(module, ctor.name);
    for (const a of ctor.getAttributeTypeMap()) {
      const x = v[raw ? a.baseName : a.name];
      if (x === undefined && d.required.has(a.name)) problems.push(`${path}.${a.baseName}: missing`);
      else visit(x, a.type, `${path}.${a.baseName}`, d.enums);
    }
  };
  const ctor = raw
    ? modelClass(module, as)
    : (value as { constructor?: Partial<ModelClass> } | null)?.constructor;
  if (typeof ctor?.getAttributeTypeMap !== 'function') return ['$: not a model instance of the SDK'];
  if (raw && (typeof value !== 'object' || value === null)) return ['$: object expected'];
  model(value as Record<string, unknown>, ctor as ModelClass, '$');
  return problems;
}

/** What the SDK's own deserialiser of `module` makes of `data` as `type` (to test the checker itself). */
export function sdkDeserialize(module: string, data: unknown, type: string): unknown {
  const { ObjectSerializer } = require(
    `@hubspot/api-client/lib/codegen/${module}/models/ObjectSerializer`,
  ) as {
    ObjectSerializer: { deserialize(data: unknown, type: string, format: string): unknown };
  };
  return ObjectSerializer.deserialize(data, type, '');
}
