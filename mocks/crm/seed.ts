import {
  ar,
  base,
  de,
  en,
  en_GB,
  en_IN,
  es,
  es_MX,
  Faker,
  fr,
  id_ID,
  ja,
  ko,
  type LocaleDefinition,
  pt_BR,
  ru,
  tr,
  vi,
  zh_CN,
  zh_TW,
} from '@faker-js/faker';
import { type CountryCode, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { chance, createRng, pick, type Rng } from '../../kernel/random.js';
import { deriveE164 } from './phone.js';
import type { Consent, LifecycleStage } from './types.js';

/** A market: where a locale's customers live, and how their records look. */
interface Market {
  country: CountryCode;
  timezone: string;
  language: string;
}

/** The locales the seed can draw customers from (faker locale id → faker data and markets). */
export const SEED_LOCALES: Record<string, { data: LocaleDefinition; markets: Market[] }> = {
  en: {
    data: en,
    markets: [
      { country: 'US', timezone: 'America/New_York', language: 'en-US' },
      { country: 'US', timezone: 'America/Los_Angeles', language: 'en-US' },
      { country: 'NG', timezone: 'Africa/Lagos', language: 'en' },
    ],
  },
  en_GB: { data: en_GB, markets: [{ country: 'GB', timezone: 'Europe/London', language: 'en-GB' }] },
  en_IN: { data: en_IN, markets: [{ country: 'IN', timezone: 'Asia/Kolkata', language: 'en-IN' }] },
  ar: {
    data: ar,
    markets: [
      { country: 'SA', timezone: 'Asia/Riyadh', language: 'ar-SA' },
      { country: 'AE', timezone: 'Asia/Dubai', language: 'ar-AE' },
      { country: 'EG', timezone: 'Africa/Cairo', language: 'ar-EG' },
    ],
  },
  zh_CN: { data: zh_CN, markets: [{ country: 'CN', timezone: 'Asia/Shanghai', language: 'zh-CN' }] },
  zh_TW: { data: zh_TW, markets: [{ country: 'TW', timezone: 'Asia/Taipei', language: 'zh-TW' }] },
  es: {
    data: es,
    markets: [
      { country: 'ES', timezone: 'Europe/Madrid', language: 'es-ES' },
      { country: 'CO', timezone: 'America/Bogota', language: 'es-CO' },
      { country: 'AR', timezone: 'America/Argentina/Buenos_Aires', language: 'es-AR' },
    ],
  },
  es_MX: { data: es_MX, markets: [{ country: 'MX', timezone: 'America/Mexico_City', language: 'es-MX' }] },
  pt_BR: { data: pt_BR, markets: [{ country: 'BR', timezone: 'America/Sao_Paulo', language: 'pt-BR' }] },
  fr: { data: fr, markets: [{ country: 'FR', timezone: 'Europe/Paris', language: 'fr-FR' }] },
  de: { data: de, markets: [{ country: 'DE', timezone: 'Europe/Berlin', language: 'de-DE' }] },
  id_ID: { data: id_ID, markets: [{ country: 'ID', timezone: 'Asia/Jakarta', language: 'id-ID' }] },
  ja: { data: ja, markets: [{ country: 'JP', timezone: 'Asia/Tokyo', language: 'ja-JP' }] },
  ko: { data: ko, markets: [{ country: 'KR', timezone: 'Asia/Seoul', language: 'ko-KR' }] },
  ru: { data: ru, markets: [{ country: 'RU', timezone: 'Europe/Moscow', language: 'ru-RU' }] },
  tr: { data: tr, markets: [{ country: 'TR', timezone: 'Europe/Istanbul', language: 'tr-TR' }] },
  vi: { data: vi, markets: [{ country: 'VN', timezone: 'Asia/Ho_Chi_Minh', language: 'vi-VN' }] },
};

/** Kinds of dirt a seeded record can carry (docs/crm-api.md, "Seed data"). */
export const DIRTY_KINDS = [
  'local_format',
  'missing_plus',
  'punctuation',
  'duplicate',
  'opted_out',
  'no_consent',
  'missing_country',
] as const;

/** One kind of {@link DIRTY_KINDS}. */
export type DirtyKind = (typeof DIRTY_KINDS)[number];

/** Options of {@link generateSeedContacts}. */
export interface SeedOptions {
  count: number;
  /** Share of records with at least one kind of dirt, 0..1. */
  dirtyShare?: number;
  /** Faker locale ids from {@link SEED_LOCALES}; default all. */
  locales?: string[];
}

/** A generated contact: the writable fields, and the truth about it. */
export interface SeedContact {
  fields: {
    name: string;
    phone: string;
    country: string | null;
    language: string;
    email: string | null;
    company: string | null;
    owner: string;
    lifecycle_stage: LifecycleStage;
    consent: Consent;
    opted_out: boolean;
    tags: string[];
    timezone: string;
    last_inbound_at: string | null;
    custom_fields: Record<string, string | number | boolean>;
  };
  e164: string;
  dirty: DirtyKind[];
  /** Index (in the generated list) of the record this one duplicates. */
  duplicateOf: number | null;
  locale: string;
}

const PHONE_DIRT = new Set<DirtyKind>(['local_format', 'missing_plus', 'punctuation']);

const OWNERS = [
  'Ana Souza',
  'Omar Haddad',
  'Li Wei',
  'Sofía García',
  'James Carter',
  'Mei-Ling Chen',
  'Priya Nair',
];
const STAGES: LifecycleStage[] = [
  'subscriber',
  'lead',
  'lead',
  'opportunity',
  'customer',
  'customer',
  'customer',
  'evangelist',
];
const TAGS = ['vip', 'newsletter', 'wholesale', 'returning', 'b2b', 'loyalty', 'cod'];

/** Throws a RangeError naming the bad option; the harness and the CLI turn it into their own error. */
export function checkSeedOptions(opts: SeedOptions): void {
  if (!Number.isInteger(opts.count) || opts.count < 0 || opts.count > 1_000_000) {
    throw new RangeError(`seedContacts.count must be an integer 0-1000000, got ${opts.count}`);
  }
  const share = opts.dirtyShare ?? 0.2;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`seedContacts.dirtyShare must be 0-1, got ${share}`);
  for (const l of opts.locales ?? []) {
    if (!Object.hasOwn(SEED_LOCALES, l)) {
      throw new RangeError(
        `unknown seed locale ${JSON.stringify(l)} (known: ${Object.keys(SEED_LOCALES).join(', ')})`,
      );
    }
  }
  if (opts.locales && opts.locales.length === 0)
    throw new RangeError('seedContacts.locales must not be empty');
}

