import type { Clock, TimerHandle } from '../../kernel/clock.js';
import { sampleDelayMs } from '../../kernel/distributions.js';
import { chance, type Rng } from '../../kernel/random.js';
import { RecencyMap } from '../../kernel/recency-map.js';
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
  /** Kept here by the app on the first status: the JSON every status of this message repeats (`statusJsonTail`). */
  jsonTail?: string | null;
}

/** The status a message gets next and how long until it is due: what `start` and each emission put on the timeline. */
export interface NextStatus {
  status: StatusObject['status'];
  dueInMs: number;
}

/** What happens to a message after it was accepted. */
export type StatusPlan =
  | { kind: 'normal' }
  /** `failed` with `code`; `afterSent` emits `sent` first (a delivery failure) rather than failing outright. */
  | { kind: 'fail'; code: number; details?: string; afterSent: boolean };

type Stage = 'failNow' | 'sent' | 'failAfter' | 'delivered' | 'read';

interface Flight {
  msg: OutboundMessage;
  /** What happens when this flight's timer comes due. */
  stage: Stage;
  failCode?: number;
  failDetails?: string;
  /** Webhook-reorder fault: `sent` is held back and emitted right after `delivered`. */
  reorder: boolean;
  heldSent?: StatusObject;
  /** The conversation the message's `sent` status named; `delivered` names the same one. */
  conv?: Conversation;
}

interface Conversation {
  id: string;
  expiresAtMs: number;
  /** How statuses name it once it is open (no `expiration_timestamp`), shared by all of them. */
  named: ConversationObject;
}

/** A user's latest conversation of each category (keyed by the user's wa_id, whose hash the Map has already worked out). */
type UserConversations = Partial<Record<PricingObject['category'], Conversation>>;

/** The status a stage emits when it comes due. */
const STAGE_STATUS: Record<Stage, StatusObject['status']> = {
  failNow: 'failed',
  sent: 'sent',
  failAfter: 'failed',
  delivered: 'delivered',
  read: 'read',
};

const DAY_MS = 24 * 3_600_000;

/** The `origin` of a conversation, one frozen object per category (statuses only read it). */
const ORIGINS: Record<PricingObject['category'], ConversationObject['origin']> = {
  marketing: Object.freeze({ type: 'marketing' }),
  utility: Object.freeze({ type: 'utility' }),
  authentication: Object.freeze({ type: 'authentication' }),
  service: Object.freeze({ type: 'service' }),
};
/** Users whose conversations are remembered (the least recently opened are forgotten past this). */
const MAX_CONVERSATION_USERS = 200_000;

/**
 * Binary min-heap of flights on (dueMs, seq). Keys live in typed arrays beside the items, so a
 * sift compares contiguous numbers instead of chasing one object per level.
 */
export class DueHeap<T> {
  private due = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private items: Array<T | undefined> = [];
  private n = 0;
  get size(): number {
    return this.n;
  }
  /** Due time of the earliest item (Infinity when empty). */
  peekDue(): number {
    return this.n > 0 ? (this.due[0] as number) : Number.POSITIVE_INFINITY;
  }
  push(dueMs: number, seq: number, item: T): void {
    if (this.n === this.due.length) this.grow();
    const due = this.due;
    const seqs = this.seqs;
    const items = this.items;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pd = due[p] as number;
      if (pd < dueMs || (pd === dueMs && (seqs[p] as number) < seq)) break;
      due[i] = pd;
      seqs[i] = seqs[p] as number;
      items[i] = items[p];
      i = p;
    }
    due[i] = dueMs;
    seqs[i] = seq;
    items[i] = item;
  }
  /** Removes and returns the earliest item. */
  pop(): T | undefined {
    if (this.n === 0) return undefined;
    const due = this.due;
    const seqs = this.seqs;
    const items = this.items;
    const top = items[0];
    const last = --this.n;
    const d = due[last] as number;
    const s = seqs[last] as number;
    const it = items[last];
    items[last] = undefined;
    if (last > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= last) break;
        const r = l + 1;
        let m = l;
        if (r < last) {
          const ld = due[l] as number;
          const rd = due[r] as number;
          if (rd < ld || (rd === ld && (seqs[r] as number) < (seqs[l] as number))) m = r;
        }
        const md = due[m] as number;
        if (d < md || (d === md && s < (seqs[m] as number))) break;
        due[i] = md;
        seqs[i] = seqs[m] as number;
        items[i] = items[m];
        i = m;
      }
      due[i] = d;
      seqs[i] = s;
      items[i] = it;
    }
    return top;
  }
  clear(): void {
    this.items = [];
    this.n = 0;
  }
  private grow(): void {
    const due = new Float64Array(this.due.length * 2);
    due.set(this.due);
    this.due = due;
    const seqs = new Float64Array(this.seqs.length * 2);
    seqs.set(this.seqs);
    this.seqs = seqs;
  }
}

