import { randomBytes } from 'node:crypto';
import { basename, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadScenario } from '../config/index.js';
import { conformanceRunResult, runConformanceSuite, selectCases } from '../conformance/index.js';
import { WacrmError } from '../errors.js';
import { grade } from '../grading/index.js';
import { writeReports } from '../report/index.js';
import type { RunResult } from '../result/run-result.js';
import { runScenario } from '../run/runner.js';
import { MOCK_DEFAULT_PORTS } from '../run/stack.js';
import { suiteReads } from '../run/suites/index.js';
import { renderCaseTable } from './conformance.js';
import { addCredentialOptions, type CredentialFlags, credentialsFor } from './credentials.js';
import type { Io } from './io.js';
import { failIfInterrupted, failOn, finishRun, runConsole, stopOnSignal } from './run-output.js';

interface CertifyFlags extends CredentialFlags {
  connectorUrl?: string;
  out?: string;
  whatsappPort?: string;
  crmPort?: string;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  only: string[];
  skip: string[];
}

/** The scenario `wacrm certify` grades with when none is given: sized for an unknown connector. */
export const CERTIFY_DEFAULT_SCENARIO = 'scenarios/vendor.yaml';

function usage(message: string): WacrmError {
  return new WacrmError('WACRM_USAGE', message, 'run `wacrm certify --help` for the flags');
}

function port(flag: string, text: string | undefined, dflt: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > 65535) {
    throw usage(`${flag} must be a port 0-65535, got ${JSON.stringify(text)}`);
  }
  return n;
}

