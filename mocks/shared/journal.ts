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
 * Builds a packed entry's `data` from what {@link Journal.appendPacked} kept: two values (kept by
 * reference: an object that lives anyway, a string) and three numbers. Called only when the entry
 * is read (a query) or a listener is attached.
 */
export type PackedDecoder = (
  ref: unknown,
  extra: unknown,
  a: number,
  b: number,
  c: number,
) => Record<string, unknown>;

/** Numbers kept per ring slot: seq, atMs, epochMs, then a packed entry's three numbers. */
const NUMS = 6;

/**
 * Append-only, bounded, in-memory journal. Listeners get each entry synchronously as it is
 * appended (`on('entry', fn)`), which is how the harness stamps hops as they happen rather than by
 * polling afterwards. Memory is a ring: past `capacity` each append overwrites the oldest entry in
 * O(1) (listeners have already seen it) and counts it in `droppedCount`, so a long soak never
 * stalls on moving a full array.
 *
 * The ring is kept in columns (kind and data by reference, the numbers in one Float64Array) and
 * entries are built again on `query`: at 10,000 sends a second the mock appends some 60,000
 * entries a second, and an entry object plus two boxed numbers each, all outliving the young
 * generation, were a large share of what the garbage collector had to copy. The most frequent
 * kinds go further (`definePacked`, `appendPacked`): they keep references to objects that live
 * anyway (or a string) and three numbers, and no data object at all until one is read.
 */
export class Journal extends EventEmitter {
  private kinds: string[] = [];
  /** An entry's data, or a packed entry's reference. */
  private datas: unknown[] = [];
  /** A packed entry's second value (undefined for other entries). */
  private extras: unknown[] = [];
  /** Slot i's numbers at NUMS·i … NUMS·i+5 (grown by doubling up to capacity). */
  private numbers = new Float64Array(NUMS * 1024);
  private readonly decoders = new Map<string, PackedDecoder>();
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
    if (this.decoders.has(kind)) throw new Error(`journal kind ${kind} is packed: use appendPacked`);
    const entry = this.entryAt(this.put(kind, data, undefined), kind, data);
    this.emit('entry', entry);
    return entry;
  }

  /** Declares `kind` as packed: its entries are appended with {@link appendPacked} and read through `decode`. */
  definePacked(kind: string, decode: PackedDecoder): void {
    this.decoders.set(kind, decode);
  }

  /**
   * Appends an entry of a packed kind (see {@link definePacked}) stamped now; listeners, if any,
   * get it with its data built. `ref` and `extra` are kept by reference and must not change in
   * ways `decode` would see.
   */
  appendPacked(kind: string, ref: unknown, extra: unknown, a: number, b: number, c: number): void {
    const decode = this.decoders.get(kind);
    if (decode === undefined) throw new Error(`journal kind ${kind} is not packed`);
    const slot = this.put(kind, ref, extra);
    const n = this.numbers;
    n[NUMS * slot + 3] = a;
    n[NUMS * slot + 4] = b;
    n[NUMS * slot + 5] = c;
    if (this.listenerCount('entry') > 0)
      this.emit('entry', this.entryAt(slot, kind, decode(ref, extra, a, b, c)));
  }

  /** The entry in ring slot `slot`, with `data`. */
  private entryAt(slot: number, kind: string, data: Record<string, unknown>): JournalEntry {
    const n = this.numbers;
    return {
      seq: n[NUMS * slot] as number,
      atMs: n[NUMS * slot + 1] as number,
      epochMs: n[NUMS * slot + 2] as number,
      source: this.source,
      kind,
      data,
    };
  }

  /** Stamps and stores an entry; returns its ring slot. */
  private put(kind: string, data: unknown, extra: unknown): number {
    const clock = this.clock;
    const atMs = clock.nowMs();
    const epochMs = clock.epochAt ? clock.epochAt(atMs) : clock.epochMs();
    const seq = ++this.seq;
    let slot: number;
    if (this.kinds.length < this.capacity) {
      slot = this.kinds.length;
      this.kinds.push(kind);
      this.datas.push(data);
      this.extras.push(extra);
      if (NUMS * slot + NUMS > this.numbers.length) this.grow();
    } else {
      slot = this.head;
      this.kinds[slot] = kind;
      this.datas[slot] = data;
      this.extras[slot] = extra;
      this.head = (this.head + 1) % this.capacity;
      this.droppedCount++;
    }
    const numbers = this.numbers;
    numbers[NUMS * slot] = seq;
    numbers[NUMS * slot + 1] = atMs;
    numbers[NUMS * slot + 2] = epochMs;
    return slot;
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
      const at = NUMS * slot;
      const seq = numbers[at] as number;
      const atMs = numbers[at + 1] as number;
      if (q.afterSeq !== undefined && seq <= q.afterSeq) continue;
      if (q.sinceMs !== undefined && atMs < q.sinceMs) continue;
      if (q.untilMs !== undefined && atMs > q.untilMs) continue;
      const decode = this.decoders.get(kind);
      const data = decode
        ? decode(
            this.datas[slot],
            this.extras[slot],
            numbers[at + 3] as number,
            numbers[at + 4] as number,
            numbers[at + 5] as number,
          )
        : (this.datas[slot] as Record<string, unknown>);
      if (q.wamid !== undefined && data['wamid'] !== q.wamid) continue;
      if (
        q.phone !== undefined &&
        data['phone'] !== q.phone &&
        data['to'] !== q.phone &&
        data['from'] !== q.phone
      ) {
        continue;
      }
      out.push(this.entryAt(slot, kind, data));
      if (q.limit !== undefined && out.length >= q.limit) break;
    }
    return out;
  }

  /** Number of entries held in memory. */
  size(): number {
    return this.kinds.length;
  }

  /** Forgets every entry (listeners and packed kinds stay); sequence numbers keep increasing. */
  clear(): void {
    this.kinds = [];
    this.datas = [];
    this.extras = [];
    this.numbers = new Float64Array(NUMS * 1024);
    this.head = 0;
  }

  private grow(): void {
    const slots = Math.min(this.capacity, (this.numbers.length / NUMS) * 2);
    const numbers = new Float64Array(NUMS * Math.max(slots, this.kinds.length));
    numbers.set(this.numbers);
    this.numbers = numbers;
  }
}
