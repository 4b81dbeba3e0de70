import type { Measure } from './measures.js';

/**
 * The consistency audit (the seed's weekly check of 1,000 conversation records) and the ground
 * truth it compares the CRM with. The WhatsApp mock's journal is a bounded ring (200,000 entries,
 * several per message), so after a few tens of thousands of flows it no longer holds what WhatsApp
 * saw at the start of the run; a 72-hour soak writes more than that. The harness therefore keeps
 * its own ledger, fed from the journal's entry stream as it is written: one compact slot per
 * WhatsApp message (not per journal entry) for the whole run.
 */

/** A journal entry as the ledger reads it (the shape the WhatsApp mock's journal emits). */
export interface LedgerEntry {
  kind: string;
  data: Record<string, unknown>;
}

/** A CRM message as the audit reads it. */
export interface AuditedCrmMessage {
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  body: string | null;
  wa_message_id?: string | null;
}

/** A seeded random source (only `next()` is used). */
export interface AuditRng {
  next(): number;
}

/** 32-bit FNV-1a over UTF-16 code units: the ledger keeps a text's hash, never the text. */
export function textHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const INBOUND = 1;
const HAS_TEXT = 2;

/**
 * Every message WhatsApp accepted or delivered to the business in the run: wamid, direction, the
 * customer (wa_id) and, for customer messages, a hash of the text. Memory is one map entry and
 * nine bytes of columns per message, whatever the journal's size.
 */
export class WhatsAppLedger {
  private readonly slotOf = new Map<string, number>();
  private readonly wamids: string[] = [];
  private customerOf = new Int32Array(1024);
  private hashOf = new Uint32Array(1024);
  private flagsOf = new Uint8Array(1024);
  private readonly customerIndex = new Map<string, number>();
  private readonly customerIds: string[] = [];

  /** Takes a WhatsApp journal entry; only `message.accepted` and `inbound.created` are kept. */
  record(entry: LedgerEntry): void {
    const inbound = entry.kind === 'inbound.created';
    if (!inbound && entry.kind !== 'message.accepted') return;
    const d = entry.data;
    const wamid = d['wamid'];
    if (typeof wamid !== 'string' || this.slotOf.has(wamid)) return;
    const customer = d['phone'] ?? (inbound ? d['from'] : d['to']);
    const text = inbound ? d['text'] : undefined;
    this.add(wamid, typeof customer === 'string' ? customer : '', inbound, text);
  }

  /** Adds one message (the journal's fields already picked out). */
  add(wamid: string, customer: string, inbound: boolean, text?: unknown): void {
    if (this.slotOf.has(wamid)) return;
    const slot = this.wamids.length;
    if (slot === this.customerOf.length) this.grow();
    let c = this.customerIndex.get(customer);
    if (c === undefined) {
      c = this.customerIds.length;
      this.customerIds.push(customer);
      this.customerIndex.set(customer, c);
    }
    this.slotOf.set(wamid, slot);
    this.wamids.push(wamid);
    this.customerOf[slot] = c;
    let flags = inbound ? INBOUND : 0;
    if (typeof text === 'string') {
      flags |= HAS_TEXT;
      this.hashOf[slot] = textHash(text);
    }
    this.flagsOf[slot] = flags;
  }

  /** Messages on record. */
  get size(): number {
    return this.wamids.length;
  }

  /** Distinct customers (WhatsApp conversations) on record. */
  get customers(): number {
    return this.customerIds.length;
  }

  /** Whether WhatsApp saw this message. */
  has(wamid: string): boolean {
    return this.slotOf.has(wamid);
  }

  /** What WhatsApp saw of one message, or undefined. */
  get(wamid: string): { customer: string; direction: 'inbound' | 'outbound'; textHash?: number } | undefined {
    const slot = this.slotOf.get(wamid);
    if (slot === undefined) return undefined;
    const flags = this.flagsOf[slot] as number;
    return {
      customer: this.customerIds[this.customerOf[slot] as number] as string,
      direction: flags & INBOUND ? 'inbound' : 'outbound',
      ...(flags & HAS_TEXT ? { textHash: this.hashOf[slot] as number } : {}),
    };
  }

  /** The wamids of each customer, customers in first-seen order (built when the audit runs). */
  byCustomer(): string[][] {
    const out: string[][] = this.customerIds.map(() => []);
    for (let slot = 0; slot < this.wamids.length; slot++) {
      (out[this.customerOf[slot] as number] as string[]).push(this.wamids[slot] as string);
    }
    return out;
  }

  /** The customer (wa_id) of index `i` of {@link byCustomer}. */
  customerAt(i: number): string | undefined {
    return this.customerIds[i];
  }

  private grow(): void {
    const n = this.customerOf.length * 2;
    const customers = new Int32Array(n);
    customers.set(this.customerOf);
    this.customerOf = customers;
    const hashes = new Uint32Array(n);
    hashes.set(this.hashOf);
    this.hashOf = hashes;
    const flags = new Uint8Array(n);
    flags.set(this.flagsOf);
    this.flagsOf = flags;
  }
}

