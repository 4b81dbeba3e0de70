import { at, mediaRef, onlyKeys, optString, reqArray, reqNumber, reqObject, reqString } from './check.js';
import { GraphError, invalidParam, invalidValue, missingParam } from './errors.js';
import type {
  CompiledButton,
  HeaderFormat,
  ParameterFormat,
  StoredTemplate,
  TemplateCategory,
  TemplateStore,
} from './templates.js';
import { filledLength, fillText } from './templates.js';

/** One rendered button. */
export interface RenderedButton {
  index: number;
  type: 'quick_reply' | 'url' | 'phone_number' | 'copy_code' | 'otp';
  text: string;
  url?: string;
  payload?: string;
  phoneNumber?: string;
  code?: string;
}

/** A template send rendered to what the customer sees. */
export interface RenderedTemplate {
  wamid: string;
  /** Recipient wa_id. */
  to: string;
  name: string;
  language: string;
  category: TemplateCategory;
  parameterFormat: ParameterFormat;
  header?: { format: HeaderFormat; text?: string; link?: string; mediaId?: string };
  body: string;
  footer?: string;
  buttons: RenderedButton[];
  /** Header text (TEXT headers), body and footer joined with '\n' — the `renderedText` of `message.accepted`. */
  text: string;
  /** Body parameter values by placeholder ('1', '2', … or names). */
  bodyParams: Record<string, string>;
  /** When the mock accepted it (epoch ms on the mock's clock). */
  atEpochMs: number;
}

/** The template-dependent part of a rendered send (wamid, recipient and time are added by the caller). */
export type RenderedContent = Omit<RenderedTemplate, 'wamid' | 'to' | 'atEpochMs'>;

const TEMPLATE_KEYS = new Set(['name', 'language', 'components', 'namespace']);
const LANGUAGE_KEYS = new Set(['code', 'policy']);
const COMPONENT_KEYS = new Set(['type', 'parameters', 'sub_type', 'index']);
const PARAM_KEYS: Record<string, ReadonlySet<string>> = {
  text: new Set(['type', 'text', 'parameter_name']),
  currency: new Set(['type', 'currency', 'parameter_name']),
  date_time: new Set(['type', 'date_time', 'parameter_name']),
  image: new Set(['type', 'image', 'parameter_name']),
  video: new Set(['type', 'video', 'parameter_name']),
  document: new Set(['type', 'document', 'parameter_name']),
  location: new Set(['type', 'location', 'parameter_name']),
  payload: new Set(['type', 'payload']),
  coupon_code: new Set(['type', 'coupon_code']),
};
const MEDIA_KEYS = new Set(['id', 'link', 'caption', 'filename']);
const CURRENCY_KEYS = new Set(['fallback_value', 'code', 'amount_1000']);
const DATE_TIME_KEYS = new Set([
  'fallback_value',
  'day_of_week',
  'year',
  'month',
  'day_of_month',
  'hour',
  'minute',
  'calendar',
]);
const LOCATION_KEYS = new Set(['latitude', 'longitude', 'name', 'address']);
const BAD_TEXT_PARAM = /[\n\t]| {5,}/;

/** A send-side parameter after shape checks: its type, the text it contributes, and its name if any. */
interface Param {
  type: string;
  value: string;
  name?: string;
  link?: string;
  mediaId?: string;
}

function onlyKnown(obj: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const k in obj) if (!allowed.has(k)) return false;
  return true;
}

const ISO_CURRENCY = /^[A-Z]{3}$/;

/**
 * The common, well-formed body parameters (text and currency) checked without building error
 * paths; anything unusual returns undefined and goes through {@link parseParam}, which names the
 * problem. Accepts exactly what parseParam accepts for these shapes.
 */
