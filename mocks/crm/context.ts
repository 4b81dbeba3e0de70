import type { Clock } from '../../kernel/clock.js';
import type { WebhookDispatcher } from '../shared/dispatcher.js';
import type { FaultController } from '../shared/faults.js';
import type { Journal } from '../shared/journal.js';
import type { MetricsRegistry } from '../shared/metrics.js';
import type { CrmService } from './service.js';
import type { CrmStore } from './store.js';
import type { CrmEventInput } from './types.js';

/** A plan name. */
export type Plan = 'standard' | 'enterprise';

/** Requests per sliding minute of each plan, before overrides. */
export const DEFAULT_PLAN_LIMITS: Readonly<Record<Plan, number>> = { standard: 300, enterprise: 1500 };

/** Everything the CRM's routes share; built once per mock by `buildCrmMock`. */
export interface CrmContext {
  clock: Clock;
  journal: Journal;
  store: CrmStore;
  service: CrmService;
  faults: FaultController;
  dispatcher: WebhookDispatcher;
  metrics: MetricsRegistry;
  /** Counts an idempotent replay (for /metrics and stats). */
  countReplay(): void;
  /** The token's plan and its limit now. */
  plan(): { plan: Plan; limitPerMin: number };
  /** Changes the plan and/or gives it a custom limit (a fresh window starts). */
  setPlan(plan: Plan | undefined, limitPerMin: number | undefined): void;
  /** Emits an event to the connector (validates `input`; throws ApiError). */
  emitEvent(input: unknown): { eventId: string };
  /** Back to the seeded state (or empty). */
  reset(reseed: boolean): void;
  /** Counters for health and stats. */
  stats(): Record<string, number>;
  /** Where events go, if set. */
  webhookUrlSet(): boolean;
  /** Points events somewhere else (throws RangeError on a bad URL). */
  setWebhookUrl(url: string | undefined): void;
  /** The idempotency scope of the token (a hash, so the token itself is never stored). */
  idempotencyScope: string;
}

/** Re-export for route modules. */
export type { CrmEventInput };
