import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedMap, SeenIds } from '../../../connector/cache.js';

describe('connector BoundedMap (least recently used goes first)', () => {
  it('get and set refresh an entry; has does not', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).toBe(1); // a is now the newest
    m.set('c', 3); // drops b
    expect(m.has('b')).toBe(false);
    expect(m.has('a')).toBe(true);
    m.has('a'); // no refresh
    m.set('c', 30); // refresh c: a is the least recently used
    m.set('d', 4);
    expect(m.has('a')).toBe(false);
    expect(m.get('c')).toBe(30);
    expect(m.size).toBe(2);
  });

  it('matches an array model under any sequence of get, set and delete', () => {
    const op = fc.tuple(
      fc.constantFrom('get', 'set', 'delete'),
      fc.integer({ min: 0, max: 50 }),
      fc.integer(),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(op, { maxLength: 4000 }), (max, ops) => {
        const m = new BoundedMap<number, number>(max);
        let model: Array<[number, number]> = [];
        const take = (k: number) => {
          const i = model.findIndex(([key]) => key === k);
          return i < 0 ? undefined : (model.splice(i, 1)[0] as [number, number]);
        };
        for (const [kind, k, v] of ops) {
          if (kind === 'get') {
            const hit = take(k);
            if (hit) model.push(hit);
            expect(m.get(k)).toBe(hit?.[1]);
          } else if (kind === 'set') {
            take(k);
            model.push([k, v]);
            if (model.length > max) model = model.slice(model.length - max);
            m.set(k, v);
          } else {
            take(k);
            m.delete(k);
          }
        }
        expect(m.size).toBe(model.length);
        for (const [k] of model) expect(m.has(k)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('SeenIds remembers an id once, forgets on request and past its size', () => {
    const seen = new SeenIds(2);
    expect(seen.firstSeen('x')).toBe(true);
    expect(seen.firstSeen('x')).toBe(false);
    seen.forget('x');
    expect(seen.firstSeen('x')).toBe(true);
    seen.firstSeen('y');
    seen.firstSeen('z');
    expect(seen.has('x')).toBe(false);
    expect(seen.size).toBe(2);
  });
});
