import { describe, expect, it } from 'vitest';
import { METRIC_KEYS } from '../../../src/config/acceptance.js';
import { grade } from '../../../src/grading/grade.js';
import {
  buildSummary,
  renderSummaryJson,
  SUMMARY_SCHEMA_VERSION,
  summaryForCompareSchema,
} from '../../../src/report/summary.js';
import { fixture, shippedTable } from './fixtures.js';

const table = shippedTable();

describe('summary.json', () => {
  it('states the verdict and every metric keyed by metric key with value, unit, band and thresholds', () => {
    const result = fixture('pass');
    const summary = buildSummary(result, grade(result, table));
    expect(summary.schemaVersion).toBe(SUMMARY_SCHEMA_VERSION);
    expect(summary.verdict).toBe('pass');
    expect(summary.exitCode).toBe(0);
    expect(Object.keys(summary.metrics)).toEqual([...METRIC_KEYS]);
    expect(summary.metrics.peak_capacity_msg_per_min).toEqual({
      title: 'Peak capacity',
      suite: 'capacity',
      value: 2300,
      unit: 'msg/min',
      band: 'average',
      direction: 'higher',
      thresholds: { qualified: 1000, average: 1200, best: 5000 },
      evidence: expect.stringMatching(/last passing step 2,300/),
    });
    expect(summary.capacity?.steps).toHaveLength(11);
    expect(summary.soak?.windows).toHaveLength(18);
    expect(summary.environment.cpus).toBe(2);
    expect(summary.faults).toHaveLength(2);
  });

  it('keeps not-measured metrics with a null value', () => {
    const result = fixture('invalid');
    const summary = buildSummary(result, grade(result, table));
    expect(summary.metrics.template_delivery_rate).toMatchObject({ value: null, band: 'not_measured' });
    expect(summary).toMatchObject({
      verdict: 'invalid',
      exitCode: 3,
      valid: false,
      capacity: { harnessValid: false },
    });
    expect(summary.soak).toBeNull();
  });

  it('never writes credentials of an external connector URL', () => {
    const result = fixture('pass');
    const external = {
      ...result,
      environment: {
        ...result.environment,
        connector: {
          kind: 'external' as const,
          url: 'https://vendor:hunter2@connector.example/hook?token=abc&x=1',
          faults: [],
        },
      },
    };
    const text = renderSummaryJson(external, grade(external, table));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('token=abc');
    expect(text).toContain('https://***@connector.example/hook?token=***&x=1');
  });

  it('is what compare reads back', () => {
    const result = fixture('fail');
    const parsed = summaryForCompareSchema.safeParse(
      JSON.parse(renderSummaryJson(result, grade(result, table))),
    );
    expect(parsed.success).toBe(true);
  });
});
