import type { Clock, TimerHandle } from '../../kernel/clock.js';
import { type DelaySpec, sampleDelayMs } from '../../kernel/distributions.js';
import { chance, type Rng } from '../../kernel/random.js';
import { GraphError } from './errors.js';
import { makeNumericId } from './wamid.js';

/** Meta's three template categories. */
export type TemplateCategory = 'UTILITY' | 'MARKETING' | 'AUTHENTICATION';
/** Template review states the mock uses (Meta has a few more, e.g. IN_APPEAL). */
export type TemplateStatus = 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED';
/** `{{1}}` placeholders or `{{customer_name}}` placeholders. */
export type ParameterFormat = 'POSITIONAL' | 'NAMED';
/** Header formats. */
export type HeaderFormat = 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT' | 'LOCATION';
/** Button kinds in the creation format. */
export type TemplateButtonType = 'QUICK_REPLY' | 'URL' | 'PHONE_NUMBER' | 'COPY_CODE' | 'OTP';

/** One button as Meta lists it on a template. */
export interface TemplateButton {
  type: TemplateButtonType;
  text: string;
  url?: string;
  phone_number?: string;
  otp_type?: 'COPY_CODE' | 'ONE_TAP';
  example?: string[] | string;
}

/** One component in the creation/listing format (upper-case types, as Meta returns them). */
export interface TemplateComponent {
  type: 'HEADER' | 'BODY' | 'FOOTER' | 'BUTTONS';
  format?: HeaderFormat;
  text?: string;
  buttons?: TemplateButton[];
  example?: Record<string, unknown>;
  add_security_recommendation?: boolean;
  code_expiration_minutes?: number;
}

/** A template as written by a seed or a `POST message_templates` body. */
export interface TemplateDefinition {
  name: string;
  language: string;
  category: TemplateCategory;
  parameter_format?: ParameterFormat;
  components: TemplateComponent[];
  /** Seeds only: the state the template starts in (default APPROVED). */
  status?: TemplateStatus;
}

/** A stored template, as `GET message_templates` lists it. */
export interface TemplateRecord {
  id: string;
  name: string;
  language: string;
  category: TemplateCategory;
  status: TemplateStatus;
  parameter_format: ParameterFormat;
  components: TemplateComponent[];
  /** Why Meta rejected/paused it ('NONE' otherwise). */
  rejected_reason?: string;
  /** Whether it came from the seed list (reset keeps seeds only). */
  seeded: boolean;
}

/** A text with placeholders, split once so rendering is a join. `parts.length === vars.length + 1`. */
export interface CompiledText {
  parts: string[];
  vars: string[];
}

/** One button with what a send must supply for it. */
export interface CompiledButton {
  index: number;
  type: TemplateButtonType;
  text: string;
  /** URL buttons: the url, split at its `{{1}}` suffix placeholder when dynamic. */
  url?: CompiledText;
  phoneNumber?: string;
  /** True when a send must carry a button component for this index. */
  needsParam: boolean;
}

/** The parsed form of a template, built once when it is stored. */
export interface CompiledTemplate {
  header?: { format: HeaderFormat; text?: CompiledText };
  body: CompiledText;
  /** Body variables in first-use order without repeats (positional: '1','2',…; named: names). */
  bodyVars: string[];
  headerVars: string[];
  footer?: string;
  buttons: CompiledButton[];
}

/** A record plus its compiled form (what the send path looks up). */
export interface StoredTemplate extends TemplateRecord {
  compiled: CompiledTemplate;
  /** Creation order, for stable paging. */
  seq: number;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** Splits `text` at its `{{…}}` placeholders. */
export function compileText(text: string): CompiledText {
  const parts: string[] = [];
  const vars: string[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, m.index));
    vars.push(m[1] as string);
    last = (m.index as number) + m[0].length;
  }
  parts.push(text.slice(last));
  return { parts, vars };
}

/** Joins compiled text with the given variable values (a missing value renders as ''). */
export function fillText(t: CompiledText, values: Readonly<Record<string, string>>): string {
  let out = t.parts[0] as string;
  for (let i = 0; i < t.vars.length; i++)
    out += (values[t.vars[i] as string] ?? '') + (t.parts[i + 1] as string);
  return out;
}