/**
 * Plays each accepted message's status sequence on the mock's clock: `sent` → `delivered` → `read`
 * (with probability `readProbability`) or `failed`, each after a delay drawn from its distribution
 * (relative to the previous status). All pending statuses sit in one heap served by a single clock
 * timer, so thousands of messages in flight cost no more timers than one; statuses that fall due
 * together are emitted in one drain, followed by `flush()` (where the app may batch them).
 * Statuses carry PMP `pricing` and a `conversation` object (a 24 h conversation per user and
 * category, whose `expiration_timestamp` appears on the `sent` status that opens it).
 */
export class StatusSimulator {
  private readonly heap = new DueHeap<Flight>();
  private readonly conversations = new RecencyMap<string, UserConversations>(MAX_CONVERSATION_USERS);
  /** `timestamp` of statuses emitted in the current clock second (one string per second). */
  private stampSecond = Number.NaN;
  private stampText = '';
  private timer: TimerHandle | undefined;
  private timerDueMs = Number.POSITIVE_INFINITY;
  private seq = 0;
  private active = 0;

  constructor(
    private readonly deps: {
      clock: Clock;
      rng: Rng;
      timing: StatusTiming;
      /**
       * Called for each status at the moment it is due (the app enqueues the webhook), with the
       * status this one put on the timeline (undefined when it was the message's last).
       */
      emit: (msg: OutboundMessage, status: StatusObject, next: NextStatus | undefined) => void;
      /** Called after each drain of due statuses (the app flushes batched webhooks). */
      flush?: () => void;
      /** Called once a message will get no more statuses (after its last one was emitted). */
      finished?: (msg: OutboundMessage) => void;
      /** Asked once per message: should its statuses go out of order (webhook-reorder fault)? */
      reorder: () => boolean;
    },
  ) {}

  /** Starts the status sequence for an accepted message; returns its first status and when it is due. */
  start(msg: OutboundMessage, plan: StatusPlan): NextStatus {
    const f: Flight = { msg, stage: 'sent', reorder: false };
    this.active++;
    const t = this.deps.timing;
    if (plan.kind === 'fail' && !plan.afterSent) {
      f.stage = 'failNow';
      f.failCode = plan.code;
      if (plan.details !== undefined) f.failDetails = plan.details;
    } else {
      f.reorder = this.deps.reorder();
      if (plan.kind === 'fail') {
        f.failCode = plan.code;
        if (plan.details !== undefined) f.failDetails = plan.details;
      } else if (chance(this.deps.rng, t.failureRate)) {
        f.failCode = 131026;
      }
    }
    return this.after(f, sampleDelayMs(t.sent, this.deps.rng));
  }

  /** Puts the flight's current stage on the timeline `delayMs` from now. */
  private after(f: Flight, delayMs: number): NextStatus {
    const dueInMs = Math.max(0, delayMs);
    const dueMs = this.deps.clock.nowMs() + dueInMs;
    this.heap.push(dueMs, ++this.seq, f);
    if (dueMs < this.timerDueMs) this.arm(dueMs);
    return { status: STAGE_STATUS[f.stage], dueInMs };
  }

  private arm(dueMs: number): void {
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timerDueMs = dueMs;
    this.timer = this.deps.clock.setTimeout(() => this.drain(), dueMs - this.deps.clock.nowMs());
  }

  private drain(): void {
    this.timer = undefined;
    // While draining, the stages that go back on the heap arm nothing (no due time is below
    // -Infinity): the timer is set once, at the end, for whatever is due first then. Re-arming on
    // each push that came earlier than the last would cost a clearTimeout and a setTimeout each.
    this.timerDueMs = Number.NEGATIVE_INFINITY;
    try {
      const nowMs = this.deps.clock.nowMs();
      while (this.heap.peekDue() <= nowMs) this.step(this.heap.pop() as Flight);
      this.deps.flush?.();
    } finally {
      this.timerDueMs = Number.POSITIVE_INFINITY;
      const next = this.heap.peekDue();
      if (next < this.timerDueMs) this.arm(next);
    }
  }

  // Each stage puts the next one on the timeline before it emits, so the emission can say what
  // comes next (nothing fires synchronously: the next stage waits for a later drain).
  private step(f: Flight): void {
    const t = this.deps.timing;
    switch (f.stage) {
      case 'failNow':
        this.emit(f, this.failed(f), undefined);
        this.done(f);
        return;
      case 'sent': {
        const sent = this.status(f, 'sent');
        f.stage = f.failCode === undefined ? 'delivered' : 'failAfter';
        const next = this.after(f, sampleDelayMs(t.delivered, this.deps.rng));
        if (f.reorder) f.heldSent = sent;
        else this.emit(f, sent, next);
        return;
      }
      case 'failAfter':
        this.emit(f, this.failed(f), undefined);
        this.releaseHeld(f);
        this.done(f);
        return;
      case 'delivered': {
        const delivered = this.status(f, 'delivered');
        if (!chance(this.deps.rng, t.readProbability)) {
          this.emit(f, delivered, undefined);
          this.releaseHeld(f);
          this.done(f);
          return;
        }
        f.stage = 'read';
        const next = this.after(f, sampleDelayMs(t.read, this.deps.rng));
        this.emit(f, delivered, next);
        this.releaseHeld(f);
        return;
      }
      case 'read':
        this.emit(f, this.status(f, 'read'), undefined);
        this.done(f);
        return;
    }
  }

