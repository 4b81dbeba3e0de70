import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Clock, TimerHandle } from '../../kernel/clock.js';
import { sampleDelayMs } from '../../kernel/distributions.js';
import {
  type FaultRule,
  formatFaultSpec,
  type MediaDownloadMode,
  type StoredFaultRule,
  validateRule,
} from '../../kernel/fault-spec.js';
import { chance, type Rng } from '../../kernel/random.js';
import type { Journal } from './journal.js';

/** What a mock does instead of handling a request. */
export type RequestFaultDecision =
  | { type: 'error'; code: string | number; ruleId: string }
  | { type: 'outage'; mode: 'unavailable' | 'reset' | 'hang'; ruleId: string }
  | { type: 'rate-limit'; retryAfterS: number; ruleId: string };

/**
 * The faults of one mock, on the mock's clock. Every random decision draws from the seeded Rng in
 * rule order, so a run with the same seed and the same request sequence fails the same requests.
 * Journal kinds: `fault.set`, `fault.cleared` (also when a window ends: `reason: 'expired'`),
 * `fault.applied`.
 */
export class FaultController {
  private rules: StoredFaultRule[] = [];
  private nextId = 1;

  /** True while no rule is set (current or upcoming): every request and webhook goes through untouched. */
  get empty(): boolean {
    return this.rules.length === 0;
  }

  constructor(
    readonly clock: Clock,
    private readonly rng: Rng,
    private readonly journal?: Journal,
  ) {}

  /** Adds a rule (replacing one with the same id); throws SpecError if a field is out of range. */
  add(rule: FaultRule): StoredFaultRule {
    validateRule(rule);
    const id = rule.id ?? `fault-${this.nextId++}`;
    const stored = { ...rule, id } as StoredFaultRule;
    const at = this.rules.findIndex((r) => r.id === id);
    if (at >= 0) this.rules[at] = stored;
    else this.rules.push(stored);
    const nowMs = this.clock.nowMs();
    this.record('fault.set', {
      id,
      kind: rule.kind,
      spec: formatFaultSpec(rule, nowMs),
      startMs: rule.startMs ?? nowMs,
      endMs: rule.endMs,
      route: rule.route,
    });
    return stored;
  }

  /** Removes the rule `id`, or every rule; returns how many were removed. */
  clear(id?: string): number {
    const removed = id === undefined ? this.rules : this.rules.filter((r) => r.id === id);
    this.rules = id === undefined ? [] : this.rules.filter((r) => r.id !== id);
    for (const r of removed) this.record('fault.cleared', { id: r.id, kind: r.kind, reason: 'cleared' });
    return removed.length;
  }

  /** Current and upcoming rules (ended ones are dropped), with whether each is in force now. */
  list(): Array<StoredFaultRule & { active: boolean }> {
    const nowMs = this.sweep();
    return this.rules.map((r) => ({ ...r, active: this.isActive(r, nowMs) }));
  }

  /** For one incoming request: the extra latency to add (ms, 0 if none) and what to do instead of handling it (undefined = handle normally). */
  decide(routePath: string): { latencyMs: number; action?: RequestFaultDecision } {
    const nowMs = this.sweep();
    let latencyMs = 0;
    let action: RequestFaultDecision | undefined;
    // Outages first: an outage answers every request, so no error/rate-limit draw is spent under it.
    for (const r of this.rules) {
      if (r.kind === 'outage' && this.applies(r, nowMs, routePath)) {
        action = { type: 'outage', mode: r.mode, ruleId: r.id };
        break;
      }
    }
    for (const r of this.rules) {
      if (!this.applies(r, nowMs, routePath)) continue;
      if (r.kind === 'latency') {
        if (!chance(this.rng, r.rate ?? 1)) continue;
        const ms = sampleDelayMs(r.delay, this.rng);
        latencyMs += ms;
        this.record('fault.applied', { id: r.id, kind: r.kind, route: routePath, latencyMs: ms });
      } else if (!action && r.kind === 'error' && chance(this.rng, r.rate)) {
        action = { type: 'error', code: r.code, ruleId: r.id };
      } else if (!action && r.kind === 'rate-limit' && chance(this.rng, r.rate ?? 1)) {
        action = { type: 'rate-limit', retryAfterS: r.retryAfterS, ruleId: r.id };
      }
    }
    if (action) {
      const { type, ruleId, ...detail } = action;
      this.record('fault.applied', { id: ruleId, kind: type, route: routePath, ...detail });
    }
    return action ? { latencyMs, action } : { latencyMs };
  }

  /** Whether to send the next outgoing webhook twice. */
  webhookDuplicate(): boolean {
    return this.webhookChance('webhook-duplicate');
  }

  /** Whether to hold the next outgoing status webhook back so a later one overtakes it. */
  webhookReorder(): boolean {
    return this.webhookChance('webhook-reorder');
  }

  /** Extra delay (ms) before the next outgoing webhook's first attempt; 0 when no rule is in force. */
  webhookDelayMs(): number {
    const nowMs = this.sweep();
    let total = 0;
    for (const r of this.rules) {
      if (r.kind !== 'webhook-delay' || !this.isActive(r, nowMs)) continue;
      const ms = sampleDelayMs(r.delay, this.rng);
      total += ms;
      this.record('fault.applied', { id: r.id, kind: r.kind, delayMs: ms });
    }
    return total;
  }

