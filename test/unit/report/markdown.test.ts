import { describe, expect, it } from 'vitest';
import { grade } from '../../../src/grading/grade.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { fixture, shippedTable } from './fixtures.js';

const table = shippedTable();

describe('summary.md', () => {
  it('opens with the verdict and has the grade table with plain band markers', () => {
    const result = fixture('pass');
    const md = renderMarkdown(result, grade(result, table));
    expect(md.split('\n')[0]).toBe('## wacrm: PASS · release-gate');
    expect(md).toContain('| Metric | Value | Band | Qualified | Average | Best |');
    expect(md).toContain(
      '| Template message delivery rate (`template_delivery_rate`) | 99.75 % | AVERAGE | ≥ 99 % | 99.3 % | 99.9 % |',
    );
    expect(md).toContain(
      '| Automatic error recovery (`error_recovery_s`) | 4.2 s | BEST | ≤ 30 s | 15 s | 5 s |',
    );
    expect(md).toContain(
      '**Capacity:** peak 2,300 msg/min; first failing 2,500 msg/min (p95 latency); 11 steps, stopped by criterion; harness valid.',
    );
    expect(md).not.toMatch(/Failures/);
    // GitHub job summaries are limited to 1 MiB; this one is a few KiB.
    expect(Buffer.byteLength(md)).toBeLessThan(20_000);
    expect(md).not.toMatch(/[\u{1F300}-\u{1FAFF}\u2705\u274C]/u);
  });

  it('says which acceptance table graded the run, and when it is the built-in one', () => {
    const result = fixture('pass');
    expect(renderMarkdown(result, grade(result, table))).not.toMatch(/graded against/i);
    result.acceptanceSource = { file: '/opt/wacrm/scenarios/acceptance.yaml', builtIn: true };
    expect(renderMarkdown(result, grade(result, table))).toContain(
      'Graded against the built-in acceptance table (/opt/wacrm/scenarios/acceptance.yaml): the scenario names none',
    );
    result.acceptanceSource = { file: '/home/me/team.yaml', builtIn: false };
    expect(renderMarkdown(result, grade(result, table))).toContain(
      'Graded against the acceptance table /home/me/team.yaml',
    );
  });

  it('lists every failure with its evidence', () => {
    const result = fixture('fail');
    const md = renderMarkdown(result, grade(result, table));
    expect(md).toContain('### Failures (8)');
    expect(md).toContain('| 97.8 % | **FAIL** |');
    expect(md).toContain(
      '- **Peak capacity** (`peak_capacity_msg_per_min`, metric): 700 msg/min is worse than qualified ≥ 1,000 msg/min  \n  Evidence: last passing step 700 msg/min; 900 msg/min broke error rate ≤ 1 % (3.42 %)',
    );
  });

  it('says an invalid run is invalid, with its reasons', () => {
    const result = fixture('invalid');
    const md = renderMarkdown(result, grade(result, table));
    expect(md).toContain('> **The run is invalid**: its numbers do not describe the connector.');
    expect(md).toContain('> - harness saturated at 3,500 msg/min');
    expect(md).toContain('| — | not measured |');
  });

  it('cannot be broken by pipes, newlines or HTML in user text', () => {
    const result = fixture('fail');
    const evil = {
      ...result,
      scenario: { ...result.scenario, name: 'a|b <img src=x onerror=alert(1)>' },
      metrics: {
        ...result.metrics,
        template_delivery_rate: { value: 0.5, evidence: 'line1\nline2 | <b>x</b>' },
      },
    };
    const md = renderMarkdown(evil, grade(evil, table));
    expect(md.split('\n')[0]).toBe('## wacrm: FAIL · a\\|b &lt;img src=x onerror=alert(1)&gt;');
    expect(md).toContain('Evidence: line1 line2 \\| &lt;b&gt;x&lt;/b&gt;');
    expect(md).not.toContain('<img');
  });
});
