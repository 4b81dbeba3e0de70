import type { CrmApi, CrmResult } from '../../../connector/crm-client.js';
import type { Failure } from '../../../connector/retry.js';
import type { TemplateComponent } from '../../../connector/templates.js';
import type { SendResult, WhatsAppApi } from '../../../connector/whatsapp-client.js';
import type { Clock, TimerHandle } from '../../../kernel/clock.js';

/** Lets every pending promise continuation run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** A clock that moves only when told; timers fire in due order as it advances. */
export class ManualClock implements Clock {
  private now = 0;
  readonly epochOriginMs = Date.UTC(2026, 0, 5, 9, 0, 0);
  private timers: Array<{ id: number; dueMs: number; fn: () => void }> = [];
  private nextId = 1;

  nowMs(): number {
    return this.now;
  }
  epochMs(): number {
    return this.epochOriginMs + this.now;
  }
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, dueMs: this.now + Math.max(0, delayMs), fn });
    return { id };
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }
  /** Pending timers. */
  get pendingTimers(): number {
    return this.timers.length;
  }
  /** Moves time forward by `ms`, firing due timers in order and letting their work run. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    await flush();
    for (let guard = 0; guard < 100_000; guard++) {
      this.timers.sort((a, b) => a.dueMs - b.dueMs || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.dueMs > target) break;
      this.timers.shift();
      this.now = Math.max(this.now, next.dueMs);
      next.fn();
      await flush();
    }
    this.now = target;
    await flush();
  }
}

/** One call the fake CRM received. */
export interface CrmCall {
  method: string;
  path: string;
  body: unknown;
  key: string | undefined;
  atMs: number;
}

type Rule = { match: (c: CrmCall) => boolean; failure: Failure; times: number };

/**
 * An in-memory CRM behind the engine's {@link CrmApi}: upsert by phone, open conversations, messages
 * unique by wa_message_id, status history, tags, handovers (one queued per conversation), error log.
 * Failures are scripted per call with {@link failWhen}.
 */
export class FakeCrm implements CrmApi {
  readonly calls: CrmCall[] = [];
  readonly contacts = new Map<string, Record<string, unknown> & { id: string; tags: string[] }>();
  readonly conversations = new Map<
    string,
    { id: string; contact_id: string; inbound_count: number; status: string }
  >();
  readonly messages = new Map<string, Record<string, unknown> & { id: string; status_history: unknown[] }>();
  readonly handovers: Array<{ conversation_id: string; reason: string }> = [];
  readonly errorLogs: Array<Record<string, unknown>> = [];
  private rules: Rule[] = [];
  private n = 0;

  constructor(private readonly clock: Clock) {}

  /** The next `times` calls matching `match` fail with `failure`. */
  failWhen(
    match: (c: CrmCall) => boolean,
    failure: Partial<Failure> & { message?: string },
    times = 1,
  ): void {
    this.rules.push({
      match,
      times,
      failure: { side: 'crm', kind: 'http', message: 'scripted', retryable: true, ...failure },
    });
  }

  /** Calls whose method and path match. */
  callsTo(method: string, pathPrefix: string | RegExp): CrmCall[] {
    return this.calls.filter(
      (c) =>
        c.method === method &&
        (typeof pathPrefix === 'string' ? c.path.startsWith(pathPrefix) : pathPrefix.test(c.path)),
    );
  }

  /** Adds a contact directly (test setup). */
  seedContact(fields: Record<string, unknown> & { phone: string }): string {
    const id = typeof fields['id'] === 'string' ? fields['id'] : `ctc_${++this.n}`;
    this.contacts.set(id, { id, tags: [], consent: 'none', opted_out: false, ...fields });
    return id;
  }

  get<T>(path: string): Promise<CrmResult<T>> {
    return this.handle<T>('GET', path, undefined, undefined);
  }
  post<T>(path: string, body: unknown, key: string): Promise<CrmResult<T>> {
    return this.handle<T>('POST', path, body, key);
  }
  patch<T>(path: string, body: unknown, key: string): Promise<CrmResult<T>> {
    return this.handle<T>('PATCH', path, body, key);
  }

  private async handle<T>(
    method: string,
    path: string,
    body: unknown,
    key: string | undefined,
  ): Promise<CrmResult<T>> {
    const call = { method, path, body, key, atMs: this.clock.nowMs() };
    this.calls.push(call);
    const rule = this.rules.find((r) => r.times > 0 && r.match(call));
    if (rule) {
      rule.times--;
      return { ok: false, failure: { ...rule.failure } };
    }
    const r = this.route(method, path, (body ?? {}) as Record<string, unknown>);
    return r as CrmResult<T>;
  }

