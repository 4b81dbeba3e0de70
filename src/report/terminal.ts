import Table from 'cli-table3';
import { type Band, comparator } from '../grading/bands.js';
import { formatMeasured, formatValue } from '../grading/format.js';
import { type GradeSheet, verdictLine } from '../grading/grade.js';
import type { CostFigures } from '../metrics/cost.js';
import type { RunResult } from '../result/run-result.js';

/**
 * The grade sheet for the terminal (cli-table3). Plain text unless colour is asked for, so CI logs
 * and piped output stay clean; band names are always spelled out, colour only reinforces them.
 */

/** Options of {@link renderGradeTable}. */
export interface GradeTableOptions {
  /** ANSI colours (only when the caller knows the output is a colour terminal). */
  color?: boolean;
  /** Also list every measured check in a table (failed ones are always listed with their evidence). */
  allChecks?: boolean;
}

const ANSI: Record<string, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  gray: [90, 39],
  bold: [1, 22],
};

function paint(on: boolean, style: keyof typeof ANSI, text: string): string {
  const codes = ANSI[style] as [number, number];
  return on ? `\u001b[${codes[0]}m${text}\u001b[${codes[1]}m` : text;
}

const BAND_STYLE: Record<Band, keyof typeof ANSI> = {
  best: 'green',
  average: 'blue',
  qualified: 'yellow',
  fail: 'red',
  not_measured: 'gray',
};

function bandText(band: Band, color: boolean): string {
  const label = band === 'not_measured' ? 'not measured' : band.toUpperCase();
  return paint(color, BAND_STYLE[band], label);
}

function table(head: string[], aligns: Array<'left' | 'right'>, color: boolean) {
  return new Table({
    head: head.map((h) => paint(color, 'bold', h)),
    colAligns: aligns,
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1 },
    wordWrap: true,
  });
}

/** Renders the grade sheet as terminal text: metrics table, failed (or all) checks, failures, verdict line. */
export function renderGradeTable(sheet: GradeSheet, opts: GradeTableOptions = {}): string {
  const color = opts.color === true;
  const parts: string[] = [];

  const metrics = table(
    ['Metric', 'Value', 'Band', 'Qualified', 'Average', 'Best'],
    ['left', 'right', 'left', 'right', 'right', 'right'],
    color,
  );
  for (const r of sheet.rows) {
    metrics.push([
      `${r.title}\n${paint(color, 'gray', r.key)}`,
      formatMeasured(r.value, r.unit, r.atLeast),
      bandText(r.band, color),
      `${comparator(r.direction, true)} ${formatValue(r.thresholds.qualified, r.unit)}`,
      formatValue(r.thresholds.average, r.unit),
      formatValue(r.thresholds.best, r.unit),
    ]);
  }
  parts.push(metrics.toString());

  // Failed checks are listed with their evidence below; the full table is on request.
  const shown = opts.allChecks ? sheet.checks.filter((c) => c.value !== null) : [];
  if (shown.length > 0) {
    const checks = table(
      ['Check', 'Suite', 'Value', 'Needs', 'Result'],
      ['left', 'left', 'right', 'right', 'left'],
      color,
    );
    for (const c of shown) {
      checks.push([
        `${c.title}\n${paint(color, 'gray', c.key)}`,
        c.suite ?? '—',
        formatMeasured(c.value, c.unit, c.atLeast),
        c.threshold === null
          ? '—'
          : `${comparator(c.direction, c.inclusive)} ${formatValue(c.threshold, c.unit)}`,
        c.passed === null
          ? paint(color, 'gray', 'not graded')
          : c.passed
            ? paint(color, 'green', 'pass')
            : paint(color, 'red', 'FAIL'),
      ]);
    }
    parts.push(checks.toString());
  }

  const counts = sheet.counts;
  const summaryBits = [
    `checks: ${counts.checks.passed} passed, ${counts.checks.failed} failed, ${counts.checks.notMeasured} not measured`,
  ];
  if (sheet.conformance.length > 0)
    summaryBits.push(`conformance: ${counts.conformance.passed}/${sheet.conformance.length} passed`);
  if (sheet.soakRules.length > 0)
    summaryBits.push(`soak rules: ${counts.soakRules.passed}/${sheet.soakRules.length} held`);
  parts.push(summaryBits.join(' · '));

  if (sheet.interrupted) {
    parts.push(
      `${paint(color, 'yellow', 'INTERRUPTED')} at ${sheet.interrupted.at} (${sheet.interrupted.signal}): this sheet grades only what ran before`,
    );
  }
  for (const d of sheet.diagnoses) parts.push(`${paint(color, 'red', 'DIAGNOSIS')} ${d}`);
  for (const f of sheet.failures) {
    const head = f.kind === 'run' ? paint(color, 'yellow', 'INVALID') : paint(color, 'red', 'FAIL');
    parts.push(`${head} ${f.title} (${f.key}): ${f.message}\n      evidence: ${f.evidence}`);
  }
  for (const w of sheet.warnings) parts.push(`${paint(color, 'yellow', 'warning')} ${w}`);

  const verdictStyle = sheet.verdict === 'pass' ? 'green' : sheet.verdict === 'fail' ? 'red' : 'yellow';
  parts.push(paint(color, 'bold', paint(color, verdictStyle, verdictLine(sheet))));
  return parts.join('\n');
}

