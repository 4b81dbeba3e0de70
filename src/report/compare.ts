import Table from 'cli-table3';
import { type Band, bandRank } from '../grading/bands.js';
import { formatValue } from '../grading/format.js';
import type { SummaryForCompare } from './summary.js';

/**
 * Comparing two runs from their summary.json: for every metric the band change and the value
 * delta, for every check and conformance case pass → fail changes. A regression is a band that
 * dropped, a check or case that passed and now fails, or a verdict that went from pass to
 * anything else; `wacrm compare` exits 1 when there is one.
 */

/** What happened to one item between run A and run B. */
export type Change =
  | 'better'
  | 'worse'
  | 'same'
  | 'newly_measured'
  | 'no_longer_measured'
  | 'not_measured'
  | 'only_in_a'
  | 'only_in_b';

/** One line of a comparison. */
export interface ComparisonRow {
  kind: 'verdict' | 'metric' | 'check' | 'conformance';
  key: string;
  title: string;
  unit: string;
  before: { value: number | null; band?: Band; passed?: boolean | null } | null;
  after: { value: number | null; band?: Band; passed?: boolean | null } | null;
  /** after − before when both were measured. */
  deltaValue: number | null;
  change: Change;
  regression: boolean;
}

/** The comparison of two runs. */
export interface Comparison {
  a: { runId: string; scenario: string; verdict: string };
  b: { runId: string; scenario: string; verdict: string };
  rows: ComparisonRow[];
  regressions: number;
  improvements: number;
}

const VERDICT_RANK: Record<string, number> = { invalid: 0, fail: 1, pass: 2 };

function passChange(before: boolean | null, after: boolean | null): Change {
  if (before === null && after === null) return 'not_measured';
  if (before === null) return 'newly_measured';
  if (after === null) return 'no_longer_measured';
  if (before === after) return 'same';
  return after ? 'better' : 'worse';
}

/** Compares run B against run A (A is the baseline). Pure. */
export function compareSummaries(a: SummaryForCompare, b: SummaryForCompare): Comparison {
  const rows: ComparisonRow[] = [];
  const vChange: Change =
    a.verdict === b.verdict
      ? 'same'
      : (VERDICT_RANK[b.verdict] ?? 0) > (VERDICT_RANK[a.verdict] ?? 0)
        ? 'better'
        : 'worse';
  rows.push({
    kind: 'verdict',
    key: 'verdict',
    title: 'Verdict',
    unit: '',
    before: { value: null, passed: a.verdict === 'pass' },
    after: { value: null, passed: b.verdict === 'pass' },
    deltaValue: null,
    change: vChange,
    regression: a.verdict === 'pass' && b.verdict !== 'pass',
  });

  for (const key of Object.keys(a.metrics) as Array<keyof typeof a.metrics>) {
    const ma = a.metrics[key];
    const mb = b.metrics[key];
    const ra = bandRank(ma.band);
    const rb = bandRank(mb.band);
    let change: Change;
    if (ma.band === 'not_measured' && mb.band === 'not_measured') change = 'not_measured';
    else if (ma.band === 'not_measured') change = 'newly_measured';
    else if (mb.band === 'not_measured') change = 'no_longer_measured';
    else change = rb > ra ? 'better' : rb < ra ? 'worse' : 'same';
    rows.push({
      kind: 'metric',
      key,
      title: mb.title,
      unit: mb.unit,
      before: { value: ma.value, band: ma.band },
      after: { value: mb.value, band: mb.band },
      deltaValue: ma.value !== null && mb.value !== null ? mb.value - ma.value : null,
      change,
      regression: change === 'worse',
    });
  }

  const checkId = (c: { key: string; suite: string | null }) => `${c.suite ?? ''}/${c.key}`;
  const checksA = new Map(a.checks.map((c) => [checkId(c), c]));
  const checksB = new Map(b.checks.map((c) => [checkId(c), c]));
  for (const id of new Set([...checksA.keys(), ...checksB.keys()])) {
    const ca = checksA.get(id);
    const cb = checksB.get(id);
    const ref = (cb ?? ca)!;
    const change: Change = !ca ? 'only_in_b' : !cb ? 'only_in_a' : passChange(ca.passed, cb.passed);
    if (change === 'not_measured') continue;
    rows.push({
      kind: 'check',
      key: ref.key,
      title: ref.title,
      unit: ref.unit,
      before: ca ? { value: ca.value, passed: ca.passed } : null,
      after: cb ? { value: cb.value, passed: cb.passed } : null,
      deltaValue: ca?.value != null && cb?.value != null ? cb.value - ca.value : null,
      change,
      regression: ca?.passed === true && cb?.passed === false,
    });
  }

  const confA = new Map(a.conformance.map((c) => [c.id, c]));
  const confB = new Map(b.conformance.map((c) => [c.id, c]));
  for (const id of new Set([...confA.keys(), ...confB.keys()])) {
    const ca = confA.get(id);
    const cb = confB.get(id);
    const change: Change = !ca ? 'only_in_b' : !cb ? 'only_in_a' : passChange(ca.passed, cb.passed);
    rows.push({
      kind: 'conformance',
      key: id,
      title: (cb ?? ca)!.title,
      unit: '',
      before: ca ? { value: null, passed: ca.passed } : null,
      after: cb ? { value: null, passed: cb.passed } : null,
      deltaValue: null,
      change,
      regression: ca?.passed === true && cb?.passed === false,
    });
  }

  return {
    a: { runId: a.runId, scenario: a.scenario.name, verdict: a.verdict },
    b: { runId: b.runId, scenario: b.scenario.name, verdict: b.verdict },
    rows,
    regressions: rows.filter((r) => r.regression).length,
    improvements: rows.filter((r) => r.change === 'better').length,
  };
}

