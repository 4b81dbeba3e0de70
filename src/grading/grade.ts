import {
  type AcceptanceTable,
  type Direction,
  METRIC_KEYS,
  METRIC_SUITE,
  METRIC_SUITES,
  type MetricKey,
} from '../config/acceptance.js';
import type { RunResult } from '../result/run-result.js';
import { type Band, bandFor, checkPasses, comparator } from './bands.js';
import { formatValue } from './format.js';

/**
 * Grading: a RunResult and an acceptance table → a grade sheet. Pure and total: every metric of
 * the table gets a row (not_measured when the run did not measure it, which is not a failure),
 * every check gets pass/fail against its threshold, and the verdict maps to the exit code of the
 * CLI contract (0 pass, 1 a threshold failed, 3 the run was invalid).
 */

/** One graded metric. */
export interface MetricGrade {
  key: MetricKey;
  title: string;
  /** The suite kind that measures it. */
  suite: string;
  value: number | null;
  unit: string;
  band: Band;
  direction: Direction;
  thresholds: { qualified: number; average: number; best: number };
  evidence: string;
  /** The value is a lower bound never reached in the run (e.g. a p95 censored at the deadline). */
  atLeast?: boolean;
}

/** One suite check against its threshold; `passed` is null when not measured (or not in the table). */
export interface CheckGrade {
  key: string;
  title: string;
  suite: string | null;
  value: number | null;
  unit: string;
  direction: Direction;
  threshold: number | null;
  inclusive: boolean;
  passed: boolean | null;
  evidence: string;
  /** The value is a lower bound never reached in the run (e.g. a p95 censored at the deadline). */
  atLeast?: boolean;
}

/** One conformance case as graded (pass/fail with evidence). */
export interface ConformanceGrade {
  id: string;
  title: string;
  passed: boolean;
  evidence: string;
  rule: string;
  source: string;
  /** The case never ran: shown NOT RUN, counted as not passed. */
  notRun?: boolean;
}

/** One of the soak's monitoring rules. */
export interface SoakRuleGrade {
  rule: string;
  passed: boolean;
  evidence: string;
}

/** Why the verdict is not `pass`: one entry per failed item, with its evidence. */
export interface Failure {
  kind: 'metric' | 'check' | 'conformance' | 'soak-rule' | 'run';
  key: string;
  title: string;
  /** What failed, with the numbers: `97.1 % is worse than qualified ≥ 99 %`. */
  message: string;
  evidence: string;
}

/** The overall outcome. */
export type Verdict = 'pass' | 'fail' | 'invalid';

/** Exit code of each verdict (docs/exit-codes.md). */
export const VERDICT_EXIT_CODE: Record<Verdict, 0 | 1 | 3> = { pass: 0, fail: 1, invalid: 3 };

/** Everything grading decided about a run. */
export interface GradeSheet {
  rows: MetricGrade[];
  checks: CheckGrade[];
  conformance: ConformanceGrade[];
  soakRules: SoakRuleGrade[];
  verdict: Verdict;
  exitCode: 0 | 1 | 3;
  failures: Failure[];
  invalidReasons: string[];
  /** Problems with the grading itself (a measured check missing from the table …): shown, never fatal. */
  warnings: string[];
  /** What the connector's answers say (refused our webhooks, died, stopped answering), read first. */
  diagnoses: string[];
  /** The run was interrupted: the sheet grades only what ran before. */
  interrupted?: { at: string; signal: string };
  counts: {
    metrics: Record<Band, number>;
    checks: { passed: number; failed: number; notMeasured: number };
    conformance: { passed: number; failed: number };
    soakRules: { passed: number; failed: number };
  };
}

function thresholdText(value: number, direction: Direction, inclusive: boolean, unit: string): string {
  return `${comparator(direction, inclusive)} ${formatValue(value, unit)}`;
}

