import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { pick, type Rng } from '../../kernel/random.js';
import { type PhoneRange, tailInRange, WHOLE_RANGE } from './phone-range.js';
import type { OutboundExpectation } from './types.js';

/** A WhatsApp template as `GET message_templates` lists it (the fields the planner reads). */
export interface TemplateInfo {
  name: string;
  language: string;
  category: 'UTILITY' | 'MARKETING' | 'AUTHENTICATION';
  status: string;
  parameter_format?: 'POSITIONAL' | 'NAMED';
  components: Array<{
    type: string;
    format?: string;
    text?: string;
    example?: Record<string, unknown>;
    buttons?: Array<{ type: string; text?: string; url?: string; example?: unknown }>;
  }>;
}

/** A field reference as a CRM workflow step stores it (docs/crm-api.md, `action.parameters`). */
export type ParamRef =
  | string
  | { type: 'currency'; amount: string; code: string; fallback: string }
  | { type: 'image' | 'video' | 'document'; link: string }
  | { type: 'coupon_code'; value: string };

/** The customer a planned send goes to (created in the CRM mock before the run). */
export interface PlannedContact {
  name: string;
  /** As the CRM stores it: sometimes a local format the connector must normalise. */
  phone: string;
  country: string;
  language: string;
  consent: 'none' | 'transactional' | 'marketing';
  opted_out: boolean;
}

/** A planned contact as the CRM is given it: its fields only (one list for the run, export and tests). */
export function contactRecord(c: PlannedContact): PlannedContact {
  return {
    name: c.name,
    phone: c.phone,
    country: c.country,
    language: c.language,
    consent: c.consent,
    opted_out: c.opted_out,
  };
}

