import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../kernel/clock.js';
import { functionalMetrics, poolOf } from '../../../src/checks/pools.js';
import { judgeConversationSync } from '../../../src/checks/suites.js';
import { parseScenarioText } from '../../../src/config/load.js';
import type { FlowTrace } from '../../../src/flows/types.js';
import type { JournalRecord } from '../../../src/journal/records.js';
import { HarnessHealth } from '../../../src/metrics/loop.js';
import { buildRunResult, journalSuiteEnd, type RunSession } from '../../../src/run/runner.js';
import type { SuiteOutput } from '../../../src/run/suites/index.js';

/** Inbound flows with spread-out sync latencies; every 40th never synced. */
function flows(n: number, salt: number): FlowTrace[] {
  return Array.from({ length: n }, (_, i) => {
    const synced = i % 40 !== 39;
    const latency = 200 + ((i * 7919 + salt) % 4_000);
    return {
      flowId: `f${salt}-${i}`,
      direction: 'inbound',
      suite: 'conversation-sync',
      intendedAtMs: i * 10,
      hops: synced ? [{ name: 'crm.message.recorded', atMs: i * 10 + latency }] : [],
      statusesScheduled: [],
      state: synced ? 'complete' : 'pending',
      ...(synced ? { syncLatencyMs: latency, completedAtMs: i * 10 + latency } : {}),
    } as FlowTrace;
  });
}

function output(fs: FlowTrace[], startedAtMs: number): SuiteOutput {
  return {
    kind: 'conversation-sync',
    title: 'Conversation sync',
    startedAtMs,
    endedAtMs: startedAtMs + 10_000,
    flows: fs,
    judgement: judgeConversationSync(fs, 25_000),
    functional: true,
    pool: poolOf(fs),
  };
}

function session(records: JournalRecord[]): RunSession {
  const health = new HarnessHealth({ windowMs: 5_000, originMs: 0, bounds: { maxLoopDelayP99Ms: 200 } });
  return {
    // The session's clock reads 90 s past the epoch: the result's finishedAt must come from it.
    ctx: {
      health,
      clock: new VirtualClock({ startMs: 0, epochMs: 90_000 }),
      stack: { workers: 1 },
    } as unknown as RunSession['ctx'],
    journal: { append: (r: JournalRecord) => records.push(r) } as unknown as RunSession['journal'],
    originMs: 0,
    log: () => {},
    connectorExit: () => undefined,
    watch: { health: () => undefined } as unknown as RunSession['watch'],
    close: async () => {},
  };
}

const parsed = parseScenarioText('name: t\nsuites:\n  - kind: conversation-sync\n');
if (!parsed.ok) throw new Error('scenario');
const scenario = parsed.value;

function result(outputs: SuiteOutput[], s: RunSession) {
  return buildRunResult({
    session: s,
    scenario,
    scenarioFile: 't.yaml',
    runId: 'r',
    seed: 1,
    startedAt: new Date(0),
    wacrmVersion: '0',
    nodeVersion: 'v20',
    outputs,
    notes: [],
  });
}

describe('one metrics path: the run result is built by merging pools', () => {
  it('a fresh run and a run resumed from the journal report the same completeness and p95', () => {
    const a = flows(700, 1);
    const fresh = result([output(a, 0)], session([]));
    // The same suite, finished by a process that died: only its journal record is left.
    const records: JournalRecord[] = [];
    journalSuiteEnd(session(records), output(a, 0));
    const rec = records.find((r) => r.type === 'suite.finished')!;
    const prior: SuiteOutput = {
      ...output([], 0),
      judgement: JSON.parse(JSON.stringify(rec['judgement'])),
      pool: JSON.parse(JSON.stringify(rec['pool'])),
    };
    const resumed = result([prior], session([]));
    expect(fresh.finishedAt).toBe(new Date(90_000).toISOString());
    expect(fresh.durationMs).toBe(90_000);
    expect(resumed.metrics.sync_latency_p95_s).toEqual(fresh.metrics.sync_latency_p95_s);
    expect(resumed.metrics.record_completeness).toEqual(fresh.metrics.record_completeness);
    expect(fresh.metrics.sync_latency_p95_s?.evidence).toMatch(/17 \(2\.4 %\) never synced/);
  });

  it('pools of two processes merge to the p95 of all their flows together', () => {
    const a = flows(500, 1);
    const b = flows(300, 2);
    const merged = functionalMetrics([poolOf(a), poolOf(b)], 25_000);
    const whole = functionalMetrics([poolOf([...a, ...b])], 25_000);
    expect(merged).toEqual(whole);
  });

  it('a suite whose own window saturated the harness is void and makes the run invalid', () => {
    const s = session([]);
    const out = {
      ...output(flows(100, 3), 0),
      harness: { valid: false, reasons: ['window 1: event-loop delay p99 900 ms > 200 ms'] },
    };
    const r = result([out], s);
    expect(r.valid).toBe(false);
    expect(r.invalidReasons[0]).toMatch(/the harness saturated during conversation-sync: window 1/);
    expect(r.metrics.sync_latency_p95_s).toBeUndefined();
    expect(r.checks).toEqual([]);
  });
});