function ids(list: readonly string[]): string[] {
  return list
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/**
 * One result for both halves: the run's suites with the conformance cases beside them, valid only
 * when both were. Grading it gives one verdict, so the exit code comes from both.
 */
export function certifiedResult(run: RunResult, conformance: RunResult): RunResult {
  const cases = conformance.conformance ?? [];
  return {
    ...run,
    scenario: {
      ...run.scenario,
      description: `${run.scenario.description ?? run.scenario.name}; with the conformance kit (${cases.length} cases)`,
    },
    startedAt: conformance.startedAt,
    durationMs: run.durationMs + conformance.durationMs,
    valid: run.valid && conformance.valid,
    invalidReasons: [...conformance.invalidReasons.map((r) => `conformance: ${r}`), ...run.invalidReasons],
    conformance: cases,
  };
}

/** `wacrm certify --connector-url URL [SCENARIO]`: conformance, then the graded run, one grade sheet. */
export function registerCertifyCommand(program: Command, io: Io): void {
  const collect = (v: string, acc: string[]) => [...acc, v];
  const cmd = program
    .command('certify')
    .description(
      'check an external connector case by case, then grade it under load: one grade sheet with both',
    )
    .argument('[scenario]', `the scenario of the graded run (default: ${CERTIFY_DEFAULT_SCENARIO})`)
    .requiredOption('--connector-url <url>', 'base URL of the connector under test (already running)')
    .option('--out <dir>', 'report directory (default: reports/<run-id>)')
    .option('--whatsapp-port <port>', `port of the WhatsApp mock (default ${MOCK_DEFAULT_PORTS.whatsapp})`)
    .option('--crm-port <port>', `port of the CRM mock (default ${MOCK_DEFAULT_PORTS.crm})`)
    .option('--json', 'print summary.json to stdout instead of the grade sheet')
    .option('--color', 'colour the grade sheet')
    .option('--quiet', 'no progress lines')
    .option('--only <ids>', 'run only these conformance cases (comma-separated, repeatable)', collect, [])
    .option('--skip <ids>', 'leave these conformance cases out (comma-separated, repeatable)', collect, []);
  addCredentialOptions(cmd, 'default: the mocks’ documented one');
  cmd
    .addHelpText(
      'after',
      '\nRuns `wacrm conformance` and then `wacrm run` (preflight first) against the same connector, with\n' +
        'the same ports and credentials, and writes one set of reports with both: the conformance cases\n' +
        'and the graded suites in summary.json, junit.xml, summary.md and report.html.\n' +
        'Exit codes: 0 every case and threshold passed, 1 a case or threshold failed, 2 bad usage or\n' +
        'invalid scenario, 3 the connector could not be reached, failed the preflight, or the run was invalid.',
    )
    .action(async (scenarioArg: string | undefined, flags: CertifyFlags) => {
      const url = flags.connectorUrl as string;
      try {
        const u = new URL(url);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
      } catch {
        throw usage(`--connector-url must be an http(s) URL, got ${JSON.stringify(url)}`);
      }
      const whatsappPort = port('--whatsapp-port', flags.whatsappPort, MOCK_DEFAULT_PORTS.whatsapp);
      const crmPort = port('--crm-port', flags.crmPort, MOCK_DEFAULT_PORTS.crm);
      const only = ids(flags.only);
      const skip = ids(flags.skip);
      selectCases(only, skip); // unknown case ids are a usage error before anything starts
      const file = scenarioArg ?? CERTIFY_DEFAULT_SCENARIO;
      // The scenario is checked before anything starts: a typo costs no conformance run.
      const {
        scenario,
        acceptance,
        acceptanceFile,
        acceptanceBuiltIn,
        credentials: fromScenario,
      } = await loadScenario(file, {
        suiteReads,
        env: io.env,
        connectorUrl: url,
      });
      const credentials = credentialsFor(flags, io.env, fromScenario);
      const startedAt = new Date();
      const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
      const runId = `${stamp}-certify-${randomBytes(2).toString('hex')}`;
      const runDir = resolve(flags.out ?? join('reports', runId));
      const out = runConsole(io, flags.quiet === true);
      const stopped = stopOnSignal(io);
      out.say(
        `wacrm certify: the connector at ${url}: conformance, then ${basename(file)} → ${relative(resolve('.'), runDir) || '.'}`,
      );

      // 1. Conformance, on the mocks' ports and credentials the run uses next.
      const kit = await runConformanceSuite({
        connector: {
          kind: 'external',
          url,
          whatsappWebhookPath: scenario.connector.whatsappWebhookPath,
          crmWebhookPath: scenario.connector.crmWebhookPath,
        },
        only,
        skip,
        whatsappPort,
        crmPort,
        credentials,
        crmPlan: scenario.mocks.crm.plan,
        crmDialect: scenario.mocks.crm.dialect,
        onProgress: (line) => out.say(line),
        onCase: (r) =>
          out.say(
            `  ${r.notRun ? 'NOT RUN' : r.passed ? 'pass' : 'FAIL'} ${r.id} (${(r.durationMs / 1000).toFixed(1)} s): ${r.evidence}`,
          ),
      });
      const meta = {
        runId,
        wacrmVersion: program.version() ?? '0.0.0',
        nodeVersion: io.nodeVersion ?? 'unknown',
        acceptance,
      };
      const conformance = conformanceRunResult(kit, meta);
      const table = renderCaseTable(kit.cases);
      const showTable = () => (flags.json ? io.err(table) : io.out(table));
      if (!kit.valid) {
        // Nothing to load: write what the kit found and stop as `wacrm conformance` does.
        await writeReports(runDir, conformance, grade(conformance, acceptance));
        showTable();
        throw new WacrmError(
          'WACRM_CONNECTOR_UNREACHABLE',
          `the connector could not be reached: ${kit.invalidReasons.join('; ')}`,
          'check that it is running and --connector-url',
        );
      }
      // The conformance half is on disk before the load starts: a preflight stop keeps it.
      await writeReports(runDir, conformance, grade(conformance, acceptance));

      // 2. The graded run (preflight first).
      let result: RunResult;
      try {
        result = await runScenario({
          scenario,
          scenarioFile: resolve(file),
          acceptance,
          runId,
          runDir,
          wacrmVersion: meta.wacrmVersion,
          nodeVersion: meta.nodeVersion,
          connectorUrl: url,
          whatsappPort,
          crmPort,
          credentials,
          onProgress: out.onProgress,
          onLog: out.onLog,
          signal: stopped,
        });
      } catch (err) {
        out.done();
        showTable();
        if (err instanceof WacrmError) {
          io.err(`the conformance reports are in ${relative(resolve('.'), runDir) || '.'}`);
        }
        throw err;
      }
      out.done();
      showTable();
      const passed = kit.cases.filter((c) => c.passed).length;
      if (!flags.json) io.out(`${passed}/${kit.cases.length} conformance cases passed`);
      const code = await finishRun(io, runDir, certifiedResult(result, conformance), acceptance, flags, {
        file: acceptanceFile,
        builtIn: acceptanceBuiltIn,
      });
      failIfInterrupted(result);
      failOn(code);
    });
}