function fastParam(raw: unknown): Param | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const p = raw as Record<string, unknown>;
  const name = p['parameter_name'];
  if (name !== undefined && name !== null && (typeof name !== 'string' || name.length > 512))
    return undefined;
  let type: string;
  let value: string;
  if (p['type'] === 'text') {
    const text = p['text'];
    if (typeof text !== 'string' || text.length === 0 || text.length > 32768 || BAD_TEXT_PARAM.test(text)) {
      return undefined;
    }
    if (!onlyKnown(p, PARAM_KEYS['text'] as ReadonlySet<string>)) return undefined;
    type = 'text';
    value = text;
  } else if (p['type'] === 'currency') {
    const c = p['currency'];
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return undefined;
    const cur = c as Record<string, unknown>;
    const fallback = cur['fallback_value'];
    const code = cur['code'];
    if (
      typeof fallback !== 'string' ||
      fallback.length === 0 ||
      fallback.length > 1024 ||
      typeof code !== 'string' ||
      !ISO_CURRENCY.test(code) ||
      !Number.isInteger(cur['amount_1000']) ||
      !onlyKnown(p, PARAM_KEYS['currency'] as ReadonlySet<string>) ||
      !onlyKnown(cur, CURRENCY_KEYS)
    ) {
      return undefined;
    }
    type = 'currency';
    value = fallback;
  } else {
    return undefined;
  }
  // `name` in the literal even when absent: one shape, and no property store added afterwards.
  return { type, value, name: typeof name === 'string' ? name : undefined };
}

function parseParam(raw: unknown, path: string): Param {
  const p = reqObject(raw, path);
  const type = reqString(p['type'], at(path, 'type'), 32);
  const keys = PARAM_KEYS[type];
  if (!keys) throw invalidValue(`Param ${at(path, 'type')} has an unsupported value "${type.slice(0, 32)}".`);
  onlyKeys(p, keys, path);
  const name = optString(p['parameter_name'], at(path, 'parameter_name'), 512);
  const withName = (param: Param): Param => (name === undefined ? param : { ...param, name });
  switch (type) {
    case 'text': {
      const text = reqString(p['text'], at(path, 'text'), 32768);
      if (BAD_TEXT_PARAM.test(text)) {
        throw invalidParam(
          'Param text cannot have new-line/tab characters or more than 4 consecutive spaces',
        );
      }
      return withName({ type, value: text });
    }
    case 'currency': {
      const c = reqObject(p['currency'], at(path, 'currency'));
      onlyKeys(c, CURRENCY_KEYS, at(path, 'currency'));
      const fallback = reqString(c['fallback_value'], at(at(path, 'currency'), 'fallback_value'), 1024);
      const code = reqString(c['code'], at(at(path, 'currency'), 'code'), 3);
      if (!/^[A-Z]{3}$/.test(code))
        throw invalidValue(`Param ${at(at(path, 'currency'), 'code')} must be an ISO 4217 code.`);
      const amount = c['amount_1000'];
      if (amount === undefined || amount === null)
        throw missingParam(at(at(path, 'currency'), 'amount_1000'));
      if (typeof amount !== 'number' || !Number.isInteger(amount)) {
        throw invalidParam(`Param ${at(at(path, 'currency'), 'amount_1000')} must be an integer.`);
      }
      return withName({ type, value: fallback });
    }
    case 'date_time': {
      const d = reqObject(p['date_time'], at(path, 'date_time'));
      onlyKeys(d, DATE_TIME_KEYS, at(path, 'date_time'));
      return withName({
        type,
        value: reqString(d['fallback_value'], at(at(path, 'date_time'), 'fallback_value'), 1024),
      });
    }
    case 'image':
    case 'video':
    case 'document': {
      const m = reqObject(p[type], at(path, type));
      onlyKeys(m, MEDIA_KEYS, at(path, type));
      const ref = mediaRef(m, at(path, type));
      const param: Param = { type, value: ref.link ?? ref.id ?? '' };
      if (ref.link) param.link = ref.link;
      if (ref.id) param.mediaId = ref.id;
      return withName(param);
    }
    case 'location': {
      const l = reqObject(p['location'], at(path, 'location'));
      onlyKeys(l, LOCATION_KEYS, at(path, 'location'));
      const lat = reqNumber(l['latitude'], at(at(path, 'location'), 'latitude'), -90, 90);
      const lon = reqNumber(l['longitude'], at(at(path, 'location'), 'longitude'), -180, 180);
      optString(l['name'], at(at(path, 'location'), 'name'), 1000);
      optString(l['address'], at(at(path, 'location'), 'address'), 1000);
      return withName({ type, value: `${lat},${lon}` });
    }
    case 'payload':
      return { type, value: reqString(p['payload'], at(path, 'payload'), 1000) };
    default: {
      const code = reqString(p['coupon_code'], at(path, 'coupon_code'), 15);
      return { type, value: code };
    }
  }
}