  /** What to do to the next media download on `routePath` (undefined: serve it); the first rule in force that draws wins. */
  mediaDownload(routePath: string): MediaDownloadMode | undefined {
    if (this.rules.length === 0) return undefined;
    const nowMs = this.sweep();
    for (const r of this.rules) {
      if (r.kind !== 'media-download' || !this.isActive(r, nowMs)) continue;
      if (r.route !== undefined && !routePath.includes(r.route)) continue;
      if (!chance(this.rng, r.rate ?? 1)) continue;
      this.record('fault.applied', { id: r.id, kind: r.kind, route: routePath, mode: r.mode });
      return r.mode;
    }
    return undefined;
  }

  private webhookChance(kind: 'webhook-duplicate' | 'webhook-reorder'): boolean {
    if (this.rules.length === 0) return false;
    const nowMs = this.sweep();
    for (const r of this.rules) {
      if (r.kind === kind && this.isActive(r, nowMs) && chance(this.rng, r.rate)) {
        this.record('fault.applied', { id: r.id, kind });
        return true;
      }
    }
    return false;
  }

  private isActive(r: FaultRule, nowMs: number): boolean {
    return (r.startMs === undefined || r.startMs <= nowMs) && (r.endMs === undefined || nowMs < r.endMs);
  }

  /** Request faults only: webhook faults never answer a request. */
  private applies(r: StoredFaultRule, nowMs: number, routePath: string): boolean {
    return (
      (r.kind === 'error' || r.kind === 'latency' || r.kind === 'outage' || r.kind === 'rate-limit') &&
      this.isActive(r, nowMs) &&
      (r.route === undefined || routePath.includes(r.route))
    );
  }

  /** Drops rules whose window has ended (journalled with the exact end time); returns now. */
  private sweep(): number {
    const nowMs = this.clock.nowMs();
    if (this.rules.some((r) => r.endMs !== undefined && r.endMs <= nowMs)) {
      const ended = this.rules.filter((r) => r.endMs !== undefined && r.endMs <= nowMs);
      this.rules = this.rules.filter((r) => !ended.includes(r));
      for (const r of ended)
        this.record('fault.cleared', { id: r.id, kind: r.kind, reason: 'expired', endMs: r.endMs });
    }
    return nowMs;
  }

  private record(kind: string, data: Record<string, unknown>): void {
    if (!this.journal) return;
    try {
      this.journal.append(kind, data);
    } catch {
      // A throwing journal listener must not turn a fault decision into a crash.
    }
  }
}

/** How each mock answers a faulted request in its own error shape. */
export interface FaultResponder {
  error(reply: FastifyReply, code: string | number): FastifyReply;
  unavailable(reply: FastifyReply): FastifyReply;
  rateLimited(reply: FastifyReply, retryAfterS: number): FastifyReply;
}

/** Cuts the connection under a request: the real socket if there is one, else the response (inject()). */
function destroyConnection(raw: ServerResponse, socket: { destroy?: () => void } | null | undefined): void {
  if (socket && typeof socket.destroy === 'function') socket.destroy();
  else raw.destroy();
}

/**
 * Adds an onRequest hook applying the controller's decisions to routes that pass `applies(urlPath)`
 * (mocks exclude their /_mock/ admin routes and /metrics). Latency waits on the mock's clock;
 * 'reset' destroys the socket; 'hang' never answers, but hung requests and latency waits are
 * released in a preClose hook (before fastify waits for in-flight requests), so `app.close()`
 * always finishes.
 */
export function registerFaults(
  app: FastifyInstance,
  controller: FaultController,
  responder: FaultResponder,
  applies: (urlPath: string) => boolean,
): void {
  const clock = controller.clock;
  const hung = new Set<() => void>();
  const sleeping = new Map<TimerHandle, () => void>();
  let closing = false;

  const release = (): void => {
    closing = true;
    for (const [timer, wake] of sleeping) {
      clock.clearTimeout(timer);
      wake();
    }
    sleeping.clear();
    for (const end of hung) end();
    hung.clear();
  };
  app.addHook('preClose', (done) => {
    release();
    done();
  });
  // Second line of defence, e.g. if the app was never listening and preClose did not run.
  app.addHook('onClose', (_instance, done) => {
    release();
    done();
  });

  app.addHook('onRequest', (request, reply, done) => {
    // No rule at all (the usual case): nothing to decide, and no random draw is spent.
    if (controller.empty) return done();
    const q = request.url.indexOf('?');
    const urlPath = q < 0 ? request.url : request.url.slice(0, q);
    let decision: ReturnType<FaultController['decide']>;
    try {
      if (!applies(urlPath)) return done();
      decision = controller.decide(urlPath);
    } catch (err) {
      return done(err as Error);
    }

    const act = (): void => {
      const action = decision.action;
      if (!action) return done();
      try {
        if (action.type === 'error') {
          responder.error(reply, action.code);
        } else if (action.type === 'rate-limit') {
          responder.rateLimited(reply, action.retryAfterS);
        } else if (action.mode === 'unavailable' || (action.mode === 'hang' && closing)) {
          responder.unavailable(reply);
        } else if (action.mode === 'reset') {
          reply.hijack();
          destroyConnection(reply.raw, request.raw.socket);
        } else {
          reply.hijack();
          const socket = request.raw.socket;
          const end = (): void => destroyConnection(reply.raw, socket);
          hung.add(end);
          // A client that gives up frees its slot, so a long hang outage does not grow the set.
          reply.raw.once('close', () => hung.delete(end));
        }
      } catch (err) {
        done(err as Error);
      }
    };

    if (decision.latencyMs > 0 && !closing) {
      const wake = (): void => {
        sleeping.delete(timer);
        act();
      };
      const timer = clock.setTimeout(wake, decision.latencyMs);
      sleeping.set(timer, wake);
    } else {
      act();
    }
  });
}
