/**
 * The consistency audit after a full 72-hour soak: the seed's diurnal schedule (5,000 msg/hour,
 * 360,000 arrivals, half template sends and half customer messages, as the soak's default mix)
 * played on a VirtualClock through the WhatsApp mock's core (its real 200,000-entry journal ring,
 * statuses and signed webhooks included), with the harness's ledger listening to the journal as
 * the run does. A stand-in connector writes each message's CRM record in memory: one writes every
 * record, one loses 2 % of them. Prints, in the same run, what the old audit (ground truth = what
 * the journal ring still holds) and the ledger audit report for each, and the ledger's heap.
 *
 *   node --expose-gc --import tsx bench/soak-audit.ts [hours=72]
 *
 * The reference connector itself cannot play 360,000 flows in CI time (about 9,000 flows/min on
 * a quiet 2-core machine: 40 minutes); test/e2e/consistency-audit-long.test.ts runs it through
 * `wacrm run` with the journal overrun twenty times. Figures only: nothing here is a gate.
 */
import { VirtualClock } from '../kernel/clock.js';
import { createRng } from '../kernel/random.js';
import {
  type AuditedCrmMessage,
  auditConsistency,
  consistencyMeasure,
  WhatsAppLedger,
} from '../src/checks/consistency.js';
import { diurnalSoakStages } from '../src/load/profiles.js';
import { arrivalOffsets, totalArrivals } from '../src/load/schedule.js';
import { BENCH_PHONE_ID, benchWhatsAppCore, hasGc, liveHeapBytes, ratioLine } from './lib.js';
import { templateSendBody } from './send-body.js';

const hours = Math.min(72, Math.max(1, Number(process.argv[2] ?? 72)));
const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => liveHeapBytes() ?? process.memoryUsage().heapUsed;

const startEpochMs = Date.UTC(2026, 0, 5);
const stages = diurnalSoakStages({ startEpochMs, durationMs: hours * 3_600_000 });
const expected = totalArrivals(stages);
const clock = new VirtualClock({ epochMs: startEpochMs });
const PHONE_ID = BENCH_PHONE_ID;
const core = benchWhatsAppCore(clock);

const heapBefore = heap();
const ledger = new WhatsAppLedger();
core.journal.on('entry', (e) => ledger.record(e));

// 2,000 template recipients (send-body.ts) and 10,000 customers writing in, as the soak's mixed
// source cycles over its pools; each customer is one CRM conversation.
const rng = createRng(7);
const correct: AuditedCrmMessage[] = [];
const lossy: AuditedCrmMessage[] = [];
const record = (m: AuditedCrmMessage) => {
  correct.push(m);
  if (rng.next() >= 0.02) lossy.push(m);
};
const realStart = performance.now();
let index = 0;
let nowMs = 0;
for (const offsetMs of arrivalOffsets(stages)) {
  // Let statuses and webhooks fall due on the way, a virtual second at a time.
  while (nowMs + 1000 <= offsetMs) {
    clock.advance(1000);
    nowMs += 1000;
    await new Promise<void>((r) => setImmediate(r));
  }
  const i = index++;
  if (i % 2 === 0) {
    const body = JSON.parse(templateSendBody(i % 2000)) as { to: string };
    const { wamid } = core.send(PHONE_ID, body, {});
    record({
      conversation_id: `c-out-${i % 2000}`,
      direction: 'outbound',
      body: null,
      wa_message_id: wamid,
    });
  } else {
    const from = `8869${String(100_000_000 + (i % 10_000)).slice(1)}`;
    const text = `order ${i} has not arrived yet`;
    const { wamid } = core.sendInbound({ from, type: 'text', text: { body: text } });
    record({ conversation_id: `c-in-${from}`, direction: 'inbound', body: text, wa_message_id: wamid });
  }
}
clock.advance(600_000);
await new Promise<void>((r) => setImmediate(r));
const playedS = (performance.now() - realStart) / 1000;
const entries = core.journal.droppedCount + core.journal.size();