  private route(method: string, path: string, b: Record<string, unknown>): CrmResult<unknown> {
    const ok = (status: number, data: unknown): CrmResult<unknown> => ({ ok: true, status, data });
    const notFound: CrmResult<unknown> = {
      ok: false,
      failure: { side: 'crm', kind: 'http', httpStatus: 404, message: 'not found', retryable: false },
    };
    // The id captured by `re` from the path, when the method is right.
    const idIn = (re: RegExp, wanted: string): string | undefined => {
      const m = method === wanted ? re.exec(path) : null;
      return m ? decodeURIComponent(m[1] as string) : undefined;
    };
    const contactId = idIn(/^\/contacts\/([^/]+)$/, 'PATCH');
    const tagsOf = idIn(/^\/contacts\/([^/]+)\/tags$/, 'POST');
    const messagesOf = idIn(/^\/conversations\/([^/]+)\/messages$/, 'POST');
    const statusesOf = idIn(/^\/messages\/([^/]+)\/statuses$/, 'POST');
    if (method === 'POST' && path === '/contacts') {
      const existing = [...this.contacts.values()].find((c) => c['phone'] === b['phone']);
      if (existing) {
        Object.assign(existing, b);
        return ok(200, existing);
      }
      const id = this.seedContact(b as { phone: string });
      return ok(201, this.contacts.get(id));
    }
    if (contactId !== undefined) {
      const c = this.contacts.get(contactId);
      if (!c) return notFound;
      Object.assign(c, b);
      return ok(200, c);
    }
    if (tagsOf !== undefined) {
      const c = this.contacts.get(tagsOf);
      if (!c) return notFound;
      for (const t of b['tags'] as string[]) if (!c.tags.includes(t)) c.tags.push(t);
      return ok(200, { contact_id: c.id, tags: c.tags });
    }
    if (method === 'POST' && path === '/conversations') {
      const contactId = b['contact_id'] as string;
      if (!this.contacts.has(contactId)) return notFound;
      const open = [...this.conversations.values()].find(
        (c) => c.contact_id === contactId && c.status !== 'closed',
      );
      if (open) return ok(200, open);
      const conv = { id: `conv_${++this.n}`, contact_id: contactId, inbound_count: 0, status: 'open' };
      this.conversations.set(conv.id, conv);
      return ok(201, conv);
    }
    if (messagesOf !== undefined) {
      const conv = this.conversations.get(messagesOf);
      if (!conv) return notFound;
      const existing = this.messages.get(b['wa_message_id'] as string);
      if (existing) return ok(200, existing);
      if (conv.status === 'closed') {
        return {
          ok: false,
          failure: { side: 'crm', kind: 'http', httpStatus: 409, message: 'closed', retryable: false },
        };
      }
      const msg = { id: `msg_${++this.n}`, conversation_id: conv.id, status_history: [], status: null, ...b };
      this.messages.set(b['wa_message_id'] as string, msg);
      if (b['direction'] === 'inbound') conv.inbound_count++;
      return ok(201, msg);
    }
    if (method === 'GET' && path.startsWith('/messages?wa_message_id=')) {
      const wamid = decodeURIComponent(path.split('=')[1] as string);
      const msg = this.messages.get(wamid);
      return ok(200, { data: msg ? [msg] : [] });
    }
    if (statusesOf !== undefined) {
      const msg = [...this.messages.values()].find((x) => x.id === statusesOf);
      if (!msg) return notFound;
      msg.status_history.push(b);
      msg['status'] = b['status'];
      return ok(200, msg);
    }
    if (method === 'POST' && path === '/handovers') {
      this.handovers.push({ conversation_id: b['conversation_id'] as string, reason: b['reason'] as string });
      return ok(201, { id: `ho_${++this.n}`, ...b });
    }
    if (method === 'POST' && path === '/error-logs') {
      this.errorLogs.push(b);
      return ok(201, { id: `err_${++this.n}`, ...b });
    }
    return notFound;
  }
}

/** One send the fake WhatsApp received. */
export interface WaSend {
  kind: 'template' | 'text';
  to: string;
  name?: string;
  language?: string;
  components?: TemplateComponent[];
  body?: string;
  bizOpaque?: string;
  atMs: number;
}

/** WhatsApp behind the engine's {@link WhatsAppApi}: accepts sends (wamid.T1, T2…) unless scripted to fail. */
export class FakeWa implements WhatsAppApi {
  readonly sends: WaSend[] = [];
  private failures: Array<Partial<Failure>> = [];
  private n = 0;
  constructor(private readonly clock: Clock) {}

  /** The next sends fail with these, in order. */
  failNext(...failures: Array<Partial<Failure>>): void {
    this.failures.push(...failures);
  }

  private result(): SendResult {
    const f = this.failures.shift();
    if (f)
      return {
        ok: false,
        failure: { side: 'whatsapp', kind: 'http', message: 'scripted', retryable: true, ...f },
      };
    return { ok: true, wamid: `wamid.T${++this.n}` };
  }
  async sendTemplate(
    to: string,
    name: string,
    language: string,
    components: TemplateComponent[],
    bizOpaque?: string,
  ) {
    this.sends.push({
      kind: 'template',
      to,
      name,
      language,
      components,
      atMs: this.clock.nowMs(),
      ...(bizOpaque ? { bizOpaque } : {}),
    });
    return this.result();
  }
  async sendText(to: string, body: string) {
    this.sends.push({ kind: 'text', to, body, atMs: this.clock.nowMs() });
    return this.result();
  }
}

/** A WhatsApp webhook body with inbound text messages. */
export function inboundPayload(
  messages: Array<{ id: string; from: string; text: string; name?: string; timestamp?: number }>,
): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550000000', phone_number_id: '100000000000001' },
              contacts: messages.map((m) => ({ profile: { name: m.name ?? 'Ana' }, wa_id: m.from })),
              messages: messages.map((m) => ({
                from: m.from,
                id: m.id,
                timestamp: String(m.timestamp ?? 1_767_603_600),
                type: 'text',
                text: { body: m.text },
              })),
            },
          },
        ],
      },
    ],
  };
}

/** A WhatsApp webhook body with statuses. */
export function statusPayload(
  statuses: Array<{
    id: string;
    status: string;
    to: string;
    timestamp?: number;
    error?: { code: number; title: string };
  }>,
): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550000000', phone_number_id: '100000000000001' },
              statuses: statuses.map((s) => ({
                id: s.id,
                status: s.status,
                timestamp: String(s.timestamp ?? 1_767_603_700),
                recipient_id: s.to,
                ...(s.error ? { errors: [s.error] } : {}),
              })),
            },
          },
        ],
      },
    ],
  };
}
