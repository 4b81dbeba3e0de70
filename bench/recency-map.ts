// Usage: npx tsx bench/recency-map.ts [--capacity 200000] [--rounds 5]
//
// What keeping a Map bounded costs once it is full, with the plain-Map idiom the mocks and the
// connector used before (`map.keys().next()` to find the oldest, delete + set to refresh) next to
// RecencyMap (kernel/recency-map.ts), in the same run. Two workloads, each `--rounds` rounds of
// `--capacity` operations after the map is full:
//   insert: every set is a new key and drops the oldest (message and rendered-text stores)
//   touch:  half the calls refresh one of the newest keys, half insert a new one (rate buckets, windows)
// Prints µs per operation for each round: the plain Map's cost grows with the deleted slots V8
// keeps at the front of its table; RecencyMap's stays flat.
import { parseArgs } from 'node:util';
import { RecencyMap } from '../kernel/recency-map.js';

const { values: args } = parseArgs({
  options: { capacity: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } },
});
const capacity = Number(args.capacity);
const rounds = Number(args.rounds);
if (!(Number.isInteger(capacity) && capacity > 0 && Number.isInteger(rounds) && rounds > 0)) {
  console.error('--capacity and --rounds must be integers > 0');
  process.exit(2);
}

interface Store {
  set(k: string, v: number): void;
  touch(k: string, v: number): void;
}

function plainMap(): Store {
  const m = new Map<string, number>();
  const evict = () => {
    if (m.size > capacity) {
      const oldest = m.keys().next();
      if (!oldest.done) m.delete(oldest.value);
    }
  };
  return {
    set(k, v) {
      m.set(k, v);
      evict();
    },
    touch(k, v) {
      m.delete(k);
      m.set(k, v);
      evict();
    },
  };
}

function recencyMap(): Store {
  const m = new RecencyMap<string, number>(capacity);
  return { set: (k, v) => m.set(k, v), touch: (k, v) => m.touch(k, v) };
}

const key = (i: number) => `wamid.HBgLMTQxNTU1NTAxMjM0FQIAERgSQzQ5RkE4${i}`;

function run(name: string, make: () => Store, workload: 'insert' | 'touch'): string[] {
  const store = make();
  let next = 0;
  for (; next < capacity; next++) store.set(key(next), next);
  const out: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < capacity; i++) {
      if (workload === 'insert' || i % 2 === 0) {
        store.touch(key(next), next);
        next++;
      } else {
        // One of the 1,000 newest keys: a customer who is messaged again soon.
        const k = next - 1 - (i % 1000);
        store.touch(key(k), k);
      }
    }
    out.push((Number(process.hrtime.bigint() - t0) / capacity / 1000).toFixed(2));
  }
  return [name, ...out];
}

console.log(
  `node ${process.version}; capacity ${capacity}; ${rounds} rounds of ${capacity} operations on a full map; µs per operation`,
);
for (const workload of ['insert', 'touch'] as const) {
  const plain = run('plain Map', plainMap, workload);
  const recency = run('RecencyMap', recencyMap, workload);
  console.log(`${workload}:`);
  for (const row of [plain, recency])
    console.log(
      `  ${(row[0] as string).padEnd(12)} ${row
        .slice(1)
        .map((x) => x.padStart(8))
        .join(' ')}`,
    );
  const p = plain.slice(1).map(Number);
  const q = recency.slice(1).map(Number);
  const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  console.log(`  ratio plain / RecencyMap: ${(mean(p) / mean(q)).toFixed(1)}×`);
}
