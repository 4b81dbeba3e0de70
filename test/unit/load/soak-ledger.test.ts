import { describe, expect, it } from 'vitest';
import type { FlowTrace } from '../../../src/flows/types.js';
import type { CheckpointState, JournalRecord } from '../../../src/journal/records.js';
import { type EncodedSoakWindow, type SoakCheckpoint, SoakLedger } from '../../../src/load/soak-ledger.js';
import { Histogram } from '../../../src/metrics/histogram.js';

const MIN = 60_000;

function flow(state: FlowTrace['state'], syncLatencyMs?: number): FlowTrace {
  return {
    flowId: 'x',
    direction: 'outbound',
    suite: 'soak',
    intendedAtMs: 0,
    hops: [],
    statusesScheduled: [],
    state,
    ...(syncLatencyMs !== undefined ? { syncLatencyMs } : {}),
  };
}

/** A ledger over 30 virtual minutes in 10-minute windows that journals into `records`. */
function ledger(records: JournalRecord[], checkpoints: CheckpointState[] = []) {
  return new SoakLedger({
    windowMs: 10 * MIN,
    durationMs: 30 * MIN,
    deadlineMs: 5_000,
    journal: { append: (r) => records.push(r), checkpoint: (s) => checkpoints.push(s) },
    measure: () => ({ harnessValid: true }),
  });
}

const closedOf = (records: JournalRecord[]) =>
  records.filter((r) => r.type === 'window.closed').map((r) => r['window'] as EncodedSoakWindow);

describe('SoakLedger', () => {
  it('tallies each flow into its window and journals a window once it is final', () => {
    const records: JournalRecord[] = [];
    const l = ledger(records);
    l.launched(0, 1 * MIN);
    l.launched(1, 2 * MIN);
    l.dropped(2, 3 * MIN);
    l.launched(3, 11 * MIN); // window 1: window 0 is fully scheduled now, but two flows are in flight
    expect(closedOf(records)).toEqual([]);
    l.settled(0, flow('complete', 120));
    l.settled(1, flow('pending'));
    const w0 = closedOf(records);
    expect(w0).toHaveLength(1);
    expect(w0[0]).toMatchObject({
      index: 0,
      sent: 3,
      completed: 1,
      timedOut: 1,
      dropped: 1,
      failed: 0,
      lost: 0,
    });
    const h = Histogram.decode(w0[0]!.latency);
    expect(h.count).toBe(2); // the completed flow and the timed-out one (at the deadline)
    expect(h.maxMs).toBeGreaterThanOrEqual(4_900);
    l.settled(3, flow('failed'));
    // A flow settled twice counts once.
    expect(l.settle(3, 'completed', 10, true)).toBe(false);
    l.closeReady(true);
    expect(closedOf(records).map((w) => w.index)).toEqual([0, 1, 2]);
    expect(l.totals()).toEqual({ sent: 4, completed: 1, failed: 1, timedOut: 1, dropped: 1, lost: 0 });
    expect(l.nextArrivalIndex).toBe(4);
  });

  it('restores from a checkpoint plus the records after it: nothing counted twice, the in-flight flows lost', () => {
    const records: JournalRecord[] = [];
    const a = ledger(records);
    a.launched(0, 1 * MIN);
    a.launched(1, 2 * MIN);
    a.settled(0, flow('complete', 100));
    const snap = a.snapshot();
    const checkpoint = {
      position: { nextArrivalIndex: a.nextArrivalIndex, virtualMs: 2 * MIN },
      seed: 1,
      histograms: snap.histograms,
      counters: {},
      soak: { suiteIndex: 0, ...snap.soak, apiCalls: { total: 0, ok: 0 }, gaps: [] } satisfies SoakCheckpoint,
    };
    const cut = records.length;
    // After the checkpoint: flow 1 settles, window 0 closes, flows 2 and 3 start; then the process dies.
    a.launched(2, 12 * MIN);
    a.settled(1, flow('complete', 200));
    a.launched(3, 13 * MIN);
    a.settled(2, flow('complete', 300));
    const after = records.slice(cut);

    const more: JournalRecord[] = [];
    const b = ledger(more);
    b.restore(closedOf(records), checkpoint, after);
    expect(b.nextArrivalIndex).toBe(4);
    expect(b.inFlightCount).toBe(1);
    expect(b.loseInFlight()).toBe(1);
    expect(more.filter((r) => r.type === 'flow.settled').map((r) => [r['index'], r['outcome']])).toEqual([
      [3, 'lost'],
    ]);
    b.launched(4, 25 * MIN);
    b.settled(4, flow('complete', 50));
    b.closeReady(true);
    // Window 0 is the one the dead process closed, not closed again.
    expect(closedOf(more).map((w) => w.index)).toEqual([1, 2]);
    expect(b.closed.map((w) => w.index)).toEqual([0, 1, 2]);
    expect(b.closed[0]).toMatchObject({ sent: 2, completed: 2 });
    expect(b.closed[1]).toMatchObject({ sent: 2, completed: 1, timedOut: 1, lost: 1 });
    expect(b.totals()).toEqual({ sent: 5, completed: 4, failed: 0, timedOut: 1, dropped: 0, lost: 1 });
  });
});
