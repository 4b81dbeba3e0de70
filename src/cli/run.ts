import { basename, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadScenario } from '../config/index.js';
import { WacrmError } from '../errors.js';
import { runScenario } from '../run/runner.js';
import { defaultWorkers, MAX_WORKERS, MOCK_DEFAULT_PORTS } from '../run/stack.js';
import { suiteReads } from '../run/suites/index.js';
import { addCredentialOptions, type CredentialFlags, credentialsFor, renderEnvFile } from './credentials.js';
import type { Io } from './io.js';
import { failIfInterrupted, failOn, finishRun, runConsole, runIdFor, stopOnSignal } from './run-output.js';

interface RunFlags extends CredentialFlags {
  connectorUrl?: string;
  printEnv?: boolean;
  out?: string;
  timeScale?: string;
  seed?: string;
  json?: boolean;
  whatsappPort?: string;
  crmPort?: string;
  workers?: string;
  color?: boolean;
  quiet?: boolean;
}

const DEFAULT_SCENARIO = 'scenarios/default.yaml';

function positiveNumber(flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (
    text.trim() === '' ||
    !Number.isFinite(n) ||
    n < (integer ? 0 : 1) ||
    (integer && !Number.isSafeInteger(n))
  ) {
    throw new WacrmError(
      'WACRM_USAGE',
      `${flag} must be ${integer ? 'a whole number ≥ 0' : 'a number ≥ 1'}, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

/** `--workers`: a whole number 1…MAX_WORKERS, or the machine's default. */
export function workerCount(text: string | undefined): number {
  if (text === undefined) return defaultWorkers();
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new WacrmError(
      'WACRM_USAGE',
      `--workers must be a whole number from 1 to ${MAX_WORKERS}, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

/** `wacrm run [SCENARIO...]`: run scenarios against the mocks and a connector, grade, write the reports. */
export function registerRunCommand(program: Command, io: Io): void {
  const cmd = program
    .command('run')
    .description('run scenarios against the mocks and the connector, grade them, and write the reports')
    .argument('[scenario...]', `scenario files (default: ${DEFAULT_SCENARIO}, the acceptance suite)`)
    .option(
      '--connector-url <url>',
      'test an external connector at this base URL instead of the reference one',
    )
    .option('--out <dir>', 'report directory (default: reports/<run-id>)')
    .option('--time-scale <n>', 'compress soak timelines: N virtual seconds per real second')
    .option('--seed <n>', 'seed of all randomness (default: the scenario’s)')
    .option('--json', 'print summary.json to stdout instead of the grade sheet')
    .option('--whatsapp-port <port>', 'fixed port of the WhatsApp mock (an external connector points at it)')
    .option('--crm-port <port>', 'fixed port of the CRM mock')
    .option(
      '--workers <n>',
      `event loops the harness runs on: 1 = one thread; N = the mocks' webhooks leave from N − 1 sender threads (default ${defaultWorkers()}: this machine's cores minus one, 1–4)`,
    )
    .option(
      '--print-env',
      'print the .env your connector is configured from (stderr with --json) once the mocks are up',
    )
    .option('--color', 'colour the grade sheet')
    .option('--quiet', 'no progress lines');
  addCredentialOptions(cmd, 'external default: the mocks’ documented one; reference: fresh per run');
  cmd
    .addHelpText(
      'after',
      '\nExit codes: 0 every threshold passed, 1 a threshold failed, 2 bad usage or invalid scenario,\n' +
        '3 the run could not complete or was invalid (docs/exit-codes.md).\n' +
        'Reports: summary.json, junit.xml, summary.md, report.html, result.json and journal.ndjson in the run directory.',
    )
    .action(async (scenarios: string[], flags: RunFlags) => {
      const files = scenarios.length > 0 ? scenarios : [DEFAULT_SCENARIO];
      if (flags.out && files.length > 1) {
        throw new WacrmError(
          'WACRM_USAGE',
          '--out names one directory: give one scenario, or leave --out out',
        );
      }
      const seed = positiveNumber('--seed', flags.seed, true);
      const timeScale = positiveNumber('--time-scale', flags.timeScale, false);
      let whatsappPort = positiveNumber('--whatsapp-port', flags.whatsappPort, true);
      let crmPort = positiveNumber('--crm-port', flags.crmPort, true);
      const workers = workerCount(flags.workers);
      if (flags.connectorUrl !== undefined) {
        try {
          const u = new URL(flags.connectorUrl);
          if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
        } catch {
          throw new WacrmError(
            'WACRM_USAGE',
            `--connector-url must be an http(s) URL, got ${JSON.stringify(flags.connectorUrl)}`,
          );
        }
      }
      // Validate every scenario before running any, so a typo in the third fails fast.
      const loaded = [];
      for (const f of files) {
        loaded.push(
          await loadScenario(f, {
            suiteReads,
            env: io.env,
            ...(flags.connectorUrl !== undefined ? { connectorUrl: flags.connectorUrl } : {}),
          }),
        );
      }
      // First SIGINT/SIGTERM: stop starting flows and write the reports for what ran; a second
      // one ends the process at once (the reports of the interrupted run may then be missing).
      const stopped = stopOnSignal(io);
      // An external connector is configured once, for the mocks' documented ports.
      if (flags.connectorUrl !== undefined || loaded.some((l) => l.scenario.connector.url !== null)) {
        whatsappPort ??= MOCK_DEFAULT_PORTS.whatsapp;
        crmPort ??= MOCK_DEFAULT_PORTS.crm;
      }
      let worst = 0;
      for (const {
        file,
        scenario,
        acceptance,
        acceptanceFile,
        acceptanceBuiltIn,
        credentials: fromScenario,
      } of loaded) {
        if (stopped.aborted) break;
        const runId = runIdFor(scenario.name, new Date());
        const runDir = resolve(flags.out ?? join('reports', runId));
        const out = runConsole(io, flags.quiet === true);
        out.say(
          `wacrm run ${basename(file)} (${scenario.suites.length} suites) → ${relative(resolve('.'), runDir) || '.'}`,
        );
        const result = await runScenario({
          scenario,
          scenarioFile: file,
          acceptance,
          runId,
          runDir,
          wacrmVersion: program.version() ?? '0.0.0',
          nodeVersion: io.nodeVersion ?? 'unknown',
          ...(seed !== undefined ? { seed } : {}),
          ...(timeScale !== undefined ? { timeScale } : {}),
          ...(flags.connectorUrl ? { connectorUrl: flags.connectorUrl } : {}),
          ...(whatsappPort !== undefined ? { whatsappPort } : {}),
          ...(crmPort !== undefined ? { crmPort } : {}),
          workers,
          credentials: credentialsFor(flags, io.env, fromScenario),
          ...(flags.printEnv
            ? {
                onStack: (stack: Parameters<typeof renderEnvFile>[0]) => {
                  const say = flags.json ? io.err : io.out;
                  for (const line of renderEnvFile(stack).trimEnd().split('\n')) say(line);
                },
              }
            : {}),
          onProgress: out.onProgress,
          onLog: out.onLog,
          signal: stopped,
        });
        out.done();
        worst = Math.max(
          worst,
          await finishRun(io, runDir, result, acceptance, flags, {
            file: acceptanceFile,
            builtIn: acceptanceBuiltIn,
          }),
        );
        failIfInterrupted(result);
      }
      failOn(worst);
    });
}
