import { describe, expect, it } from 'vitest';
import { grade } from '../../../src/grading/grade.js';
import { compareSummaries, formatDelta, renderComparison } from '../../../src/report/compare.js';
import {
  buildSummary,
  type SummaryForCompare,
  summaryForCompareSchema,
} from '../../../src/report/summary.js';
import type { RunResult } from '../../../src/result/run-result.js';
import { fixture, shippedTable } from './fixtures.js';

const table = shippedTable();
const summaryOf = (r: RunResult): SummaryForCompare =>
  summaryForCompareSchema.parse(JSON.parse(JSON.stringify(buildSummary(r, grade(r, table)))));

describe('compare', () => {
  it('finds band drops, failing checks and cases, and a worse verdict', () => {
    const c = compareSummaries(summaryOf(fixture('pass')), summaryOf(fixture('fail')));
    expect(c.rows.filter((r) => r.regression).map((r) => `${r.kind}:${r.key}`)).toEqual([
      'verdict:verdict',
      'metric:template_delivery_rate',
      'metric:sync_latency_p95_s',
      'metric:record_completeness',
      'metric:peak_capacity_msg_per_min',
      'metric:error_recovery_s',
      'check:status_writeback_rate',
      'check:handover_accuracy',
      'check:messages_lost',
      'conformance:duplicate-webhook',
    ]);
    expect(c.regressions).toBe(10);
    const peak = c.rows.find((r) => r.key === 'peak_capacity_msg_per_min');
    expect(peak).toMatchObject({ change: 'worse', deltaValue: -1600 });
  });

  it('finds nothing to complain about the other way round', () => {
    const c = compareSummaries(summaryOf(fixture('fail')), summaryOf(fixture('pass')));
    expect(c.regressions).toBe(0);
    expect(c.improvements).toBeGreaterThan(5);
  });

  it('does not call a value change inside the same band a regression', () => {
    const a = fixture('pass');
    const b = { ...a, metrics: { ...a.metrics, sync_latency_p95_s: { value: 0.79, evidence: 'x' } } };
    const c = compareSummaries(summaryOf(a), summaryOf(b));
    expect(c.regressions).toBe(0);
    expect(c.rows.find((r) => r.key === 'sync_latency_p95_s')).toMatchObject({ change: 'same' });
    expect(c.rows.find((r) => r.key === 'sync_latency_p95_s')?.deltaValue).toBeCloseTo(0.05, 9);
  });

  it('treats a metric no longer measured as a change, not a regression', () => {
    const a = fixture('pass');
    const { error_recovery_s: _gone, ...rest } = a.metrics;
    const b = { ...a, metrics: rest };
    const c = compareSummaries(summaryOf(a), summaryOf(b));
    expect(c.rows.find((r) => r.key === 'error_recovery_s')).toMatchObject({
      change: 'no_longer_measured',
      regression: false,
    });
  });

  it('writes deltas with their unit and renders a table', () => {
    expect(formatDelta(-0.0195, 'ratio')).toBe('−1.95 pp');
    expect(formatDelta(1.66, 's')).toBe('+1.66 s');
    expect(formatDelta(0, 's')).toBe('±0');
    const text = renderComparison(compareSummaries(summaryOf(fixture('pass')), summaryOf(fixture('fail'))));
    expect(text).toContain('WORSE (regression)');
    expect(text).toMatch(/10 regressions, 0 improvements/);
    expect(text).toContain('note: different scenarios (release-gate vs default)');
  });
});
