import { writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { AcceptanceTable } from '../config/index.js';
import { WacrmError } from '../errors.js';
import { grade } from '../grading/index.js';
import {
  renderCapacityLine,
  renderCostTable,
  renderGradeTable,
  renderSummaryJson,
  writeReports,
} from '../report/index.js';
import { acceptanceLine, describeWiring } from '../report/wiring.js';
import type { AcceptanceSource, RunResult } from '../result/run-result.js';
import type { SuiteProgress } from '../run/suites/index.js';
import type { Io } from './io.js';
import { createProgress, type Progress } from './progress.js';

/**
 * What `wacrm run` and `wacrm resume` show while a run plays: a progress line per suite on stderr
 * (stdout stays the grade sheet or --json) and the run's log lines between them.
 */
export function runConsole(io: Io, quiet: boolean) {
  let progress: Progress | undefined;
  let progressSuite = '';
  const say = (line: string) => {
    if (!quiet) io.err(line);
  };
  return {
    say,
    onProgress(p: SuiteProgress): void {
      if (quiet) return;
      // In a log the suite's own step lines are the progress: one line per step, in one format.
      if (p.stepsLogged && !(io.isTty && io.env['TERM'] !== 'dumb')) return;
      if (p.suite !== progressSuite) {
        progress?.done();
        progressSuite = p.suite;
        progress = createProgress(
          { ...io, out: io.err },
          { label: p.suite, ...(p.total > 0 ? { total: p.total } : {}) },
        );
      }
      progress?.update({
        done: p.done,
        step: p.label,
        ...(p.p95Ms !== null ? { p95Ms: p.p95Ms } : {}),
        errors: p.errors,
      });
    },
    onLog(line: string): void {
      if (io.isTty) {
        // A live progress line would overwrite the log line: end it first.
        progress?.done();
        progress = undefined;
        progressSuite = '';
      }
      say(`  ${line}`);
    },
    done(): void {
      progress?.done();
    },
  };
}

/**
 * Grades a finished run, writes result.json and every report into `runDir`, prints the grade sheet
 * (or summary.json with `json`), and returns the verdict's exit code.
 */
export async function finishRun(
  io: Io,
  runDir: string,
  result: RunResult,
  acceptance: AcceptanceTable,
  flags: { json?: boolean; color?: boolean },
  acceptanceSource?: AcceptanceSource,
): Promise<number> {
  result.acceptance = acceptance;
  if (acceptanceSource) result.acceptanceSource = acceptanceSource;
  const sheet = grade(result, acceptance);
  await writeFile(join(runDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  const written = await writeReports(runDir, result, sheet);
  if (flags.json) io.out(renderSummaryJson(result, sheet).trimEnd());
  else {
    io.out(renderGradeTable(sheet, { color: flags.color === true }));
    const capacity = renderCapacityLine(result);
    if (capacity !== '') io.out(capacity);
    const cost = renderCostTable(result, { color: flags.color === true });
    if (cost !== '') io.out(cost);
    const wiring = result.environment.connector.external;
    if (wiring) for (const line of describeWiring(wiring)) io.out(line);
    const line = acceptanceLine(result);
    if (line) io.out(line);
    io.out(`reports: ${written.map((w) => relative(resolve('.'), w)).join(', ')}`);
  }
  return sheet.exitCode;
}

/** Turns the worst exit code of the runs into the CLI's error (0 returns quietly). */
export function failOn(exitCode: number): void {
  if (exitCode === 3) throw new WacrmError('WACRM_RUN_INVALID', 'the run is invalid (see the reasons above)');
  if (exitCode !== 0) {
    throw new WacrmError('WACRM_THRESHOLD_FAILED', 'a threshold failed (see the grade sheet above)');
  }
}

/**
 * Graceful stop for a run: the first SIGINT/SIGTERM aborts the returned signal (no new flows; the
 * reports are written for what ran); a second one ends the process at once (130 / 143).
 */
export function stopOnSignal(io: Io): AbortSignal {
  const stop = new AbortController();
  io.onStop((signal) => {
    stop.abort(signal);
    io.err(`wacrm: ${signal}: finishing the flows in flight and writing the reports (again to stop at once)`);
    io.onStop((again) => io.exit?.(again === 'SIGTERM' ? 143 : 130));
  });
  return stop.signal;
}

/** Ends an interrupted run with its exit code (130 for SIGINT, 143 for SIGTERM) once its reports are written. */
export function failIfInterrupted(result: RunResult): void {
  if (!result.interrupted) return;
  throw new WacrmError(
    result.interrupted.signal === 'SIGTERM' ? 'WACRM_TERMINATED' : 'WACRM_INTERRUPTED',
    `the run was interrupted at ${result.interrupted.at}; the reports cover what ran`,
  );
}

/**
 * A run's id: its start time (UTC, to the second) and the scenario's name as a slug of at most
 * `slugMax` characters, so report directories sort by time and say what ran.
 */
export function runIdFor(name: string, at: Date, slugMax = 40): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, slugMax) || 'run';
  return `${stamp}-${slug}`;
}