/** A value change with its sign; ratios in percentage points. */
export function formatDelta(delta: number | null, unit: string): string {
  if (delta === null) return '';
  if (delta === 0) return '±0';
  const sign = delta > 0 ? '+' : '−';
  const abs = Math.abs(delta);
  if (unit === 'ratio') return `${sign}${Number((abs * 100).toPrecision(3))} pp`;
  return `${sign}${formatValue(abs, unit)}`;
}

function side(s: ComparisonRow['before'], row: ComparisonRow): string {
  if (s === null) return '—';
  if (row.kind === 'verdict') return '';
  const value = row.kind === 'conformance' ? '' : formatValue(s.value, row.unit);
  const tag = s.band
    ? s.band === 'not_measured'
      ? 'not measured'
      : s.band
    : s.passed === null
      ? 'not measured'
      : s.passed
        ? 'pass'
        : 'FAIL';
  return value && value !== '—' ? `${value} (${tag})` : tag;
}

const CHANGE_TEXT: Record<Change, string> = {
  better: 'better',
  worse: 'WORSE',
  same: 'same',
  newly_measured: 'newly measured',
  no_longer_measured: 'no longer measured',
  not_measured: 'not measured',
  only_in_a: 'only in A',
  only_in_b: 'only in B',
};

/** The comparison as a terminal table plus a one-line outcome (colour only when asked). */
export function renderComparison(c: Comparison, opts: { color?: boolean; all?: boolean } = {}): string {
  const color = opts.color === true;
  const paint = (code: number, t: string) => (color ? `\u001b[${code}m${t}\u001b[39m` : t);
  const t = new Table({
    head: ['', 'Item', `A ${c.a.runId}`, `B ${c.b.runId}`, 'Δ value', 'Change'],
    style: { head: [], border: [] },
    colAligns: ['left', 'left', 'right', 'right', 'right', 'left'],
    wordWrap: true,
  });
  for (const r of c.rows) {
    // Unchanged checks and cases are noise in a long list; metrics and the verdict always show.
    if (!opts.all && (r.kind === 'check' || r.kind === 'conformance') && r.change === 'same') continue;
    const verdictCells =
      r.kind === 'verdict'
        ? [c.a.verdict.toUpperCase(), c.b.verdict.toUpperCase()]
        : [side(r.before, r), side(r.after, r)];
    const change = CHANGE_TEXT[r.change];
    t.push([
      r.kind,
      r.kind === 'verdict' ? 'Verdict' : `${r.title}\n${r.key}`,
      ...verdictCells,
      formatDelta(r.deltaValue, r.unit),
      r.regression ? paint(31, `${change} (regression)`) : r.change === 'better' ? paint(32, change) : change,
    ]);
  }
  const outcome =
    c.regressions > 0
      ? paint(
          31,
          `${c.regressions} regression${c.regressions === 1 ? '' : 's'}, ${c.improvements} improvement${c.improvements === 1 ? '' : 's'}`,
        )
      : paint(32, `no regressions, ${c.improvements} improvement${c.improvements === 1 ? '' : 's'}`);
  const scen =
    c.a.scenario === c.b.scenario ? '' : `\nnote: different scenarios (${c.a.scenario} vs ${c.b.scenario})`;
  return `${t.toString()}\n${outcome}${scen}`;
}
