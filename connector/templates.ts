/**
 * CRM event → WhatsApp template send. A CRM workflow step stores which event field fills each
 * template parameter (`action.parameters`); this module resolves those references against the
 * event and builds the Graph API `template.components`, plus the resolved values the connector
 * records in the CRM (`template_params`).
 */

/** A reference to an event field: a dot path (`contact.name`, `data.items.0.sku`) or a typed ref. */
export type ParamRef =
  | string
  | { type: 'currency'; amount: string; code: string; fallback?: string }
  | { type: 'date_time'; value: string }
  | { type: 'image' | 'video' | 'document'; link: string }
  | { type: 'coupon_code'; value: string };

/** `action.parameters` as the CRM sends it. */
export interface ActionParameters {
  header?: ParamRef[] | Record<string, ParamRef>;
  body?: ParamRef[] | Record<string, ParamRef>;
  buttons?: Array<{ index: number | string; sub_type: string; ref: ParamRef }>;
}

/** One Graph API template parameter. */
export type TemplateParameter = Record<string, unknown> & { type: string };

/** One Graph API template component. */
export interface TemplateComponent {
  type: 'header' | 'body' | 'button';
  sub_type?: string;
  index?: string;
  parameters: TemplateParameter[];
}

/** Leaf values recorded in the CRM, by component. */
export interface RecordedParams {
  header?: Array<string | null> | Record<string, string | null>;
  body?: Array<string | null> | Record<string, string | null>;
  buttons?: Array<string | null>;
}

/** The built send, or the first problem found (with the path of the bad parameter). */
export type BuildResult =
  | { ok: true; components: TemplateComponent[]; recorded: RecordedParams }
  | { ok: false; path: string; reason: string };

/** Options for {@link buildTemplateComponents}. */
export interface BuildOptions {
  /** The normalised phone: a `contact.phone` reference gets this, never the raw CRM value. */
  phoneE164?: string;
  /** Fault `wrong-params`: mangle the first text parameter. */
  mangleOne?: boolean;
}

class MappingError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** Looks a dot path up in `root`; array indices are numeric segments. Undefined if absent. */
export function resolvePath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/**
 * WhatsApp refuses text parameters with new lines, tabs or more than 4 spaces in a row (132018-style
 * errors); a CRM field can hold any of them, so they are flattened to single spaces.
 */
export function cleanParamText(text: string): string {
  return text.replace(/\s*[\r\n\t]+\s*/g, ' ').replace(/ {5,}/g, '    ');
}

function scalar(event: unknown, path: unknown, where: string, opts: BuildOptions): string {
  if (typeof path !== 'string' || path === '') throw new MappingError(where, 'expected a field path');
  if (path === 'contact.phone' && opts.phoneE164 !== undefined) return opts.phoneE164;
  const value = resolvePath(event, path);
  if (typeof value === 'string') {
    if (value.trim() === '') throw new MappingError(where, `field '${path}' is empty`);
    return cleanParamText(value);
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) throw new MappingError(where, `field '${path}' is missing`);
  throw new MappingError(where, `field '${path}' is not a text or number`);
}

function currencyFallback(amount: number, code: string): string {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).format(amount);
  } catch {
    return `${amount} ${code}`;
  }
}

/** One parameter → [Graph parameter, recorded value]. */
function parameter(
  event: unknown,
  ref: ParamRef,
  where: string,
  opts: BuildOptions,
): [TemplateParameter, string | null] {
  if (typeof ref === 'string') {
    const text = scalar(event, ref, where, opts);
    return [{ type: 'text', text }, text];
  }
  if (ref === null || typeof ref !== 'object')
    throw new MappingError(where, 'expected a field path or a typed ref');
  switch (ref.type) {
    case 'currency': {
      const amountText = scalar(event, ref.amount, `${where}.amount`, opts);
      const amount = Number(amountText);
      if (!Number.isFinite(amount))
        throw new MappingError(`${where}.amount`, `'${amountText}' is not an amount`);
      const code = scalar(event, ref.code, `${where}.code`, opts).toUpperCase();
      if (!/^[A-Z]{3}$/.test(code))
        throw new MappingError(`${where}.code`, `'${code}' is not an ISO 4217 code`);
      const fallbackValue =
        ref.fallback !== undefined && resolvePath(event, ref.fallback) !== undefined
          ? scalar(event, ref.fallback, `${where}.fallback`, opts)
          : currencyFallback(amount, code);
      const currency = { fallback_value: fallbackValue, code, amount_1000: Math.round(amount * 1000) };
      return [{ type: 'currency', currency }, fallbackValue];
    }
    case 'date_time': {
      const text = scalar(event, ref.value, `${where}.value`, opts);
      return [{ type: 'date_time', date_time: { fallback_value: text } }, text];
    }
    case 'image':
    case 'video':
    case 'document': {
      const link = scalar(event, ref.link, `${where}.link`, opts);
      return [{ type: ref.type, [ref.type]: { link } }, link];
    }
    case 'coupon_code': {
      const code = scalar(event, ref.value, `${where}.value`, opts);
      return [{ type: 'coupon_code', coupon_code: code }, code];
    }
    default:
      throw new MappingError(where, `unknown parameter type '${String((ref as { type?: unknown }).type)}'`);
  }
}

