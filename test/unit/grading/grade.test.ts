import { describe, expect, it } from 'vitest';
import { grade, verdictLine } from '../../../src/grading/grade.js';
import type { RunResult } from '../../../src/result/run-result.js';
import { fixture, shippedTable } from '../report/fixtures.js';

const table = shippedTable();

function minimal(overrides: Partial<RunResult> = {}): RunResult {
  const base = fixture('pass');
  return {
    ...base,
    metrics: {},
    checks: [],
    suites: [],
    conformance: undefined,
    soak: undefined,
    capacity: undefined,
    faults: undefined,
    ...overrides,
  };
}

describe('grade', () => {
  it('passes the passing fixture with exit code 0 and every pass band represented', () => {
    const sheet = grade(fixture('pass'), table);
    expect(sheet.verdict).toBe('pass');
    expect(sheet.exitCode).toBe(0);
    expect(Object.fromEntries(sheet.rows.map((r) => [r.key, r.band]))).toEqual({
      template_delivery_rate: 'average',
      sync_latency_p95_s: 'best',
      record_completeness: 'qualified',
      peak_capacity_msg_per_min: 'average',
      error_recovery_s: 'best',
    });
    expect(sheet.failures).toEqual([]);
    expect(sheet.warnings).toEqual([]);
    expect(sheet.counts.checks).toEqual({ passed: 16, failed: 0, notMeasured: 0 });
    expect(sheet.counts.conformance).toEqual({ passed: 11, failed: 0 });
  });

  it('fails the failing fixture with exit code 1 and names every failure with its numbers', () => {
    const sheet = grade(fixture('fail'), table);
    expect(sheet.verdict).toBe('fail');
    expect(sheet.exitCode).toBe(1);
    expect(sheet.failures.map((f) => `${f.kind}:${f.key}`)).toEqual([
      'metric:template_delivery_rate',
      'metric:record_completeness',
      'metric:peak_capacity_msg_per_min',
      'metric:error_recovery_s',
      'check:status_writeback_rate',
      'check:handover_accuracy',
      'check:messages_lost',
      'conformance:duplicate-webhook',
    ]);
    expect(sheet.failures[0]?.message).toBe('97.8 % is worse than qualified ≥ 99 %');
    expect(sheet.failures[3]?.message).toBe('41.7 s is worse than qualified ≤ 30 s');
    expect(sheet.failures[6]?.message).toBe('1.95 % does not meet ≤ 0.8 % (fault-recovery)');
    expect(sheet.failures[0]?.evidence).toMatch(/978 of 1,000/);
  });

  it('marks the invalid fixture invalid (exit code 3), whatever its values', () => {
    const sheet = grade(fixture('invalid'), table);
    expect(sheet.verdict).toBe('invalid');
    expect(sheet.exitCode).toBe(3);
    expect(sheet.invalidReasons[0]).toMatch(/harness saturated/);
    expect(sheet.invalidReasons).toContain(
      'the harness itself saturated during the capacity ramp, so its peak is not the connector’s',
    );
    expect(sheet.failures[0]?.kind).toBe('run');
  });

  it('treats a metric the run did not measure as not_measured, never as a failure', () => {
    const sheet = grade(
      minimal({
        metrics: { template_delivery_rate: { value: 0.995, evidence: '995/1000' } },
        suites: [
          {
            kind: 'template-delivery',
            title: 'T',
            startedAtMs: 0,
            endedAtMs: 1,
            flows: { sent: 1000, completed: 995, failed: 5, lost: 0, dropped: 0, late: 0 },
            notes: [],
          },
        ],
      }),
      table,
    );
    expect(sheet.verdict).toBe('pass');
    expect(sheet.rows.filter((r) => r.band === 'not_measured').map((r) => r.key)).toEqual([
      'sync_latency_p95_s',
      'record_completeness',
      'peak_capacity_msg_per_min',
      'error_recovery_s',
    ]);
    expect(sheet.rows[3]?.evidence).toBe('suite capacity did not run');
    // Completeness and sync latency pool both functional suites: template delivery ran, so it is flagged.
    expect(sheet.rows[1]?.evidence).toBe('suite template-delivery ran but reported no value');
    expect(sheet.warnings).toEqual([
      'sync_latency_p95_s was not measured although suite template-delivery ran',
      'record_completeness was not measured although suite template-delivery ran',
    ]);
    expect(sheet.checks.every((c) => c.passed === null)).toBe(true);
  });

  it('warns when a suite ran but its metric is missing, and when a check has no threshold', () => {
    const sheet = grade(
      minimal({
        metrics: { template_delivery_rate: { value: 1, evidence: 'all' } },
        checks: [{ key: 'emoji_rendering', suite: 'template-delivery', value: 0.5, evidence: 'half' }],
        suites: [
          {
            kind: 'capacity',
            title: 'C',
            startedAtMs: 0,
            endedAtMs: 1,
            flows: { sent: 1, completed: 1, failed: 0, lost: 0, dropped: 0, late: 0 },
            notes: [],
          },
        ],
      }),
      table,
    );
    expect(sheet.warnings).toEqual([
      'peak_capacity_msg_per_min was not measured although suite capacity ran',
      'check emoji_rendering (suite template-delivery) has no threshold in the acceptance table; it is shown, not graded',
    ]);
    expect(sheet.checks[0]).toMatchObject({ key: 'emoji_rendering', passed: null, threshold: null });
    expect(sheet.verdict).toBe('pass');
  });

  it('grades the same check measured by two suites separately', () => {
    const sheet = grade(
      minimal({
        checks: [
          { key: 'messages_lost', suite: 'fault-recovery', value: 0.001, evidence: 'a' },
          { key: 'messages_lost', suite: 'soak', value: 0.02, evidence: 'b' },
        ],
      }),
      table,
    );
    const lost = sheet.checks.filter((c) => c.key === 'messages_lost');
    expect(lost.map((c) => [c.suite, c.passed])).toEqual([
      ['fault-recovery', true],
      ['soak', false],
    ]);
    expect(sheet.verdict).toBe('fail');
  });

  it('fails on a broken soak rule or conformance case even when every metric passes', () => {
    const base = fixture('pass');
    const soak = {
      ...base.soak!,
      rules: [{ rule: 'sync error rate ≤ 0.5 %', passed: false, evidence: 'window 7: 0.9 %' }],
    };
    expect(grade({ ...base, soak }, table).failures.map((f) => f.kind)).toEqual(['soak-rule']);
    const conformance = [{ id: 'x', title: 'X', passed: false, evidence: 'e', rule: 'r', source: 's' }];
    expect(grade({ ...base, conformance }, table).verdict).toBe('fail');
  });

  it('calls a run that measured nothing invalid rather than passing it', () => {
    const sheet = grade(minimal(), table);
    expect(sheet.verdict).toBe('invalid');
    expect(sheet.invalidReasons).toEqual(['the run measured nothing: no metric, check or conformance case']);
  });

  it('gives an invalid run without a reason one', () => {
    const sheet = grade({ ...fixture('pass'), valid: false, invalidReasons: [] }, table);
    expect(sheet.verdict).toBe('invalid');
    expect(sheet.invalidReasons).toEqual(['the run was marked invalid without a reason']);
  });

  it('follows the table it is given: a stricter table fails the same run', () => {
    const strict = structuredClone(table);
    strict.metrics.peak_capacity_msg_per_min = {
      ...strict.metrics.peak_capacity_msg_per_min,
      qualified: 2500,
      average: 3000,
    };
    const sheet = grade(fixture('pass'), strict);
    expect(sheet.rows.find((r) => r.key === 'peak_capacity_msg_per_min')?.band).toBe('fail');
    expect(sheet.exitCode).toBe(1);
  });

  it('summarises the sheet in one line', () => {
    expect(verdictLine(grade(fixture('pass'), table))).toBe(
      'PASS · 5 of 5 metrics graded (2 best, 2 average, 1 qualified, 0 fail) · checks 16 passed, 0 failed · conformance 11/11 passed · soak rules 5/5 held',
    );
  });
});

describe('unbounded values', () => {
  it('fails a lower-is-better metric that was never reached, whatever its bound', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseAcceptanceText } = await import('../../../src/config/index.js');
    const parsed = parseAcceptanceText(readFileSync('scenarios/acceptance.yaml', 'utf8'));
    if (!parsed.ok) throw new Error('table');
    const fixture = JSON.parse(readFileSync('test/fixtures/run-result-pass.json', 'utf8'));
    fixture.metrics.error_recovery_s = { value: 4, evidence: 'never drained', atLeast: true };
    const sheet = grade(fixture, parsed.value);
    expect(sheet.rows.find((r) => r.key === 'error_recovery_s')?.band).toBe('fail');
    fixture.metrics.error_recovery_s = { value: 4, evidence: 'drained' };
    expect(grade(fixture, parsed.value).rows.find((r) => r.key === 'error_recovery_s')?.band).toBe('best');
  });
});
