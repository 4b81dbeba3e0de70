import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { grade } from '../../../src/grading/grade.js';
import { renderHtml } from '../../../src/report/html.js';
import { renderJunit } from '../../../src/report/junit.js';
import { buildSummary } from '../../../src/report/summary.js';
import { committedGolden, GOLDEN_NAMES, goldenFile, goldenText } from '../../fixtures/golden/virtual-run.js';
import { shippedTable } from './fixtures.js';

const table = shippedTable();

describe('golden run results come from real runs on a virtual clock', () => {
  // Regenerating is the test: a change to a runner, a check or the result builder that changes what a
  // run produces fails here until `npx tsx scripts/regen-fixtures.ts` rewrites the goldens (and the
  // diff is reviewed).
  for (const name of GOLDEN_NAMES) {
    it(`test/fixtures/golden/run-result-${name}.json is what the run produces now`, async () => {
      const fresh = await goldenText(name);
      const committed = readFileSync(goldenFile(name), 'utf8');
      expect(JSON.parse(fresh)).toEqual(JSON.parse(committed));
      expect(fresh).toBe(committed);
    }, 20_000);
  }

  it('a real capacity run carries the criteria it judged by, so the report draws both limit lines', () => {
    const result = committedGolden('pass');
    expect(result.capacity?.criteria).toEqual({ p95LatencyMs: 5000, errorRate: 0.01 });
    const html = renderHtml(result, grade(result, table));
    expect(html).toContain('p95 limit 5 s');
    expect(html).toContain('error limit 1 %');
  });

  it('the pass run refines its peak above the step peak, and the report charts the probes', () => {
    const result = committedGolden('pass');
    const c = result.capacity!;
    expect(c.refinement?.probes.length).toBeGreaterThan(0);
    expect(c.peakCapacityPerMin).toBeGreaterThan(c.stepPeakPerMin as number);
    const sheet = grade(result, table);
    expect(sheet.verdict).toBe('pass');
    const html = renderHtml(result, sheet);
    expect(html.match(/<path class="probe" /g)?.length).toBe(c.refinement!.probes.length * 2);
    expect(html).toContain(`refined peak ${c.peakCapacityPerMin!.toLocaleString('en-US')}/min`);
    // The compressed day's soak is there too: its windows, its rules, its section of the report.
    expect(result.soak?.windows).toHaveLength(12);
    expect(sheet.soakRules.length).toBe(result.soak?.rules.length);
    expect(sheet.soakRules.every((r) => r.passed)).toBe(true);
    expect(html).toContain('<section id="soak">');
    expect(buildSummary(result, sheet).capacity).toMatchObject({
      stepPeakPerMin: c.stepPeakPerMin,
      refinedPeakPerMin: c.peakCapacityPerMin,
    });
  });

  it('the fail run (ignore-consent, lost messages) fails consent, completeness and lost messages', () => {
    const result = committedGolden('fail');
    const sheet = grade(result, table);
    expect(sheet.verdict).toBe('fail');
    const failed = sheet.failures.map((f) => f.key);
    expect(failed).toEqual(
      expect.arrayContaining(['consent_violations', 'record_completeness', 'messages_lost']),
    );
    const junit = renderJunit(result, sheet);
    expect(junit).toMatch(/name="consent_violations"[^>]*>\s*<failure/);
  });

  it('the invalid run names the saturated window and grades nothing of the connector', () => {
    const result = committedGolden('invalid');
    const sheet = grade(result, table);
    expect(sheet.verdict).toBe('invalid');
    expect(sheet.exitCode).toBe(3);
    expect(sheet.invalidReasons[0]).toMatch(/the harness saturated during capacity: 1400\/min window/);
    expect(result.metrics['peak_capacity_msg_per_min']).toBeUndefined();
  });
});
