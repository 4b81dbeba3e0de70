import type { Clock } from '../../kernel/clock.js';
import type { FaultRule } from '../../kernel/fault-spec.js';
import type { Contact } from '../../mocks/crm/index.js';
import type { JournalEntry } from '../../mocks/shared/journal.js';
import type { Stack } from '../run/stack.js';
import type { Customer, Customers } from './customers.js';
import type { HttpClient, HttpOutcome } from './http.js';
import type { CaseContext, CaseSettings, CrmRequest, SendAttempt, StartedFlow } from './types.js';
import type { WhatsAppWire } from './wire.js';

/** The transactional template the kit sends: Meta's sample, no parameters. */
export const UTILITY_TEMPLATE = { name: 'hello_world', language: 'en_US', category: 'UTILITY' } as const;
/** The marketing template the kit sends: three positional body parameters from the contact and the event. */
export const MARKETING_TEMPLATE = { name: 'loyalty_points', language: 'hi', category: 'MARKETING' } as const;

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** The context one case runs in (see {@link CaseContext}). */
export class RunningCase implements CaseContext {
  readonly startedAtMs: number;
  private readonly faultIds: Array<{ target: 'wa' | 'crm'; id: string }> = [];

  constructor(
    private readonly deps: {
      stack: Stack;
      settings: CaseSettings;
      wire: WhatsAppWire;
      customers: Customers;
      http: HttpClient;
      clock: Clock;
      whatsappWebhookUrl: string;
      progress: (line: string) => void;
    },
  ) {
    this.startedAtMs = deps.clock.nowMs();
  }

  get settings(): CaseSettings {
    return this.deps.settings;
  }
  get wa() {
    return this.deps.stack.whatsapp;
  }
  get crm() {
    return this.deps.stack.crm;
  }
  get clock(): Clock {
    return this.deps.clock;
  }
  get wire(): WhatsAppWire {
    return this.deps.wire;
  }
  get whatsappWebhookUrl(): string {
    return this.deps.whatsappWebhookUrl;
  }
  get verifyToken(): string {
    return this.deps.stack.credentials.verifyToken;
  }

  customer(): Customer {
    return this.deps.customers.next();
  }

  startTemplateFlow(
    customer: Customer,
    kind: 'utility' | 'marketing',
    contact: Partial<Pick<Contact, 'phone' | 'country' | 'consent' | 'opted_out' | 'name'>> = {},
  ): StartedFlow {
    const created = this.crm.createContact({
      name: contact.name ?? customer.name,
      phone: contact.phone ?? customer.e164,
      country: contact.country === undefined ? 'TW' : contact.country,
      language: 'en',
      consent: contact.consent ?? (kind === 'marketing' ? 'marketing' : 'transactional'),
      opted_out: contact.opted_out ?? false,
    });
    return { customer, contact: created, eventId: this.emitTemplateEvent(created, kind) };
  }

  emitTemplateEvent(contact: Contact, kind: 'utility' | 'marketing'): string {
    if (kind === 'utility') {
      return this.crm.emitEvent({
        type: 'account.created',
        contact_id: contact.id,
        data: { source: 'conformance' },
        action: {
          channel: 'whatsapp',
          template: UTILITY_TEMPLATE.name,
          language: UTILITY_TEMPLATE.language,
          category: UTILITY_TEMPLATE.category,
          parameters: {},
        },
      }).eventId;
    }
    return this.crm.emitEvent({
      type: 'loyalty.points_updated',
      contact_id: contact.id,
      data: { points: '1,250', until: '31 मार्च' },
      action: {
        channel: 'whatsapp',
        template: MARKETING_TEMPLATE.name,
        language: MARKETING_TEMPLATE.language,
        category: MARKETING_TEMPLATE.category,
        parameters: { body: ['contact.name', 'data.points', 'data.until'] },
      },
    }).eventId;
  }

  async waitFor(predicate: () => boolean, timeoutMs: number, pollMs = 50): Promise<boolean> {
    const deadline = this.clock.nowMs() + timeoutMs;
    for (;;) {
      if (predicate()) return true;
      if (this.clock.nowMs() >= deadline) return false;
      await this.sleep(Math.min(pollMs, Math.max(1, deadline - this.clock.nowMs())));
    }
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  }

  progress(line: string): void {
    this.deps.progress(line);
  }

  waEntries(kind?: string | string[]): JournalEntry[] {
    return this.wa.journal.query({ ...(kind ? { kind } : {}), sinceMs: this.startedAtMs });
  }

  crmEntries(kind?: string | string[]): JournalEntry[] {
    return this.crm.journal.query({ ...(kind ? { kind } : {}), sinceMs: this.startedAtMs });
  }

  sendAttempts(): SendAttempt[] {
    const out: SendAttempt[] = [];
    for (const e of this.waEntries('graph.request')) {
      const route = String(e.data['route'] ?? '');
      if (e.data['method'] !== 'POST' || !route.endsWith('/messages')) continue;
      const a: SendAttempt = {
        arrivedAtMs: e.atMs - num(e.data['latencyMs']),
        answeredAtMs: e.atMs,
        statusCode: num(e.data['statusCode']),
      };
      if (typeof e.data['errorCode'] === 'number') a.errorCode = e.data['errorCode'];
      out.push(a);
    }
    return out.sort((a, b) => a.arrivedAtMs - b.arrivedAtMs);
  }

  crmRequests(): CrmRequest[] {
    const out: CrmRequest[] = [];
    for (const e of this.crmEntries('api.request')) {
      const r: CrmRequest = {
        arrivedAtMs: e.atMs - num(e.data['latencyMs']),
        answeredAtMs: e.atMs,
        method: String(e.data['method'] ?? ''),
        route: String(e.data['route'] ?? ''),
        statusCode: num(e.data['statusCode']),
      };
      if (typeof e.data['errorCode'] === 'string') r.errorCode = e.data['errorCode'];
      out.push(r);
    }
    return out.sort((a, b) => a.arrivedAtMs - b.arrivedAtMs);
  }

  waFault(rule: FaultRule): void {
    this.faultIds.push({ target: 'wa', id: this.wa.faults.add(rule).id });
  }

  crmFault(rule: FaultRule): void {
    this.faultIds.push({ target: 'crm', id: this.crm.faults.add(rule).id });
  }

  /** Removes the fault rules this case added. */
  clearFaults(): void {
    for (const f of this.faultIds.splice(0)) {
      if (f.target === 'wa') this.wa.faults.clear(f.id);
      else this.crm.faults.clear(f.id);
    }
  }

  request(
    method: string,
    url: string,
    opts: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<HttpOutcome> {
    return this.deps.http.request({
      method,
      url,
      ...(opts.headers ? { headers: opts.headers } : {}),
      ...(opts.body !== undefined ? { body: opts.body } : {}),
    });
  }
}
