import type { Clock } from '../../kernel/clock.js';
import type { Rng } from '../../kernel/random.js';
import type { Journal } from '../shared/journal.js';
import { ApiError, notFound, validationError } from './errors.js';
import { searchKeys } from './phone.js';
import type { CrmStore } from './store.js';
import type {
  Contact,
  Conversation,
  CrmMessage,
  CustomFieldValue,
  DeliveryStatus,
  ErrorLog,
  Handover,
  StatusEntry,
} from './types.js';
import {
  bool,
  boundedJson,
  country,
  customFields,
  type FieldSpec,
  isObject,
  oneOf,
  phone,
  str,
  tagList,
  timestamp,
  timezone,
  validateBody,
} from './validate.js';

/** Writable contact fields and how they are checked (POST /contacts, PATCH /contacts/:id). */
export const CONTACT_FIELDS: Record<string, FieldSpec> = {
  name: { check: str({ max: 200, nullable: true }) },
  phone: { check: phone() },
  country: { check: country() },
  language: {
    check: str({
      min: 2,
      max: 35,
      nullable: true,
      pattern: /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/,
      patternHelp: 'a BCP 47 language tag (en, ar, zh-TW, pt-BR) or null',
    }),
  },
  email: {
    check: str({
      min: 3,
      max: 254,
      nullable: true,
      pattern: /^[^\s@]+@[^\s@]+$/,
      patternHelp: 'an e-mail address or null',
    }),
  },
  company: { check: str({ max: 200, nullable: true }) },
  owner: { check: str({ max: 200, nullable: true }) },
  lifecycle_stage: { check: oneOf(['subscriber', 'lead', 'opportunity', 'customer', 'evangelist', 'other']) },
  consent: { check: oneOf(['none', 'transactional', 'marketing']) },
  opted_out: { check: bool() },
  tags: { check: tagList(0, 100) },
  timezone: { check: timezone() },
  last_inbound_at: { check: timestamp({ nullable: true }) },
  custom_fields: { check: customFields() },
};

/** Fields of a contact the API computes; writing them is a 422 naming them. */
export const CONTACT_READ_ONLY = ['id', 'created_at', 'updated_at'];

/** Message types the CRM stores (WhatsApp's inbound types plus `template`). */
export const MESSAGE_TYPES = [
  'text',
  'template',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'contacts',
  'interactive',
  'button',
  'reaction',
  'order',
  'system',
  'request_welcome',
  'unsupported',
  'unknown',
] as const;

const MESSAGE_FIELDS: Record<string, FieldSpec> = {
  direction: { check: oneOf(['inbound', 'outbound']), required: true },
  type: { check: oneOf(MESSAGE_TYPES), required: true },
  body: { check: str({ max: 4096, nullable: true }) },
  template_name: { check: str({ min: 1, max: 512, nullable: true }) },
  template_language: { check: str({ min: 2, max: 16, nullable: true }) },
  template_params: {
    check: boundedJson({ maxBytes: 32_768, maxLeaves: 100, kinds: ['array', 'object'], nullable: true }),
  },
  wa_message_id: { check: str({ min: 1, max: 256 }), required: true },
  at: { check: timestamp() },
};

const STATUS_FIELDS: Record<string, FieldSpec> = {
  status: { check: oneOf(['sent', 'delivered', 'read', 'failed']), required: true },
  at: { check: timestamp() },
  error: {
    check: boundedJson({ maxBytes: 4096, maxLeaves: 100, kinds: ['object', 'string'], nullable: true }),
  },
};

const HANDOVER_FIELDS: Record<string, FieldSpec> = {
  conversation_id: { check: str({ min: 1, max: 64 }), required: true },
  reason: { check: str({ min: 1, max: 200, trim: true }), required: true },
  note: { check: str({ max: 2000, nullable: true }) },
};

const ERROR_LOG_FIELDS: Record<string, FieldSpec> = {
  kind: {
    check: str({
      min: 1,
      max: 64,
      pattern: /^[A-Za-z0-9_.:-]+$/,
      patternHelp: '1-64 characters of A-Z a-z 0-9 _ . : -',
    }),
    required: true,
  },
  message: { check: str({ min: 1, max: 2000 }), required: true },
  wa_message_id: { check: str({ min: 1, max: 256, nullable: true }) },
  event_id: { check: str({ min: 1, max: 64, nullable: true }) },
  context: { check: boundedJson({ maxBytes: 16_384, maxLeaves: 1000, kinds: ['object'], nullable: true }) },
};

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * A contact with nothing known but its id and phone, created at `nowIso`: what every dialect
 * starts a new contact from before applying what the caller sent.
 */
