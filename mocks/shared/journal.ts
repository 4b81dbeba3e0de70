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
 */
export class Journal extends EventEmitter {
  private ring: JournalEntry[] = [];
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
    this.setMaxListeners(50);
  }

  /** Appends an entry stamped now and notifies listeners. */
  append(kind: string, data: Record<string, unknown>): JournalEntry {
    const clock = this.clock;
    const atMs = clock.nowMs();
    const entry: JournalEntry = {
      seq: ++this.seq,
      atMs,
      epochMs: clock.epochAt ? clock.epochAt(atMs) : clock.epochMs(),
      source: this.source,
      kind,
      data,
    };
    if (this.ring.length < this.capacity) {
      this.ring.push(entry);
    } else {
      this.ring[this.head] = entry;
      this.head = (this.head + 1) % this.capacity;
      this.droppedCount++;
    }
    this.emit('entry', entry);
    return entry;
  }

  /** Entries matching every field of the query, oldest first. */
  query(q: JournalQuery = {}): JournalEntry[] {
    const kinds = q.kind === undefined ? undefined : new Set(Array.isArray(q.kind) ? q.kind : [q.kind]);
    const out: JournalEntry[] = [];
    const n = this.ring.length;
    for (let i = 0; i < n; i++) {
      const e = this.ring[(this.head + i) % n] as JournalEntry;
      if (kinds && !kinds.has(e.kind)) continue;
      if (q.afterSeq !== undefined && e.seq <= q.afterSeq) continue;
      if (q.sinceMs !== undefined && e.atMs < q.sinceMs) continue;
      if (q.untilMs !== undefined && e.atMs > q.untilMs) continue;
      if (q.wamid !== undefined && e.data['wamid'] !== q.wamid) continue;
      if (
        q.phone !== undefined &&
        e.data['phone'] !== q.phone &&
        e.data['to'] !== q.phone &&
        e.data['from'] !== q.phone
      ) {
        continue;
      }
      out.push(e);
      if (q.limit !== undefined && out.length >= q.limit) break;
    }
    return out;
  }

  /** Number of entries held in memory. */
  size(): number {
    return this.ring.length;
  }

  /** Forgets every entry (listeners stay attached); sequence numbers keep increasing. */
  clear(): void {
    this.ring = [];
    this.head = 0;
  }
}
