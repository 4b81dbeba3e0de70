// Usage: npx tsx bench/whatsapp-send-ab.ts --old DIR [--rounds 2] [--seconds 15] [--mode default|single|both]
//                                          [--together]
//
// Old build against this one, alternating, in the same run: `bench/whatsapp-send.ts` of each
// checkout (DIR is another checkout of the project with its node_modules, e.g. `git archive <rev> |
// tar -x -C DIR`) runs in turn, old first in odd rounds and new first in even ones, so a drift of the
// machine's speed during the run falls on both. Each run measures the bare fastify route too; the
// mock's rate divided by that run's bare rate is the figure compared, because it cancels most of
// how busy the machine was at that moment. With --together the two builds run at the same time in
// each round (each its own server process, load generator and sink), so on a machine whose load
// comes and goes they meet the same load at the same moments; they then also share the cores with
// each other, so the absolute figures are lower than alone. Prints each run's lines, then per round and overall
// (median) the new/old ratios of the mock's sends/s and of its fraction of the bare route.
// Target (issue 14): new ≥ 0.9 × old with webhooks flowing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    old: { type: 'string' },
    rounds: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '2' },
    mode: { type: 'string', default: 'default' },
    together: { type: 'boolean', default: false },
  },
});
const oldDir = args.old === undefined ? undefined : resolve(args.old);
const newDir = resolve(import.meta.dirname, '..');
const rounds = Number(args.rounds);
if (oldDir === undefined || !existsSync(resolve(oldDir, 'bench/whatsapp-send.ts'))) {
  console.error('--old must name a checkout of the project that has bench/whatsapp-send.ts');
  process.exit(2);
}
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error('--rounds must be an integer ≥ 1');
  process.exit(2);
}
if (!['default', 'single', 'both'].includes(String(args.mode))) {
  console.error('--mode must be default, single or both');
  process.exit(2);
}

/** What one run of whatsapp-send.ts printed, read back from its result lines. */
interface RunFigures {
  bare: number;
  mock: Map<string, { rate: number; cpuUsPerSend: number }>;
}

const RESULT = /^(bare fastify route|mock, [^0-9]+?)\s+(\d+) 2xx\/s\s+([\d.]+) µs CPU\/req/;

function runOne(dir: string, label: string): Promise<RunFigures> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/whatsapp-send.ts',
      '--mode',
      String(args.mode),
      '--seconds',
      String(args.seconds),
      '--warmup',
      String(args.warmup),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`${label}: whatsapp-send.ts exited with ${code}`));
      const figures: RunFigures = { bare: Number.NaN, mock: new Map() };
      for (const text of out.split('\n')) {
        console.log(`  ${label.padEnd(3)} | ${text}`);
        const m = RESULT.exec(text);
        if (!m) continue;
        const name = (m[1] ?? '').trim();
        if (name === 'bare fastify route') figures.bare = Number(m[2]);
        else figures.mock.set(name, { rate: Number(m[2]), cpuUsPerSend: Number(m[3]) });
      }
      if (!(figures.bare > 0) || figures.mock.size === 0) {
        return fail(new Error(`${label}: no result lines in the output of whatsapp-send.ts`));
      }
      done(figures);
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

console.log(
  `old: ${oldDir}\nnew: ${newDir}\n${rounds} rounds of ${args.seconds} s per run, mode ${args.mode}, ${args.together ? 'both builds at the same time' : 'one build at a time'}`,
);
const ratios = new Map<string, { rate: number[]; ofBare: number[]; cpu: number[] }>();
for (let round = 1; round <= rounds; round++) {
  const order: Array<['old' | 'new', string]> =
    round % 2 === 1
      ? [
          ['old', oldDir],
          ['new', newDir],
        ]
      : [
          ['new', newDir],
          ['old', oldDir],
        ];
  const got: Partial<Record<'old' | 'new', RunFigures>> = {};
  if (args.together) {
    const results = await Promise.all(order.map(([label, dir]) => runOne(dir, label)));
    order.forEach(([label], i) => {
      got[label] = results[i];
    });
  } else {
    for (const [label, dir] of order) got[label] = await runOne(dir, label);
  }
  const o = got.old as RunFigures;
  const n = got.new as RunFigures;
  for (const [name, nv] of n.mock) {
    const ov = o.mock.get(name);
    if (!ov) continue;
    const r = ratios.get(name) ?? { rate: [], ofBare: [], cpu: [] };
    r.rate.push(nv.rate / ov.rate);
    r.ofBare.push(nv.rate / n.bare / (ov.rate / o.bare));
    r.cpu.push(ov.cpuUsPerSend / nv.cpuUsPerSend);
    ratios.set(name, r);
    console.log(
      `round ${round} ${name}: old ${ov.rate}/s (${(ov.rate / o.bare).toFixed(2)} of bare, ${ov.cpuUsPerSend} µs/send), new ${nv.rate}/s (${(nv.rate / n.bare).toFixed(2)} of bare, ${nv.cpuUsPerSend} µs/send)`,
    );
  }
}
for (const [name, r] of ratios) {
  console.log(
    `new/old ${name}: sends/s ${r.rate.map((x) => x.toFixed(2)).join(', ')} (median ${median(r.rate).toFixed(2)}); fraction of the bare route ${r.ofBare.map((x) => x.toFixed(2)).join(', ')} (median ${median(r.ofBare).toFixed(2)}); by CPU per send ${r.cpu.map((x) => x.toFixed(2)).join(', ')} (median ${median(r.cpu).toFixed(2)})`,
  );
}
console.log('target: new ≥ 0.90 × old');