export function blankContact(id: string, phoneText: string, nowIso: string): Contact {
  return {
    id,
    name: null,
    phone: phoneText,
    country: null,
    language: null,
    email: null,
    company: null,
    owner: null,
    lifecycle_stage: 'lead',
    consent: 'none',
    opted_out: false,
    tags: [],
    timezone: null,
    last_inbound_at: null,
    created_at: nowIso,
    updated_at: nowIso,
    custom_fields: {},
  };
}

/**
 * The CRM's behaviour over a store: every write the API, the admin API and the harness handle do
 * goes through here, so the rules (upsert by phone, message de-duplication, counters, journal
 * entries) live in one place. Methods take unvalidated bodies and throw {@link ApiError}s.
 */
export class CrmService {
  private idCounter: number;

  constructor(
    readonly store: CrmStore,
    private readonly clock: Clock,
    private readonly journal: Journal,
    private readonly rng: Rng,
  ) {
    this.idCounter = Number(store.getMeta('id_counter') ?? '0');
  }

  /** Now on the mock's clock, as an ISO timestamp. */
  nowIso(): string {
    return new Date(this.clock.epochMs()).toISOString();
  }

  /** A fresh id: prefix, a persisted counter (unique across restarts) and seeded noise. */
  newId(prefix: string): string {
    this.idCounter++;
    this.store.setMeta('id_counter', String(this.idCounter));
    let noise = '';
    for (let i = 0; i < 6; i++) noise += ID_ALPHABET[Math.floor(this.rng.next() * 36)];
    return `${prefix}_${this.idCounter.toString(36).padStart(6, '0')}${noise}`;
  }

  // -------------------------------------------------------------------------------- contacts

  /** Contacts whose phone matches `query` (stored, digits, or derived E.164), oldest first. */
  findByPhone(query: string): Contact[] {
    const seen = new Set<string>();
    const out: Contact[] = [];
    for (const key of searchKeys(query)) {
      for (const c of this.store.contacts.find('phone', key)) {
        if (!seen.has(c.id)) {
          seen.add(c.id);
          out.push(c);
        }
      }
    }
    // Keys come from separate index buckets; keep one order (creation, oldest first) for callers.
    if (out.length > 1) out.sort((a, b) => (a.created_at + a.id < b.created_at + b.id ? -1 : 1));
    return out;
  }

  /** A contact or 404. */
  contact(id: string, path = 'id'): Contact {
    const c = this.store.contacts.get(id);
    if (!c) throw notFound('contact', id, path);
    return c;
  }

  private applyContact(c: Contact, v: Record<string, unknown>): void {
    // Check before changing anything: in memory `c` is the stored object itself.
    const cf = v['custom_fields'] as Record<string, CustomFieldValue | null> | undefined;
    if (cf) {
      const keys = new Set(Object.keys(c.custom_fields));
      for (const [k, val] of Object.entries(cf)) val === null ? keys.delete(k) : keys.add(k);
      if (keys.size > 50)
        throw validationError([{ path: 'custom_fields', message: 'would hold more than 50 keys' }]);
    }
    for (const [k, value] of Object.entries(v)) {
      if (k === 'custom_fields') {
        for (const [ck, cv] of Object.entries(value as Record<string, CustomFieldValue | null>)) {
          if (cv === null) delete c.custom_fields[ck];
          else c.custom_fields[ck] = cv;
        }
      } else {
        (c as unknown as Record<string, unknown>)[k] = value;
      }
    }
  }