function component(
  event: unknown,
  refs: ParamRef[] | Record<string, ParamRef>,
  where: string,
  opts: BuildOptions,
): [TemplateParameter[], Array<string | null> | Record<string, string | null>] {
  if (Array.isArray(refs)) {
    const pairs = refs.map((ref, i) => parameter(event, ref, `${where}.${i}`, opts));
    return [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
  }
  if (refs === null || typeof refs !== 'object')
    throw new MappingError(where, 'expected a list or an object');
  const params: TemplateParameter[] = [];
  const recorded: Record<string, string | null> = {};
  for (const [name, ref] of Object.entries(refs)) {
    const [param, value] = parameter(event, ref, `${where}.${name}`, opts);
    params.push({ ...param, parameter_name: name });
    recorded[name] = value;
  }
  return [params, recorded];
}

/** Changes the first text parameter so the rendered message is wrong but still accepted. */
function mangle(components: TemplateComponent[]): void {
  for (const c of components) {
    for (const p of c.parameters) {
      if (p.type === 'text' && typeof p['text'] === 'string') {
        p['text'] = [...(p['text'] as string)].reverse().join('') + ' #';
        return;
      }
    }
  }
}

/**
 * Builds the template components from `action.parameters` and the event. Header and body lists are
 * positional (`{{1}}`, `{{2}}`…); objects are named parameters (each gets `parameter_name`); buttons
 * get `sub_type`, a string `index`, and a `payload` (quick_reply), a `coupon_code` (copy_code) or a
 * `text` (url and others).
 */
export function buildTemplateComponents(
  event: unknown,
  parameters: ActionParameters | undefined | null,
  opts: BuildOptions = {},
): BuildResult {
  const components: TemplateComponent[] = [];
  const recorded: RecordedParams = {};
  try {
    if (parameters === undefined || parameters === null) return { ok: true, components, recorded };
    if (typeof parameters !== 'object' || Array.isArray(parameters)) {
      throw new MappingError('action.parameters', 'expected an object { header?, body?, buttons? }');
    }
    if (parameters.header !== undefined) {
      const [params, values] = component(event, parameters.header, 'action.parameters.header', opts);
      if (params.length > 0) components.push({ type: 'header', parameters: params });
      recorded.header = values;
    }
    if (parameters.body !== undefined) {
      const [params, values] = component(event, parameters.body, 'action.parameters.body', opts);
      if (params.length > 0) components.push({ type: 'body', parameters: params });
      recorded.body = values;
    }
    if (parameters.buttons !== undefined) {
      if (!Array.isArray(parameters.buttons)) {
        throw new MappingError('action.parameters.buttons', 'expected a list of { index, sub_type, ref }');
      }
      recorded.buttons = [];
      parameters.buttons.forEach((button, i) => {
        const where = `action.parameters.buttons.${i}`;
        if (button === null || typeof button !== 'object')
          throw new MappingError(where, 'expected an object');
        const subType = typeof button.sub_type === 'string' ? button.sub_type : 'url';
        const index = String(button.index ?? i);
        if (!/^\d$/.test(index))
          throw new MappingError(`${where}.index`, `'${index}' is not a button index 0-9`);
        const [param, value] = parameter(event, button.ref, `${where}.ref`, opts);
        // The parameter type follows the button: a payload for quick replies, the code for copy-code
        // buttons, text (the URL suffix) for the others.
        const text = String(value ?? '');
        const payloadParam: TemplateParameter =
          subType === 'quick_reply'
            ? { type: 'payload', payload: text }
            : subType === 'copy_code'
              ? { type: 'coupon_code', coupon_code: text }
              : param.type === 'coupon_code'
                ? { type: 'text', text }
                : param;
        components.push({ type: 'button', sub_type: subType, index, parameters: [payloadParam] });
        recorded.buttons?.push(value);
      });
    }
  } catch (err) {
    if (err instanceof MappingError) return { ok: false, path: err.path, reason: err.message };
    throw err;
  }
  if (opts.mangleOne) mangle(components);
  return { ok: true, components, recorded };
}