function countMismatch(where: string, given: number, expected: number): GraphError {
  return new GraphError(132000, {
    details: `${where}: number of localizable_params (${given}) does not match the expected number of params (${expected})`,
  });
}

function formatMismatch(details: string): GraphError {
  return new GraphError(132012, { details });
}

/** Maps params to placeholder values, checking count, names and allowed types. */
function bindParams(
  where: string,
  params: readonly Param[],
  vars: string[],
  format: ParameterFormat,
  allowedTypes: ReadonlySet<string>,
): Record<string, string> {
  if (params.length !== vars.length) throw countMismatch(where, params.length, vars.length);
  const values: Record<string, string> = {};
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as Param;
    if (!allowedTypes.has(p.type)) {
      throw formatMismatch(
        `${where}: parameter ${i + 1} has type ${p.type}, expected one of ${[...allowedTypes].join(', ')}`,
      );
    }
  }
  if (format === 'NAMED') {
    for (const p of params) {
      if (p.name === undefined) {
        throw formatMismatch(`${where}: parameter_name is required for templates with NAMED parameters`);
      }
      // A template has a handful of variables: a scan is cheaper than building a Set per send.
      if (!vars.includes(p.name)) {
        throw formatMismatch(
          `${where}: parameter_name "${p.name.slice(0, 64)}" is not a parameter of the template`,
        );
      }
      if (values[p.name] !== undefined)
        throw formatMismatch(`${where}: parameter_name "${p.name}" given twice`);
      values[p.name] = p.value;
    }
  } else {
    // Positional: the k-th parameter fills {{k}}, wherever {{k}} appears in the text.
    for (const v of vars) values[v] = (params[Number(v) - 1] as Param).value;
  }
  return values;
}

const BODY_TYPES = new Set(['text', 'currency', 'date_time']);
const HEADER_TEXT_TYPES = new Set(['text']);
const SUB_TYPE_FOR: Record<CompiledButton['type'], string[]> = {
  QUICK_REPLY: ['quick_reply'],
  URL: ['url'],
  PHONE_NUMBER: ['phone_number', 'voice_call'],
  COPY_CODE: ['copy_code'],
  OTP: ['url', 'copy_code'],
};

interface SendComponent {
  type: 'header' | 'body' | 'button';
  params: readonly Param[];
  subType?: string;
  index?: number;
}

/** The parameters of a component that has none (shared; never written to). */
const NO_PARAMS: readonly Param[] = Object.freeze([]);

/** Most components a send may carry (Graph's limit). */
const MAX_COMPONENTS = 20;

/** The error paths of each component index, written once rather than on every send. */
const COMPONENT_PATHS = Array.from({ length: MAX_COMPONENTS }, (_, i) => {
  const path = at("template['components']", i);
  return {
    path,
    type: at(path, 'type'),
    parameters: at(path, 'parameters'),
    subType: at(path, 'sub_type'),
    index: at(path, 'index'),
  };
});

function parseComponents(raw: unknown): SendComponent[] {
  if (raw === undefined || raw === null) return [];
  const list = reqArray(raw, "template['components']", 0, MAX_COMPONENTS);
  // Sized up front: an empty array grows by at least 17 slots at its first push.
  const out = new Array<SendComponent>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = parseComponent(list[i], i);
  return out;
}

