/**
 * A Map that keeps at most `capacity` entries, dropping the oldest insertion first. The mock keeps
 * messages and rendered texts for lookups (reactions, mark-as-read, content checks); a long soak
 * must not grow without bound, and the newest entries are the ones still asked about.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  /** Entries dropped for capacity since construction. */
  evicted = 0;

  constructor(readonly capacity: number) {}

  /** Stores `value`. Eviction follows first insertion: re-setting a key keeps its place (one Map op, no reordering). */
  set(key: K, value: V): void {
    this.map.set(key, value);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) {
        this.map.delete(oldest.value);
        this.evicted++;
      }
    }
  }

  /** The value for `key`. */
  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Number of entries held. */
  get size(): number {
    return this.map.size;
  }

  /** Up to `limit` values, newest first, that pass `filter`. */
  newest(limit: number, filter: (v: V) => boolean = () => true): V[] {
    const all = [...this.map.values()];
    const out: V[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const v = all[i] as V;
      if (filter(v)) out.push(v);
    }
    return out;
  }

  /** Forgets everything. */
  clear(): void {
    this.map.clear();
  }
}