/** The audit as it was: ground truth is what the journal ring still holds. */
function oldAudit(crm: readonly AuditedCrmMessage[]): { unseen: number; rate: string } {
  const seen = new Set(
    core.journal.query({ kind: ['message.accepted', 'inbound.created'] }).map((e) => e.data['wamid']),
  );
  const byConversation = new Map<string, AuditedCrmMessage[]>();
  for (const m of crm) {
    const list = byConversation.get(m.conversation_id) ?? [];
    list.push(m);
    byConversation.set(m.conversation_id, list);
  }
  let unseen = 0;
  for (const m of crm) if (m.wa_message_id && !seen.has(m.wa_message_id)) unseen++;
  // Every conversation (not a sample): a conversation matches when WhatsApp "saw" all its records.
  let matched = 0;
  for (const list of byConversation.values()) {
    if (list.every((m) => m.wa_message_id && seen.has(m.wa_message_id))) matched++;
  }
  return { unseen, rate: `${((100 * matched) / byConversation.size).toFixed(1)} %` };
}

const auditStart = performance.now();
const good = auditConsistency(ledger, correct, 1000, createRng(42));
const bad = auditConsistency(ledger, lossy, 1000, createRng(42));
const auditS = (performance.now() - auditStart) / 2000;
const heldHeap = heap() - heapBefore;
const oldGood = oldAudit(correct);
const oldBad = oldAudit(lossy);
const pct = (a: typeof good) => `${((100 * a.matched) / a.sampled).toFixed(1)} %`;

console.log(
  `soak audit bench: ${hours} h diurnal schedule, node ${process.version}${hasGc ? ' (with gc)' : ''}`,
);
console.log(
  `  arrivals ${index}/${expected} played in ${playedS.toFixed(1)} s; the mock journaled ${entries} entries, ` +
    `its ring kept the last ${core.journal.size()} (${core.journal.droppedCount} overwritten)`,
);
console.log(`  ledger: ${ledger.size} WhatsApp messages over ${ledger.customers} customers`);
console.log(
  `  old audit (ring):   correct connector ${oldGood.rate} of conversations match, ${oldGood.unseen} CRM records "WhatsApp never saw"`,
);
console.log(`                      2 %-lossy connector ${oldBad.rate}, ${oldBad.unseen} "never saw"`);
console.log(
  `  ledger audit:       correct connector ${pct(good)} of ${good.sampled} sampled (${good.missingInCrm} missing, ${good.unknownToWhatsApp} unknown)`,
);
console.log(
  `                      2 %-lossy connector ${pct(bad)} of ${bad.sampled} sampled (${bad.missingInCrm} of ${bad.whatsappMessages} missing in the CRM)`,
);
console.log(
  `  audit time ${auditS.toFixed(2)} s each; evidence: ${consistencyMeasure(bad)?.evidence.slice(0, 160)}…`,
);
// Old vs new on the correct connector: the share of conversations each calls matching (1.00 is right).
const oldShare = Number.parseFloat(oldGood.rate) / 100;
console.log(
  `  ${ratioLine('ledger / ring audit, correct connector', good.matched / good.sampled, oldShare)}`,
);
if (hasGc) {
  console.log(
    `  heap held by ledger, CRM records and mock stores together: ${(heldHeap / MB).toFixed(1)} MB`,
  );
} else console.log('  (run node with --expose-gc to see the heap)');
await core.close();

// The ledger's own memory, alone: as many messages with wamid strings nothing else holds (in a
// real soak the mock forgets old messages, and the ledger is left holding their wamids).
if (gc) {
  const mem = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const n = ledger.size;
  const empty = mem();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(
      `wamid.HBgMODg2OTAwMDA0OTIxFQIAEhgU${((i * 2654435761) >>> 0).toString(16).padStart(20, '0')}AA==`,
    );
  }
  const withIds = mem();
  const strings = withIds - empty;
  const alone = new WhatsAppLedger();
  for (let i = 0; i < n; i++) alone.add(ids[i] as string, `8869000${i % 6000}`, i % 2 === 0, 'text');
  const structure = mem() - withIds;
  console.log(
    `  ledger memory for ${alone.size} messages: ${(structure / MB).toFixed(1)} MB of map and columns ` +
      `(${Math.round(structure / n)} B each) + ${(strings / MB).toFixed(1)} MB of wamid strings ` +
      `if nothing else holds them`,
  );
}