/** The length of `fillText(t, values)`, without building the text. */
export function filledLength(t: CompiledText, values: Readonly<Record<string, string>>): number {
  let n = 0;
  for (let i = 0; i < t.parts.length; i++) n += (t.parts[i] as string).length;
  for (let i = 0; i < t.vars.length; i++) n += (values[t.vars[i] as string] ?? '').length;
  return n;
}

function unique(vars: string[]): string[] {
  return [...new Set(vars)];
}

const NAME_RE = /^[a-z0-9_]{1,512}$/;
const LANGUAGE_RE = /^[a-z]{2,3}(_[A-Z]{2}|_[A-Za-z]{4})?$/;
const NAMED_VAR_RE = /^[a-z][a-z0-9_]*$/;

function creationError(details: string, userMsg?: string): GraphError {
  return new GraphError(100, {
    details,
    userTitle: 'Invalid template',
    userMsg: userMsg ?? details,
  });
}

function checkVars(where: string, vars: string[], format: ParameterFormat): void {
  if (format === 'POSITIONAL') {
    const nums = vars.map((v) => (/^\d+$/.test(v) ? Number(v) : Number.NaN));
    if (nums.some((n) => Number.isNaN(n))) {
      throw creationError(
        `${where}: named placeholders need parameter_format NAMED; found ${vars.filter((v) => !/^\d+$/.test(v)).join(', ')}`,
      );
    }
    const seen = unique(vars).map(Number);
    seen.sort((a, b) => a - b);
    seen.forEach((n, i) => {
      if (n !== i + 1) {
        throw creationError(`${where}: positional placeholders must be {{1}}, {{2}}, … without gaps`);
      }
    });
  } else {
    for (const v of vars) {
      if (!NAMED_VAR_RE.test(v)) {
        throw creationError(
          `${where}: named placeholder {{${v}}} must be lowercase letters, digits and underscores, starting with a letter`,
        );
      }
    }
  }
}

/**
 * Validates a template definition (creation rules: one BODY, optional HEADER/FOOTER/BUTTONS, length
 * limits, placeholder syntax per parameter format) and compiles it. Throws GraphError 100.
 */
export function compileTemplate(def: TemplateDefinition): CompiledTemplate {
  const format = def.parameter_format ?? 'POSITIONAL';
  let header: CompiledTemplate['header'];
  let body: CompiledText | undefined;
  let footer: string | undefined;
  let buttons: CompiledButton[] = [];
  const seenTypes = new Set<string>();
  for (const c of def.components) {
    if (seenTypes.has(c.type)) throw creationError(`components: more than one ${c.type} component`);
    seenTypes.add(c.type);
    switch (c.type) {
      case 'HEADER': {
        const hf = c.format ?? 'TEXT';
        if (hf === 'TEXT') {
          if (typeof c.text !== 'string' || c.text.length === 0)
            throw creationError('HEADER: text is required');
          if (c.text.length > 60) throw creationError('HEADER: text is longer than 60 characters');
          const t = compileText(c.text);
          if (unique(t.vars).length > 1) throw creationError('HEADER: at most one placeholder is allowed');
          checkVars('HEADER', t.vars, format);
          header = { format: 'TEXT', text: t };
        } else {
          header = { format: hf };
        }
        break;
      }
      case 'BODY': {
        if (typeof c.text !== 'string' || c.text.length === 0) throw creationError('BODY: text is required');
        if (c.text.length > 1024) throw creationError('BODY: text is longer than 1024 characters');
        body = compileText(c.text);
        checkVars('BODY', body.vars, format);
        break;
      }
      case 'FOOTER': {
        if (typeof c.text !== 'string' || c.text.length === 0)
          throw creationError('FOOTER: text is required');
        if (c.text.length > 60) throw creationError('FOOTER: text is longer than 60 characters');
        if (compileText(c.text).vars.length > 0) throw creationError('FOOTER: placeholders are not allowed');
        footer = c.text;
        break;
      }
      case 'BUTTONS': {
        const list = c.buttons ?? [];
        if (list.length === 0 || list.length > 10)
          throw creationError('BUTTONS: 1 to 10 buttons are allowed');
        buttons = list.map((b, index) => compileButton(b, index));
        break;
      }
      default:
        throw creationError(
          `components: unknown component type ${JSON.stringify((c as { type: unknown }).type)}`,
        );
    }
  }
  if (!body) throw creationError('components: a BODY component is required');
  const compiled: CompiledTemplate = {
    body,
    bodyVars: unique(body.vars),
    headerVars: header?.text ? unique(header.text.vars) : [],
    buttons,
  };
  if (header) compiled.header = header;
  if (footer !== undefined) compiled.footer = footer;
  return compiled;
}

