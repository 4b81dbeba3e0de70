import type { Clock, TimerHandle } from '../kernel/clock.js';

/** Anything the queue can hold: jobs with the same key never run at the same time, and run in order. */
export interface Keyed {
  /** The ordering key (the customer's phone): one job per key in flight at a time. */
  readonly key: string;
}

/** A FIFO of strings with O(1) shift (an array with a moving head, compacted now and then). */
class Deque<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * The connector's bounded work queue. Jobs with the same key (one customer) are served one at a
 * time in order, so a customer's messages are written in order and a status never overtakes the
 * send it belongs to; different keys go in parallel. Retries wait in a delayed set on the clock and
 * come back at the front of their key. `pending` (queued + delayed + in flight) is what the webhook
 * handlers compare with the limit: above it they answer 503 so the sender keeps the work.
 */
export class KeyedQueue<J extends Keyed> {
  private readonly byKey = new Map<string, J[]>();
  private readonly ready = new Deque<string>();
  private readonly active = new Set<string>();
  private readonly delayedJobs = new Map<number, { job: J; timer: TimerHandle }>();
  private readonly waiters: Array<(job: J | undefined) => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private queuedCount = 0;
  private nextDelayId = 1;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    readonly limit: number,
  ) {}

  /** Jobs waiting to run (ready or behind another job of their key). */
  get queued(): number {
    return this.queuedCount;
  }
  /** Jobs waiting for a retry timer. */
  get delayed(): number {
    return this.delayedJobs.size;
  }
  /** Jobs being worked on. */
  get inFlight(): number {
    return this.active.size;
  }
  /** Everything the connector has acknowledged and not finished. */
  get pending(): number {
    return this.queuedCount + this.delayedJobs.size + this.active.size;
  }
  /** Whether `n` more jobs fit under the limit. */
  hasRoom(n = 1): boolean {
    return this.pending + n <= this.limit;
  }

  /** Adds a job (at the front of its key's line when `front`, for retries). */
  push(job: J, front = false): void {
    let line = this.byKey.get(job.key);
    if (!line) {
      line = [];
      this.byKey.set(job.key, line);
      if (!this.active.has(job.key)) this.ready.push(job.key);
    }
    if (front) line.unshift(job);
    else line.push(job);
    this.queuedCount++;
    this.serveWaiters();
  }

  /** Adds a job after `delayMs` (a retry); it counts as pending meanwhile. */
  pushLater(job: J, delayMs: number): void {
    if (delayMs <= 0) {
      this.push(job, true);
      return;
    }
    const id = this.nextDelayId++;
    const timer = this.clock.setTimeout(() => {
      if (this.delayedJobs.delete(id)) this.push(job, true);
    }, delayMs);
    this.delayedJobs.set(id, { job, timer });
  }

  /**
   * Moves delayed jobs to the queue now: all of them (draining on shutdown), or those `which`
   * selects (retries waiting on a dependency that has just answered again). Returns how many.
   */
  releaseDelayed(which?: (job: J) => boolean): number {
    let released = 0;
    for (const [id, { job, timer }] of this.delayedJobs) {
      if (which && !which(job)) continue;
      this.clock.clearTimeout(timer);
      this.delayedJobs.delete(id);
      this.push(job, true);
      released++;
    }
    return released;
  }

  /** The next runnable job; waits for one. Resolves `undefined` once the queue is closed. */
  take(): Promise<J | undefined> {
    const job = this.tryTake();
    if (job || this.closed) return Promise.resolve(job);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private tryTake(): J | undefined {
    const key = this.ready.shift();
    if (key === undefined) return undefined;
    const line = this.byKey.get(key) as J[];
    const job = line.shift() as J;
    if (line.length === 0) this.byKey.delete(key);
    this.active.add(key);
    this.queuedCount--;
    return job;
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0 && this.ready.length > 0) {
      const job = this.tryTake();
      this.waiters.shift()?.(job);
    }
  }

  /** Marks a taken job finished (whatever the outcome): its key's next job may run. */
  done(job: J): void {
    this.active.delete(job.key);
    if (this.byKey.has(job.key)) this.ready.push(job.key);
    this.serveWaiters();
    if (this.pending === 0) for (const fn of this.idleWaiters.splice(0)) fn();
  }

  /** Resolves when nothing is queued, delayed or in flight. */
  whenIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Wakes every waiting `take()` with `undefined` (workers stop); queued jobs stay. */
  close(): void {
    this.closed = true;
    for (const fn of this.waiters.splice(0)) fn(undefined);
  }

  /** The jobs not finished (queued and delayed), e.g. to report what a shutdown left behind. */
  leftovers(): J[] {
    const out: J[] = [];
    for (const line of this.byKey.values()) out.push(...line);
    for (const { job } of this.delayedJobs.values()) out.push(job);
    return out;
  }
}
