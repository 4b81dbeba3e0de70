import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedRing, FifoMap, RecencyMap } from '../../../kernel/recency-map.js';

/** The obvious model: an array of [key, value], oldest first. */
class Model {
  items: Array<[number, number]> = [];
  evicted = 0;
  constructor(private readonly capacity: number) {}
  set(k: number, v: number): void {
    const i = this.items.findIndex(([key]) => key === k);
    if (i >= 0) (this.items[i] as [number, number])[1] = v;
    else this.push(k, v);
  }
  touch(k: number, v: number): void {
    const i = this.items.findIndex(([key]) => key === k);
    if (i >= 0) this.items.splice(i, 1);
    this.push(k, v);
  }
  delete(k: number): boolean {
    const i = this.items.findIndex(([key]) => key === k);
    if (i >= 0) this.items.splice(i, 1);
    return i >= 0;
  }
  private push(k: number, v: number): void {
    this.items.push([k, v]);
    while (this.items.length > this.capacity) {
      this.items.shift();
      this.evicted++;
    }
  }
}

describe('RecencyMap', () => {
  it('drops the oldest insertion past capacity; set keeps a key in place, touch moves it to the back', () => {
    const m = new RecencyMap<string, number>(3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    m.set('a', 10); // stays oldest
    m.set('d', 4); // drops a
    expect(m.has('a')).toBe(false);
    expect(m.evicted).toBe(1);
    m.touch('b', 20); // b becomes newest
    m.set('e', 5); // drops c
    expect([...['b', 'c', 'd', 'e']].filter((k) => m.has(k))).toEqual(['b', 'd', 'e']);
    expect(m.oldest()).toMatchObject({ key: 'd', value: 4 });
    expect(m.newest(10)).toEqual([5, 20, 4]);
    expect(m.shift()).toMatchObject({ key: 'd' });
    expect(m.size).toBe(2);
    expect(m.delete('b')).toBe(true);
    expect(m.delete('b')).toBe(false);
    expect(m.oldest()).toMatchObject({ key: 'e', value: 5 });
    m.clear();
    expect(m.size).toBe(0);
    expect(m.oldest()).toBeUndefined();
  });

  it('behaves like the array model under any sequence of operations (queue compaction included)', () => {
    const op = fc.oneof(
      fc.tuple(fc.constant('set' as const), fc.integer({ min: 0, max: 40 }), fc.integer()),
      fc.tuple(fc.constant('touch' as const), fc.integer({ min: 0, max: 40 }), fc.integer()),
      fc.tuple(fc.constant('delete' as const), fc.integer({ min: 0, max: 40 }), fc.constant(0)),
      fc.tuple(fc.constant('shift' as const), fc.constant(0), fc.constant(0)),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(op, { maxLength: 3000 }), (capacity, ops) => {
        const m = new RecencyMap<number, number>(capacity);
        const model = new Model(capacity);
        for (const [kind, k, v] of ops) {
          if (kind === 'set') {
            m.set(k, v);
            model.set(k, v);
          } else if (kind === 'touch') {
            m.touch(k, v);
            model.touch(k, v);
          } else if (kind === 'delete') {
            expect(m.delete(k)).toBe(model.delete(k));
          } else {
            const first = model.items.shift();
            expect(m.shift()?.key).toBe(first?.[0]);
          }
        }
        expect(m.size).toBe(model.items.length);
        expect(m.evicted).toBe(model.evicted);
        expect(m.newest(1000)).toEqual(model.items.map(([, v]) => v).reverse());
        for (const [k, v] of model.items) expect(m.get(k)).toBe(v);
        expect(m.oldest()?.key).toBe(model.items[0]?.[0]);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps its order queue bounded when one key is touched over and over', () => {
    const m = new RecencyMap<string, number>();
    for (let i = 0; i < 10; i++) m.set(`k${i}`, i);
    for (let i = 0; i < 100_000; i++) m.touch(`k${i % 2}`, i);
    const queue = (m as unknown as { nodes: unknown[]; head: number }).nodes.length;
    expect(queue).toBeLessThan(2 * 10 + 1024 + 2);
    expect(m.oldest()?.key).toBe('k2');
  });

  it('rejects a capacity below 1', () => {
    expect(() => new RecencyMap(0)).toThrow(/capacity must be ≥ 1/);
  });
});

describe('FifoMap and BoundedRing', () => {
  it('FifoMap drops the oldest key past capacity; setting a present key keeps its place', () => {
    const m = new FifoMap<string, number>(3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    m.set('a', 10); // stays oldest
    m.set('d', 4);
    expect([m.has('a'), m.get('b'), m.get('c'), m.get('d'), m.size, m.evicted]).toEqual([
      false,
      2,
      3,
      4,
      3,
      1,
    ]);
    m.clear();
    expect([m.size, m.get('b'), m.evicted]).toEqual([0, undefined, 0]);
    m.set('x', 1);
    expect(m.get('x')).toBe(1);
  });

  it('FifoMap behaves like the model for any sequence of sets (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer()), { maxLength: 200 }),
        (capacity, ops) => {
          const m = new FifoMap<number, number>(capacity);
          const model = new Model(capacity);
          for (const [k, v] of ops) {
            m.set(k, v);
            model.set(k, v);
          }
          expect(m.size).toBe(model.items.length);
          expect(m.evicted).toBe(model.evicted);
          for (const [k, v] of model.items) expect(m.get(k)).toBe(v);
          for (let k = 0; k <= 12; k++) expect(m.has(k)).toBe(model.items.some(([key]) => key === k));
        },
      ),
    );
  });

  it('BoundedRing hands back what it displaces and lists newest first', () => {
    const r = new BoundedRing<number>(3);
    expect([r.push(1), r.push(2), r.push(3)]).toEqual([undefined, undefined, undefined]);
    expect(r.push(4)).toBe(1);
    expect(r.push(5)).toBe(2);
    expect(r.newest(10)).toEqual([5, 4, 3]);
    expect(r.newest(2)).toEqual([5, 4]);
    expect(r.newest(10, (n) => n % 2 === 1)).toEqual([5, 3]);
    expect(r.size).toBe(3);
    r.clear();
    expect([r.size, r.newest(5), r.push(7), r.newest(5)]).toEqual([0, [], undefined, [7]]);
    expect(() => new BoundedRing(0)).toThrow(RangeError);
  });
});