/** A valid mobile number of `country` in E.164, drawn from `rng` (the example number with new digits). */
export function randomMobile(rng: Rng, country: CountryCode): string {
  const example = getExampleNumber(country, examples);
  if (!example) throw new RangeError(`no example mobile number for ${country}`);
  const national = String(example.nationalNumber);
  // Keep the leading digits (the mobile prefix), redraw the rest until the number is valid.
  const keep = Math.min(3, national.length - 4);
  for (let attempt = 0; attempt < 30; attempt++) {
    let digits = national.slice(0, keep);
    for (let i = keep; i < national.length; i++) digits += String(Math.floor(rng.next() * 10));
    const parsed = parsePhoneNumberFromString(digits, country);
    if (parsed?.isValid() && parsed.getType() !== 'FIXED_LINE') return parsed.number;
  }
  return example.number;
}

/** `phone` written the way `kind` of dirt writes it (E.164 in, a messy string out). */
export function dirtyPhone(
  e164: string,
  kind: 'local_format' | 'missing_plus' | 'punctuation',
  rng: Rng,
): string {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return e164;
  switch (kind) {
    case 'missing_plus':
      return e164.slice(1);
    case 'punctuation': {
      const intl = parsed.formatInternational();
      if (chance(rng, 0.5)) return intl;
      const m = /^\+(\d+) (.*)$/.exec(intl);
      return m ? `(+${m[1]}) ${(m[2] ?? '').replace(/ /g, '-')}` : intl;
    }
    case 'local_format': {
      const national = parsed.formatNational();
      // Taiwan's customers type 09XX-XXX-XXX; elsewhere the national format as it is printed.
      return parsed.country === 'TW' ? national.replace(/\s+/g, '-') : national;
    }
  }
}

/**
 * Generates `count` contacts from `seed`: the same seed and options give the same contacts.
 * A `dirtyShare` of them carry one or two kinds of dirt; the rest are clean (E.164, consented).
 */
