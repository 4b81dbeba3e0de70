import type { Clock } from '../../kernel/clock.js';
import type { FaultRule } from '../../kernel/fault-spec.js';
import type { Contact, CrmMockHandle } from '../../mocks/crm/index.js';
import type { JournalEntry } from '../../mocks/shared/journal.js';
import type { WhatsAppMockHandle } from '../../mocks/whatsapp/index.js';
import type { Customer } from './customers.js';
import type { HttpOutcome } from './http.js';
import type { WhatsAppWire } from './wire.js';

/** What one case concluded: pass or fail, and one line of evidence a person can check. */
export interface CaseOutcome {
  passed: boolean;
  evidence: string;
}

/** Where the rule a case checks comes from. */
export type RuleSource = 'meta' | 'seed' | 'spec';

/**
 * One conformance case, as data: what it checks (`rule`, with its `source`) and how (`run`). Each
 * case runs on freshly reset mocks with its own customers; it judges only what it observed:
 * what was sent, what came back, when, and what the CRM holds.
 */
export interface ConformanceCaseDef {
  /** kebab-case id used by `--only` / `--skip`. */
  id: string;
  title: string;
  /** The rule in one sentence. */
  rule: string;
  /** Where the rule comes from, e.g. "Meta: webhooks, verification (CONTRACT.md §3)". */
  source: string;
  /** A case that takes long enough to print progress lines (true, or decided by the run's settings). */
  slow?: boolean | ((settings: CaseSettings) => boolean);
  run(ctx: CaseContext): Promise<CaseOutcome>;
}

/** Run-wide settings a case may depend on. */
export interface CaseSettings {
  /** True when the connector under test is the reference connector (started by the kit). */
  reference: boolean;
  /** The connector's pause before the second retry (the seed's 30 s; shortened for the reference). */
  retryDelayMs: number;
  /** The CRM plan limit in requests per sliding minute. */
  crmLimitPerMin: number;
  /** The CRM plan name. */
  crmPlan: 'standard' | 'enterprise';
  /** The CRM API the mock speaks; with `hubspot` the limit that counts is HubSpot's rolling 10 s. */
  crmDialect: 'native' | 'hubspot';
  /** HubSpot's calls per rolling 10 s for the mock's tier (used with `crmDialect: hubspot`). */
  hubspotPerTenSeconds: number;
}

/** A template flow the case started: the CRM contact and the event the CRM sent the connector. */
export interface StartedFlow {
  customer: Customer;
  contact: Contact;
  eventId: string;
}

/** What a case can do and see. Everything is scoped to the case: journals are read from its start. */
export interface CaseContext {
  readonly settings: CaseSettings;
  readonly wa: WhatsAppMockHandle;
  readonly crm: CrmMockHandle;
  readonly clock: Clock;
  /** Harness-clock time the case started at (the mocks' journals use the same clock). */
  readonly startedAtMs: number;
  /** Signs and posts WhatsApp webhooks to the connector, as Meta would. */
  readonly wire: WhatsAppWire;
  /** The connector's WhatsApp webhook URL. */
  readonly whatsappWebhookUrl: string;
  /** The verify token the connector is configured with (never written into evidence). */
  readonly verifyToken: string;
  /** A new customer nobody has used in this run. */
  customer(): Customer;
  /**
   * Creates the customer in the CRM and has the CRM emit an event whose workflow sends a
   * template: `utility` (hello_world, transactional) or `marketing` (loyalty_points).
   */
  startTemplateFlow(
    customer: Customer,
    kind: 'utility' | 'marketing',
    contact?: Partial<Pick<Contact, 'phone' | 'country' | 'consent' | 'opted_out' | 'name'>>,
  ): StartedFlow;
  /** Has the CRM emit one more template event for an existing contact. */
  emitTemplateEvent(contact: Contact, kind: 'utility' | 'marketing'): string;
  /** Polls `predicate` until it holds or `timeoutMs` passed; true when it held. */
  waitFor(predicate: () => boolean, timeoutMs: number, pollMs?: number): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  /** A progress line for long cases. */
  progress(line: string): void;
  /** Entries of the WhatsApp mock's journal since the case started. */
  waEntries(kind?: string | string[]): JournalEntry[];
  /** Entries of the CRM mock's journal since the case started. */
  crmEntries(kind?: string | string[]): JournalEntry[];
  /** Send attempts the connector made (`POST …/messages`), oldest first, with their arrival times. */
  sendAttempts(): SendAttempt[];
  /** Requests the connector made to the CRM API, oldest first. */
  crmRequests(): CrmRequest[];
  /** Adds a fault rule to the WhatsApp mock (cleared after the case). */
  waFault(rule: FaultRule): void;
  /** Adds a fault rule to the CRM mock (cleared after the case). */
  crmFault(rule: FaultRule): void;
  /** A plain HTTP request to the connector (e.g. the verification GET). */
  request(
    method: string,
    url: string,
    opts?: { headers?: Record<string, string>; body?: string },
  ): Promise<HttpOutcome>;
}

/** One `POST …/messages` the WhatsApp mock answered. */
export interface SendAttempt {
  /** When the request arrived (response time minus its latency). */
  arrivedAtMs: number;
  answeredAtMs: number;
  statusCode: number;
  errorCode?: number;
}

/** One CRM API request the CRM mock answered. */
export interface CrmRequest {
  arrivedAtMs: number;
  answeredAtMs: number;
  method: string;
  route: string;
  statusCode: number;
  errorCode?: string;
}
