// Usage: npx tsx bench/crm-dialects.ts [--seconds 10] [--warmup 2] [--rounds 2] [--connections 32] [--contacts 2000]
//                                      [--calls all|read|find|log] [--memo both|on|off]
//
// The CRM mock's request rate in the HubSpot dialect next to the native dialect, on equivalent
// calls, in the same run. Each dialect serves the same seeded contacts and gets the same mix, one
// third each: read a contact by id, find a contact by phone (native GET ?phone=, HubSpot's search
// API with the reference connector's filter groups), and log a new WhatsApp message on the contact
// (native POST …/messages, HubSpot POST /crm/v3/objects/communications with an inline association;
// both become one stored message and a `message.created` journal entry). Limits are opened wide:
// this measures the routes, not the rate limits. The servers share this process's main thread;
// autocannon fires from a child process. Rounds alternate native, HubSpot, native, HubSpot … so
// drift of the machine falls on both. Prints the rate of each round, the sums and the ratio.
// Target (issue 15): HubSpot ≥ 0.8 of native.
//
// Old against new in the same run (--memo both, the default): the CRM remembers normalised phones
// (mocks/crm/phone.ts) instead of parsing them with libphonenumber on every contact write, lookup
// and HubSpot read. Rounds with the memo off (`old`, as before) alternate with rounds with it on
// (`new`), both dialects each time, and the run prints the dialect ratio of each and new/old per
// dialect. --memo on|off runs one of them only.
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { RealClock } from '../kernel/clock.js';
import { buildCrmMock } from '../mocks/crm/index.js';
import { PHONE_MEMO_CAPACITY, phoneMemoStats, setPhoneMemo } from '../mocks/crm/phone.js';
import { alternate, checkFlags, ratioLine, runLoader, usageError } from './lib.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    contacts: { type: 'string', default: '2000' },
    calls: { type: 'string', default: 'all' },
    memo: { type: 'string', default: 'both' },
  },
});
const seconds = Number(args.seconds);
const warmupS = Number(args.warmup);
const rounds = Number(args.rounds);
const connections = Number(args.connections);
const contacts = Number(args.contacts);
checkFlags({ seconds, rounds, connections, contacts }, (v) => Number.isInteger(v) && v > 0, 'an integer > 0');
checkFlags({ warmup: warmupS }, (v) => v >= 0, 'a number ≥ 0');
const CALLS = ['all', 'read', 'find', 'log'] as const;
const calls = String(args.calls) as (typeof CALLS)[number];
if (!CALLS.includes(calls)) usageError(`--calls must be one of ${CALLS.join(', ')}`);
const MEMOS = { both: ['old', 'new'], off: ['old'], on: ['new'] } as const;
const memoFlag = String(args.memo);
if (!Object.hasOwn(MEMOS, memoFlag)) usageError('--memo must be one of both, on, off');
const builds = MEMOS[memoFlag as keyof typeof MEMOS];
/** The phone memo as each build has it: `old` parses every time, `new` remembers. */
const useBuild = (b: 'old' | 'new') => setPhoneMemo(b === 'old' ? 0 : PHONE_MEMO_CAPACITY);

const TOKEN = 'bench-token';
const phoneOf = (i: number): string => `+1555${String(1_000_000 + i).slice(1)}`;

/** Per seeded contact: its id and, natively, its conversation id. */
interface Target {
  id: string;
  conversation: string;
  phone: string;
}

/** A started dialect: its URL, seeded targets and how many messages it stores. */
interface Server {
  app: FastifyInstance;
  url: string;
  targets: Target[];
  messages: () => number;
}

async function startNative(): Promise<Server> {
  const app = buildCrmMock({
    clock: new RealClock(),
    token: TOKEN,
    webhookSecret: 'bench-secret',
    seedContacts: { count: 0 },
    plan: 'enterprise',
    planLimits: { enterprise: 1_000_000_000 },
  });
  const targets: Target[] = [];
  for (let i = 0; i < contacts; i++) {
    const c = app.crm.createContact({ phone: phoneOf(i), name: `Contact ${i}` });
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/conversations',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { contact_id: c.id },
    });
    targets.push({ id: c.id, conversation: r.json().id as string, phone: c.phone });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { app, url, targets, messages: () => app.crm.stats()['messages'] ?? 0 };
}

