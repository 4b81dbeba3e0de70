import { writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { WacrmError } from '../errors.js';
import { grade } from '../grading/index.js';
import { renderGradeTable, renderSummaryJson, writeReports } from '../report/index.js';
import { resumeRun } from '../run/resume.js';
import type { SuiteProgress } from '../run/suites.js';
import type { Io } from './io.js';
import { createProgress, type Progress } from './progress.js';

interface ResumeFlags {
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
}

/** `wacrm resume RUN_DIR`: continue a soak whose harness died, then grade and report the whole run. */
export function registerResumeCommand(program: Command, io: Io): void {
  program
    .command('resume')
    .description('continue the soak of a run whose harness died, then grade and report the whole run')
    .argument('<run-dir>', 'the directory the interrupted `wacrm run` wrote (its --out)')
    .option('--json', 'print summary.json to stdout instead of the grade sheet')
    .option('--color', 'colour the grade sheet')
    .option('--quiet', 'no progress lines')
    .addHelpText(
      'after',
      '\nOnly the soak is resumed: suites that finished before the crash are taken from the journal.\n' +
        'The same exit codes as `wacrm run`; 2 when RUN_DIR is not a run with a soak to resume.',
    )
    .action(async (runDir: string, flags: ResumeFlags) => {
      const say = (line: string) => {
        if (!flags.quiet) io.err(line);
      };
      let progress: Progress | undefined;
      let progressSuite = '';
      const onProgress = (p: SuiteProgress) => {
        if (flags.quiet) return;
        if (p.suite !== progressSuite) {
          progress?.done();
          progressSuite = p.suite;
          progress = createProgress({ ...io, out: io.err }, { label: p.suite });
        }
        progress?.update({
          done: p.done,
          step: p.label,
          ...(p.p95Ms !== null ? { p95Ms: p.p95Ms } : {}),
          errors: p.errors,
        });
      };
      say(`wacrm resume ${relative(resolve('.'), resolve(runDir)) || '.'}`);
      const {
        result,
        acceptance,
        runDir: dir,
      } = await resumeRun({
        runDir,
        wacrmVersion: program.version() ?? '0.0.0',
        nodeVersion: io.nodeVersion ?? 'unknown',
        onProgress,
        onLog: (line) => {
          if (io.isTty) {
            progress?.done();
            progress = undefined;
            progressSuite = '';
          }
          say(`  ${line}`);
        },
      });
      progress?.done();
      result.acceptance = acceptance;
      const sheet = grade(result, acceptance);
      await writeFile(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
      const written = await writeReports(dir, result, sheet);
      if (flags.json) io.out(renderSummaryJson(result, sheet).trimEnd());
      else {
        io.out(renderGradeTable(sheet, { color: flags.color === true }));
        io.out(`reports: ${written.map((w) => relative(resolve('.'), w)).join(', ')}`);
      }
      if (sheet.exitCode === 3)
        throw new WacrmError('WACRM_RUN_INVALID', 'the run is invalid (see the reasons above)');
      if (sheet.exitCode !== 0)
        throw new WacrmError('WACRM_THRESHOLD_FAILED', 'a threshold failed (see the grade sheet above)');
    });
}