  /** POST /contacts: updates the oldest contact matching the phone, or creates one. */
  upsertContact(body: unknown): { contact: Contact; created: boolean } {
    const v = validateBody(
      body,
      { ...CONTACT_FIELDS, phone: { check: phone(), required: true } },
      CONTACT_READ_ONLY,
    );
    return this.store.transaction(() => {
      const existing = this.findByPhone(v['phone'] as string)[0];
      if (existing) {
        // The phone is the lookup key: it matched, so the stored spelling stays (PATCH changes it).
        const { phone: _matched, ...rest } = v;
        this.applyContact(existing, rest);
        existing.updated_at = this.nowIso();
        this.store.contacts.update(existing);
        this.journal.append('contact.upserted', {
          contactId: existing.id,
          phone: existing.phone,
          created: false,
        });
        return { contact: existing, created: false };
      }
      return { contact: this.insertContact(v, this.newId('ctc')), created: true };
    });
  }

  /** Creates a contact (always a new record, even if the phone exists); validated like the API. */
  createContact(body: unknown, id?: string, opts: { quiet?: boolean } = {}): Contact {
    const v = validateBody(
      body,
      { ...CONTACT_FIELDS, phone: { check: phone(), required: true } },
      CONTACT_READ_ONLY,
    );
    if (id !== undefined && this.store.contacts.get(id)) {
      throw new ApiError(409, 'conflict', `contact ${id} exists already`, [
        { path: 'id', message: 'is taken' },
      ]);
    }
    if (id !== undefined && (typeof id !== 'string' || id.length < 1 || id.length > 64)) {
      throw validationError([{ path: 'id', message: 'must be a string of 1-64 characters' }]);
    }
    return this.store.transaction(() => this.insertContact(v, id ?? this.newId('ctc'), opts.quiet));
  }

  private insertContact(v: Record<string, unknown>, id: string, quiet = false): Contact {
    const c = blankContact(id, v['phone'] as string, this.nowIso());
    this.applyContact(c, v);
    this.store.contacts.insert(c);
    // Seeding is quiet: the harness traces what happens during a run, not the starting state.
    if (!quiet) this.journal.append('contact.upserted', { contactId: c.id, phone: c.phone, created: true });
    return c;
  }

  /** PATCH /contacts/:id. */
  patchContact(id: string, body: unknown): Contact {
    const c = this.contact(id);
    const v = validateBody(body, CONTACT_FIELDS, CONTACT_READ_ONLY);
    return this.store.transaction(() => {
      this.applyContact(c, v);
      c.updated_at = this.nowIso();
      this.store.contacts.update(c);
      this.journal.append('contact.upserted', { contactId: c.id, phone: c.phone, created: false });
      return c;
    });
  }

  /** POST /contacts/:id/tags: adds tags not yet there. */
  addTags(id: string, body: unknown): { contact_id: string; tags: string[]; added: string[] } {
    const c = this.contact(id);
    const v = validateBody(body, { tags: { check: tagList(1, 50), required: true } });
    const requested = v['tags'] as string[];
    const added = requested.filter((t) => !c.tags.includes(t));
    if (c.tags.length + added.length > 100) {
      throw validationError([
        { path: 'tags', message: `would give the contact more than 100 tags (has ${c.tags.length})` },
      ]);
    }
    return this.store.transaction(() => {
      if (added.length > 0) {
        c.tags.push(...added);
        c.updated_at = this.nowIso();
        this.store.contacts.update(c);
      }
      this.journal.append('tags.added', { contactId: c.id, tags: requested, added });
      return { contact_id: c.id, tags: c.tags, added };
    });
  }

  /** DELETE /contacts/:id/tags/:tag. */
  removeTag(id: string, tag: string): { contact_id: string; tags: string[]; removed: boolean } {
    const c = this.contact(id);
    const i = c.tags.indexOf(tag);
    if (i >= 0) {
      c.tags.splice(i, 1);
      c.updated_at = this.nowIso();
      this.store.contacts.update(c);
    }
    return { contact_id: c.id, tags: c.tags, removed: i >= 0 };
  }

  // ---------------------------------------------------------------------------- conversations

  /** A conversation or 404. */
  conversation(id: string, path = 'id'): Conversation {
    const c = this.store.conversations.get(id);
    if (!c) throw notFound('conversation', id, path);
    return c;
  }

