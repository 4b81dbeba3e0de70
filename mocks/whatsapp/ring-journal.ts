import { Journal, type JournalEntry, type JournalQuery } from '../shared/journal.js';

/**
 * A {@link Journal} whose memory is a ring: once `capacity` entries are held, each append
 * overwrites the oldest in O(1). (The shared Journal drops its oldest entry with `splice(0, 1)`,
 * which moves the whole array: about 0.3 ms per append at 200,000 entries, enough to stall the
 * mock once a long run fills it.) Same entries, same listeners, same query semantics.
 */
export class RingJournal extends Journal {
  private ring: Array<JournalEntry | undefined>;
  /** Index of the oldest entry. */
  private head = 0;
  private count = 0;
  private nextSeq = 0;

  constructor(
    source: string,
    private readonly ringClock: { nowMs(): number; epochMs(): number },
    private readonly ringCapacity = 200_000,
  ) {
    super(source, ringClock, ringCapacity);
    this.ring = [];
  }

  /** Appends an entry stamped now and notifies listeners. */
  override append(kind: string, data: Record<string, unknown>): JournalEntry {
    const entry: JournalEntry = {
      seq: ++this.nextSeq,
      atMs: this.ringClock.nowMs(),
      epochMs: this.ringClock.epochMs(),
      source: this.source,
      kind,
      data,
    };
    if (this.count < this.ringCapacity) {
      // Still filling: plain pushes keep the array packed (head stays 0 until the first wrap).
      this.ring.push(entry);
      this.count++;
    } else {
      this.ring[this.head] = entry;
      this.head = (this.head + 1) % this.ringCapacity;
      this.droppedCount++;
    }
    this.emit('entry', entry);
    return entry;
  }

  /** Entries matching every field of the query, oldest first. */
  override query(q: JournalQuery = {}): JournalEntry[] {
    const kinds = q.kind === undefined ? undefined : new Set(Array.isArray(q.kind) ? q.kind : [q.kind]);
    const out: JournalEntry[] = [];
    for (let i = 0; i < this.count; i++) {
      const e = this.ring[(this.head + i) % this.ringCapacity] as JournalEntry;
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
  override size(): number {
    return this.count;
  }

  /** Forgets every entry (listeners stay attached); sequence numbers keep increasing. */
  override clear(): void {
    this.ring = [];
    this.head = 0;
    this.count = 0;
  }
}