function compileButton(b: TemplateButton, index: number): CompiledButton {
  const where = `BUTTONS[${index}]`;
  if (typeof b.text !== 'string' || b.text.length === 0 || b.text.length > 25) {
    throw creationError(`${where}: text must be 1 to 25 characters`);
  }
  const out: CompiledButton = { index, type: b.type, text: b.text, needsParam: false };
  switch (b.type) {
    case 'QUICK_REPLY':
      break;
    case 'URL': {
      if (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url))
        throw creationError(`${where}: url must be http(s)`);
      const u = compileText(b.url);
      if (u.vars.length > 1 || (u.vars.length === 1 && (u.vars[0] !== '1' || (u.parts[1] ?? '') !== ''))) {
        throw creationError(`${where}: a URL may only end with one {{1}} placeholder`);
      }
      out.url = u;
      out.needsParam = u.vars.length === 1;
      break;
    }
    case 'PHONE_NUMBER':
      if (typeof b.phone_number !== 'string' || !/^\+?\d{6,20}$/.test(b.phone_number)) {
        throw creationError(`${where}: phone_number must be an international number`);
      }
      out.phoneNumber = b.phone_number;
      break;
    case 'COPY_CODE':
    case 'OTP':
      out.needsParam = true;
      break;
    default:
      throw creationError(`${where}: unknown button type ${JSON.stringify((b as { type: unknown }).type)}`);
  }
  return out;
}

/** What the store tells the app when a template changes state (the app sends the webhook). */
export type TemplateStatusListener = (
  rec: TemplateRecord,
  event: TemplateStatus | 'DELETED',
  reason: string,
) => void;

/** Filter and paging for {@link TemplateStore.list}. */
export interface TemplateListQuery {
  name?: string;
  status?: string;
  category?: string;
  language?: string;
  limit: number;
  after?: string;
  before?: string;
}

/** One page of templates with Graph-style cursors. */
export interface TemplatePage {
  data: StoredTemplate[];
  before?: string;
  after?: string;
  hasNext: boolean;
  hasPrevious: boolean;
}

/** Rejection reasons Meta reports in `message_template_status_update`. */
const REJECTION_REASONS = [
  'INVALID_FORMAT',
  'TAG_CONTENT_MISMATCH',
  'PROMOTIONAL',
  'ABUSIVE_CONTENT',
] as const;

function encodeCursor(seq: number): string {
  return Buffer.from(`tpl:${seq}`).toString('base64url');
}

/** Decodes a paging cursor; undefined when it is not one of ours. */
export function decodeCursor(cursor: string): number | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^tpl:(\d+)$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * Templates of one WABA: lookup by name+language in O(1) for the send path, Graph paging for the
 * management API, and review on the mock's clock (PENDING → APPROVED with `approveProbability`,
 * else REJECTED, after a delay drawn from `delay`).
 */
export class TemplateStore {
  private readonly byId = new Map<string, StoredTemplate>();
  private readonly byKey = new Map<string, StoredTemplate>();
  private ordered: StoredTemplate[] = [];
  private seq = 0;
  private readonly reviews = new Map<string, TimerHandle>();
  private readonly seedRecords: StoredTemplate[] = [];

  constructor(
    private readonly deps: {
      clock: Clock;
      rng: Rng;
      seeds: readonly TemplateDefinition[];
      approval: { approveProbability: number; delay: DelaySpec };
      onStatus: TemplateStatusListener;
    },
  ) {
    this.loadSeeds();
  }

  private loadSeeds(): void {
    for (const def of this.deps.seeds)
      this.seedRecords.push(this.insert(def, def.status ?? 'APPROVED', true));
  }