export function generateSeedContacts(seed: number, opts: SeedOptions, epochMs: number): SeedContact[] {
  checkSeedOptions(opts);
  const rng = createRng(seed ^ 0x5eed);
  const localeIds = opts.locales ?? Object.keys(SEED_LOCALES);
  const dirtyShare = opts.dirtyShare ?? 0.2;
  const fakers = new Map<string, Faker>();
  const fakerFor = (id: string): Faker => {
    let f = fakers.get(id);
    if (!f) {
      f = new Faker({ locale: [SEED_LOCALES[id]?.data ?? en, en, base] });
      f.seed([seed, id.length, id.charCodeAt(0), id.charCodeAt(id.length - 1)]);
      fakers.set(id, f);
    }
    return f;
  };
  const latin = new Faker({ locale: [en, base] });
  latin.seed(seed);

  const out: SeedContact[] = [];
  const marketOf: Market[] = [];
  for (let i = 0; i < opts.count; i++) {
    const isDirty = chance(rng, dirtyShare);
    let dirty: DirtyKind[] = [];
    if (isDirty) {
      dirty.push(pick(rng, DIRTY_KINDS));
      if (chance(rng, 0.25)) {
        const second = pick(rng, DIRTY_KINDS);
        // One way of mis-writing the phone per record, so the kinds listed are the kinds present.
        if (!dirty.includes(second) && !(PHONE_DIRT.has(second) && dirty.some((d) => PHONE_DIRT.has(d)))) {
          dirty.push(second);
        }
      }
    }
    // A duplicate needs an earlier record to duplicate.
    if (out.length === 0) dirty = dirty.filter((d) => d !== 'duplicate');
    const original = dirty.includes('duplicate') ? out[Math.floor(rng.next() * out.length)] : undefined;

    const localeId = original?.locale ?? pick(rng, localeIds);
    const locale = SEED_LOCALES[localeId] ?? (SEED_LOCALES['en'] as { markets: Market[] });
    const market = original ? (marketOf[out.indexOf(original)] as Market) : pick(rng, locale.markets);
    const f = fakerFor(localeId);
    const e164 = original?.e164 ?? randomMobile(rng, market.country);
    const name = original?.fields.name ?? f.person.fullName();

    let phoneText = e164;
    const phoneDirt = dirty.filter(
      (d): d is 'local_format' | 'missing_plus' | 'punctuation' =>
        d === 'local_format' || d === 'missing_plus' || d === 'punctuation',
    );
    if (phoneDirt[0]) phoneText = dirtyPhone(e164, phoneDirt[0], rng);
    else if (original) {
      // The duplicate was typed in again by someone else: another way of writing the same number.
      phoneText = dirtyPhone(e164, original.fields.phone === e164 ? 'local_format' : 'punctuation', rng);
    }

    // A local number without a country cannot be resolved by anyone: keep every record resolvable.
    if (dirty.includes('missing_country') && deriveE164(phoneText, null) !== e164) {
      dirty = dirty.filter((d) => d !== 'missing_country');
    }

    const consent: Consent = dirty.includes('no_consent')
      ? 'none'
      : chance(rng, 0.6)
        ? 'marketing'
        : 'transactional';
    const lastInboundDaysAgo = chance(rng, 0.5) ? Math.floor(rng.next() * 30 * 86_400_000) : undefined;
    const tags = TAGS.filter(() => chance(rng, 0.12));
    marketOf.push(market);
    out.push({
      fields: {
        name,
        phone: phoneText,
        country: dirty.includes('missing_country') ? null : market.country,
        language: market.language,
        email: chance(rng, 0.85) ? latin.internet.email().toLowerCase() : null,
        company: chance(rng, 0.4) ? f.company.name().slice(0, 200) : null,
        owner: pick(rng, OWNERS),
        lifecycle_stage: pick(rng, STAGES),
        consent,
        opted_out: dirty.includes('opted_out'),
        tags,
        timezone: market.timezone,
        last_inbound_at:
          lastInboundDaysAgo === undefined ? null : new Date(epochMs - lastInboundDaysAgo).toISOString(),
        custom_fields: {
          customer_since: 2015 + Math.floor(rng.next() * 11),
          loyalty_points: Math.floor(rng.next() * 5000),
          preferred_channel: 'whatsapp',
        },
      },
      e164,
      dirty,
      duplicateOf: original ? out.indexOf(original) : null,
      locale: localeId,
    });
  }
  return out;
}