  /** POST /conversations: the contact's current conversation, created if none. */
  openConversation(body: unknown): { conversation: Conversation; created: boolean } {
    const v = validateBody(body, { contact_id: { check: str({ min: 1, max: 64 }), required: true } });
    const contact = this.contact(v['contact_id'] as string, 'contact_id');
    const current = this.store.conversations.find('current', contact.id)[0];
    if (current) return { conversation: current, created: false };
    return this.store.transaction(() => {
      const now = this.nowIso();
      const conv: Conversation = {
        id: this.newId('conv'),
        contact_id: contact.id,
        channel: 'whatsapp',
        status: 'open',
        handed_over: false,
        handover_id: null,
        message_count: 0,
        inbound_count: 0,
        outbound_count: 0,
        last_message_at: null,
        created_at: now,
        updated_at: now,
      };
      this.store.conversations.insert(conv);
      this.journal.append('conversation.created', { conversationId: conv.id, contactId: contact.id });
      return { conversation: conv, created: true };
    });
  }

  /** POST /conversations/:id/close. */
  closeConversation(id: string): Conversation {
    const conv = this.conversation(id);
    if (conv.status !== 'closed') {
      conv.status = 'closed';
      conv.updated_at = this.nowIso();
      this.store.conversations.update(conv);
    }
    return conv;
  }

  // --------------------------------------------------------------------------------- messages

  /** A message or 404. */
  message(id: string): CrmMessage {
    const m = this.store.messages.get(id);
    if (!m) throw notFound('message', id);
    return m;
  }

  /** The message with this WhatsApp id. */
  messageByWaId(wamid: string): CrmMessage | undefined {
    return this.store.messages.find('wamid', wamid)[0];
  }

  /** POST /conversations/:id/messages; a known wa_message_id returns the stored message. */
  addMessage(conversationId: string, body: unknown): { message: CrmMessage; created: boolean } {
    const conv = this.conversation(conversationId);
    const v = validateBody(body, MESSAGE_FIELDS, ['id', 'status', 'status_history', 'created_at']);
    const problems = [];
    if (v['type'] === 'text' && typeof v['body'] !== 'string')
      problems.push({ path: 'body', message: 'is required for type text' });
    if (v['type'] === 'template' && typeof v['template_name'] !== 'string')
      problems.push({ path: 'template_name', message: 'is required for type template' });
    if (problems.length > 0) throw validationError(problems);
    const wamid = v['wa_message_id'] as string;
    const existing = this.messageByWaId(wamid);
    if (existing) return { message: existing, created: false };
    if (conv.status === 'closed') {
      throw new ApiError(409, 'conflict', `conversation ${conv.id} is closed`, [
        { path: 'id', message: 'the conversation is closed; POST /conversations opens a new one' },
      ]);
    }
    return this.store.transaction(() => {
      const now = this.nowIso();
      const direction = v['direction'] as 'inbound' | 'outbound';
      const msg: CrmMessage = {
        id: this.newId('msg'),
        conversation_id: conv.id,
        contact_id: conv.contact_id,
        direction,
        type: v['type'] as string,
        body: (v['body'] as string | null | undefined) ?? null,
        template_name: (v['template_name'] as string | null | undefined) ?? null,
        template_language: (v['template_language'] as string | null | undefined) ?? null,
        template_params: v['template_params'] ?? null,
        wa_message_id: wamid,
        at: (v['at'] as string | undefined) ?? now,
        status: direction === 'inbound' ? 'received' : null,
        status_history: [],
        error: null,
        created_at: now,
      };
      this.store.messages.insert(msg);
      conv.message_count++;
      if (direction === 'inbound') conv.inbound_count++;
      else conv.outbound_count++;
      if (conv.last_message_at === null || msg.at > conv.last_message_at) conv.last_message_at = msg.at;
      conv.updated_at = now;
      this.store.conversations.update(conv);
      if (direction === 'inbound') {
        const contact = this.store.contacts.get(conv.contact_id);
        if (contact && (contact.last_inbound_at === null || msg.at > contact.last_inbound_at)) {
          contact.last_inbound_at = msg.at;
          contact.updated_at = now;
          this.store.contacts.update(contact);
        }
      }
      const data: Record<string, unknown> = {
        messageId: msg.id,
        conversationId: conv.id,
        contactId: conv.contact_id,
        direction,
        waMessageId: wamid,
        type: msg.type,
      };
      if (msg.body !== null) data['body'] = msg.body;
      if (msg.template_name !== null) data['templateName'] = msg.template_name;
      if (msg.template_params !== null) data['templateParams'] = msg.template_params;
      this.journal.append('message.created', data);
      return { message: msg, created: true };
    });
  }

