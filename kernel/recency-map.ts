/** One entry; `stamp` changes each time the entry moves to the back, and is -1 once deleted. */
interface Node<K, V> {
  key: K;
  value: V;
  stamp: number;
}

/**
 * A Map that knows its oldest entry in O(1): entries are ordered by insertion, or by their last
 * `touch`, and past `capacity` the oldest is dropped. Used wherever state must stay bounded over a
 * long soak (messages kept for lookups, per-user windows and rate buckets swept from the front).
 *
 * Why not a plain Map and `map.keys().next()`: V8 leaves a deleted entry's slot in place until the
 * table is rehashed, and every iteration from the front walks over those slots. A full Map that
 * drops its first entry on each insert therefore pays for every earlier drop again: measured at
 * 30–180 µs per insert for 200,000 entries (`npx tsx bench/recency-map.ts`). Here the order lives
 * in a queue beside the Map; moving an entry to the back appends it again and leaves its old queue
 * slot stale (skipped by stamp), and the queue is compacted once it is mostly stale or consumed.
 */
export class RecencyMap<K, V> {
  private readonly map = new Map<K, Node<K, V>>();
  /** Oldest first from `head`; an item is current only while `stamps[i] === nodes[i].stamp`. */
  private nodes: Array<Node<K, V>> = [];
  private stamps: number[] = [];
  private head = 0;
  private seq = 0;
  /** Entries dropped for capacity since construction. */
  evicted = 0;

  constructor(readonly capacity = Number.POSITIVE_INFINITY) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** The value for `key` (its place in the order is unchanged). */
  get(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Stores `value`: a new key becomes the newest; an existing key keeps its place. */
  set(key: K, value: V): void {
    const node = this.map.get(key);
    if (node) {
      node.value = value;
      return;
    }
    this.insert(key, value);
  }

  /** Stores `value` and makes `key` the newest, whether it was there or not. */
  touch(key: K, value: V): void {
    const node = this.map.get(key);
    if (!node) {
      this.insert(key, value);
      return;
    }
    node.value = value;
    if (this.nodes[this.nodes.length - 1] === node && this.stamps[this.stamps.length - 1] === node.stamp)
      return;
    node.stamp = ++this.seq;
    this.nodes.push(node);
    this.stamps.push(node.stamp);
    this.compact();
  }

  delete(key: K): boolean {
    const node = this.map.get(key);
    if (!node) return false;
    this.map.delete(key);
    node.stamp = -1;
    this.compact();
    return true;
  }

  /** The oldest entry, or undefined when empty. */
  oldest(): { key: K; value: V } | undefined {
    this.skipStale();
    return this.head < this.nodes.length ? (this.nodes[this.head] as Node<K, V>) : undefined;
  }

  /** Removes and returns the oldest entry. */
  shift(): { key: K; value: V } | undefined {
    const node = this.oldest();
    if (!node) return undefined;
    this.delete(node.key);
    return node;
  }

  /** Up to `limit` values, newest first, that pass `filter`. */
  newest(limit: number, filter: (v: V) => boolean = () => true): V[] {
    const out: V[] = [];
    for (let i = this.nodes.length - 1; i >= this.head && out.length < limit; i--) {
      const node = this.nodes[i] as Node<K, V>;
      if (node.stamp === this.stamps[i] && filter(node.value)) out.push(node.value);
    }
    return out;
  }

  clear(): void {
    for (const node of this.map.values()) node.stamp = -1;
    this.map.clear();
    this.nodes = [];
    this.stamps = [];
    this.head = 0;
  }

  private insert(key: K, value: V): void {
    const node: Node<K, V> = { key, value, stamp: ++this.seq };
    this.map.set(key, node);
    this.nodes.push(node);
    this.stamps.push(node.stamp);
    while (this.map.size > this.capacity) {
      this.shift();
      this.evicted++;
    }
  }

  private skipStale(): void {
    while (
      this.head < this.nodes.length &&
      this.stamps[this.head] !== (this.nodes[this.head] as Node<K, V>).stamp
    ) {
      this.head++;
    }
  }

  /** Keeps the queue within a small multiple of the live entries: amortised O(1) per call. */
  private compact(): void {
    const n = this.nodes.length;
    if (n < 1024) return;
    if (this.head * 2 > n) {
      this.nodes = this.nodes.slice(this.head);
      this.stamps = this.stamps.slice(this.head);
      this.head = 0;
    } else if (n - this.head > 2 * this.map.size + 1024) {
      const nodes: Array<Node<K, V>> = [];
      const stamps: number[] = [];
      for (let i = this.head; i < n; i++) {
        const node = this.nodes[i] as Node<K, V>;
        if (node.stamp === this.stamps[i]) {
          nodes.push(node);
          stamps.push(node.stamp);
        }
      }
      this.nodes = nodes;
      this.stamps = stamps;
      this.head = 0;
    }
  }
}

/**
 * A bounded first-in-first-out list: past `capacity`, each push overwrites the oldest item and
 * hands it back. O(1) per push, no per-item allocation.
 */
export class BoundedRing<T> {
  private items: T[] = [];
  /** Index of the oldest item once the ring is full. */
  private head = 0;

  constructor(readonly capacity = Number.POSITIVE_INFINITY) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  /** Appends `item`; returns the item it displaced when the ring was full. */
  push(item: T): T | undefined {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return undefined;
    }
    const oldest = this.items[this.head];
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
    return oldest;
  }

  /** Up to `limit` items, newest first, that pass `filter`. */
  newest(limit: number, filter: (item: T) => boolean = () => true): T[] {
    const out: T[] = [];
    const n = this.items.length;
    for (let i = 1; i <= n && out.length < limit; i++) {
      const item = this.items[(this.head - i + n) % n] as T;
      if (filter(item)) out.push(item);
    }
    return out;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * A bounded Map for keys that are only ever added, never moved or deleted one by one (message ids):
 * past `capacity` the oldest key goes. Where nothing is touched this is cheaper than RecencyMap —
 * one Map insertion per new key (and one deletion once full), the order kept in a ring of keys.
 * Setting a key that is already there replaces its value and keeps its place.
 */
export class FifoMap<K, V> {
  private readonly map = new Map<K, V>();
  private readonly order: BoundedRing<K>;
  /** Entries dropped for capacity since construction (or the last clear). */
  evicted = 0;

  constructor(readonly capacity = Number.POSITIVE_INFINITY) {
    this.order = new BoundedRing(capacity);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    const before = this.map.size;
    this.map.set(key, value);
    if (this.map.size === before) return;
    if (this.order.size < this.capacity) {
      this.order.push(key);
      return;
    }
    this.map.delete(this.order.push(key) as K);
    this.evicted++;
  }

  clear(): void {
    this.map.clear();
    this.order.clear();
    this.evicted = 0;
  }
}
