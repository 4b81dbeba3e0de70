import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { resumeRun } from '../run/resume.js';
import type { Io } from './io.js';
import { workerCount } from './run.js';
import { failOn, finishRun, runConsole } from './run-output.js';

interface ResumeFlags {
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  workers?: string;
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
    .option('--workers <n>', 'event loops the harness runs on, as for `wacrm run` (default: from the cores)')
    .addHelpText(
      'after',
      '\nOnly the soak is resumed: suites that finished before the crash are taken from the journal.\n' +
        'The same exit codes as `wacrm run`; 2 when RUN_DIR is not a run with a soak to resume.',
    )
    .action(async (runDir: string, flags: ResumeFlags) => {
      const workers = workerCount(flags.workers);
      const out = runConsole(io, flags.quiet === true);
      out.say(`wacrm resume ${relative(resolve('.'), resolve(runDir)) || '.'}`);
      const {
        result,
        acceptance,
        acceptanceSource,
        runDir: dir,
      } = await resumeRun({
        runDir,
        wacrmVersion: program.version() ?? '0.0.0',
        nodeVersion: io.nodeVersion ?? 'unknown',
        onProgress: out.onProgress,
        onLog: out.onLog,
        env: io.env,
        workers,
      });
      out.done();
      failOn(await finishRun(io, dir, result, acceptance, flags, acceptanceSource));
    });
}
