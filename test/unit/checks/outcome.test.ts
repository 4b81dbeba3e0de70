import { describe, expect, it } from 'vitest';
import { measureWindow } from '../../../src/checks/capacity.js';
import { classifyFlow, countFlows } from '../../../src/checks/outcome.js';
import { judgeTemplateDelivery } from '../../../src/checks/suites.js';
import type { FlowTrace } from '../../../src/flows/types.js';
import type { JournalRecord } from '../../../src/journal/records.js';
import { SoakLedger } from '../../../src/load/soak-ledger.js';

const DEADLINE = 10_000;

function flow(id: string, over: Partial<FlowTrace>): FlowTrace {
  return {
    flowId: id,
    direction: 'outbound',
    suite: 's',
    intendedAtMs: 1_000,
    hops: [],
    statusesScheduled: [],
    state: 'pending',
    ...over,
  };
}

// The flows the four old classifiers disagreed on, and what each is.
const failedThenLate = flow('failed-then-late', {
  state: 'failed',
  syncLatencyMs: 25_000,
  failure: '131026',
});
const consentNoSend = flow('consent-no-send', {
  state: 'complete',
  completedAtMs: 3_000,
  outbound: {
    eventId: 'e',
    eventType: 'marketing',
    templateName: 'promo',
    templateLanguage: 'en',
    category: 'MARKETING',
    toE164: '+6591234567',
    sendAllowed: false,
  },
});
const onTime = flow('on-time', { state: 'complete', syncLatencyMs: 800, completedAtMs: 2_500 });
const late = flow('late', { state: 'complete', syncLatencyMs: 12_000, completedAtMs: 13_500 });
const syncedAwaitingStatus = flow('synced-awaiting-status', { syncLatencyMs: 900 });
const neverSynced = flow('never-synced', {});
const dropped = flow('dropped', { state: 'dropped' });
const all = [failedThenLate, consentNoSend, onTime, late, syncedAwaitingStatus, neverSynced, dropped];

describe('classifyFlow: one classifier', () => {
  it('gives every flow exactly one outcome', () => {
    expect(all.map((f) => [f.flowId, classifyFlow(f, DEADLINE).outcome])).toEqual([
      ['failed-then-late', 'failed'],
      ['consent-no-send', 'completed'],
      ['on-time', 'completed'],
      ['late', 'late'],
      ['synced-awaiting-status', 'completed'],
      ['never-synced', 'lost'],
      ['dropped', 'dropped'],
    ]);
  });

  it('keeps a young pending flow pending before the final look, with its age as a latency bound', () => {
    expect(classifyFlow(neverSynced, DEADLINE, { atMs: 4_000, final: false })).toEqual({
      outcome: 'pending',
      latencyMs: 3_000,
    });
    expect(classifyFlow(neverSynced, DEADLINE, { atMs: 20_000, final: false }).outcome).toBe('lost');
  });

  it('suite counts, capacity windows and the soak ledger agree flow by flow', () => {
    const counts = countFlows(all, DEADLINE);
    expect(counts).toEqual({ sent: 7, completed: 3, failed: 1, late: 1, lost: 1, dropped: 1 });
    // The capacity window counted the failed-then-late flow twice (failed and timed out) before.
    const m = measureWindow(
      all,
      { ratePerMin: 60, startMs: 0, endMs: 60_000, fromMs: 0, toMs: 60_000 },
      { deadlineMs: DEADLINE, atMs: 100_000, final: true, samples: [], harnessValid: true },
    );
    expect({
      sent: m.sent,
      completed: m.completed,
      failed: m.failed,
      timedOut: m.timedOut,
      dropped: m.dropped,
    }).toEqual({
      sent: 7,
      completed: counts.completed,
      failed: counts.failed,
      timedOut: counts.late + counts.lost,
      dropped: counts.dropped,
    });
    expect(m.completed + m.failed + m.timedOut + m.dropped).toBe(m.sent);
    // The soak ledger timed out a flow that completed without a sync latency before.
    const records: JournalRecord[] = [];
    const ledger = new SoakLedger({ windowMs: 60_000, durationMs: 60_000, deadlineMs: DEADLINE });
    all.forEach((f, i) => {
      if (f.state === 'dropped') ledger.dropped(i, 1_000);
      else {
        ledger.launched(i, 1_000);
        ledger.settled(i, f);
      }
    });
    ledger.closeReady(true);
    const t = ledger.totals();
    expect(records).toEqual([]);
    expect({ completed: t.completed, failed: t.failed, timedOut: t.timedOut, dropped: t.dropped }).toEqual({
      completed: counts.completed,
      failed: counts.failed,
      timedOut: counts.late + counts.lost,
      dropped: counts.dropped,
    });
  });

  it('the template-delivery judgement counts its flows the same way', () => {
    expect(judgeTemplateDelivery(all, DEADLINE).flows).toEqual(countFlows(all, DEADLINE));
  });
});