/** One CRM event to emit, with the ground truth of what must follow. */
export interface PlannedOutbound {
  eventType: string;
  contact: PlannedContact;
  data: Record<string, unknown>;
  action: {
    channel: 'whatsapp';
    template: string;
    language: string;
    category: 'UTILITY' | 'MARKETING' | 'AUTHENTICATION';
    parameters: {
      header?: ParamRef[] | Record<string, ParamRef>;
      body?: ParamRef[] | Record<string, ParamRef>;
      buttons?: Array<{ index: number; sub_type: string; ref: ParamRef }>;
    };
  };
  expectation: Omit<OutboundExpectation, 'eventId'>;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** Placeholders of a text in first-use order, without repeats. */
export function placeholders(text: string | undefined): string[] {
  if (!text) return [];
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

/** Replaces each placeholder with its value. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (_, name: string) => values[name] ?? `{{${name}}}`);
}

const EVENT_TYPES: Record<string, string> = {
  order_confirmation: 'order.created',
  payment_reminder: 'payment.due',
  shipping_notice: 'shipment.sent',
  delivery_update: 'delivery.updated',
  appointment_reminder: 'appointment.reminder',
  otp_verification: 'otp.requested',
};

/** The CRM event type a template answers (order confirmation ← order.created, …). */
export function eventTypeFor(template: TemplateInfo): string {
  return (
    EVENT_TYPES[template.name] ??
    (template.category === 'MARKETING' ? 'promotion.launched' : template.name.replace(/_/g, '.'))
  );
}

/** Customers for template sends: [country, local-format prefix] so some numbers need normalising. */
const CUSTOMER_PLACES: Array<{
  country: CountryCode;
  e164Prefix: string;
  localPrefix: string;
  digits: number;
  language: string;
}> = [
  { country: 'TW', e164Prefix: '+8869', localPrefix: '09', digits: 8, language: 'zh_TW' },
  { country: 'US', e164Prefix: '+1201555', localPrefix: '', digits: 4, language: 'en_US' },
  { country: 'GB', e164Prefix: '+447400', localPrefix: '07400', digits: 6, language: 'en_GB' },
  { country: 'SA', e164Prefix: '+9665', localPrefix: '05', digits: 8, language: 'ar' },
  { country: 'ES', e164Prefix: '+346', localPrefix: '6', digits: 8, language: 'es' },
  { country: 'MX', e164Prefix: '+52222', localPrefix: '', digits: 7, language: 'es_MX' },
];

function digitsOf(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(Math.floor(rng.next() * 10));
  return s;
}

const NAMES = [
  'Maria Silva',
  'Chen Wei',
  'Fatima Al-Sayed',
  'John Carter',
  'Lucía Gómez',
  'Lin Yi-Chun',
  'Omar Haddad',
  'Emma Brown',
];

/**
 * The seed's consent tiers: a first-time contact may receive transactional notifications only, a
 * contact who agreed to transactional messages likewise, only an opted-in contact receives
 * marketing, and one who opted out (after agreeing) receives nothing promotional.
 */
export type ConsentTier = 'first-time' | 'transactional' | 'opted-in' | 'opted-out';

/**
 * Whether a template of `category` may go to a contact in this consent state: first-time contacts
 * (consent 'none') get transactional templates only; marketing needs explicit marketing consent and
 * no opt-out.
 */
export function sendAllowedFor(
  category: string,
  contact: Pick<PlannedContact, 'consent' | 'opted_out'>,
): boolean {
  return category !== 'MARKETING' || (contact.consent === 'marketing' && !contact.opted_out);
}

/** What the CRM stores for each tier (`consent`, `opted_out`). */
const TIER_FIELDS: Record<ConsentTier, Pick<PlannedContact, 'consent' | 'opted_out'>> = {
  'first-time': { consent: 'none', opted_out: false },
  transactional: { consent: 'transactional', opted_out: false },
  'opted-in': { consent: 'marketing', opted_out: false },
  'opted-out': { consent: 'marketing', opted_out: true },
};

/**
 * The tier of contact i cycles through this list, so even a small pool holds every tier: half
 * opted in, a quarter first-time contacts, an eighth transactional-only, an eighth opted out.
 */
export const SEED_CONSENT_TIERS: readonly ConsentTier[] = [
  'opted-in',
  'first-time',
  'opted-in',
  'transactional',
  'opted-in',
  'opted-out',
  'opted-in',
  'first-time',
];

/** The tier a planned contact's stored fields put it in. */
export function tierOf(contact: Pick<PlannedContact, 'consent' | 'opted_out'>): ConsentTier {
  if (contact.consent === 'marketing') return contact.opted_out ? 'opted-out' : 'opted-in';
  return contact.consent === 'transactional' ? 'transactional' : 'first-time';
}

/**
 * Makes `count` distinct customers. A share of them is stored the way dirty CRMs store numbers
 * (Taiwan `09XX-XXX-XXX`, a missing `+`): the connector must normalise those to E.164. Their
 * consent follows `tiers` cyclically (default: the seed's tiers, {@link SEED_CONSENT_TIERS}). Their
 * numbers lie in `range` (default: all numbers), so suites given disjoint ranges never share a customer.
 */
export function planContacts(
  count: number,
  rng: Rng,
  opts: { localShare?: number; tiers?: readonly ConsentTier[]; range?: PhoneRange } = {},
): Array<PlannedContact & { e164: string }> {
  const out: Array<PlannedContact & { e164: string }> = [];
  const used = new Set<string>();
  const localShare = opts.localShare ?? 0.25;
  const tiers = opts.tiers ?? SEED_CONSENT_TIERS;
  const range = opts.range ?? WHOLE_RANGE;
  if (tiers.length === 0) throw new RangeError('planContacts needs at least one consent tier');
  for (let i = 0; out.length < count && i < count * 50; i++) {
    const place = pick(rng, CUSTOMER_PLACES);
    const tail = tailInRange(place.e164Prefix, digitsOf(rng, place.digits), range);
    if (tail === undefined) continue;
    const e164 = place.e164Prefix + tail;
    const parsed = parsePhoneNumberFromString(e164);
    if (!parsed?.isValid() || used.has(e164)) continue;
    used.add(e164);
    let phone = e164;
    if (rng.next() < localShare) {
      const national = parsed.formatNational();
      phone =
        place.country === 'TW'
          ? `${place.localPrefix}${tail.slice(0, 2)}-${tail.slice(2, 5)}-${tail.slice(5)}`
          : national;
      if (place.localPrefix === '') phone = e164.slice(1); // missing '+'
    }
    out.push({
      name: pick(rng, NAMES),
      phone,
      country: place.country,
      language: place.language,
      ...TIER_FIELDS[tiers[out.length % tiers.length] as ConsentTier],
      e164,
    });
  }
  return out;
}

/** A plausible value for a CRM field named like a template parameter. */
function valueFor(name: string, example: string | undefined, rng: Rng): string {
  const n = name.toLowerCase();
  if (n.includes('order') || n === 'id') return `A-${10000 + Math.floor(rng.next() * 89999)}`;
  if (n.includes('tracking')) return `TRK${digitsOf(rng, 9)}`;
  if (n.includes('code') || n.includes('otp')) return digitsOf(rng, 6);
  if (n.includes('date') || n.includes('day'))
    return `2026-12-${String(1 + Math.floor(rng.next() * 28)).padStart(2, '0')}`;
  if (n.includes('time'))
    return `${String(8 + Math.floor(rng.next() * 10)).padStart(2, '0')}:${rng.next() < 0.5 ? '00' : '30'}`;
  if (n.includes('point')) return String(100 + Math.floor(rng.next() * 5000));
  if (n.includes('discount') || n.includes('percent')) return `${5 * (1 + Math.floor(rng.next() * 10))}%`;
  if (example && /\d/.test(example)) {
    // New digits, but years stay years (an example date must not become 8535).
    return example
      .split(/((?:19|20)\d\d)/)
      .map((part, i) => (i % 2 === 1 ? part : part.replace(/\d/g, () => String(Math.floor(rng.next() * 10)))))
      .join('');
  }
  return example ?? `value-${digitsOf(rng, 4)}`;
}

function isMoney(name: string): boolean {
  return /amount|total|price|balance|refund_value/.test(name.toLowerCase());
}

function bodyExamples(component: TemplateInfo['components'][number] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const ex = component?.example ?? {};
  const positional = (ex['body_text'] ?? ex['header_text']) as unknown;
  if (Array.isArray(positional)) {
    const row = Array.isArray(positional[0]) ? (positional[0] as unknown[]) : positional;
    row.forEach((v, i) => {
      if (typeof v === 'string') out[String(i + 1)] = v;
    });
  }
  for (const key of ['body_text_named_params', 'header_text_named_params']) {
    const named = ex[key];
    if (Array.isArray(named)) {
      for (const p of named as Array<{ param_name?: unknown; example?: unknown }>) {
        if (typeof p.param_name === 'string' && typeof p.example === 'string') out[p.param_name] = p.example;
      }
    }
  }
  return out;
}

/**
 * Plans one CRM event for a template and a customer: the event data, the workflow's parameter
 * mapping, and the text the customer must see (header, body and footer with the CRM's values).
 */
export function planTemplateSend(
  template: TemplateInfo,
  contact: PlannedContact & { e164: string },
  rng: Rng,
): PlannedOutbound {
  const named = template.parameter_format === 'NAMED';
  const data: Record<string, unknown> = {};
  const values: Record<string, string> = {};
  const refFor = (variable: string, example: string | undefined, prefix: string): ParamRef => {
    if (variable === 'customer_name' || variable === 'name') {
      values[variable] = contact.name;
      return 'contact.name';
    }
    if (variable === 'phone_number' || variable === 'phone') {
      values[variable] = contact.e164;
      return 'contact.phone';
    }
    if (named && isMoney(variable)) {
      const amount = Math.round((5 + rng.next() * 495) * 100) / 100;
      const display = `$${amount.toFixed(2)}`;
      data['amount'] = amount;
      data['currency'] = 'USD';
      data['amount_display'] = display;
      values[variable] = display;
      return {
        type: 'currency',
        amount: 'data.amount',
        code: 'data.currency',
        fallback: 'data.amount_display',
      };
    }
    const key = named ? variable : `${prefix}${variable}`;
    const value = (data[key] as string | undefined) ?? valueFor(variable, example, rng);
    data[key] = value;
    values[variable] = value;
    return `data.${key}`;
  };

  // Positional parameters are sent in placeholder order ({{1}}, {{2}}, …), whatever order the text uses them in.
  const byNumber = (vars: string[]) => (named ? vars : [...vars].sort((a, b) => Number(a) - Number(b)));
  const parameters: PlannedOutbound['action']['parameters'] = {};
  const header = template.components.find((c) => c.type === 'HEADER');
  const body = template.components.find((c) => c.type === 'BODY');
  const footer = template.components.find((c) => c.type === 'FOOTER');
  const examples = { ...bodyExamples(header), ...bodyExamples(body) };
  let headerText: string | undefined;
  if (header?.format === 'TEXT' || (header && !header.format && header.text)) {
    const vars = byNumber(placeholders(header.text));
    if (vars.length > 0) {
      const refs = vars.map((v) => [v, refFor(v, examples[v], 'h')] as const);
      parameters.header = named ? Object.fromEntries(refs) : refs.map((r) => r[1]);
    }
    headerText = fill(header.text ?? '', values);
  } else if (
    header &&
    (header.format === 'IMAGE' || header.format === 'VIDEO' || header.format === 'DOCUMENT')
  ) {
    const kind = header.format.toLowerCase() as 'image' | 'video' | 'document';
    const ext = kind === 'image' ? 'jpg' : kind === 'video' ? 'mp4' : 'pdf';
    data['header_media_url'] = `https://cdn.example.com/${template.name}/${digitsOf(rng, 6)}.${ext}`;
    parameters.header = [{ type: kind, link: 'data.header_media_url' }];
  }
  const bodyVars = byNumber(placeholders(body?.text));
  if (bodyVars.length > 0) {
    const refs = bodyVars.map((v) => [v, refFor(v, examples[v], 'p')] as const);
    parameters.body = named ? Object.fromEntries(refs) : refs.map((r) => r[1]);
  }
  const buttons: NonNullable<PlannedOutbound['action']['parameters']['buttons']> = [];
  const buttonList = template.components.find((c) => c.type === 'BUTTONS')?.buttons ?? [];
  buttonList.forEach((b, index) => {
    if (b.type === 'URL' && placeholders(b.url).length > 0) {
      data[`button_${index}`] = `ref-${digitsOf(rng, 6)}`;
      buttons.push({ index, sub_type: 'url', ref: `data.button_${index}` });
    } else if (b.type === 'COPY_CODE') {
      data['coupon_code'] = `SAVE${digitsOf(rng, 4)}`;
      buttons.push({ index, sub_type: 'copy_code', ref: { type: 'coupon_code', value: 'data.coupon_code' } });
    } else if (b.type === 'OTP') {
      // The one-time code of the body goes on the button too.
      const codeVar = bodyVars[0] ?? '1';
      const ref = named ? `data.${codeVar}` : `data.p${codeVar}`;
      buttons.push({ index, sub_type: 'url', ref });
    }
  });
  if (buttons.length > 0) parameters.buttons = buttons;

  const expectedText = [
    headerText,
    body?.text !== undefined ? fill(body.text, values) : undefined,
    footer?.text,
  ]
    .filter((t): t is string => t !== undefined)
    .join('\n');
  const sendAllowed = sendAllowedFor(template.category, contact);
  return {
    eventType: eventTypeFor(template),
    contact,
    data,
    action: {
      channel: 'whatsapp',
      template: template.name,
      language: template.language,
      category: template.category,
      parameters,
    },
    expectation: {
      eventType: eventTypeFor(template),
      templateName: template.name,
      templateLanguage: template.language,
      category: template.category,
      toE164: contact.e164,
      expectedText,
      sendAllowed,
    },
  };
}

/** The order categories are taken in when templates are picked (every category early). */
const CATEGORY_ORDER: ReadonlyArray<TemplateInfo['category']> = ['UTILITY', 'MARKETING', 'AUTHENTICATION'];

/**
 * Templates a delivery suite may use: approved ones, taken round-robin over the categories
 * (utility, marketing, authentication; by name and language within each), so that any pick of
 * three or more holds every category the mock has.
 */
export function pickTemplates(all: TemplateInfo[], count: number): TemplateInfo[] {
  const byCategory = CATEGORY_ORDER.map((category) =>
    all
      .filter((t) => t.status === 'APPROVED' && t.category === category)
      .sort((a, b) => `${a.name}/${a.language}`.localeCompare(`${b.name}/${b.language}`)),
  );
  const out: TemplateInfo[] = [];
  for (let round = 0; out.length < count; round++) {
    const before = out.length;
    for (const group of byCategory) {
      const t = group[round];
      if (t !== undefined && out.length < count) out.push(t);
    }
    if (out.length === before) break;
  }
  return out;
}

/**
 * Plans a template-delivery suite: `sendsPerTemplate` sends of each template, interleaved (send i
 * uses template i mod T). The k-th send of a template goes to a contact of tier
 * `tiers[k mod tiers.length]` (round-robin within the tier), so every template, marketing ones
 * included, reaches every consent tier: the sends the tiers forbid are the ground truth of the
 * consent check.
 */
export function planDeliverySends(
  templates: readonly TemplateInfo[],
  sendsPerTemplate: number,
  contacts: ReadonlyArray<PlannedContact & { e164: string }>,
  rng: Rng,
  tiers: readonly ConsentTier[] = SEED_CONSENT_TIERS,
): PlannedOutbound[] {
  const pools = new Map<ConsentTier, Array<PlannedContact & { e164: string }>>();
  for (const c of contacts) {
    const tier = tierOf(c);
    const pool = pools.get(tier) ?? [];
    pool.push(c);
    pools.set(tier, pool);
  }
  const next = new Map<ConsentTier, number>();
  const out: PlannedOutbound[] = [];
  const total = templates.length * sendsPerTemplate;
  for (let i = 0; i < total; i++) {
    const template = templates[i % templates.length] as TemplateInfo;
    const k = Math.floor(i / templates.length);
    // A tier with no contact in the pool falls back to the next tier that has one.
    let contact: (PlannedContact & { e164: string }) | undefined;
    for (let step = 0; step < tiers.length && contact === undefined; step++) {
      const tier = tiers[(k + step) % tiers.length] as ConsentTier;
      const pool = pools.get(tier);
      if (!pool || pool.length === 0) continue;
      const n = next.get(tier) ?? 0;
      next.set(tier, n + 1);
      contact = pool[n % pool.length];
    }
    if (contact === undefined) throw new RangeError('planDeliverySends needs at least one contact');
    out.push(planTemplateSend(template, contact, rng));
  }
  return out;
}
