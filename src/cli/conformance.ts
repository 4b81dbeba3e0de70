import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { defaultAcceptancePath, loadAcceptanceTable } from '../config/index.js';
import {
  CONFORMANCE_CASES,
  type ConformanceCaseResult,
  conformanceRunResult,
  REFERENCE_WEBHOOK_PATHS,
  runConformanceSuite,
  selectCases,
} from '../conformance/index.js';
import { WacrmError } from '../errors.js';
import { grade } from '../grading/index.js';
import { renderSummaryJson, writeReports } from '../report/index.js';
import { MOCK_DEFAULT_CREDENTIALS, type StackCredentials } from '../run/stack.js';
import { addCredentialOptions, type CredentialFlags, credentialsFromFlags } from './credentials.js';
import type { Io } from './io.js';
import { CRM_DIALECT_HELP, type CrmDialectFlag, crmDialectFlag } from './mock-crm.js';
import { MOCK_WHATSAPP_DEFAULTS } from './mock-whatsapp.js';

/** The `wacrm mock crm` defaults an external connector is configured with (see src/cli/mock-crm.ts). */
export const MOCK_CRM_CREDENTIAL_DEFAULTS = {
  token: MOCK_DEFAULT_CREDENTIALS.crmToken,
  webhookSecret: MOCK_DEFAULT_CREDENTIALS.crmWebhookSecret,
} as const;

/** Raw flags as commander hands them over. */
interface ConformanceFlags extends CredentialFlags {
  connectorUrl?: string;
  whatsappWebhookPath: string;
  crmWebhookPath: string;
  whatsappPort?: string;
  crmPort?: string;
  crmPlan: string;
  crmDialect?: string;
  only: string[];
  skip: string[];
  fault: string[];
  out?: string;
  seed: string;
  json?: boolean;
  list?: boolean;
}

/** Flags after checking: what {@link runConformanceSuite} is called with. */
export interface ConformanceSettings {
  connector:
    | { kind: 'reference'; faults: string[] }
    | { kind: 'external'; url: string; whatsappWebhookPath: string; crmWebhookPath: string };
  whatsappPort: number;
  crmPort: number;
  credentials: Partial<StackCredentials>;
  crmPlan: 'standard' | 'enterprise';
  crmDialect: CrmDialectFlag;
  only: string[];
  skip: string[];
  seed: number;
  out: string | undefined;
  json: boolean;
}

function usage(message: string, hint?: string): WacrmError {
  return new WacrmError('WACRM_USAGE', message, hint ?? 'run `wacrm conformance --help` for the flags');
}

function port(flag: string, text: string | undefined, dflt: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > 65535)
    throw usage(`${flag} must be a port 0-65535, got ${JSON.stringify(text)}`);
  return n;
}