function parseComponent(c: unknown, i: number): SendComponent {
  const paths = COMPONENT_PATHS[i] as (typeof COMPONENT_PATHS)[number];
  const obj = reqObject(c, paths.path);
  onlyKeys(obj, COMPONENT_KEYS, paths.path);
  const type = reqString(obj['type'], paths.type, 16).toLowerCase();
  if (type !== 'header' && type !== 'body' && type !== 'button') {
    throw invalidValue(`Param ${paths.type} must be one of header, body, button.`);
  }
  const paramsRaw = obj['parameters'];
  let params: readonly Param[] = NO_PARAMS;
  if (paramsRaw !== undefined && paramsRaw !== null) {
    const list = reqArray(paramsRaw, paths.parameters, 0, 100);
    const parsed = new Array<Param>(list.length);
    for (let j = 0; j < list.length; j++) {
      const p = list[j];
      parsed[j] = fastParam(p) ?? parseParam(p, at(paths.parameters, j));
    }
    params = parsed;
  }
  // Every field in the literal: one shape for all components, no property store grown for buttons.
  const out: SendComponent = { type, params, subType: undefined, index: undefined };
  if (type === 'button') {
    out.subType = reqString(obj['sub_type'], paths.subType, 32).toLowerCase();
    const idx = obj['index'];
    const n =
      typeof idx === 'number' ? idx : typeof idx === 'string' && /^\d+$/.test(idx) ? Number(idx) : NaN;
    if (idx === undefined || idx === null) throw missingParam(paths.index);
    if (!Number.isInteger(n) || n < 0 || n > 9) throw invalidValue(`Param ${paths.index} must be 0 to 9.`);
    out.index = n;
  }
  return out;
}

/** How an error names a template button (built only when there is an error to report). */
function buttonWhere(b: CompiledButton): string {
  return `button at index ${b.index} (${b.type})`;
}

/** Checks a send's parameters for one template button; returns the value the button carries (payload, URL suffix, code). */
function bindButton(b: CompiledButton, comp: SendComponent | undefined): string | undefined {
  if (comp && !SUB_TYPE_FOR[b.type].includes(comp.subType ?? '')) {
    throw formatMismatch(`${buttonWhere(b)}: sub_type ${comp.subType} does not match the template button`);
  }
  const params = comp?.params ?? NO_PARAMS;
  switch (b.type) {
    case 'QUICK_REPLY': {
      if (params.length > 1) throw countMismatch(buttonWhere(b), params.length, 1);
      const p = params[0];
      if (p && p.type !== 'payload')
        throw formatMismatch(`${buttonWhere(b)}: expected a payload parameter, got ${p.type}`);
      return p?.value;
    }
    case 'URL': {
      const expected = b.needsParam ? 1 : 0;
      if (params.length !== expected) throw countMismatch(buttonWhere(b), params.length, expected);
      const p = params[0];
      if (p && p.type !== 'text')
        throw formatMismatch(`${buttonWhere(b)}: expected a text parameter, got ${p.type}`);
      return p?.value;
    }
    case 'PHONE_NUMBER':
      if (params.length > 0) throw countMismatch(buttonWhere(b), params.length, 0);
      return undefined;
    case 'COPY_CODE': {
      if (params.length !== 1) throw countMismatch(buttonWhere(b), params.length, 1);
      const p = params[0] as Param;
      if (p.type !== 'coupon_code')
        throw formatMismatch(`${buttonWhere(b)}: expected a coupon_code parameter, got ${p.type}`);
      return p.value;
    }
    default: {
      if (params.length !== 1) throw countMismatch(buttonWhere(b), params.length, 1);
      const p = params[0] as Param;
      if (p.type !== 'text')
        throw formatMismatch(`${buttonWhere(b)}: expected a text parameter with the code, got ${p.type}`);
      return p.value;
    }
  }
}

const NO_TEXT = { parts: [''], vars: [] };

/** A template button as the customer sees it, given the value the send bound to it. */
function buttonOf(b: CompiledButton, value: string | undefined): RenderedButton {
  switch (b.type) {
    case 'QUICK_REPLY': {
      const out: RenderedButton = { index: b.index, type: 'quick_reply', text: b.text };
      if (value !== undefined) out.payload = value;
      return out;
    }
    case 'URL': {
      const url = fillText(b.url ?? NO_TEXT, value !== undefined ? { '1': value } : {});
      return { index: b.index, type: 'url', text: b.text, url };
    }
    case 'PHONE_NUMBER':
      return { index: b.index, type: 'phone_number', text: b.text, phoneNumber: b.phoneNumber ?? '' };
    case 'COPY_CODE':
      return { index: b.index, type: 'copy_code', text: b.text, code: value ?? '' };
    default:
      return { index: b.index, type: 'otp', text: b.text, code: value ?? '' };
  }
}