/** What the audit found. */
export interface ConsistencyAudit {
  /** Audited conversations: WhatsApp customers, plus CRM conversations WhatsApp knows nothing of. */
  sampled: number;
  matched: number;
  /** Up to three mismatches, each `conversation: first problem`. */
  examples: string[];
  /** Messages in the ledger (the whole run). */
  whatsappMessages: number;
  /** Messages WhatsApp saw that have no CRM record (whole run, not only the sample). */
  missingInCrm: number;
  /** CRM messages carrying a wamid WhatsApp never saw (whole run). */
  unknownToWhatsApp: number;
}

/**
 * Audits a random sample of conversations against the ledger, both ways. A WhatsApp customer's
 * conversation matches when every message WhatsApp saw for them is in the CRM with the same
 * direction (and, for customer messages, the same text), and every message of the CRM
 * conversations holding them is one WhatsApp saw. CRM conversations none of whose messages
 * WhatsApp saw join the sample space too (they can only mismatch): a record the connector made up
 * or took from elsewhere is as wrong as one it lost.
 */
export function auditConsistency(
  ledger: WhatsAppLedger,
  messages: readonly AuditedCrmMessage[],
  sample: number,
  rng: AuditRng,
): ConsistencyAudit {
  const crmByWamid = new Map<string, AuditedCrmMessage>();
  const byConversation = new Map<string, AuditedCrmMessage[]>();
  for (const m of messages) {
    const list = byConversation.get(m.conversation_id) ?? [];
    list.push(m);
    byConversation.set(m.conversation_id, list);
    if (m.wa_message_id) crmByWamid.set(m.wa_message_id, m);
  }
  let unknownToWhatsApp = 0;
  const orphans: string[] = [];
  for (const [id, list] of byConversation) {
    let known = 0;
    let withWamid = 0;
    for (const m of list) {
      if (!m.wa_message_id) continue;
      withWamid++;
      if (ledger.has(m.wa_message_id)) known++;
      else unknownToWhatsApp++;
    }
    if (withWamid > 0 && known === 0) orphans.push(id);
  }
  const customers = ledger.byCustomer();
  let missingInCrm = 0;
  for (const list of customers) for (const w of list) if (!crmByWamid.has(w)) missingInCrm++;

  // Random sample without replacement over customers then orphans (partial Fisher–Yates).
  const space = customers.length + orphans.length;
  const n = Math.min(sample, space);
  const ids = Array.from({ length: space }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng.next() * (space - i));
    [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
  }
  let matched = 0;
  const examples: string[] = [];
  for (const unit of ids.slice(0, n)) {
    let problem: string | undefined;
    let name: string;
    if (unit >= customers.length) {
      name = `CRM conversation ${orphans[unit - customers.length]}`;
      problem = 'WhatsApp never saw any of its messages';
    } else {
      name = `customer ${ledger.customerAt(unit)}`;
      const conversations = new Set<string>();
      for (const wamid of customers[unit] as string[]) {
        const seen = ledger.get(wamid);
        const crm = crmByWamid.get(wamid);
        if (!seen) continue;
        if (!crm) {
          problem ??= `${wamid} reached WhatsApp but has no CRM record`;
          continue;
        }
        conversations.add(crm.conversation_id);
        if (crm.direction !== seen.direction) {
          problem ??= `${wamid} direction ${crm.direction} ≠ ${seen.direction}`;
        } else if (
          seen.direction === 'inbound' &&
          seen.textHash !== undefined &&
          textHash(crm.body ?? '') !== seen.textHash
        ) {
          problem ??= `${wamid} text differs`;
        }
      }
      for (const id of conversations) {
        for (const m of byConversation.get(id) ?? []) {
          if (m.wa_message_id && !ledger.has(m.wa_message_id)) {
            problem ??= `${m.wa_message_id} is in the CRM but WhatsApp never saw it`;
          }
        }
      }
    }
    if (problem === undefined) matched++;
    else if (examples.length < 3) examples.push(`${name}: ${problem}`);
  }
  return {
    sampled: n,
    matched,
    examples,
    whatsappMessages: ledger.size,
    missingInCrm,
    unknownToWhatsApp,
  };
}

/** The audit as the `consistency_match_rate` check, or null when there was nothing to audit. */
export function consistencyMeasure(audit: ConsistencyAudit): Measure | null {
  if (audit.sampled === 0) return null;
  return {
    value: audit.matched / audit.sampled,
    evidence:
      `${audit.matched} of ${audit.sampled} sampled conversations match what WhatsApp saw` +
      (audit.examples.length > 0 ? `; e.g. ${audit.examples.join('; ')}` : '') +
      `; over the whole run ${audit.missingInCrm} of ${audit.whatsappMessages} WhatsApp messages have no CRM record` +
      ` and ${audit.unknownToWhatsApp} CRM messages were never seen by WhatsApp`,
  };
}
