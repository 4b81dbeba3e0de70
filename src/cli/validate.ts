import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseDocument, stringify } from 'yaml';
import {
  ConfigError,
  type ConfigIssue,
  checkScenarioFile,
  formatIssue,
  loadAcceptanceTable,
} from '../config/index.js';
import { WacrmError } from '../errors.js';
import { suiteReads } from '../run/suites/index.js';
import type { Io } from './io.js';

interface ValidateFlags {
  printDefaults?: boolean;
  json?: boolean;
}

/** True when the file looks like an acceptance table (has `metrics:` and no `suites:`), so it is checked as one. */
async function looksLikeAcceptanceTable(file: string): Promise<boolean> {
  try {
    const doc = parseDocument(await readFile(file, 'utf8'));
    const top = doc.toJS() as Record<string, unknown> | null;
    return top !== null && typeof top === 'object' && 'metrics' in top && !('suites' in top);
  } catch {
    return false;
  }
}

/** Checks one file; returns its issues (empty when valid) and what to print with --print-defaults. */
async function checkFile(file: string): Promise<{ issues: ConfigIssue[]; resolved?: unknown; kind: string }> {
  if (await looksLikeAcceptanceTable(file)) {
    try {
      return { issues: [], resolved: await loadAcceptanceTable(file), kind: 'acceptance table' };
    } catch (err) {
      if (err instanceof ConfigError) return { issues: err.issues, kind: 'acceptance table' };
      throw err;
    }
  }
  const check = await checkScenarioFile(file, { suiteReads });
  return { issues: check.issues, resolved: check.loaded?.scenario, kind: 'scenario' };
}

/** `wacrm validate FILE…`: checks scenario files (and what they reference) without running them. */
export function registerValidateCommand(program: Command, io: Io): void {
  program
    .command('validate')
    .description(
      'check scenario (or acceptance table) files without running them; every error with FILE:LINE:COL',
    )
    .argument('<files...>', 'scenario files (.yaml or .json)')
    .option(
      '--print-defaults',
      'print each resolved scenario: defaults filled in, durations in ms, rates per minute',
    )
    .option('--json', 'with --print-defaults: print JSON instead of YAML')
    .addHelpText(
      'after',
      '\nExit code 0 when every file is valid, 2 when any is not (docs/exit-codes.md).\n' +
        'Example:\n  wacrm validate scenarios/*.yaml\n  wacrm validate --print-defaults scenarios/default.yaml',
    )
    .action(async (files: string[], flags: ValidateFlags) => {
      let bad = 0;
      for (const file of files) {
        let outcome: Awaited<ReturnType<typeof checkFile>>;
        try {
          outcome = await checkFile(file);
        } catch (err) {
          if (!(err instanceof WacrmError)) throw err;
          bad++;
          io.out(`${file}: ${err.message}`);
          continue;
        }
        if (outcome.issues.length > 0) {
          bad++;
          for (const issue of outcome.issues) io.out(formatIssue(issue));
          continue;
        }
        if (flags.printDefaults) {
          if (flags.json) io.out(JSON.stringify(outcome.resolved, null, 2));
          else
            io.out(
              `# ${file}: the resolved ${outcome.kind}\n${stringify(outcome.resolved, { lineWidth: 0 }).trimEnd()}`,
            );
        } else {
          io.out(`${file}: ok`);
        }
      }
      if (bad > 0) {
        throw new WacrmError(
          'WACRM_SCENARIO_INVALID',
          `${bad} of ${files.length} file${files.length === 1 ? '' : 's'} ${bad === 1 ? 'has' : 'have'} errors`,
          'docs/scenarios.md describes every field',
        );
      }
    });
}
