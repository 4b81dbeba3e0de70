import type { Clock, TimerHandle } from '../shared/clock.js';
import { sampleDelayMs } from '../shared/distributions.js';
import { chance, type Rng } from '../shared/random.js';
import { webhookError } from './errors.js';
import type { StatusTiming } from './options.js';
import { makeHex } from './wamid.js';
import type { ConversationObject, PricingObject, StatusObject } from './webhooks.js';

/** What the simulator needs to know about an accepted outbound message. */
export interface OutboundMessage {
  wamid: string;
  /** Recipient wa_id. */
  waId: string;
  pricing: PricingObject;
  bizOpaque?: string;
}

/** What happens to a message after it was accepted. */
export type StatusPlan =
  | { kind: 'normal' }
  /** `failed` with `code`; `afterSent` emits `sent` first (a delivery failure) rather than failing outright. */
  | { kind: 'fail'; code: number; details?: string; afterSent: boolean };

interface Flight {
  msg: OutboundMessage;
  timer?: TimerHandle;
  /** Webhook-reorder fault: `sent` is held back and emitted right after `delivered`. */
  reorder: boolean;
  heldSent?: StatusObject;
}

const DAY_MS = 24 * 3_600_000;
const MAX_CONVERSATIONS = 200_000;

/**
 * Plays each accepted message's status sequence on the mock's clock: `sent` → `delivered` → `read`
 * (with probability `readProbability`) or `failed`, each after a delay drawn from its distribution
 * (relative to the previous status). One timer per message at a time; `cancelAll` forgets them.
 * Statuses carry PMP `pricing` and a `conversation` object (a 24 h conversation per user and
 * category, whose `expiration_timestamp` appears on the `sent` status that opens it).
 */
export class StatusSimulator {
  private readonly flights = new Set<Flight>();
  private readonly conversations = new Map<string, { id: string; expiresAtMs: number }>();

  constructor(
    private readonly deps: {
      clock: Clock;
      rng: Rng;
      timing: StatusTiming;
      /** Called for each status at the moment it is due (the app enqueues the webhook). */
      emit: (msg: OutboundMessage, status: StatusObject) => void;
      /** Asked once per message: should its statuses go out of order (webhook-reorder fault)? */
      reorder: () => boolean;
    },
  ) {}

  /** Starts the status sequence for an accepted message. */
  start(msg: OutboundMessage, plan: StatusPlan): void {
    const f: Flight = { msg, reorder: false };
    this.flights.add(f);
    const t = this.deps.timing;
    if (plan.kind === 'fail' && !plan.afterSent) {
      this.after(f, sampleDelayMs(t.sent, this.deps.rng), () => {
        this.emit(f, this.failed(f, plan.code, plan.details));
        this.finish(f);
      });
      return;
    }
    f.reorder = this.deps.reorder();
    const failAfterSent =
      plan.kind === 'fail'
        ? plan
        : chance(this.deps.rng, t.failureRate)
          ? { code: 131026, details: undefined }
          : undefined;
    this.after(f, sampleDelayMs(t.sent, this.deps.rng), () => {
      const sent = this.status(f, 'sent');
      if (f.reorder) f.heldSent = sent;
      else this.emit(f, sent);
      this.after(f, sampleDelayMs(t.delivered, this.deps.rng), () => {
        if (failAfterSent) {
          this.emit(f, this.failed(f, failAfterSent.code, failAfterSent.details));
          this.releaseHeld(f);
          this.finish(f);
          return;
        }
        this.emit(f, this.status(f, 'delivered'));
        this.releaseHeld(f);
        if (!chance(this.deps.rng, t.readProbability)) {
          this.finish(f);
          return;
        }
        this.after(f, sampleDelayMs(t.read, this.deps.rng), () => {
          this.emit(f, this.status(f, 'read'));
          this.finish(f);
        });
      });
    });
  }

  private after(f: Flight, delayMs: number, fn: () => void): void {
    f.timer = this.deps.clock.setTimeout(fn, delayMs);
  }

  private finish(f: Flight): void {
    this.flights.delete(f);
  }

  private releaseHeld(f: Flight): void {
    if (f.heldSent) {
      const held = f.heldSent;
      delete f.heldSent;
      this.emit(f, held);
    }
  }

  private emit(f: Flight, s: StatusObject): void {
    this.deps.emit(f.msg, s);
  }

  private base(f: Flight, status: StatusObject['status']): StatusObject {
    const s: StatusObject = {
      id: f.msg.wamid,
      status,
      timestamp: String(Math.floor(this.deps.clock.epochMs() / 1000)),
      recipient_id: f.msg.waId,
    };
    if (f.msg.bizOpaque !== undefined) s.biz_opaque_callback_data = f.msg.bizOpaque;
    return s;
  }

  private status(f: Flight, status: 'sent' | 'delivered' | 'read'): StatusObject {
    const s = this.base(f, status);
    if (status !== 'read') {
      s.conversation = this.conversation(f.msg, status === 'sent');
      s.pricing = f.msg.pricing;
    }
    return s;
  }

  private failed(f: Flight, code: number, details?: string): StatusObject {
    const s = this.base(f, 'failed');
    s.errors = [webhookError(code, details)];
    return s;
  }

  private conversation(msg: OutboundMessage, opening: boolean): ConversationObject {
    const key = `${msg.waId}|${msg.pricing.category}`;
    const nowMs = this.deps.clock.nowMs();
    let conv = this.conversations.get(key);
    let isNew = false;
    if (!conv || conv.expiresAtMs <= nowMs) {
      if (!opening && conv) {
        // A delivered status for a conversation that expired meanwhile still names the old one.
        return { id: conv.id, origin: { type: msg.pricing.category } };
      }
      conv = { id: makeHex(this.deps.rng, 32), expiresAtMs: nowMs + DAY_MS };
      this.conversations.delete(key);
      this.conversations.set(key, conv);
      isNew = true;
      if (this.conversations.size > MAX_CONVERSATIONS) {
        const oldest = this.conversations.keys().next();
        if (!oldest.done) this.conversations.delete(oldest.value);
      }
    }
    const out: ConversationObject = { id: conv.id, origin: { type: msg.pricing.category } };
    if (isNew) {
      const expiresEpochMs = this.deps.clock.epochMs() + (conv.expiresAtMs - nowMs);
      out.expiration_timestamp = String(Math.floor(expiresEpochMs / 1000));
    }
    return out;
  }

  /** Messages whose statuses are still to come. */
  pendingCount(): number {
    return this.flights.size;
  }

  /** Drops every pending status (reset). */
  cancelAll(): void {
    for (const f of this.flights) if (f.timer) this.deps.clock.clearTimeout(f.timer);
    this.flights.clear();
    this.conversations.clear();
  }
}

/** The PMP pricing of a message: templates by category (utility is free inside the service window), free-form as service. */
export function pricingFor(
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION' | undefined,
  windowOpen: boolean,
): PricingObject {
  if (category === undefined) {
    return { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' };
  }
  const cat = category === 'MARKETING' ? 'marketing' : category === 'UTILITY' ? 'utility' : 'authentication';
  if (cat === 'utility' && windowOpen) {
    return { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'utility' };
  }
  return { billable: true, pricing_model: 'PMP', type: 'regular', category: cat };
}