  private insert(def: TemplateDefinition, status: TemplateStatus, seeded: boolean): StoredTemplate {
    const compiled = compileTemplate(def);
    const rec: StoredTemplate = {
      id: makeNumericId(this.deps.rng, 15),
      name: def.name,
      language: def.language,
      category: def.category,
      status,
      parameter_format: def.parameter_format ?? 'POSITIONAL',
      components: structuredClone(def.components),
      seeded,
      compiled,
      seq: ++this.seq,
    };
    if (status === 'REJECTED') rec.rejected_reason = 'INVALID_FORMAT';
    this.byId.set(rec.id, rec);
    this.byKey.set(`${rec.name}\u0000${rec.language}`, rec);
    this.ordered.push(rec);
    return rec;
  }

  /** The template `name` in `language`, whatever its status. */
  find(name: string, language: string): StoredTemplate | undefined {
    return this.byKey.get(`${name}\u0000${language}`);
  }

  /** Whether any language of `name` exists (for Meta's "does not exist in the translation" wording). */
  hasName(name: string): boolean {
    for (const t of this.ordered) if (t.name === name) return true;
    return false;
  }

  /** By Graph id. */
  get(id: string): StoredTemplate | undefined {
    return this.byId.get(id);
  }

  /** Every template in creation order. */
  all(): StoredTemplate[] {
    return [...this.ordered];
  }

  /** One page, filtered (name substring, exact status/category/language), with before/after cursors. */
  list(q: TemplateListQuery): TemplatePage {
    const matches = this.ordered.filter(
      (t) =>
        (q.name === undefined || t.name.includes(q.name)) &&
        (q.status === undefined || t.status === q.status.toUpperCase()) &&
        (q.category === undefined || t.category === q.category.toUpperCase()) &&
        (q.language === undefined || t.language === q.language),
    );
    let start = 0;
    let end = matches.length;
    if (q.after !== undefined) {
      const afterSeq = decodeCursor(q.after);
      if (afterSeq === undefined) throw new GraphError(100, { details: 'Invalid cursor in param after.' });
      start = matches.findIndex((t) => t.seq > afterSeq);
      if (start < 0) start = matches.length;
      end = Math.min(matches.length, start + q.limit);
    } else if (q.before !== undefined) {
      const beforeSeq = decodeCursor(q.before);
      if (beforeSeq === undefined) throw new GraphError(100, { details: 'Invalid cursor in param before.' });
      end = matches.findIndex((t) => t.seq >= beforeSeq);
      if (end < 0) end = matches.length;
      start = Math.max(0, end - q.limit);
    } else {
      end = Math.min(matches.length, q.limit);
    }
    const data = matches.slice(start, end);
    const page: TemplatePage = { data, hasNext: end < matches.length, hasPrevious: start > 0 };
    const first = data[0];
    const last = data[data.length - 1];
    if (first) page.before = encodeCursor(first.seq);
    if (last) page.after = encodeCursor(last.seq);
    return page;
  }

  /** Creates a template from a POST body: validates, stores it PENDING, schedules the review. Throws GraphError. */
  create(body: unknown): StoredTemplate {
    const def = parseCreation(body);
    if (this.find(def.name, def.language)) {
      throw new GraphError(100, {
        subcode: 2388024,
        details: `Content in this language already exists for template ${def.name} (${def.language}).`,
        userTitle: 'Content in this language already exists',
        userMsg:
          'Content for this template already exists in this language. Try a different language or template name.',
      });
    }
    const rec = this.insert(def, 'PENDING', false);
    this.scheduleReview(rec);
    return rec;
  }

  private scheduleReview(rec: StoredTemplate): void {
    const delayMs = sampleDelayMs(this.deps.approval.delay, this.deps.rng);
    const approve = chance(this.deps.rng, this.deps.approval.approveProbability);
    const reason = approve
      ? 'NONE'
      : (REJECTION_REASONS[Math.floor(this.deps.rng.next() * REJECTION_REASONS.length)] as string);
    const handle = this.deps.clock.setTimeout(() => {
      this.reviews.delete(rec.id);
      if (this.byId.get(rec.id) !== rec || rec.status !== 'PENDING') return;
      this.setStatus(rec.id, approve ? 'APPROVED' : 'REJECTED', reason);
    }, delayMs);
    this.reviews.set(rec.id, handle);
  }

