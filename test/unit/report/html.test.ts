import { describe, expect, it } from 'vitest';
import { grade } from '../../../src/grading/grade.js';
import { renderHtml } from '../../../src/report/html.js';
import { fixture, shippedTable } from './fixtures.js';

const table = shippedTable();

describe('report.html', () => {
  it('is one self-contained file: no script, no external fetch of any kind', () => {
    const result = fixture('pass');
    const html = renderHtml(result, grade(result, table));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/@import|@font-face|url\(/i);
    expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//i);
    // The only hrefs are the in-page navigation.
    for (const m of html.matchAll(/href="([^"]*)"/g)) expect(m[1]).toMatch(/^#[a-z]+$/);
  });

  it('a ramp without errors draws its error-rate axis from 0 %, never below', () => {
    const result = fixture('pass');
    const capacity = result.capacity!;
    for (const step of capacity.steps) step.errorRate = 0;
    // Without criteria there is no error-limit line to lift the axis: only the data decides it.
    delete capacity.criteria;
    expect(capacity.steps.length).toBeGreaterThan(1);
    const html = renderHtml(result, grade(result, table));
    const title = 'aria-label="Ramp: error rate and resources (connector, harness) against offered rate"';
    const start = html.indexOf(title);
    expect(start).toBeGreaterThan(0);
    const svg = html.slice(start, html.indexOf('</svg>', start));
    const ticks = [...svg.matchAll(/>(-?[\d.]+) %</g)].map((m) => Number(m[1]));
    expect(ticks.length).toBeGreaterThan(1);
    expect(Math.min(...ticks)).toBe(0);
  });

  it('names the event loops the harness ran on, and nothing for an older result without the field', () => {
    const result = fixture('pass');
    delete result.environment.workers;
    expect(renderHtml(result, grade(result, table))).not.toContain('Harness event loops');
    result.environment.workers = 1;
    expect(renderHtml(result, grade(result, table))).toContain(
      '<dt>Harness event loops</dt><dd>1 (one thread)</dd>',
    );
    result.environment.workers = 3;
    expect(renderHtml(result, grade(result, table))).toContain(
      '<dd>3 (main + 2 webhook sender threads)</dd>',
    );
  });

  it('has every chart and section for a full run', () => {
    const result = fixture('pass');
    const html = renderHtml(result, grade(result, table));
    for (const label of [
      'Ramp: latency percentiles against offered rate',
      'Ramp: error rate and resources (connector, harness) against offered rate',
      'Throughput over time',
      'p95 latency over time',
      'Soak: volume and p95 latency per window',
      'Soak: error rate and connector memory per window',
      'Faults and recovery on the run timeline',
      'Per-hop latency breakdown',
    ]) {
      expect(html).toContain(`aria-label="${label}"`);
    }
    for (const id of [
      'grades',
      'checks',
      'capacity',
      'timeline',
      'soak',
      'faults',
      'hops',
      'conformance',
      'environment',
    ]) {
      expect(html).toContain(`<section id="${id}">`);
    }
    expect(html).toContain('>PASS</div>');
    expect(html.match(/class="bullet"/g)).toHaveLength(5);
    // The stop point and the peak of the ramp are marked.
    expect(html).toContain('stop: p95 latency');
    expect(html).toContain('peak 2,300/min');
    // 18 soak windows, the ones with peaks shaded.
    expect(html).toContain('Per-window results (18 windows)');
    expect(html).not.toContain('NaN');
  });

  it('leaves out the sections a run has no data for', () => {
    const result = fixture('invalid');
    const html = renderHtml(result, grade(result, table));
    expect(html).not.toContain('<section id="soak">');
    expect(html).not.toContain('<section id="faults">');
    expect(html).not.toContain('<section id="conformance">');
    expect(html).toContain('>INVALID</div>');
    expect(html).toContain('Why the run is invalid');
  });

  it('escapes every user-supplied string', () => {
    const result = fixture('fail');
    const x = '<img src=x onerror="alert(1)">';
    const evil = {
      ...result,
      runId: x,
      scenario: { name: x, file: x, description: x },
      suites: result.suites.map((s) => ({ ...s, title: x, notes: [x] })),
      hops: result.hops.map((h) => ({ ...h, name: x })),
      faults: result.faults?.map((f) => ({ ...f, spec: x, retryTiming: x })),
      conformance: result.conformance?.map((c) => ({ ...c, title: x, evidence: x, rule: x, source: x })),
      checks: result.checks.map((c) => ({ ...c, evidence: x })),
      environment: {
        ...result.environment,
        cpuModel: x,
        connector: { ...result.environment.connector, faults: [x] },
      },
    };
    const html = renderHtml(evil, grade(evil, table));
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
  });
});
