import type { Command } from 'commander';
import { WacrmError } from '../errors.js';
import { compareSummaries, readSummary, renderComparison } from '../report/index.js';
import type { Io } from './io.js';

interface CompareFlags {
  all?: boolean;
  json?: boolean;
  color?: boolean;
}

/** `wacrm compare RUN_A RUN_B`: what got better or worse from A (baseline) to B. */
export function registerCompareCommand(program: Command, io: Io): void {
  program
    .command('compare')
    .description('compare two runs (A = baseline, B = candidate): band and value changes, regressions')
    .argument('<run-a>', 'baseline run directory (with summary.json)')
    .argument('<run-b>', 'candidate run directory (with summary.json)')
    .option('--all', 'also list checks and conformance cases that did not change')
    .option('--json', 'print the comparison as JSON')
    .option('--color', 'colour the table')
    .addHelpText(
      'after',
      '\nExit code 1 when any metric band dropped, a passing check or conformance case now fails, or the verdict\n' +
        'went from pass to fail/invalid; 0 otherwise; 2 when a directory is not a wacrm run.',
    )
    .action(async (runA: string, runB: string, flags: CompareFlags) => {
      const [a, b] = await Promise.all([readSummary(runA), readSummary(runB)]);
      const comparison = compareSummaries(a, b);
      if (flags.json) io.out(JSON.stringify(comparison, null, 2));
      else io.out(renderComparison(comparison, { color: flags.color === true, all: flags.all === true }));
      if (comparison.regressions > 0) {
        const list = comparison.rows
          .filter((r) => r.regression)
          .map((r) => r.key)
          .join(', ');
        throw new WacrmError(
          'WACRM_REGRESSION',
          `${comparison.regressions} regression${comparison.regressions === 1 ? '' : 's'} from ${runA} to ${runB}: ${list}`,
        );
      }
    });
}