  /** Moves a template to `status` (review outcome, or the admin API) and notifies the listener. */
  setStatus(id: string, status: TemplateStatus, reason = 'NONE'): StoredTemplate | undefined {
    const rec = this.byId.get(id);
    if (!rec) return undefined;
    rec.status = status;
    if (status === 'REJECTED' || status === 'PAUSED' || status === 'DISABLED') rec.rejected_reason = reason;
    else delete rec.rejected_reason;
    const pending = this.reviews.get(id);
    if (pending && status !== 'PENDING') {
      this.deps.clock.clearTimeout(pending);
      this.reviews.delete(id);
    }
    this.deps.onStatus(rec, status, reason);
    return rec;
  }

  /** Deletes every language of `name`, or only the one with id `hsmId`; returns how many went. */
  delete(name: string, hsmId?: string): number {
    const doomed = this.ordered.filter((t) => t.name === name && (hsmId === undefined || t.id === hsmId));
    for (const t of doomed) {
      this.byId.delete(t.id);
      this.byKey.delete(`${t.name}\u0000${t.language}`);
      const pending = this.reviews.get(t.id);
      if (pending) {
        this.deps.clock.clearTimeout(pending);
        this.reviews.delete(t.id);
      }
      this.deps.onStatus(t, 'DELETED', 'NONE');
    }
    if (doomed.length > 0) this.ordered = this.ordered.filter((t) => !doomed.includes(t));
    return doomed.length;
  }

  /** Back to the seeds only, in their seeded state (ids kept; created templates and pending reviews dropped). */
  reset(): void {
    for (const h of this.reviews.values()) this.deps.clock.clearTimeout(h);
    this.reviews.clear();
    this.ordered = [];
    this.byId.clear();
    this.byKey.clear();
    this.deps.seeds.forEach((def, i) => {
      const t = this.seedRecords[i];
      if (!t) return;
      t.status = def.status ?? 'APPROVED';
      if (t.status === 'REJECTED') t.rejected_reason = 'INVALID_FORMAT';
      else delete t.rejected_reason;
      this.byId.set(t.id, t);
      this.byKey.set(`${t.name}\u0000${t.language}`, t);
      this.ordered.push(t);
    });
  }

  /** Number of templates held. */
  size(): number {
    return this.ordered.length;
  }
}

