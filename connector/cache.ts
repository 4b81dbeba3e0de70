/** An entry and the stamp of its newest place in the order queue (-1 once deleted). */
interface Slot<K, V> {
  key: K;
  value: V;
  stamp: number;
}

/**
 * A Map that forgets its least recently used entries past `maxEntries`, so the connector's memory
 * stays flat over a 72-hour soak. `get` and `set` refresh an entry.
 *
 * The order lives in a queue beside the Map rather than in the Map's own insertion order: V8 keeps
 * a deleted entry's slot until it rehashes, and `map.keys().next()` walks over every such slot, so
 * a full Map that drops its first entry on each insert slowed to 30–180 µs per insert at 200,000
 * entries. A refresh appends the entry again and leaves its old queue slot stale (skipped by
 * stamp); the queue is compacted once it is mostly consumed or stale: amortised O(1).
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, Slot<K, V>>();
  private queue: Array<Slot<K, V>> = [];
  private stamps: number[] = [];
  private head = 0;
  private seq = 0;
  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.map.size;
  }
  get(key: K): V | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    this.refresh(slot);
    return slot.value;
  }
  has(key: K): boolean {
    return this.map.has(key);
  }
  set(key: K, value: V): void {
    const slot = this.map.get(key);
    if (slot) {
      slot.value = value;
      this.refresh(slot);
      return;
    }
    const fresh: Slot<K, V> = { key, value, stamp: 0 };
    this.map.set(key, fresh);
    this.refresh(fresh);
    while (this.map.size > this.maxEntries && this.head < this.queue.length) {
      const oldest = this.queue[this.head] as Slot<K, V>;
      const current = oldest.stamp === this.stamps[this.head];
      this.head++;
      if (current) this.delete(oldest.key);
    }
    this.compact();
  }
  delete(key: K): void {
    const slot = this.map.get(key);
    if (!slot) return;
    this.map.delete(key);
    slot.stamp = -1;
  }

  private refresh(slot: Slot<K, V>): void {
    const last = this.queue.length - 1;
    if (last >= this.head && this.queue[last] === slot && this.stamps[last] === slot.stamp) return;
    slot.stamp = ++this.seq;
    this.queue.push(slot);
    this.stamps.push(slot.stamp);
    this.compact();
  }

  private compact(): void {
    const n = this.queue.length;
    if (n < 1024 || (this.head * 2 <= n && n - this.head <= 2 * this.map.size + 1024)) return;
    const queue: Array<Slot<K, V>> = [];
    const stamps: number[] = [];
    for (let i = this.head; i < n; i++) {
      const slot = this.queue[i] as Slot<K, V>;
      if (slot.stamp === this.stamps[i]) {
        queue.push(slot);
        stamps.push(slot.stamp);
      }
    }
    this.queue = queue;
    this.stamps = stamps;
    this.head = 0;
  }
}

/**
 * Ids seen recently (webhook de-duplication). `firstSeen(id)` is true once per id while it is
 * remembered; the oldest ids are forgotten past `maxEntries`.
 */
export class SeenIds {
  private readonly seen: BoundedMap<string, true>;
  constructor(maxEntries: number) {
    this.seen = new BoundedMap(maxEntries);
  }
  /** True the first time `id` is offered (and remembers it); false for a repeat. */
  firstSeen(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.set(id, true);
    return true;
  }
  /** Whether `id` was seen (without remembering it). */
  has(id: string): boolean {
    return this.seen.has(id);
  }
  /** Forgets `id` (its job was refused, so a redelivery must be taken). */
  forget(id: string): void {
    this.seen.delete(id);
  }
  get size(): number {
    return this.seen.size;
  }
}
