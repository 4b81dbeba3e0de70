import type { Band } from '../grading/bands.js';
import { comparator } from '../grading/bands.js';
import { formatDuration, formatMeasured, formatValue } from '../grading/format.js';
import type { GradeSheet } from '../grading/grade.js';
import type { RunResult } from '../result/run-result.js';
import { describeDistributed } from './distributed.js';
import { escapeMarkdown as md } from './escape.js';
import { acceptanceLine, describeWiring } from './wiring.js';

/**
 * summary.md: sized for a GitHub Actions job summary (`cat summary.md >> $GITHUB_STEP_SUMMARY`).
 * A verdict line, the grade table with plain-text band markers (no emoji, so it reads the same in
 * any log), the capacity line, and every failure with its evidence.
 */

/** Inline code: backticks inside would end the span early, so they become quotes. */
function code(text: string): string {
  return `\`${String(text)
    .replace(/`/g, "'")
    .replace(/\r?\n|\r/g, ' ')
    .replace(/\|/g, '\\|')}\``;
}

/** Plain-text marker of a band for Markdown and logs. */
export function bandMarker(band: Band): string {
  switch (band) {
    case 'best':
      return 'BEST';
    case 'average':
      return 'AVERAGE';
    case 'qualified':
      return 'QUALIFIED';
    case 'fail':
      return '**FAIL**';
    case 'not_measured':
      return 'not measured';
  }
}

/** The capacity result in one sentence, or null when the ramp did not run. */
export function capacitySentence(result: RunResult): string | null {
  const c = result.capacity;
  if (!c) return null;
  const peak =
    c.peakCapacityPerMin === null ? 'no step passed' : `peak ${formatValue(c.peakCapacityPerMin, 'msg/min')}`;
  const failing =
    c.firstFailingPerMin === null
      ? 'no step failed'
      : `first failing ${formatValue(c.firstFailingPerMin, 'msg/min')}${c.brokenCriterion ? ` (${c.brokenCriterion.replace(/_/g, ' ')})` : ''}`;
  const why = c.stoppedBecause.replace(/_/g, ' ');
  const r = c.refinement;
  // With `refine: true` both peaks are stated: the coarse step's and the one the probes bisected to.
  const refined =
    r && c.stepPeakPerMin !== undefined && c.stepPeakPerMin !== null
      ? `; step peak ${formatValue(c.stepPeakPerMin, 'msg/min')}, refined by ${r.probes.length} probe${r.probes.length === 1 ? '' : 's'} to within ${formatValue(r.resolutionPerMin, 'msg/min')}`
      : '';
  return `${peak}${refined}; ${failing}; ${c.steps.length} steps, stopped by ${why}; harness ${c.harnessValid ? 'valid' : 'SATURATED'}`;
}

/** Renders summary.md for a graded run. */
export function renderMarkdown(result: RunResult, sheet: GradeSheet): string {
  const out: string[] = [];
  const verdict = sheet.verdict.toUpperCase();
  out.push(`## wacrm: ${verdict} · ${md(result.scenario.name)}`);
  out.push('');
  const conn = result.environment.connector;
  out.push(
    `**${verdict}** (exit code ${sheet.exitCode}) · run ${code(result.runId)} · ${md(result.startedAt)} · ${formatDuration(result.durationMs)} · seed ${result.seed} · ${conn.kind} connector${conn.faults.length > 0 ? ` with faults ${md(conn.faults.join(', '))}` : ''}`,
  );
  out.push('');
  const graded = acceptanceLine(result);
  if (graded) {
    out.push(md(graded.charAt(0).toUpperCase() + graded.slice(1)));
    out.push('');
  }
  if (conn.external) {
    for (const line of describeWiring(conn.external)) out.push(`- ${md(line)}`);
    out.push('');
  }
  if (result.distributed) {
    for (const line of describeDistributed(result.distributed)) out.push(`- ${md(line)}`);
    out.push('');
  }
  if (sheet.verdict === 'invalid') {
    out.push('> **The run is invalid**: its numbers do not describe the connector.');
    for (const r of sheet.invalidReasons) out.push(`> - ${md(r)}`);
    out.push('');
  }
  out.push('| Metric | Value | Band | Qualified | Average | Best |');
  out.push('|---|---:|---|---:|---:|---:|');
  for (const r of sheet.rows) {
    const q = `${comparator(r.direction, true)} ${formatValue(r.thresholds.qualified, r.unit)}`;
    out.push(
      `| ${md(r.title)} (\`${r.key}\`) | ${formatMeasured(r.value, r.unit, r.atLeast)} | ${bandMarker(r.band)} | ${md(q)} | ${md(formatValue(r.thresholds.average, r.unit))} | ${md(formatValue(r.thresholds.best, r.unit))} |`,
    );
  }
  out.push('');
  const cap = capacitySentence(result);
  if (cap) out.push(`**Capacity:** ${md(cap)}.`, '');

  const c = sheet.counts;
  const measuredChecks = sheet.checks.filter((x) => x.value !== null);
  out.push(
    `**Checks:** ${c.checks.passed} passed, ${c.checks.failed} failed, ${c.checks.notMeasured} not measured` +
      (sheet.conformance.length > 0
        ? ` · **Conformance:** ${c.conformance.passed} of ${sheet.conformance.length} passed`
        : '') +
      (sheet.soakRules.length > 0
        ? ` · **Soak rules:** ${c.soakRules.passed} of ${sheet.soakRules.length} held`
        : ''),
  );
  out.push('');
  if (measuredChecks.length > 0) {
    out.push('<details><summary>All measured checks</summary>', '');
    out.push('| Check | Suite | Value | Needs | Result |');
    out.push('|---|---|---:|---:|---|');
    for (const k of measuredChecks) {
      const needs =
        k.threshold === null
          ? '—'
          : `${comparator(k.direction, k.inclusive)} ${formatValue(k.threshold, k.unit)}`;
      const res = k.passed === null ? 'not graded' : k.passed ? 'pass' : '**FAIL**';
      out.push(
        `| ${md(k.title)} (\`${k.key}\`) | ${md(k.suite ?? '—')} | ${formatMeasured(k.value, k.unit, k.atLeast)} | ${md(needs)} | ${res} |`,
      );
    }
    out.push('', '</details>', '');
  }

  const failures = sheet.failures.filter((f) => f.kind !== 'run');
  if (failures.length > 0) {
    out.push(`### Failures (${failures.length})`, '');
    for (const f of failures) {
      out.push(`- **${md(f.title)}** (${code(f.key)}, ${f.kind}): ${md(f.message)}  `);
      out.push(`  Evidence: ${md(f.evidence)}`);
    }
    out.push('');
  }
  if (sheet.interrupted) {
    out.push(
      '',
      `> **INTERRUPTED** at ${sheet.interrupted.at} (${sheet.interrupted.signal}): only what ran before is graded.`,
    );
  }
  if (sheet.diagnoses.length > 0) {
    out.push('', '## Connector diagnosis', '');
    for (const d of sheet.diagnoses) out.push(`- ${md(d)}`);
  }
  if (sheet.warnings.length > 0) {
    out.push('### Warnings', '');
    for (const w of sheet.warnings) out.push(`- ${md(w)}`);
    out.push('');
  }
  out.push('Full report: `report.html` · machine-readable: `summary.json`, `junit.xml`.');
  return `${out.join('\n')}\n`;
}