const CATEGORIES = new Set(['UTILITY', 'MARKETING', 'AUTHENTICATION']);
const COMPONENT_KEYS = new Set([
  'type',
  'format',
  'text',
  'buttons',
  'example',
  'add_security_recommendation',
  'code_expiration_minutes',
]);
const BUTTON_KEYS = new Set([
  'type',
  'text',
  'url',
  'phone_number',
  'otp_type',
  'example',
  'autofill_text',
  'package_name',
  'signature_hash',
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Auth templates: Meta writes the body and footer itself from these flags. */
function authenticationComponents(raw: TemplateComponent[]): TemplateComponent[] {
  return raw.map((c) => {
    if (c.type === 'BODY' && (c.text === undefined || c.text === '')) {
      return {
        ...c,
        text: `*{{1}}* is your verification code.${c.add_security_recommendation ? ' For your security, do not share this code.' : ''}`,
      };
    }
    if (c.type === 'FOOTER' && c.text === undefined && typeof c.code_expiration_minutes === 'number') {
      return { ...c, text: `This code expires in ${c.code_expiration_minutes} minutes.` };
    }
    return c;
  });
}

/** Checks the shape of a creation body (types, known keys, name and language syntax). Throws GraphError 100. */
export function parseCreation(body: unknown): TemplateDefinition {
  if (!isObject(body)) throw creationError('The request body must be a JSON object.');
  for (const k of Object.keys(body)) {
    if (
      !['name', 'category', 'language', 'parameter_format', 'components', 'allow_category_change'].includes(k)
    ) {
      throw creationError(`Unexpected key "${k}" on param "message_template".`);
    }
  }
  const { name, category, language, parameter_format: pf, components } = body;
  if (typeof name !== 'string') throw creationError('The parameter name is required and must be a string.');
  if (!NAME_RE.test(name)) {
    throw creationError(
      `Invalid template name ${JSON.stringify(name.slice(0, 80))}: use lowercase letters, digits and underscores.`,
    );
  }
  if (typeof category !== 'string' || !CATEGORIES.has(category.toUpperCase())) {
    throw creationError('The parameter category must be one of UTILITY, MARKETING, AUTHENTICATION.');
  }
  if (typeof language !== 'string' || !LANGUAGE_RE.test(language)) {
    throw creationError('The parameter language must be a language code such as en_US or es.');
  }
  if (pf !== undefined && pf !== 'POSITIONAL' && pf !== 'NAMED') {
    throw creationError('The parameter parameter_format must be POSITIONAL or NAMED.');
  }
  if (!Array.isArray(components) || components.length === 0) {
    throw creationError('The parameter components is required and must be a non-empty array.');
  }
  const comps: TemplateComponent[] = components.map((c, i) => {
    if (!isObject(c)) throw creationError(`components[${i}] must be an object.`);
    for (const k of Object.keys(c)) {
      if (!COMPONENT_KEYS.has(k)) throw creationError(`Unexpected key "${k}" on param "components[${i}]".`);
    }
    const type = typeof c['type'] === 'string' ? c['type'].toUpperCase() : undefined;
    if (type !== 'HEADER' && type !== 'BODY' && type !== 'FOOTER' && type !== 'BUTTONS') {
      throw creationError(`components[${i}].type must be HEADER, BODY, FOOTER or BUTTONS.`);
    }
    const out: TemplateComponent = { type };
    if (c['format'] !== undefined) {
      const f = typeof c['format'] === 'string' ? c['format'].toUpperCase() : '';
      if (!['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'].includes(f)) {
        throw creationError(`components[${i}].format must be TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION.`);
      }
      out.format = f as HeaderFormat;
    }
    if (c['text'] !== undefined) {
      if (typeof c['text'] !== 'string') throw creationError(`components[${i}].text must be a string.`);
      out.text = c['text'];
    }
    if (c['example'] !== undefined) {
      if (!isObject(c['example'])) throw creationError(`components[${i}].example must be an object.`);
      out.example = c['example'];
    }
    if (c['add_security_recommendation'] !== undefined) {
      out.add_security_recommendation = c['add_security_recommendation'] === true;
    }
    if (c['code_expiration_minutes'] !== undefined) {
      const m = c['code_expiration_minutes'];
      if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > 90) {
        throw creationError(`components[${i}].code_expiration_minutes must be an integer from 1 to 90.`);
      }
      out.code_expiration_minutes = m;
    }
    if (c['buttons'] !== undefined) {
      if (!Array.isArray(c['buttons'])) throw creationError(`components[${i}].buttons must be an array.`);
      out.buttons = c['buttons'].map((b, j) => {
        if (!isObject(b)) throw creationError(`components[${i}].buttons[${j}] must be an object.`);
        for (const k of Object.keys(b)) {
          if (!BUTTON_KEYS.has(k))
            throw creationError(`Unexpected key "${k}" on param "components[${i}].buttons[${j}]".`);
        }
        const bt = typeof b['type'] === 'string' ? b['type'].toUpperCase() : '';
        if (!['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'OTP'].includes(bt)) {
          throw creationError(`components[${i}].buttons[${j}].type is not a supported button type.`);
        }
        const btn: TemplateButton = {
          type: bt as TemplateButtonType,
          text: typeof b['text'] === 'string' ? b['text'] : bt === 'OTP' ? 'Copy code' : '',
        };
        if (typeof b['url'] === 'string') btn.url = b['url'];
        if (typeof b['phone_number'] === 'string') btn.phone_number = b['phone_number'];
        if (b['otp_type'] === 'COPY_CODE' || b['otp_type'] === 'ONE_TAP') btn.otp_type = b['otp_type'];
        if (Array.isArray(b['example']) || typeof b['example'] === 'string') {
          btn.example = b['example'] as string[] | string;
        }
        return btn;
      });
    }
    return out;
  });
  const cat = category.toUpperCase() as TemplateCategory;
  const def: TemplateDefinition = {
    name,
    language,
    category: cat,
    components: cat === 'AUTHENTICATION' ? authenticationComponents(comps) : comps,
  };
  if (pf !== undefined) def.parameter_format = pf;
  compileTemplate(def);
  return def;
}

/** The listing shape of a record (what `GET message_templates` returns per template). */
export function publicTemplate(t: TemplateRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: t.name,
    parameter_format: t.parameter_format,
    components: t.components,
    language: t.language,
    status: t.status,
    category: t.category,
    id: t.id,
  };
  if (t.rejected_reason !== undefined) out['rejected_reason'] = t.rejected_reason;
  return out;
}