  private done(f: Flight): void {
    this.active--;
    this.deps.finished?.(f.msg);
  }

  /** A `sent` held back by the reorder fault goes out now, after the status that overtook it. */
  private releaseHeld(f: Flight): void {
    if (f.heldSent) {
      const held = f.heldSent;
      delete f.heldSent;
      this.emit(f, held, undefined);
    }
  }

  private emit(f: Flight, s: StatusObject, next: NextStatus | undefined): void {
    this.deps.emit(f.msg, s, next);
  }

  /**
   * A status of the flight's message. Every status is made by this one literal, absent fields
   * included as undefined (JSON leaves them out), so all share one shape with room for every field
   * instead of growing a property store as fields are added.
   */
  private make(
    f: Flight,
    status: StatusObject['status'],
    conversation: ConversationObject | undefined,
    pricing: PricingObject | undefined,
    errors: StatusObject['errors'],
  ): StatusObject {
    const second = Math.floor(this.deps.clock.epochMs() / 1000);
    if (second !== this.stampSecond) {
      this.stampSecond = second;
      this.stampText = String(second);
    }
    const msg = f.msg;
    return {
      id: msg.wamid,
      status,
      timestamp: this.stampText,
      recipient_id: msg.waId,
      biz_opaque_callback_data: msg.bizOpaque,
      conversation,
      pricing,
      errors,
    };
  }

  private status(f: Flight, status: 'sent' | 'delivered' | 'read'): StatusObject {
    if (status === 'read') return this.make(f, status, undefined, undefined, undefined);
    return this.make(f, status, this.conversation(f, status === 'sent'), f.msg.pricing, undefined);
  }

  private failed(f: Flight): StatusObject {
    return this.make(f, 'failed', undefined, undefined, [webhookError(f.failCode ?? 131000, f.failDetails)]);
  }

  /**
   * The conversation of a `sent` (opening) or `delivered` status: `sent` joins the user's open
   * conversation of that category or opens one (whose `expiration_timestamp` it carries);
   * `delivered` names the one its `sent` named, even if that has expired meanwhile.
   */
  private conversation(f: Flight, opening: boolean): ConversationObject {
    const msg = f.msg;
    if (!opening && f.conv) return f.conv.named;
    const category = msg.pricing.category;
    const nowMs = this.deps.clock.nowMs();
    let user = this.conversations.get(msg.waId);
    let conv = user?.[category];
    if (conv && conv.expiresAtMs > nowMs) {
      if (opening) f.conv = conv;
      return conv.named;
    }
    if (!opening && conv) return conv.named;
    const id = makeHex(this.deps.rng, 32);
    const origin = ORIGINS[category];
    conv = { id, expiresAtMs: nowMs + DAY_MS, named: Object.freeze({ id, origin }) };
    if (user === undefined) user = {};
    user[category] = conv;
    this.conversations.touch(msg.waId, user);
    if (opening) f.conv = conv;
    // The status that opens it also says when it expires.
    const expiresEpochMs = this.deps.clock.epochMs() + DAY_MS;
    return { id, expiration_timestamp: String(Math.floor(expiresEpochMs / 1000)), origin };
  }

  /** Messages whose statuses are still to come. */
  pendingCount(): number {
    return this.active;
  }

  /** Drops every pending status (reset). */
  cancelAll(): void {
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueMs = Number.POSITIVE_INFINITY;
    this.heap.clear();
    this.active = 0;
    this.conversations.clear();
  }
}

const PRICING = {
  service: Object.freeze({
    billable: false,
    pricing_model: 'PMP',
    type: 'free_customer_service',
    category: 'service',
  }),
  utilityFree: Object.freeze({
    billable: false,
    pricing_model: 'PMP',
    type: 'free_customer_service',
    category: 'utility',
  }),
  utility: Object.freeze({ billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' }),
  marketing: Object.freeze({ billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing' }),
  authentication: Object.freeze({
    billable: true,
    pricing_model: 'PMP',
    type: 'regular',
    category: 'authentication',
  }),
} as const satisfies Record<string, PricingObject>;

/** The PMP pricing of a message: templates by category (utility is free inside the service window), free-form as service. Shared frozen objects. */
export function pricingFor(
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION' | undefined,
  windowOpen: boolean,
): PricingObject {
  if (category === undefined) return PRICING.service;
  if (category === 'UTILITY') return windowOpen ? PRICING.utilityFree : PRICING.utility;
  return category === 'MARKETING' ? PRICING.marketing : PRICING.authentication;
}
