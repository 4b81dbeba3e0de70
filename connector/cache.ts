/**
 * A Map that forgets its oldest entries past `maxEntries`, so the connector's memory stays flat
 * over a 72-hour soak. `get` refreshes an entry (least recently used goes first).
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.map.size;
  }
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  has(key: K): boolean {
    return this.map.has(key);
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value as K;
      this.map.delete(oldest);
    }
  }
  delete(key: K): void {
    this.map.delete(key);
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