/**
 * The capacity outcome in one line for the terminal, with the step peak and, after `refine: true`,
 * the refined peak and the probes that found it. Empty when no ramp ran.
 */
export function renderCapacityLine(result: Pick<RunResult, 'capacity'>): string {
  const c = result.capacity;
  if (!c) return '';
  const rate = (v: number) => formatValue(v, 'msg/min');
  if (!c.harnessValid) return 'capacity: not reported, the harness saturated during the ramp';
  const stepPeak = c.stepPeakPerMin === undefined ? c.peakCapacityPerMin : c.stepPeakPerMin;
  const head =
    stepPeak === null ? 'capacity: the first step already failed' : `capacity: step peak ${rate(stepPeak)}`;
  const r = c.refinement;
  if (!r || c.peakCapacityPerMin === null) return head;
  const probes = r.probes.map((p) => `${p.ratePerMin} ${p.passed ? 'pass' : 'fail'}`).join(', ');
  return `${head}, refined peak ${rate(c.peakCapacityPerMin)} (probes: ${probes || 'none'}; within ${rate(r.resolutionPerMin)})`;
}

const num = (v: number | undefined, unit: string, digits = 0) =>
  v === undefined ? '—' : `${v.toFixed(digits)}${unit}`;

/**
 * What each suite (and each capacity step) cost the harness beside the connector: CPU, CPU µs per
 * flow and the harness's event-loop delay. A user who sees INVALID sees here where the saturation
 * came from. Empty when no figure was measured (a result from an older version).
 */
export function renderCostTable(
  result: Pick<RunResult, 'suites' | 'capacity'>,
  opts: Pick<GradeTableOptions, 'color'> = {},
): string {
  const color = opts.color === true;
  const rows: string[][] = [];
  for (const s of result.suites) {
    if (!s.cost) continue;
    rows.push(costRow(s.kind, s.flows.sent, s.cost));
  }
  const windows = [
    ...(result.capacity?.steps ?? []).map((s) => ({ step: s, label: `  step ${s.ratePerMin}/min` })),
    ...(result.capacity?.refinement?.probes ?? []).map((s) => ({
      step: s,
      label: `  probe ${s.ratePerMin}/min`,
    })),
  ];
  for (const { step, label } of windows) {
    if (step.harnessCpuPct === undefined) continue;
    rows.push(
      costRow(label, step.sent, {
        ...(step.harnessCpuPct !== undefined ? { harnessCpuPct: step.harnessCpuPct } : {}),
        ...(step.harnessCpuUsPerFlow !== undefined ? { harnessCpuUsPerFlow: step.harnessCpuUsPerFlow } : {}),
        ...(step.loopDelayP99Ms !== undefined ? { loopDelayP99Ms: step.loopDelayP99Ms } : {}),
        ...(step.connectorCpuPct !== undefined ? { connectorCpuPct: step.connectorCpuPct } : {}),
        ...(step.connectorCpuUsPerFlow !== undefined
          ? { connectorCpuUsPerFlow: step.connectorCpuUsPerFlow }
          : {}),
      }),
    );
  }
  if (rows.length === 0) return '';
  const t = table(
    [
      'Cost',
      'Flows',
      'Harness CPU',
      'Harness µs/flow',
      'Loop delay p99',
      'Connector CPU',
      'Connector µs/flow',
    ],
    ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    color,
  );
  for (const r of rows) t.push(r);
  return t.toString();
}

function costRow(label: string, flows: number, c: CostFigures): string[] {
  return [
    label,
    String(flows),
    num(c.harnessCpuPct, ' %'),
    num(c.harnessCpuUsPerFlow, ' µs'),
    num(c.loopDelayP99Ms, ' ms', 1),
    num(c.connectorCpuPct, ' %'),
    num(c.connectorCpuUsPerFlow, ' µs'),
  ];
}