function gradeMetrics(result: RunResult, table: AcceptanceTable, ranSuites: Set<string>, warnings: string[]) {
  return METRIC_KEYS.map((key): MetricGrade => {
    const entry = table.metrics[key];
    const measured = result.metrics[key];
    const suite = METRIC_SUITE[key];
    const thresholds = { qualified: entry.qualified, average: entry.average, best: entry.best };
    if (!measured) {
      const ran = METRIC_SUITES[key].filter((s) => ranSuites.has(s));
      if (ran.length > 0) {
        warnings.push(`${key} was not measured although suite ${ran.join(' and ')} ran`);
      }
      return {
        key,
        title: entry.title,
        suite,
        value: null,
        unit: entry.unit,
        band: 'not_measured',
        direction: entry.direction,
        thresholds,
        evidence:
          ran.length > 0
            ? `suite ${ran.join(' and ')} ran but reported no value`
            : `${METRIC_SUITES[key].length > 1 ? 'suites' : 'suite'} ${METRIC_SUITES[key].join(' and ')} did not run`,
      };
    }
    return {
      key,
      title: entry.title,
      suite,
      value: measured.value,
      unit: entry.unit,
      // An unbounded "at least" value of a lower-is-better metric was never shown to meet anything.
      band:
        measured.atLeast && entry.direction === 'lower'
          ? 'fail'
          : bandFor(measured.value, thresholds, entry.direction),
      direction: entry.direction,
      thresholds,
      evidence: measured.evidence,
      ...(measured.atLeast ? { atLeast: true } : {}),
    };
  });
}

function gradeChecks(result: RunResult, table: AcceptanceTable, warnings: string[]): CheckGrade[] {
  const rows: CheckGrade[] = [];
  const measuredKeys = new Set<string>();
  for (const c of result.checks) {
    measuredKeys.add(c.key);
    const entry = table.checks[c.key];
    if (!entry) {
      warnings.push(
        `check ${c.key} (suite ${c.suite}) has no threshold in the acceptance table; it is shown, not graded`,
      );
      rows.push({
        key: c.key,
        title: c.key,
        suite: c.suite,
        value: c.value,
        unit: '',
        direction: 'higher',
        threshold: null,
        inclusive: true,
        passed: null,
        evidence: c.evidence,
      });
      continue;
    }
    rows.push({
      key: c.key,
      title: entry.title,
      suite: c.suite,
      value: c.value,
      unit: entry.unit,
      direction: entry.direction,
      threshold: entry.threshold,
      inclusive: entry.inclusive,
      // A lower bound of a lower-is-better check (a censored latency) can only prove a failure.
      passed:
        c.atLeast && entry.direction === 'lower'
          ? false
          : checkPasses(c.value, entry.threshold, entry.direction, entry.inclusive),
      evidence: c.evidence,
      ...(c.atLeast ? { atLeast: true } : {}),
    });
  }
  for (const [key, entry] of Object.entries(table.checks)) {
    if (measuredKeys.has(key)) continue;
    rows.push({
      key,
      title: entry.title,
      suite: entry.suite ?? null,
      value: null,
      unit: entry.unit,
      direction: entry.direction,
      threshold: entry.threshold,
      inclusive: entry.inclusive,
      passed: null,
      evidence: entry.suite ? `not measured (suite ${entry.suite})` : 'not measured',
    });
  }
  return rows;
}

