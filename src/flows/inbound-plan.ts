import { getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { chance, pick, type Rng } from '../../kernel/random.js';
import { type KeywordTag, type MessageLanguage, NEUTRAL_PHRASES, TAG_PHRASES, tagsFor } from './keywords.js';
import { type PhoneRange, tailInRange, WHOLE_RANGE } from './phone-range.js';
import type { InboundExpectation } from './types.js';

/** Countries customers write from, with the language they write in. */
const COUNTRIES: Array<{ country: Parameters<typeof getExampleNumber>[0]; language: MessageLanguage }> = [
  { country: 'US', language: 'en' },
  { country: 'GB', language: 'en' },
  { country: 'IN', language: 'en' },
  { country: 'DE', language: 'en' },
  { country: 'SA', language: 'ar' },
  { country: 'AE', language: 'ar' },
  { country: 'EG', language: 'ar' },
  { country: 'TW', language: 'zh' },
  { country: 'CN', language: 'zh' },
  { country: 'ES', language: 'es' },
  { country: 'MX', language: 'es' },
  { country: 'BR', language: 'en' },
];

/** How a conversation-sync run is shaped. */
export interface ConversationPlanOptions {
  messages: number;
  conversations: number;
  /** Share of conversations with a complaint (each → a handover). */
  complaintShare?: number;
  /** Share of conversations long enough (> 6 customer messages) to be handed over. */
  longShare?: number;
  /** Share of messages carrying a keyword. */
  keywordShare?: number;
  /**
   * The share of numbers customers write from (default: all): give each suite, and each batch of a
   * suite, its own range so no customer is planned twice (see phone-range.ts).
   */
  range?: PhoneRange;
}

/** One customer message to send, with the ground truth of what the connector must do. */
export interface PlannedInbound {
  conversation: number;
  /** Position of the message in its conversation, from 1. */
  position: number;
  fromWaId: string;
  profileName: string;
  language: MessageLanguage;
  expectation: InboundExpectation;
}

/** The threshold of the seed: conversations longer than 6 customer messages go to a human. */
export const LONG_CONVERSATION_MESSAGES = 6;

/** Digits of a country's example mobile number that are redrawn (the leading ones keep its mobile prefix). */
const FREE_DIGITS = 6;

function uniqueNumber(
  rng: Rng,
  country: (typeof COUNTRIES)[number]['country'],
  used: Set<string>,
  range: PhoneRange,
): string {
  const example = getExampleNumber(country, examples);
  const base = example ? example.number.slice(1) : '12015550123';
  const prefix = base.slice(0, base.length - FREE_DIGITS);
  for (let i = 0; i < 1000; i++) {
    const tail = tailInRange(
      prefix,
      String(Math.floor(rng.next() * 10 ** FREE_DIGITS)).padStart(FREE_DIGITS, '0'),
      range,
    );
    if (tail === undefined) break;
    const candidate = prefix + tail;
    // The WhatsApp mock refuses a number libphonenumber does not call valid, as Meta does.
    if (!used.has(candidate) && parsePhoneNumberFromString(`+${candidate}`)?.isValid()) {
      used.add(candidate);
      return candidate;
    }
  }
  throw new Error(
    `ran out of distinct numbers for ${country} in phone range ${range.index} of ${range.count}`,
  );
}

const FIRST_NAMES: Record<MessageLanguage, string[]> = {
  en: ['Olivia', 'Liam', 'Priya', 'Noah', 'Emma', 'Lukas', 'Ana'],
  ar: ['محمد', 'فاطمة', 'أحمد', 'ليلى', 'عمر', 'نور'],
  zh: ['王伟', '李娜', '张敏', '陈杰', '林怡君'],
  es: ['Lucía', 'Mateo', 'Sofía', 'Diego', 'Valentina'],
};

/**
 * Plans a conversation-sync run: `messages` customer messages over `conversations` conversations
 * (every conversation gets at least one), in sending order, each with the tags, handover and
 * automatic reply the product's rules imply. Complaints only occur in short conversations and at
 * most once per conversation, so the complaint and long-conversation handovers never overlap.
 * Messages of one conversation are spread across the run so each arrives after the previous one.
 */
export function planConversations(opts: ConversationPlanOptions, rng: Rng): PlannedInbound[] {
  const conversations = Math.max(1, Math.min(opts.conversations, opts.messages));
  const complaintShare = opts.complaintShare ?? 0.08;
  const longShare = opts.longShare ?? 0.04;
  const keywordShare = opts.keywordShare ?? 0.45;
  // Message counts per conversation: every conversation 1, a few long ones > 6, the rest spread.
  const counts = new Array<number>(conversations).fill(1);
  let remaining = opts.messages - conversations;
  const longCount = Math.min(
    Math.floor(conversations * longShare),
    Math.floor(remaining / LONG_CONVERSATION_MESSAGES),
  );
  for (let c = 0; c < longCount && remaining >= LONG_CONVERSATION_MESSAGES; c++) {
    counts[c] = LONG_CONVERSATION_MESSAGES + 1 + (rng.next() < 0.5 ? 1 : 0);
    remaining -= (counts[c] ?? 1) - 1;
  }
  for (let guard = 0; remaining > 0 && guard < 1_000_000; guard++) {
    const c = longCount + Math.floor(rng.next() * (conversations - longCount));
    if (conversations - longCount <= 0) break;
    if ((counts[c] ?? 1) >= LONG_CONVERSATION_MESSAGES - 1) continue;
    counts[c] = (counts[c] ?? 1) + 1;
    remaining--;
  }
  const used = new Set<string>();
  const range = opts.range ?? WHOLE_RANGE;
  const people = counts.map((_, c) => {
    const place = pick(rng, COUNTRIES);
    return {
      waId: uniqueNumber(rng, place.country, used, range),
      language: place.language,
      name: pick(rng, FIRST_NAMES[place.language]),
      complaintAt:
        c >= longCount && chance(rng, complaintShare) ? 1 + Math.floor(rng.next() * (counts[c] ?? 1)) : 0,
    };
  });
  // Interleave: repeatedly take the next message of a random conversation that still has some.
  const next = new Array<number>(conversations).fill(0);
  const open = counts.map((_, i) => i);
  const plan: PlannedInbound[] = [];
  const taggable: KeywordTag[] = ['order_status', 'refund', 'pricing', 'shipping', 'order_confirmation'];
  while (open.length > 0) {
    const slot = Math.floor(rng.next() * open.length);
    const c = open[slot] ?? 0;
    const person = people[c]!;
    const position = (next[c] ?? 0) + 1;
    next[c] = position;
    if (position >= (counts[c] ?? 1)) open.splice(slot, 1);
    const phrases: string[] = [];
    if (person.complaintAt === position) phrases.push(TAG_PHRASES.complaint[person.language]);
    if (chance(rng, keywordShare)) phrases.push(TAG_PHRASES[pick(rng, taggable)][person.language]);
    if (phrases.length === 0 || chance(rng, 0.3)) phrases.push(pick(rng, NEUTRAL_PHRASES[person.language]));
    const text = phrases.join(' ');
    const tags = tagsFor(text);
    const expectation: InboundExpectation = {
      fromWaId: person.waId,
      conversationKey: `c${c}`,
      text,
      expectedTags: tags,
      expectAutoReply: tags.includes('order_confirmation'),
    };
    if (tags.includes('complaint')) expectation.expectedHandover = 'complaint';
    else if (position === LONG_CONVERSATION_MESSAGES + 1) expectation.expectedHandover = 'long_conversation';
    plan.push({
      conversation: c,
      position,
      fromWaId: person.waId,
      profileName: person.name,
      language: person.language,
      expectation,
    });
  }
  return plan;
}