/** Looks up the template of a send and checks its review state (132001 / 132015 / 132016). */
export function resolveTemplate(store: TemplateStore, tpl: Record<string, unknown>): StoredTemplate {
  onlyKeys(tpl, TEMPLATE_KEYS, 'template');
  const name = reqString(tpl['name'], "template['name']", 512);
  const lang = reqObject(tpl['language'], "template['language']");
  onlyKeys(lang, LANGUAGE_KEYS, "template['language']");
  const code = reqString(lang['code'], "template['language']['code']", 20);
  const policy = lang['policy'];
  if (policy !== undefined && policy !== 'deterministic') {
    throw invalidValue(`Param template['language']['policy'] must be "deterministic".`);
  }
  optString(tpl['namespace'], "template['namespace']", 256);
  const t = store.find(name, code);
  if (!t) {
    throw new GraphError(132001, {
      details: `template name (${name.slice(0, 512)}) does not exist in ${code.slice(0, 20)}`,
    });
  }
  switch (t.status) {
    case 'APPROVED':
      return t;
    case 'PAUSED':
      throw new GraphError(132015, { details: `template name (${name}) is paused in ${code}` });
    case 'DISABLED':
      throw new GraphError(132016, { details: `template name (${name}) is disabled in ${code}` });
    default:
      throw new GraphError(132001, {
        details: `template name (${name}) does not exist in ${code} or is not approved (status ${t.status})`,
      });
  }
}

/**
 * What a template send bound to its template: enough to render it again, and much smaller than
 * the rendered send (the mock keeps the last 100,000 of these, so what each holds matters).
 */
export interface TemplateBinding {
  template: StoredTemplate;
  /** The template's category when it was sent (a template can be recategorised later). */
  category: TemplateCategory;
  /** TEXT header: values by placeholder. */
  headerValues: Record<string, string> | undefined;
  /** Media header: the parameter's link or media id. */
  headerMedia: { link?: string; mediaId?: string } | undefined;
  /** Body values by placeholder. */
  bodyParams: Record<string, string>;
  /** Per template button (same order): the value the send gave it, if any. */
  buttonValues: Array<string | undefined>;
}

/**
 * Checks a template send's components against the template (parameter count, names, types,
 * buttons, rendered lengths) and returns what was bound; {@link bindingText} and
 * {@link materialize} render it. Throws the GraphError Meta gives.
 */