/** Grades a run against an acceptance table. Pure: same inputs, same sheet. */
export function grade(result: RunResult, table: AcceptanceTable): GradeSheet {
  const warnings: string[] = [];
  const ranSuites = new Set(result.suites.map((s) => s.kind));
  const rows = gradeMetrics(result, table, ranSuites, warnings);
  const checks = gradeChecks(result, table, warnings);
  const conformance: ConformanceGrade[] = (result.conformance ?? []).map((c) => ({ ...c }));
  const soakRules: SoakRuleGrade[] = (result.soak?.rules ?? []).map((r) => ({ ...r }));

  const failures: Failure[] = [];
  for (const r of rows) {
    if (r.band !== 'fail') continue;
    const shown = formatValue(r.value, r.unit);
    failures.push({
      kind: 'metric',
      key: r.key,
      title: r.title,
      message: Number.isFinite(r.value ?? Number.NaN)
        ? `${shown} is worse than qualified ${thresholdText(r.thresholds.qualified, r.direction, true, r.unit)}`
        : `the measured value ${shown} is not a number`,
      evidence: r.evidence,
    });
  }
  for (const c of checks) {
    if (c.passed !== false || c.threshold === null) continue;
    failures.push({
      kind: 'check',
      key: c.key,
      title: c.title,
      message: `${formatValue(c.value, c.unit)} does not meet ${thresholdText(c.threshold, c.direction, c.inclusive, c.unit)}${c.suite ? ` (${c.suite})` : ''}`,
      evidence: c.evidence,
    });
  }
  for (const c of conformance) {
    if (!c.passed) {
      failures.push({
        kind: 'conformance',
        key: c.id,
        title: c.title,
        message: c.notRun ? 'not run' : `violates: ${c.rule}`,
        evidence: c.evidence,
      });
    }
  }
  for (const r of soakRules) {
    if (!r.passed)
      failures.push({
        kind: 'soak-rule',
        key: r.rule,
        title: r.rule,
        message: 'rule broken',
        evidence: r.evidence,
      });
  }

  const invalidReasons = [...result.invalidReasons];
  if (!result.valid && invalidReasons.length === 0)
    invalidReasons.push('the run was marked invalid without a reason');
  if (result.capacity && !result.capacity.harnessValid) {
    const why = 'the harness itself saturated during the capacity ramp, so its peak is not the connector’s';
    if (!invalidReasons.includes(why)) invalidReasons.push(why);
  }
  const measuredAnything =
    rows.some((r) => r.band !== 'not_measured') ||
    checks.some((c) => c.value !== null) ||
    conformance.length > 0 ||
    soakRules.length > 0;
  if (!measuredAnything)
    invalidReasons.push('the run measured nothing: no metric, check or conformance case');

  const verdict: Verdict = invalidReasons.length > 0 ? 'invalid' : failures.length > 0 ? 'fail' : 'pass';
  if (verdict === 'invalid') {
    failures.unshift(
      ...invalidReasons.map((reason) => ({
        kind: 'run' as const,
        key: 'run.valid',
        title: 'Run validity',
        message: reason,
        evidence: reason,
      })),
    );
  }

  const metricCounts: Record<Band, number> = { fail: 0, qualified: 0, average: 0, best: 0, not_measured: 0 };
  for (const r of rows) metricCounts[r.band]++;
  return {
    rows,
    checks,
    conformance,
    soakRules,
    verdict,
    exitCode: VERDICT_EXIT_CODE[verdict],
    failures,
    invalidReasons,
    warnings,
    diagnoses: [...(result.connectorHealth?.diagnoses ?? [])],
    ...(result.interrupted ? { interrupted: { ...result.interrupted } } : {}),
    counts: {
      metrics: metricCounts,
      checks: {
        passed: checks.filter((c) => c.passed === true).length,
        failed: checks.filter((c) => c.passed === false).length,
        notMeasured: checks.filter((c) => c.value === null).length,
      },
      conformance: {
        passed: conformance.filter((c) => c.passed).length,
        failed: conformance.filter((c) => !c.passed).length,
      },
      soakRules: {
        passed: soakRules.filter((r) => r.passed).length,
        failed: soakRules.filter((r) => !r.passed).length,
      },
    },
  };
}

/** A one-line account of a verdict for logs and summaries: `PASS · 5 metrics graded, 0 failed …`. */
export function verdictLine(sheet: GradeSheet): string {
  const m = sheet.counts.metrics;
  const graded = m.fail + m.qualified + m.average + m.best;
  const parts = [
    `${graded} of ${sheet.rows.length} metrics graded (${m.best} best, ${m.average} average, ${m.qualified} qualified, ${m.fail} fail)`,
    `checks ${sheet.counts.checks.passed} passed, ${sheet.counts.checks.failed} failed`,
  ];
  if (sheet.conformance.length > 0) {
    parts.push(`conformance ${sheet.counts.conformance.passed}/${sheet.conformance.length} passed`);
  }
  if (sheet.soakRules.length > 0) {
    parts.push(`soak rules ${sheet.counts.soakRules.passed}/${sheet.soakRules.length} held`);
  }
  return `${sheet.verdict.toUpperCase()} · ${parts.join(' · ')}`;
}
