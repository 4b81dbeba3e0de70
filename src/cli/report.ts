import { join } from 'node:path';
import type { Command } from 'commander';
import { type AcceptanceTable, defaultAcceptancePath, loadAcceptanceTable } from '../config/index.js';
import { WacrmError } from '../errors.js';
import { grade } from '../grading/index.js';
import { readRunResult, renderGradeTable, writeReports } from '../report/index.js';
import type { Io } from './io.js';

interface ReportFlags {
  acceptance?: string;
  color?: boolean;
  allChecks?: boolean;
}

/** `wacrm report RUN_DIR`: re-grades RUN_DIR/result.json and re-renders every report file. */
export function registerReportCommand(program: Command, io: Io): void {
  program
    .command('report')
    .description(
      're-render the reports of a run (summary.json, junit.xml, summary.md, report.html) from its result.json',
    )
    .argument('<run-dir>', 'a run directory (reports/<run-id>)')
    .option('--acceptance <file>', 're-grade against this acceptance table instead of the one the run used')
    .option('--color', 'colour the grade sheet')
    .option('--all-checks', 'list every measured check, not only failed ones')
    .addHelpText(
      'after',
      '\nExit code: 0 pass, 1 a threshold failed, 3 the run was invalid, 2 bad directory (docs/exit-codes.md).',
    )
    .action(async (runDir: string, flags: ReportFlags) => {
      const result = await readRunResult(runDir);
      let table: AcceptanceTable;
      let source: string;
      if (flags.acceptance) {
        table = await loadAcceptanceTable(flags.acceptance);
        source = flags.acceptance;
      } else if (result.acceptance) {
        table = result.acceptance;
        source = 'the table recorded with the run';
      } else {
        source = await defaultAcceptancePath();
        table = await loadAcceptanceTable(source);
      }
      const sheet = grade(result, table);
      const written = await writeReports(runDir, result, sheet);
      io.out(renderGradeTable(sheet, { color: flags.color === true, allChecks: flags.allChecks === true }));
      io.out(`graded against ${source}`);
      io.out(`wrote ${written.map((f) => f.replace(`${join(runDir)}/`, '')).join(', ')} in ${runDir}`);
      if (sheet.verdict === 'invalid') {
        throw new WacrmError('WACRM_RUN_INVALID', `the run is invalid: ${sheet.invalidReasons.join('; ')}`);
      }
      if (sheet.verdict === 'fail') {
        throw new WacrmError(
          'WACRM_THRESHOLD_FAILED',
          `${sheet.failures.length} item${sheet.failures.length === 1 ? '' : 's'} failed (see above or ${join(runDir, 'summary.md')})`,
        );
      }
    });
}