export function bindTemplate(t: StoredTemplate, componentsRaw: unknown): TemplateBinding {
  const comps = parseComponents(componentsRaw);
  let headerComp: SendComponent | undefined;
  let bodyComp: SendComponent | undefined;
  // By button index (0 to 9, checked by parseComponent); made only when a send has buttons.
  let buttonComps: Array<SendComponent | undefined> | undefined;
  for (const c of comps) {
    if (c.type === 'button') {
      const index = c.index as number;
      buttonComps ??= new Array<SendComponent | undefined>(10);
      if (buttonComps[index]) throw invalidValue(`Button index ${index} appears more than once.`);
      buttonComps[index] = c;
    } else if (c.type === 'header') {
      if (headerComp) throw invalidValue('The header component appears more than once.');
      headerComp = c;
    } else {
      if (bodyComp) throw invalidValue('The body component appears more than once.');
      bodyComp = c;
    }
  }
  const ct = t.compiled;
  const format = t.parameter_format;

  // Header: text placeholders, or exactly one media/location parameter of the header's format.
  const hp = headerComp?.params ?? NO_PARAMS;
  let headerValues: Record<string, string> | undefined;
  let headerMedia: TemplateBinding['headerMedia'];
  if (!ct.header) {
    if (hp.length > 0) throw countMismatch('header', hp.length, 0);
  } else if (ct.header.format === 'TEXT') {
    headerValues = bindParams('header', hp, ct.headerVars, format, HEADER_TEXT_TYPES);
    // Lengths are checked without building the texts: `bindingText` builds them when asked.
    const headerLength = filledLength(ct.header.text ?? NO_TEXT, headerValues);
    if (headerLength > 60) {
      throw new GraphError(132005, {
        details: `header: text is ${headerLength} characters after parameters; the limit is 60`,
      });
    }
  } else {
    const expected = ct.header.format.toLowerCase();
    const p = hp[0];
    if (!p || hp.length > 1 || p.type !== expected) {
      throw formatMismatch(
        `header: Format mismatch, expected ${ct.header.format}, received ${p && hp.length === 1 ? p.type.toUpperCase() : 'UNKNOWN'}`,
      );
    }
    headerMedia = {};
    if (p.link) headerMedia.link = p.link;
    if (p.mediaId) headerMedia.mediaId = p.mediaId;
  }

  const bodyParams = bindParams('body', bodyComp?.params ?? NO_PARAMS, ct.bodyVars, format, BODY_TYPES);
  const bodyLength = filledLength(ct.body, bodyParams);
  if (bodyLength > 1024) {
    throw new GraphError(132005, {
      details: `body: text is ${bodyLength} characters after parameters; the limit is 1024`,
    });
  }

  if (buttonComps) {
    for (let idx = 0; idx < buttonComps.length; idx++) {
      if (buttonComps[idx] && !ct.buttons[idx])
        throw invalidValue(`Button at index ${idx} does not exist in template ${t.name}.`);
    }
  }
  const buttonValues = new Array<string | undefined>(ct.buttons.length);
  for (let i = 0; i < ct.buttons.length; i++) {
    const b = ct.buttons[i] as CompiledButton;
    const comp = buttonComps?.[b.index];
    if (!comp && b.needsParam) throw countMismatch(buttonWhere(b), 0, 1);
    buttonValues[i] = bindButton(b, comp);
  }

  const binding: TemplateBinding = {
    template: t,
    category: t.category,
    headerValues,
    headerMedia,
    bodyParams,
    buttonValues,
  };
  return binding;
}

/** A TEXT header's text as the binding fills it (undefined for other headers or none). */
function headerTextOf(b: TemplateBinding): string | undefined {
  const header = b.template.compiled.header;
  return header?.format === 'TEXT' ? fillText(header.text ?? NO_TEXT, b.headerValues ?? {}) : undefined;
}

/** The text the customer sees (header, body and footer joined with '\n'), as `materialize` gives it. */
export function bindingText(b: TemplateBinding): string {
  const ct = b.template.compiled;
  return joinText(headerTextOf(b), fillText(ct.body, b.bodyParams), ct.footer);
}

function joinText(header: string | undefined, body: string, footer: string | undefined): string {
  let text = header === undefined ? body : `${header}\n${body}`;
  if (footer !== undefined) text += `\n${footer}`;
  return text;
}

/** The rendered send (header, body, footer, buttons, text) of a binding. */
export function materialize(b: TemplateBinding): RenderedContent {
  const t = b.template;
  const ct = t.compiled;
  const out: RenderedContent = {
    name: t.name,
    language: t.language,
    category: b.category,
    parameterFormat: t.parameter_format,
    body: fillText(ct.body, b.bodyParams),
    buttons: ct.buttons.map((button, i) => buttonOf(button, b.buttonValues[i])),
    text: '',
    // A copy: what a caller does with the rendered send never reaches the kept binding.
    bodyParams: { ...b.bodyParams },
  };
  const headerText = headerTextOf(b);
  if (headerText !== undefined) {
    out.header = { format: 'TEXT', text: headerText };
  } else if (ct.header) {
    out.header = { format: ct.header.format, ...b.headerMedia };
  }
  if (ct.footer !== undefined) out.footer = ct.footer;
  out.text = joinText(out.header?.text, out.body, ct.footer);
  return out;
}

/**
 * Checks a template send's components against the template (parameter count, names, types,
 * buttons) and renders the final header/body/footer/buttons. Throws the GraphError Meta gives.
 */
export function renderTemplate(t: StoredTemplate, componentsRaw: unknown): RenderedContent {
  return materialize(bindTemplate(t, componentsRaw));
}
