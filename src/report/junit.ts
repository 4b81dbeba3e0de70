import { comparator } from '../grading/bands.js';
import { formatValue } from '../grading/format.js';
import type { GradeSheet } from '../grading/grade.js';
import type { RunResult } from '../result/run-result.js';
import { escapeXml } from './escape.js';

/**
 * junit.xml for CI test reporters: one test case per graded metric, per suite check, per
 * conformance case and per soak rule, plus one for the run's validity. A failure carries the
 * evidence as its text; a metric or check the run did not measure is `<skipped/>`; an invalid run
 * is an `<error>` (the harness, not the connector, is in doubt).
 */

interface Case {
  classname: string;
  name: string;
  outcome: { kind: 'pass' } | { kind: 'failure' | 'error' | 'skipped'; message: string; body?: string };
  out?: string;
}

function caseXml(c: Case): string {
  const open = `    <testcase classname="${escapeXml(c.classname)}" name="${escapeXml(c.name)}" time="0">`;
  const lines = [open];
  const o = c.outcome;
  if (o.kind === 'skipped') lines.push(`      <skipped message="${escapeXml(o.message)}"/>`);
  else if (o.kind !== 'pass') {
    const type = o.kind === 'failure' ? 'threshold' : 'invalid-run';
    lines.push(
      `      <${o.kind} message="${escapeXml(o.message)}" type="${type}">${escapeXml(o.body ?? o.message)}</${o.kind}>`,
    );
  }
  if (c.out) lines.push(`      <system-out>${escapeXml(c.out)}</system-out>`);
  lines.push('    </testcase>');
  return lines.join('\n');
}

function suiteXml(
  name: string,
  cases: Case[],
  timestamp: string,
  properties?: Record<string, string>,
): string {
  const count = (k: string) => cases.filter((c) => c.outcome.kind === k).length;
  const head = `  <testsuite name="${escapeXml(name)}" tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="0" timestamp="${escapeXml(timestamp)}">`;
  const props = properties
    ? [
        '    <properties>',
        ...Object.entries(properties).map(
          ([k, v]) => `      <property name="${escapeXml(k)}" value="${escapeXml(v)}"/>`,
        ),
        '    </properties>',
      ]
    : [];
  return [head, ...props, ...cases.map(caseXml), '  </testsuite>'].join('\n');
}

/** Renders junit.xml for a graded run. */
export function renderJunit(result: RunResult, sheet: GradeSheet): string {
  const timestamp = result.startedAt.replace(/\.\d+Z$/, 'Z');
  const metricCases: Case[] = sheet.rows.map((r) => {
    const thresholds = `qualified ${comparator(r.direction, true)} ${formatValue(r.thresholds.qualified, r.unit)}, average ${formatValue(r.thresholds.average, r.unit)}, best ${formatValue(r.thresholds.best, r.unit)}`;
    if (r.band === 'not_measured') {
      return {
        classname: 'wacrm.metrics',
        name: r.key,
        outcome: { kind: 'skipped', message: `not measured: ${r.evidence}` },
      };
    }
    const out = `${r.title}: ${formatValue(r.value, r.unit)} — band ${r.band} (${thresholds})\n${r.evidence}`;
    if (r.band === 'fail') {
      const failure = sheet.failures.find((f) => f.kind === 'metric' && f.key === r.key);
      return {
        classname: 'wacrm.metrics',
        name: r.key,
        outcome: {
          kind: 'failure',
          message: failure?.message ?? 'worse than qualified',
          body: `${r.title}\n${r.evidence}`,
        },
        out,
      };
    }
    return { classname: 'wacrm.metrics', name: r.key, outcome: { kind: 'pass' }, out };
  });

  const checkCases: Case[] = sheet.checks.map((c) => {
    const classname = `wacrm.checks${c.suite ? `.${c.suite}` : ''}`;
    if (c.value === null)
      return { classname, name: c.key, outcome: { kind: 'skipped', message: c.evidence } };
    if (c.threshold === null) {
      return {
        classname,
        name: c.key,
        outcome: { kind: 'skipped', message: 'no threshold in the acceptance table' },
        out: `${formatValue(c.value, c.unit)}: ${c.evidence}`,
      };
    }
    const out = `${c.title}: ${formatValue(c.value, c.unit)} (needs ${comparator(c.direction, c.inclusive)} ${formatValue(c.threshold, c.unit)})\n${c.evidence}`;
    if (c.passed === false) {
      const failure = sheet.failures.find((f) => f.kind === 'check' && f.key === c.key);
      return {
        classname,
        name: c.key,
        outcome: {
          kind: 'failure',
          message: failure?.message ?? 'threshold not met',
          body: `${c.title}\n${c.evidence}`,
        },
        out,
      };
    }
    return { classname, name: c.key, outcome: { kind: 'pass' }, out };
  });

  const conformanceCases: Case[] = sheet.conformance.map((c) => ({
    classname: 'wacrm.conformance',
    name: c.id,
    outcome: c.notRun
      ? { kind: 'skipped', message: c.evidence }
      : c.passed
        ? { kind: 'pass' }
        : { kind: 'failure', message: `${c.title}: ${c.rule}`, body: `${c.evidence}\nsource: ${c.source}` },
    out: `${c.title}\nrule: ${c.rule}\nevidence: ${c.evidence}\nsource: ${c.source}`,
  }));

  const soakCases: Case[] = sheet.soakRules.map((r) => ({
    classname: 'wacrm.soak',
    name: r.rule,
    outcome: r.passed ? { kind: 'pass' } : { kind: 'failure', message: r.rule, body: r.evidence },
    out: r.evidence,
  }));

  const runCase: Case = {
    classname: 'wacrm.run',
    name: 'valid',
    outcome:
      sheet.verdict === 'invalid'
        ? {
            kind: 'error',
            message: sheet.invalidReasons[0] ?? 'invalid run',
            body: sheet.invalidReasons.join('\n'),
          }
        : { kind: 'pass' },
    out: `verdict ${sheet.verdict}, exit code ${sheet.exitCode}`,
  };

  const groups: Array<[string, Case[]]> = [
    ['wacrm.run', [runCase]],
    ['wacrm.metrics', metricCases],
    ['wacrm.checks', checkCases],
  ];
  if (conformanceCases.length > 0) groups.push(['wacrm.conformance', conformanceCases]);
  if (soakCases.length > 0) groups.push(['wacrm.soak', soakCases]);

  const all = groups.flatMap(([, cases]) => cases);
  const count = (k: string) => all.filter((c) => c.outcome.kind === k).length;
  const properties = {
    runId: result.runId,
    scenario: result.scenario.name,
    scenarioFile: result.scenario.file,
    seed: String(result.seed),
    verdict: sheet.verdict,
    exitCode: String(sheet.exitCode),
    wacrmVersion: result.environment.wacrmVersion,
  };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(`wacrm ${result.scenario.name}`)}" tests="${all.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${(result.durationMs / 1000).toFixed(3)}" timestamp="${escapeXml(timestamp)}">`,
    ...groups.map(([name, cases], i) => suiteXml(name, cases, timestamp, i === 0 ? properties : undefined)),
    '</testsuites>',
    '',
  ].join('\n');
}
