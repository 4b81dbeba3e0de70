import { describe, expect, it } from 'vitest';
import {
  CENSORED_FAIL_SHARE,
  censoredP95Measure,
  censoredPercentile,
  latenciesWithCensored,
} from '../../../src/checks/censored.js';
import { judgeConversationSync, judgeTemplateDelivery } from '../../../src/checks/suites.js';
import type { FlowTrace } from '../../../src/flows/types.js';
import { formatMeasured } from '../../../src/grading/format.js';
import { grade } from '../../../src/grading/grade.js';
import { buildSummary } from '../../../src/report/summary.js';
import { renderGradeTable } from '../../../src/report/terminal.js';
import { fixture, shippedTable } from '../report/fixtures.js';

function inbound(id: string, syncMs: number | undefined, state: FlowTrace['state'] = 'complete'): FlowTrace {
  return {
    flowId: id,
    direction: 'inbound',
    suite: 'conversation-sync',
    intendedAtMs: 1_000,
    hops: syncMs === undefined ? [] : [{ name: 'crm.message.recorded', atMs: 1_000 + syncMs }],
    statusesScheduled: [],
    state: syncMs === undefined && state === 'complete' ? 'pending' : state,
    ...(syncMs === undefined ? {} : { syncLatencyMs: syncMs }),
    inbound: { text: 'hi', expectedTags: [], expectAutoReply: false } as unknown as FlowTrace['inbound'],
  } as FlowTrace;
}

describe('censored percentile', () => {
  it('equals the plain nearest-rank percentile when every flow completed', () => {
    const c = censoredPercentile([5, 1, 3, 2, 4], 0, 60_000, 80);
    expect(c).toEqual({ valueMs: 4, censored: false, total: 5, neverCompleted: 0 });
  });

  it('is null without any flow', () => {
    expect(censoredPercentile([], 0, 1_000, 95)).toBeNull();
  });

  it('ranks never-completed flows above every measured latency, even late ones', () => {
    // 99 measured (one of them later than the deadline), 1 never completed: p95 lands on measured values.
    const measured = Array.from({ length: 99 }, (_, i) => (i === 98 ? 90_000 : 10 + i));
    const c = censoredPercentile(measured, 1, 60_000, 95);
    expect(c?.censored).toBe(false);
    expect(c?.valueMs).toBe(10 + 94);
    // p100 falls on the never-completed flow: the deadline, marked censored.
    expect(censoredPercentile(measured, 1, 60_000, 100)).toMatchObject({ valueMs: 60_000, censored: true });
  });

  it('censors a p95 once more than 5 % never completed', () => {
    // 94 of 100 completed in 10 ms: the rank-95 flow never completed.
    const c = censoredPercentile(new Array(94).fill(10), 6, 30_000, 95);
    expect(c).toEqual({ valueMs: 30_000, censored: true, total: 100, neverCompleted: 6 });
    // Exactly 5 %: the rank-95 flow is the last measured one, not censored.
    expect(censoredPercentile(new Array(95).fill(10), 5, 30_000, 95)).toMatchObject({
      valueMs: 10,
      censored: false,
    });
    expect(CENSORED_FAIL_SHARE).toBe(0.05);
  });

  it('leaves dropped flows (never sent) out and counts failed and pending ones as never completed', () => {
    const flows = [
      inbound('a', 100),
      inbound('b', undefined),
      inbound('c', undefined, 'failed'),
      inbound('d', undefined, 'dropped'),
    ];
    expect(latenciesWithCensored(flows, (f) => f.syncLatencyMs)).toEqual({
      completedMs: [100],
      neverCompleted: 2,
    });
  });
});

describe('censored latency in the judgements and the grade', () => {
  // The case: a connector killed early lost almost all messages; the few it synced were fast.
  const flows = [
    ...Array.from({ length: 10 }, (_, i) => inbound(`ok${i}`, 10)),
    ...Array.from({ length: 390 }, (_, i) => inbound(`lost${i}`, undefined)),
  ];

  it('reports the sync p95 as "> deadline" and never as the fast few', () => {
    const j = judgeConversationSync(flows, 30_000);
    const m = j.metrics['sync_latency_p95_s'];
    expect(m).toMatchObject({ value: 30, atLeast: true });
    expect(m?.evidence).toContain('390 (97.5 %) never completed');
    expect(j.checks['whatsapp_to_crm_latency_p95_s']).toMatchObject({ value: 30, atLeast: true });
    expect(censoredP95Measure(flows.slice(0, 10), (f) => f.syncLatencyMs, 30_000, 'x', 'y')).toEqual({
      value: 0.01,
      evidence: 'p95 of x over 10 y',
    });
  });

  it('censors template sends that were never accepted or delivered', () => {
    const sends: FlowTrace[] = Array.from({ length: 20 }, (_, i) => ({
      ...inbound(`t${i}`, undefined),
      direction: 'outbound',
      suite: 'template-delivery',
      outbound: { sendAllowed: true } as FlowTrace['outbound'],
    }));
    const j = judgeTemplateDelivery(sends, 15_000);
    expect(j.metrics['sync_latency_p95_s']).toMatchObject({ value: 15, atLeast: true });
    expect(j.checks['display_latency_p95_s']).toMatchObject({ value: 15, atLeast: true });
    expect(j.checks['crm_to_whatsapp_latency_p95_s']).toMatchObject({ value: 15, atLeast: true });
  });

  it('grades a censored p95 fail, shows it as "> value" and marks it in summary.json', () => {
    const result = fixture('pass');
    result.metrics.sync_latency_p95_s = { value: 0.5, evidence: 'censored', atLeast: true };
    const sheet = grade(result, shippedTable());
    const row = sheet.rows.find((r) => r.key === 'sync_latency_p95_s');
    expect(row?.band).toBe('fail');
    expect(row?.atLeast).toBe(true);
    const summary = buildSummary(result, sheet);
    expect(summary.metrics.sync_latency_p95_s).toMatchObject({
      atLeast: true,
      shown: '> 0.5 s',
      band: 'fail',
    });
    expect(renderGradeTable(sheet)).toContain('> 0.5 s');
    expect(formatMeasured(2, 's', true)).toBe('> 2 s');
    expect(formatMeasured(2, 's')).toBe('2 s');
  });

  it('fails a censored lower-is-better check whatever its threshold', () => {
    const result = fixture('pass');
    const check = result.checks.find((c) => c.key === 'display_latency_p95_s');
    if (!check) throw new Error('fixture has no display latency check');
    check.value = 0.001;
    check.atLeast = true;
    const row = grade(result, shippedTable()).checks.find((c) => c.key === 'display_latency_p95_s');
    expect(row?.passed).toBe(false);
  });
});