function path(flag: string, text: string): string {
  if (!/^\/[^\s?#]*$/.test(text))
    throw usage(`${flag} must be a URL path starting with /, got ${JSON.stringify(text)}`);
  return text;
}

function ids(list: readonly string[]): string[] {
  return list
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Checks the flags (pure); throws WACRM_USAGE naming the first bad one. */
export function parseConformanceFlags(
  raw: ConformanceFlags,
  env: Readonly<Record<string, string | undefined>> = {},
): ConformanceSettings {
  const external = raw.connectorUrl !== undefined;
  if (external) {
    let ok = false;
    try {
      const u = new URL(raw.connectorUrl as string);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) throw usage(`--connector-url must be an http(s) URL, got ${JSON.stringify(raw.connectorUrl)}`);
    if (raw.fault.length > 0) {
      throw usage(
        '--fault switches the reference connector’s defects on; it cannot be used with --connector-url',
      );
    }
  }
  if (raw.crmPlan !== 'standard' && raw.crmPlan !== 'enterprise') {
    throw usage(`--crm-plan must be standard or enterprise, got ${JSON.stringify(raw.crmPlan)}`);
  }
  const seed = Number(raw.seed);
  if (!/^\d+$/.test(raw.seed.trim()) || !Number.isSafeInteger(seed)) {
    throw usage(`--seed must be a whole number, got ${JSON.stringify(raw.seed)}`);
  }
  const crmDialect = crmDialectFlag(
    '--crm-dialect',
    raw.crmDialect ?? 'native',
    'run `wacrm conformance --help` for the flags',
  );
  const only = ids(raw.only);
  const skip = ids(raw.skip);
  // Unknown ids are a usage error before anything starts.
  selectCases(only, skip);
  // A vendor configures their connector once, for the mocks' documented defaults (startStack's
  // default for an external connector); the reference connector gets fresh secrets per run.
  const credentials = credentialsFromFlags(raw, env);
  return {
    connector: external
      ? {
          kind: 'external',
          url: raw.connectorUrl as string,
          whatsappWebhookPath: path('--whatsapp-webhook-path', raw.whatsappWebhookPath),
          crmWebhookPath: path('--crm-webhook-path', raw.crmWebhookPath),
        }
      : { kind: 'reference', faults: raw.fault },
    // Fixed ports for a vendor's connector; any free port for the reference one unless asked.
    whatsappPort: port('--whatsapp-port', raw.whatsappPort, external ? MOCK_WHATSAPP_DEFAULTS.port : 0),
    crmPort: port('--crm-port', raw.crmPort, external ? 4020 : 0),
    credentials,
    crmPlan: raw.crmPlan,
    crmDialect,
    only,
    skip,
    seed,
    out: raw.out,
    json: raw.json === true,
  };
}

function runIdNow(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-conformance-${randomBytes(2).toString('hex')}`;
}

/** The pass/fail table of the cases (cli-table3), evidence wrapped. */
export function renderCaseTable(cases: readonly ConformanceCaseResult[]): string {
  const table = new Table({
    head: ['Result', 'Case', 'Time', 'Evidence'],
    colWidths: [10, 38, 8, 90],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const c of cases) {
    table.push([
      c.notRun ? 'NOT RUN' : c.passed ? 'PASS' : 'FAIL',
      c.id,
      `${(c.durationMs / 1000).toFixed(1)} s`,
      c.evidence,
    ]);
  }
  return table.toString();
}

/** `wacrm conformance`: runs the conformance kit against the reference connector or a vendor's. */
export function registerConformanceCommand(program: Command, io: Io): void {
  const collect = (v: string, acc: string[]) => [...acc, v];
  const cmd = program
    .command('conformance')
    .description(
      'check a connector case by case against how WhatsApp and the CRM behave (docs/conformance.md)',
    )
    .option('--connector-url <url>', 'test the connector at this base URL (default: the reference connector)')
    .option('--whatsapp-webhook-path <path>', 'its WhatsApp webhook path', REFERENCE_WEBHOOK_PATHS.whatsapp)
    .option('--crm-webhook-path <path>', 'its CRM webhook path', REFERENCE_WEBHOOK_PATHS.crm)
    .option(
      '--whatsapp-port <port>',
      'port of the WhatsApp mock (default 4010 with --connector-url, else any free port)',
    )
    .option(
      '--crm-port <port>',
      'port of the CRM mock (default 4020 with --connector-url, else any free port)',
    )
    .option('--crm-plan <plan>', 'CRM plan the mock enforces and the connector must keep under', 'enterprise')
    .option(
      '--crm-dialect <name>',
      `${CRM_DIALECT_HELP}; with hubspot, crm-plan-rate-respected holds the connector to HubSpot's 100 calls per rolling 10 s`,
      'native',
    )
    .option('--only <ids>', 'run only these cases (comma-separated, repeatable)', collect, [] as string[])
    .option('--skip <ids>', 'leave these cases out (comma-separated, repeatable)', collect, [] as string[])
    .option(
      '--fault <switch>',
      'reference connector fault switch (repeatable; shows a case failing)',
      collect,
      [] as string[],
    )
    .option('--out <dir>', 'report directory (default: reports/<run-id>)')
    .option('--seed <n>', 'seed of the mocks’ randomness', '1')
    .option('--json', 'print summary.json to stdout (the case table goes to stderr)')
    .option('--list', 'list the cases and exit');
  addCredentialOptions(cmd, 'external default: the mocks’ documented one');
  cmd
    .addHelpText(
      'after',
      '\nExit codes: 0 every case passed, 1 a case failed, 2 bad usage, 3 the connector could not be reached.\n' +
        'Reports: summary.json, junit.xml (one test case per conformance case), summary.md, report.html, result.json.\n' +
        'Wiring a connector to the mocks (URLs, tokens, secrets, webhook paths): docs/conformance.md.',
    )
    .action(async (raw: ConformanceFlags) => {
      if (raw.list) {
        for (const c of CONFORMANCE_CASES) io.out(`${c.id.padEnd(42)} ${c.title}`);
        return;
      }
      const s = parseConformanceFlags(raw, io.env);
      const startedAt = new Date();
      const runId = runIdNow(startedAt);
      const runDir = resolve(s.out ?? join('reports', runId));
      const say = s.json ? (line: string) => io.err(line) : (line: string) => io.out(line);
      const acceptanceFile = await defaultAcceptancePath();
      const acceptance = await loadAcceptanceTable(acceptanceFile);
      const dialectNote = s.crmDialect === 'hubspot' ? ', CRM mock speaking HubSpot' : '';
      say(
        s.connector.kind === 'external'
          ? `wacrm conformance: the connector at ${s.connector.url} (mocks on ports ${s.whatsappPort} and ${s.crmPort}${dialectNote}) → ${relative(resolve('.'), runDir) || '.'}`
          : `wacrm conformance: the reference connector${s.connector.faults.length > 0 ? ` with fault ${s.connector.faults.join(', ')}` : ''}${dialectNote} → ${relative(resolve('.'), runDir) || '.'}`,
      );
      const run = await runConformanceSuite({
        connector: s.connector,
        only: s.only,
        skip: s.skip,
        seed: s.seed,
        whatsappPort: s.whatsappPort,
        crmPort: s.crmPort,
        credentials: s.credentials,
        crmPlan: s.crmPlan,
        crmDialect: s.crmDialect,
        onProgress: (line) => say(line),
        onCase: (r) =>
          say(
            `  ${r.notRun ? 'NOT RUN' : r.passed ? 'pass' : 'FAIL'} ${r.id} (${(r.durationMs / 1000).toFixed(1)} s): ${r.evidence}`,
          ),
      });
      const result = conformanceRunResult(run, {
        runId,
        wacrmVersion: program.version() ?? '0.0.0',
        nodeVersion: io.nodeVersion ?? 'unknown',
        acceptance,
      });
      const sheet = grade(result, acceptance);
      const written = await writeReports(runDir, result, sheet);
      await writeFile(join(runDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
      const table = renderCaseTable(run.cases);
      const passed = run.cases.filter((c) => c.passed).length;
      if (s.json) {
        io.err(table);
        io.out(renderSummaryJson(result, sheet).trimEnd());
      } else {
        io.out(table);
        io.out(`${passed}/${run.cases.length} cases passed`);
        io.out(
          `reports: ${[...written, join(runDir, 'result.json')].map((w) => relative(resolve('.'), w)).join(', ')}`,
        );
      }
      if (!run.valid) {
        throw new WacrmError(
          'WACRM_CONNECTOR_UNREACHABLE',
          `the connector could not be reached: ${run.invalidReasons.join('; ')}`,
          'check that it is running and --connector-url',
        );
      }
      const failed = run.cases.length - passed;
      if (failed > 0) {
        throw new WacrmError(
          'WACRM_THRESHOLD_FAILED',
          `${failed} of ${run.cases.length} conformance case${run.cases.length === 1 ? '' : 's'} failed (see the table above or ${join(runDir, 'summary.md')})`,
        );
      }
    });
}
