import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { baseUrl, collectRun } from '../collect/index.js';
import { WacrmError } from '../errors.js';
import { describeDistributed } from '../report/distributed.js';
import type { Io } from './io.js';
import { failOn, finishRun, runIdFor } from './run-output.js';

interface CollectFlags {
  whatsapp: string;
  crm: string;
  k6Summary?: string[];
  scenario: string;
  out?: string;
  json?: boolean;
  color?: boolean;
}

const DEFAULT_SCENARIO = 'scenarios/step-ramp.yaml';

/** `wacrm collect --whatsapp URL --crm URL`: grades a k6 run from the mocks' journals (docs/distributed.md). */
export function registerCollectCommand(program: Command, io: Io): void {
  program
    .command('collect')
    .description(
      "grade a load run k6 generated (a script from `wacrm export k6`) from the mocks' journals: the same result, grades and reports as `wacrm run`",
    )
    .requiredOption('--whatsapp <url>', "the WhatsApp mock's base URL (e.g. http://127.0.0.1:4010)")
    .requiredOption('--crm <url>', "the CRM mock's base URL (e.g. http://127.0.0.1:4020)")
    .option(
      '--k6-summary <file>',
      'k6 --summary-export (or handleSummary) JSON: iterations, dropped_iterations and http_req_failed go into the report; repeat it for each k6-operator runner',
      (v: string, acc: string[] | undefined) => [...(acc ?? []), v],
    )
    .option('--scenario <file>', 'the scenario the k6 script was exported from', DEFAULT_SCENARIO)
    .option('--out <dir>', 'report directory (default: reports/<run-id>)')
    .option('--json', 'print summary.json to stdout instead of the grade sheet')
    .option('--color', 'colour the grade sheet')
    .addHelpText(
      'after',
      "\nWhat is graded: the scenario's capacity suite, step by step, from the flows the journals name\n" +
        '(each k6 iteration carries its flow number and intended time in its ids). Other suites, connector\n' +
        'CPU and harness cost are reported as not measured. Without --k6-summary, dropped iterations and\n' +
        'iterations no mock saw cannot be counted.\n' +
        '\nExample:\n  k6 run --summary-export k6-summary.json k6/script.ts\n' +
        '  wacrm collect --whatsapp http://127.0.0.1:4010 --crm http://127.0.0.1:4020 \\\n' +
        '    --scenario scenarios/step-ramp.yaml --k6-summary k6-summary.json\n' +
        '\nExit codes: 0 pass, 1 a threshold failed, 2 bad input (unreachable or foreign URL, empty journals,\n' +
        'bad summary file), 3 the run is invalid (docs/exit-codes.md, docs/distributed.md).',
    )
    .action(async (flags: CollectFlags) => {
      const whatsappUrl = baseUrl('--whatsapp', flags.whatsapp);
      const crmUrl = baseUrl('--crm', flags.crm);
      if (whatsappUrl === crmUrl) {
        throw new WacrmError(
          'WACRM_USAGE',
          '--whatsapp and --crm name the same URL: each takes its own mock',
        );
      }
      const now = new Date();
      const collected = await collectRun({
        whatsappUrl,
        crmUrl,
        scenarioFile: flags.scenario,
        k6SummaryFiles: flags.k6Summary ?? [],
        wacrmVersion: program.version() ?? '0.0.0',
        nodeVersion: io.nodeVersion ?? 'unknown',
        runId: `${runIdFor(flags.scenario.replace(/^.*\//, '').replace(/\.[a-z]+$/i, ''), now, 32)}-collect`,
      });
      const { result } = collected;
      const runDir = resolve(flags.out ?? join('reports', result.runId));
      try {
        await mkdir(runDir, { recursive: true });
      } catch (err) {
        throw new WacrmError(
          'WACRM_REPORT_WRITE_FAILED',
          `cannot create the report directory ${runDir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
          'check that the directory is writable and the disk is not full',
        );
      }
      if (!flags.json && result.distributed) {
        for (const line of describeDistributed(result.distributed)) io.err(`  ${line}`);
      }
      const exitCode = await finishRun(io, runDir, result, collected.acceptance, flags, {
        file: collected.acceptanceFile,
        builtIn: collected.acceptanceBuiltIn,
      });
      failOn(exitCode);
    });
}