  /** POST /messages/:id/statuses: appends to the history; `status` = the last written. */
  addStatus(id: string, body: unknown): CrmMessage {
    const msg = this.message(id);
    const v = validateBody(body, STATUS_FIELDS);
    const status = v['status'] as DeliveryStatus;
    const error = v['error'] ?? null;
    if (error !== null && status !== 'failed') {
      throw validationError([{ path: 'error', message: 'is only allowed with status failed' }]);
    }
    const now = this.nowIso();
    const entry: StatusEntry = {
      status,
      at: (v['at'] as string | undefined) ?? now,
      recorded_at: now,
      error,
    };
    return this.store.transaction(() => {
      msg.status_history.push(entry);
      msg.status = status;
      if (status === 'failed') msg.error = error;
      this.store.messages.update(msg);
      this.journal.append('message.status', {
        messageId: msg.id,
        waMessageId: msg.wa_message_id,
        status,
        at: entry.at,
      });
      return msg;
    });
  }

  // -------------------------------------------------------------------------------- handovers

  /** A handover or 404. */
  handover(id: string): Handover {
    const h = this.store.handovers.get(id);
    if (!h) throw notFound('handover', id);
    return h;
  }

  /** POST /handovers: queues the conversation for a human; a queued one is returned as is. */
  createHandover(body: unknown): { handover: Handover; created: boolean } {
    const v = validateBody(body, HANDOVER_FIELDS);
    const conv = this.conversation(v['conversation_id'] as string, 'conversation_id');
    const queued = this.store.handovers.find('queued', conv.id)[0];
    if (queued) return { handover: queued, created: false };
    if (conv.status === 'closed') {
      throw new ApiError(409, 'conflict', `conversation ${conv.id} is closed`, [
        { path: 'conversation_id', message: 'the conversation is closed' },
      ]);
    }
    return this.store.transaction(() => {
      const now = this.nowIso();
      const h: Handover = {
        id: this.newId('ho'),
        conversation_id: conv.id,
        contact_id: conv.contact_id,
        reason: v['reason'] as string,
        note: (v['note'] as string | null | undefined) ?? null,
        queue: 'human',
        status: 'queued',
        created_at: now,
        resolved_at: null,
      };
      this.store.handovers.insert(h);
      conv.status = 'handed_over';
      conv.handed_over = true;
      conv.handover_id = h.id;
      conv.updated_at = now;
      this.store.conversations.update(conv);
      this.journal.append('handover.created', {
        handoverId: h.id,
        conversationId: conv.id,
        contactId: conv.contact_id,
        reason: h.reason,
      });
      return { handover: h, created: true };
    });
  }

  /** POST /handovers/:id/resolve: the conversation is open again. */
  resolveHandover(id: string): Handover {
    const h = this.handover(id);
    if (h.status === 'resolved') return h;
    return this.store.transaction(() => {
      const now = this.nowIso();
      h.status = 'resolved';
      h.resolved_at = now;
      this.store.handovers.update(h);
      const conv = this.store.conversations.get(h.conversation_id);
      if (conv && conv.status === 'handed_over') {
        conv.status = 'open';
        conv.updated_at = now;
        this.store.conversations.update(conv);
      }
      return h;
    });
  }

  // -------------------------------------------------------------------------------- error log

  /** POST /error-logs. */
  createErrorLog(body: unknown): ErrorLog {
    const v = validateBody(body, ERROR_LOG_FIELDS);
    return this.store.transaction(() => {
      const e: ErrorLog = {
        id: this.newId('err'),
        kind: v['kind'] as string,
        message: v['message'] as string,
        wa_message_id: (v['wa_message_id'] as string | null | undefined) ?? null,
        event_id: (v['event_id'] as string | null | undefined) ?? null,
        context: isObject(v['context']) ? v['context'] : null,
        created_at: this.nowIso(),
      };
      this.store.errorLogs.insert(e);
      const data: Record<string, unknown> = { errorLogId: e.id, kind: e.kind };
      if (e.wa_message_id !== null) data['waMessageId'] = e.wa_message_id;
      if (e.event_id !== null) data['eventId'] = e.event_id;
      this.journal.append('errorlog.created', data);
      return e;
    });
  }
}
