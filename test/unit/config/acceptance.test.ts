import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, METRIC_KEYS, parseAcceptanceText } from '../../../src/config/index.js';

const TABLE = resolve(import.meta.dirname, '../../../scenarios/acceptance.yaml');

const metric = (key: string, direction: string, q: number, a: number, b: number) =>
  `  ${key}: { title: T, unit: ratio, direction: ${direction}, qualified: ${q}, average: ${a}, best: ${b} }\n`;
const allMetrics = () =>
  metric('template_delivery_rate', 'higher', 0.99, 0.993, 0.999) +
  metric('sync_latency_p95_s', 'lower', 3, 2.1, 0.8) +
  metric('record_completeness', 'higher', 0.995, 0.996, 0.9998) +
  metric('peak_capacity_msg_per_min', 'higher', 1000, 1200, 5000) +
  metric('error_recovery_s', 'lower', 30, 15, 5);

describe('acceptance table', () => {
  it('ships the seed’s table: the five metrics with their three thresholds each', async () => {
    const out = parseAcceptanceText(await readFile(TABLE, 'utf8'), TABLE);
    if (!out.ok) throw new Error(out.issues.map(formatIssue).join('\n'));
    expect(Object.keys(out.value.metrics)).toEqual([...METRIC_KEYS]);
    const t = out.value.metrics;
    expect([
      t.template_delivery_rate.qualified,
      t.template_delivery_rate.average,
      t.template_delivery_rate.best,
    ]).toEqual([0.99, 0.993, 0.999]);
    expect([t.sync_latency_p95_s.qualified, t.sync_latency_p95_s.average, t.sync_latency_p95_s.best]).toEqual(
      [3, 2.1, 0.8],
    );
    expect([
      t.record_completeness.qualified,
      t.record_completeness.average,
      t.record_completeness.best,
    ]).toEqual([0.995, 0.996, 0.9998]);
    expect(t.peak_capacity_msg_per_min).toMatchObject({
      qualified: 1000,
      average: 1200,
      best: 5000,
      unit: 'msg/min',
    });
    expect(t.error_recovery_s).toMatchObject({ qualified: 30, average: 15, best: 5, direction: 'lower' });
    expect(out.value.checks['tag_accuracy']).toMatchObject({
      direction: 'higher',
      threshold: 0.95,
      inclusive: false,
    });
    expect(out.value.checks['handover_accuracy']).toMatchObject({ threshold: 1, inclusive: true });
    expect(out.value.checks['messages_lost']).toMatchObject({
      direction: 'lower',
      threshold: 0.008,
      inclusive: true,
    });
    expect(out.value.checks['display_latency_p95_s']).toMatchObject({
      direction: 'lower',
      threshold: 3,
      inclusive: false,
    });
  });

  it('accepts an edited table and defaults checks to none', () => {
    const out = parseAcceptanceText(`version: 1\nmetrics:\n${allMetrics()}`);
    expect(out.ok && out.value.checks).toEqual({});
  });

  it('refuses thresholds out of order for their direction', () => {
    const text = `version: 1\nmetrics:\n${allMetrics().replace('qualified: 3, average: 2.1', 'qualified: 2, average: 2.1')}`;
    const out = parseAcceptanceText(text, 't.yaml');
    expect(out.issues.map(formatIssue)).toEqual([
      't.yaml:4:89 metrics.sync_latency_p95_s.average: thresholds out of order for direction lower: need qualified ≥ average ≥ best, got 2, 2.1, 0.8',
    ]);
  });

  it('names missing and unknown metrics and bad check keys', () => {
    const text = `version: 1\nmetrics:\n${metric('template_delivery_rate', 'higher', 0.99, 0.993, 0.999)}  latency_s: { title: T, unit: s, direction: lower, qualified: 3, average: 2, best: 1 }\nchecks:\n  Tag-Accuracy: { title: T, unit: ratio, direction: higher, threshold: 0.9, inclusive: true }\n`;
    const messages = parseAcceptanceText(text, 't.yaml').issues.map(formatIssue);
    expect(messages).toContain(
      't.yaml:2:1 metrics.sync_latency_p95_s: required: expected a mapping (key: value)',
    );
    expect(
      messages.some((m) =>
        /metrics\.latency_s: unknown key "latency_s".*allowed here: template_delivery_rate/.test(m),
      ),
    ).toBe(true);
    expect(
      messages.some((m) =>
        /t\.yaml:6:3 checks\.Tag-Accuracy: invalid key "Tag-Accuracy": check keys are snake_case/.test(m),
      ),
    ).toBe(true);
  });
});
