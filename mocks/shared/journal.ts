import { EventEmitter } from 'node:events';

/** One thing a mock saw or did, stamped on the mock's clock the moment it happened. */
export interface JournalEntry {
  /** Increasing per journal, from 1. */
  seq: number;
  /** Monotonic time on the mock's clock (`Clock.nowMs()`). */
  atMs: number;
  /** Wall-clock epoch ms on the mock's clock. */
  epochMs: number;
  /** Which mock wrote it: `whatsapp` or `crm`. */
  source: string;
  /** What happened, e.g. `message.accepted`, `webhook.delivered` (each mock documents its kinds). */
  kind: string;
  /** Kind-specific fields. Never contains tokens or secrets. */
  data: Record<string, unknown>;
}

/** Filter for {@link Journal.query}; every given field must match. */
export interface JournalQuery {
  kind?: string | string[];
  /** Entries whose data mentions this WhatsApp message id (`data.wamid`). */
  wamid?: string;
  /** Entries whose data mentions this phone / wa_id (`data.phone`, `data.to`, `data.from`). */
  phone?: string;
  sinceMs?: number;
  untilMs?: number;
  afterSeq?: number;
  limit?: number;
}

/**
 * Append-only, bounded, in-memory journal. Listeners get each entry synchronously as it is
 * appended (`on('entry', fn)`), which is how the harness stamps hops as they happen rather than by
 * polling afterwards. Memory is a ring: past `capacity` each append overwrites the oldest entry in
 * O(1) (listeners have already seen it) and counts it in `droppedCount`, so a long soak never
 * stalls on moving a full array.
 *
 * The ring is kept in columns (kind and data by reference, the three numbers in one Float64Array)
 * and entries are built again on `query`: at 10,000 sends a second the mock appends some 60,000
 * entries a second, and an entry object plus two boxed numbers each, all outliving the young
 * generation, were a large share of what the garbage collector had to copy.
 */
export class Journal extends EventEmitter {
  private kinds: string[] = [];
  private datas: Array<Record<string, unknown>> = [];
  /** seq, atMs, epochMs of ring slot i at 3i, 3i+1, 3i+2 (grown by doubling up to capacity). */
  private numbers = new Float64Array(3 * 1024);
  /** Index of the oldest entry once the ring has wrapped. */
  private head = 0;
  private seq = 0;
  droppedCount = 0;

  constructor(
    readonly source: string,
    private readonly clock: { nowMs(): number; epochMs(): number; epochAt?(nowMs: number): number },
    private readonly capacity = 200_000,
  ) {
    super();
    if (!(capacity >= 1)) throw new RangeError(`journal capacity must be ≥ 1, got ${capacity}`);
    this.setMaxListeners(50);
  }

  /** Appends an entry stamped now and notifies listeners. */
  append(kind: string, data: Record<string, unknown>): JournalEntry {
    const clock = this.clock;
    const atMs = clock.nowMs();
    const epochMs = clock.epochAt ? clock.epochAt(atMs) : clock.epochMs();
    const seq = ++this.seq;
    let slot: number;
    if (this.kinds.length < this.capacity) {
      slot = this.kinds.length;
      this.kinds.push(kind);
      this.datas.push(data);
      if (3 * slot + 3 > this.numbers.length) this.grow();
    } else {
      slot = this.head;
      this.kinds[slot] = kind;
      this.datas[slot] = data;
      this.head = (this.head + 1) % this.capacity;
      this.droppedCount++;
    }
    const numbers = this.numbers;
    numbers[3 * slot] = seq;
    numbers[3 * slot + 1] = atMs;
    numbers[3 * slot + 2] = epochMs;
    const entry: JournalEntry = { seq, atMs, epochMs, source: this.source, kind, data };
    this.emit('entry', entry);
    return entry;
  }

  /** Entries matching every field of the query, oldest first. */
  query(q: JournalQuery = {}): JournalEntry[] {
    const kinds = q.kind === undefined ? undefined : new Set(Array.isArray(q.kind) ? q.kind : [q.kind]);
    const out: JournalEntry[] = [];
    const n = this.kinds.length;
    const numbers = this.numbers;
    for (let i = 0; i < n; i++) {
      const slot = (this.head + i) % n;
      const kind = this.kinds[slot] as string;
      if (kinds && !kinds.has(kind)) continue;
      const seq = numbers[3 * slot] as number;
      const atMs = numbers[3 * slot + 1] as number;
      if (q.afterSeq !== undefined && seq <= q.afterSeq) continue;
      if (q.sinceMs !== undefined && atMs < q.sinceMs) continue;
      if (q.untilMs !== undefined && atMs > q.untilMs) continue;
      const data = this.datas[slot] as Record<string, unknown>;
      if (q.wamid !== undefined && data['wamid'] !== q.wamid) continue;
      if (
        q.phone !== undefined &&
        data['phone'] !== q.phone &&
        data['to'] !== q.phone &&
        data['from'] !== q.phone
      ) {
        continue;
      }
      out.push({ seq, atMs, epochMs: numbers[3 * slot + 2] as number, source: this.source, kind, data });
      if (q.limit !== undefined && out.length >= q.limit) break;
    }
    return out;
  }

  /** Number of entries held in memory. */
  size(): number {
    return this.kinds.length;
  }

  /** Forgets every entry (listeners stay attached); sequence numbers keep increasing. */
  clear(): void {
    this.kinds = [];
    this.datas = [];
    this.numbers = new Float64Array(3 * 1024);
    this.head = 0;
  }

  private grow(): void {
    const slots = Math.min(this.capacity, (this.numbers.length / 3) * 2);
    const numbers = new Float64Array(3 * Math.max(slots, this.kinds.length));
    numbers.set(this.numbers);
    this.numbers = numbers;
  }
}