async function startHubSpot(): Promise<Server> {
  // The dialect as `wacrm mock crm --dialect hubspot` and the runs serve it: the CRM app, its hooks
  // and its journal, with HubSpot's routes and limits; the contacts are created through HubSpot's API.
  const app = buildCrmMock({
    clock: new RealClock(),
    token: TOKEN,
    webhookSecret: 'bench-secret',
    seedContacts: { count: 0 },
    dialect: 'hubspot',
    dialectOptions: {
      hubspot: {
        limits: { perTenSeconds: 1_000_000_000, perDay: 1_000_000_000_000, searchPerSecond: 1_000_000_000 },
      },
    },
  });
  const targets: Target[] = [];
  for (let i = 0; i < contacts; i++) {
    const r = await app.inject({
      method: 'POST',
      url: '/crm/v3/objects/contacts',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { properties: { phone: phoneOf(i), firstname: `Contact ${i}` } },
    });
    if (r.statusCode !== 201) throw new Error(`seeding HubSpot contacts: ${r.statusCode} ${r.body}`);
    const id = r.json().id as string;
    targets.push({ id, conversation: id, phone: phoneOf(i) });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { app, url, targets, messages: () => app.crm.stats()['messages'] ?? 0 };
}

// The loader (a child process) builds each request itself: every message write carries a fresh
// wamid-shaped id, so both dialects store a new message per write rather than replaying one.
const LOADER_SOURCE = `
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/package.json');
const autocannon = require('autocannon');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', async () => {
  const { url, connections, duration, dialect, targets, tag, calls } = JSON.parse(input);
  let n = 0;
  const auth = { authorization: 'Bearer ${TOKEN}' };
  const json = { ...auth, 'content-type': 'application/json' };
  const pick = () => targets[(n * 7919) % targets.length];
  const requests = [
    { setupRequest: (req) => {
      n++;
      const t = pick();
      return dialect === 'native'
        ? { ...req, method: 'GET', path: '/api/v1/contacts/' + t.id, headers: auth }
        : { ...req, method: 'GET', path: '/crm/v3/objects/contacts/' + t.id + '?properties=phone,firstname,wa_tags', headers: auth };
    } },
    { setupRequest: (req) => {
      const t = pick();
      if (dialect === 'native')
        return { ...req, method: 'GET', path: '/api/v1/contacts?phone=' + encodeURIComponent(t.phone), headers: auth };
      const bare = t.phone.slice(1);
      return { ...req, method: 'POST', path: '/crm/v3/objects/contacts/search', headers: json, body: JSON.stringify({
        filterGroups: ['phone', 'hs_whatsapp_phone_number'].map((propertyName) => ({ filters: [{ propertyName, operator: 'IN', values: [t.phone, bare] }] })),
        properties: ['phone', 'hs_whatsapp_phone_number', 'firstname', 'wa_tags'],
        sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }],
        limit: 1,
      }) };
    } },
    { setupRequest: (req) => {
      const t = pick();
      const wamid = 'wamid.' + Buffer.from(tag + ':' + n + ':' + Math.random()).toString('base64');
      if (dialect === 'native')
        return { ...req, method: 'POST', path: '/api/v1/conversations/' + t.conversation + '/messages', headers: json,
          body: JSON.stringify({ direction: 'inbound', type: 'text', body: 'where is my order?', wa_message_id: wamid }) };
      return { ...req, method: 'POST', path: '/crm/v3/objects/communications', headers: json, body: JSON.stringify({
        properties: { hs_communication_channel_type: 'WHATS_APP', hs_communication_logged_from: 'CRM',
          hs_communication_body: 'Received on WhatsApp [' + wamid + ']: where is my order?', hs_timestamp: new Date().toISOString() },
        associations: [{ to: { id: t.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 81 }] }],
      }) };
    } },
  ];
  const only = { read: [0], find: [1], log: [2] }[calls];
  const chosen = only ? only.map((i) => requests[i]) : requests;
  // A single kind of call still advances the target counter.
  if (only && only[0] !== 0) { const f = chosen[0].setupRequest; chosen[0] = { setupRequest: (req) => { n++; return f(req); } }; }
  const r = await autocannon({ url, connections, duration, requests: chosen });
  process.stdout.write(JSON.stringify(r));
});
`;

let fired = 0;
function fire(url: string, dialect: 'native' | 'hubspot', targets: Target[], durationS: number) {
  const tag = `${dialect}${fired++}`;
  return runLoader(LOADER_SOURCE, { url, connections, duration: durationS, dialect, targets, tag, calls });
}

console.log(
  `node ${process.version}; ${connections} connections; ${contacts} contacts; ${rounds} rounds of ${seconds}s per dialect and build after ${warmupS}s warm-up each; calls: ${calls === 'all' ? 'read by id, find by phone, log a message' : calls}; builds: ${builds.map((b) => (b === 'old' ? 'old (phones parsed every time)' : 'new (phone memo)')).join(', ')}`,
);
const native = await startNative();
const hubspot = await startHubSpot();
const servers = { native, hubspot } as const;
if (warmupS > 0) {
  for (const b of builds) {
    useBuild(b);
    await fire(native.url, 'native', native.targets, warmupS);
    await fire(hubspot.url, 'hubspot', hubspot.targets, warmupS);
  }
}
type Variant = `${'native' | 'hubspot'}-${'old' | 'new'}`;
const variants = builds.flatMap((b) => [`native-${b}`, `hubspot-${b}`] as Variant[]);
const cpuPerReq = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
const meanCpu = (v: Variant) => cpuPerReq[v].reduce((a, b) => a + b, 0) / Math.max(1, cpuPerReq[v].length);
const totals = await alternate(variants, rounds, async (variant, round) => {
  const [dialect, build] = variant.split('-') as ['native' | 'hubspot', 'old' | 'new'];
  // Each round starts its build cold: the memo's hits are earned during the round.
  useBuild(build);
  const s = servers[dialect];
  const cpu0 = process.cpuUsage();
  const r = await fire(s.url, dialect, s.targets, seconds);
  const cpu = process.cpuUsage(cpu0);
  const perSec = Math.round(r['2xx'] / r.duration);
  // The servers' own CPU time per answered request: what the routes cost, whatever the load
  // generator (a child process) or the machine's other work left of the cores.
  const cpuUs = (cpu.user + cpu.system) / Math.max(1, r['2xx']);
  cpuPerReq[variant].push(cpuUs);
  console.log(
    `round ${round} ${variant.padEnd(11)} ${String(perSec).padStart(7)} 2xx/s ${cpuUs.toFixed(0).padStart(5)} µs CPU/req   p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms   non-2xx ${r.non2xx}  errors ${r.errors}  ${JSON.stringify(r.statusCodeStats ?? {})}`,
  );
  return { count: r['2xx'], seconds: r.duration };
});
for (const v of variants) {
  console.log(
    `${v.padEnd(11)} ${Math.round(totals[v].perSec)} 2xx/s over ${totals[v].seconds.toFixed(0)} s, ${meanCpu(v).toFixed(0)} µs server CPU per request`,
  );
}
for (const b of builds) {
  console.log(
    ratioLine(
      `hubspot / native (${b})`,
      totals[`hubspot-${b}`].perSec,
      totals[`native-${b}`].perSec,
      'target ≥ 0.80',
    ),
  );
  // The same comparison by cost (native's server CPU per request over HubSpot's): steadier on a shared machine.
  console.log(
    ratioLine(`hubspot / native by server CPU (${b})`, meanCpu(`native-${b}`), meanCpu(`hubspot-${b}`)),
  );
}
if (builds.length === 2) {
  for (const d of ['native', 'hubspot'] as const)
    console.log(ratioLine(`${d} new / old`, totals[`${d}-new`].perSec, totals[`${d}-old`].perSec));
}
const held = phoneMemoStats();
console.log(`phone memo at the end: ${held.size} answers held, ${held.evicted} dropped for capacity`);
// Both stored one message per write: the work was the same.
console.log(`stored messages: native ${native.messages()}, hubspot ${hubspot.messages()}`);
await native.app.close();
await hubspot.app.close();
