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
 * polling afterwards. Past `capacity` the oldest entries are dropped from memory (listeners have
 * already seen them) and counted in `droppedCount`.
 */
export class Journal extends EventEmitter {
  private entries: JournalEntry[] = [];
  private seq = 0;
  droppedCount = 0;

  constructor(
    readonly source: string,
    private readonly clock: { nowMs(): number; epochMs(): number },
    private readonly capacity = 200_000,
  ) {
    super();
    this.setMaxListeners(50);
  }

  /** Appends an entry stamped now and notifies listeners. */
  append(kind: string, data: Record<string, unknown>): JournalEntry {
    const entry: JournalEntry = {
      seq: ++this.seq,
      atMs: this.clock.nowMs(),
      epochMs: this.clock.epochMs(),
      source: this.source,
      kind,
      data,
    };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) {
      const drop = this.entries.length - this.capacity;
      this.entries.splice(0, drop);
      this.droppedCount += drop;
    }
    this.emit('entry', entry);
    return entry;
  }

  /** Entries matching every field of the query, oldest first. */
  query(q: JournalQuery = {}): JournalEntry[] {
    const kinds = q.kind === undefined ? undefined : Array.isArray(q.kind) ? q.kind : [q.kind];
    const out: JournalEntry[] = [];
    for (const e of this.entries) {
      if (kinds && !kinds.includes(e.kind)) continue;
      if (q.afterSeq !== undefined && e.seq <= q.afterSeq) continue;
      if (q.sinceMs !== undefined && e.atMs < q.sinceMs) continue;
      if (q.untilMs !== undefined && e.atMs > q.untilMs) continue;
      if (q.wamid !== undefined && e.data['wamid'] !== q.wamid) continue;
      if (q.phone !== undefined && ![e.data['phone'], e.data['to'], e.data['from']].includes(q.phone))
        continue;
      out.push(e);
      if (q.limit !== undefined && out.length >= q.limit) break;
    }
    return out;
  }

  /** Number of entries held in memory. */
  size(): number {
    return this.entries.length;
  }

  /** Forgets every entry (listeners stay attached); sequence numbers keep increasing. */
  clear(): void {
    this.entries = [];
  }
}
