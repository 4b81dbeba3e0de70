import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { buildWhatsAppMock } from '../../mocks/whatsapp/index.js';
import { loadScenario, type Scenario, type SuiteOf } from '../config/index.js';
import { WacrmError } from '../errors.js';
import type { PlannedInbound } from '../flows/inbound-plan.js';
import { contactRecord, type PlannedContact, type PlannedOutbound } from '../flows/outbound-plan.js';
import { type LoadShape, ProfileError, parseShape } from '../load/profiles.js';
import { MixedSource } from '../run/sources.js';
import { MOCK_DEFAULT_CREDENTIALS, MOCK_DEFAULT_PORTS, type StackCredentials } from '../run/stack.js';
import { capacityK6Plan, expectedIterations, type K6Plan, soakK6Plan } from './k6-plan.js';
import { type K6Targets, k6Tsconfig, renderK6Script } from './k6-script.js';
import { k8sName, renderMockManifests, renderTestRun } from './k8s.js';

export { capacityK6Plan, expectedIterations, k6Stages, k6Vus, soakK6Plan } from './k6-plan.js';
export { k6Options, renderK6Script } from './k6-script.js';

/** Options of {@link exportK6}. */
export interface ExportK6Options {
  scenarioFile: string;
  outDir: string;
  /** Which suite to export when the scenario has both: 'capacity' or 'soak' (default: the first of them). */
  suite?: 'capacity' | 'soak';
  /** k6-operator runners in the TestRun (default 1). */
  parallelism?: number;
  /** Wall-clock start a soak's daily shape is laid on (default: now). */
  startEpochMs?: number;
  /** Overrides the soak's timeScale (as `wacrm run --time-scale`). */
  timeScale?: number;
  /** The connector's base URL the script and manifests point at (default the reference connector on 127.0.0.1:4030). */
  connectorUrl?: string;
  whatsappMockUrl?: string;
  crmMockUrl?: string;
  /** Image with wacrm installed, for the mock Deployments. */
  image?: string;
}

/** What {@link exportK6} wrote. */
export interface ExportK6Result {
  outDir: string;
  files: string[];
  plan: K6Plan;
  expectedIterations: number;
  suiteKind: 'capacity' | 'soak';
}

/** The mocks' default journal ring (mocks/shared/journal.ts). */
const JOURNAL_DEFAULT_ENTRIES = 200_000;

/** How many planned flows flows.json carries (iterations cycle over them, as the harness's source repeats). */
export const POOL_SIZES = { inbound: 1000, outbound: 600 } as const;

/**
 * The compiled kernel/wire.js and its declarations: beside this module in dist/, or in dist/ when this
 * module runs from source (tests); the script gets the bytes the harness itself runs.
 */
export async function wireFiles(): Promise<{ js: string; dts: string }> {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../kernel'), resolve(here, '../../dist/kernel')];
  for (const dir of candidates) {
    const js = join(dir, 'wire.js');
    const dts = join(dir, 'wire.d.ts');
    if (existsSync(js) && existsSync(dts)) {
      const strip = (t: string) => t.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
      return { js: strip(await readFile(js, 'utf8')), dts: strip(await readFile(dts, 'utf8')) };
    }
  }
  throw new WacrmError(
    'WACRM_EXPORT_FAILED',
    'the compiled kernel/wire.js was not found next to wacrm',
    'build wacrm first: npm run build',
  );
}

function pickSuite(
  scenario: Scenario,
  kind: 'capacity' | 'soak' | undefined,
  file: string,
): SuiteOf<'capacity'> | SuiteOf<'soak'> {
  const found = scenario.suites.find((s) =>
    kind === undefined ? s.kind === 'capacity' || s.kind === 'soak' : s.kind === kind,
  );
  if (!found) {
    throw new WacrmError(
      'WACRM_EXPORT_UNSUPPORTED',
      kind === undefined
        ? `${file} has no capacity or soak suite: k6 plays a rate curve, and only those suites have one to hand over`
        : `${file} has no ${kind} suite`,
      'export a scenario with a capacity (step ramp) or soak suite, e.g. scenarios/step-ramp.yaml',
    );
  }
  return found as SuiteOf<'capacity'> | SuiteOf<'soak'>;
}

async function soakShape(
  suite: SuiteOf<'soak'>,
  scenarioFile: string,
): Promise<{ shape: LoadShape; meanPerHour?: number } | undefined> {
  if (!suite.profileFile) return undefined;
  const path = resolve(dirname(scenarioFile), suite.profileFile);
  try {
    return parseShape(parseYaml(await readFile(path, 'utf8')));
  } catch (err) {
    const why = err instanceof ProfileError || err instanceof Error ? err.message : String(err);
    throw new WacrmError(
      'WACRM_SCENARIO_INVALID',
      `${path}: ${why}`,
      'docs/load-model.md describes shape files',
    );
  }
}

/** The planned flows flows.json is written from (iteration n plays `inbound[n % …]` or `outbound[n % …]`). */
export interface PlannedK6Flows {
  contacts: PlannedContact[];
  inbound: PlannedInbound[];
  outbound: PlannedOutbound[];
}

/**
 * The harness's own flows for this scenario: the capacity or soak suite's MixedSource, with its
 * seed. `wacrm collect` calls it too, to know what each iteration of the exported script sent.
 */
export async function plannedK6Flows(scenario: Scenario, kind: 'capacity' | 'soak'): Promise<PlannedK6Flows> {
  const app = buildWhatsAppMock({ ...MOCK_DEFAULT_CREDENTIALS, seed: scenario.seed });
  let templates: ReturnType<typeof app.whatsapp.templates>;
  try {
    templates = app.whatsapp.templates();
  } finally {
    await app.close();
  }
  // The suites' own seeds (src/run/suites/capacity.ts, soak.ts): the same customers and sends.
  const source = new MixedSource(templates, scenario.seed ^ (kind === 'capacity' ? 0xca9 : 0x50a));
  const outbound = Array.from({ length: POOL_SIZES.outbound }, () => source.outbound());
  const inbound = Array.from({ length: POOL_SIZES.inbound }, () => source.inbound());
  return { contacts: source.allContacts(), inbound, outbound };
}

/** flows.json's content: the planned flows as the script reads them. */
async function flowPool(scenario: Scenario, kind: 'capacity' | 'soak') {
  const planned = await plannedK6Flows(scenario, kind);
  const contacts = planned.contacts.map(contactRecord);
  const index = new Map(contacts.map((c, i) => [c.phone, i]));
  const outbound = planned.outbound.map((o) => ({
    contact: index.get(o.contact.phone) ?? 0,
    type: o.eventType,
    data: o.data,
    action: o.action,
  }));
  const inbound = planned.inbound.map((m) => ({
    from: m.fromWaId,
    name: m.profileName,
    text: m.expectation.text,
  }));
  return { contacts, inbound, outbound };
}

function hostUrl(url: string, what: string): string {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    return url.replace(/\/+$/, '');
  } catch {
    throw new WacrmError('WACRM_USAGE', `${what} must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
}

/**
 * `wacrm export k6`: writes a k6 TypeScript script for the scenario's capacity or soak suite (its
 * rate curve as `ramping-arrival-rate` stages, thresholds k6 can judge, the harness's own flows in
 * flows.json, kernel/wire.js for the bytes), a tsconfig to type-check it against @types/k6, and
 * Kubernetes manifests: the mocks as Services and a k6-operator TestRun with `parallelism` runners.
 */
export async function exportK6(opts: ExportK6Options): Promise<ExportK6Result> {
  const parallelism = opts.parallelism ?? 1;
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 1000) {
    throw new WacrmError(
      'WACRM_USAGE',
      `--parallelism must be a whole number from 1 to 1000, got ${parallelism}`,
    );
  }
  const loaded = await loadScenario(opts.scenarioFile);
  const scenario = loaded.scenario;
  if (scenario.mocks.crm.dialect !== 'native') {
    throw new WacrmError(
      'WACRM_EXPORT_UNSUPPORTED',
      `${opts.scenarioFile} uses the ${scenario.mocks.crm.dialect} CRM dialect: the exported script signs native CRM events (X-CRM-Signature) only`,
      'export a scenario with mocks.crm.dialect: native',
    );
  }
  const suite = pickSuite(scenario, opts.suite, opts.scenarioFile);
  let plan: K6Plan;
  try {
    plan =
      suite.kind === 'capacity'
        ? capacityK6Plan(suite)
        : soakK6Plan(suite, {
            startEpochMs: opts.startEpochMs ?? Date.now(),
            ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}),
            ...(await soakShape(suite, loaded.file).then((s) => (s ? { shape: s } : {}))),
          });
  } catch (err) {
    if (err instanceof WacrmError) throw err;
    throw new WacrmError(
      'WACRM_EXPORT_UNSUPPORTED',
      `the ${suite.kind} suite cannot be played by k6: ${(err as Error).message}`,
    );
  }
  const connectorUrl = hostUrl(opts.connectorUrl ?? 'http://127.0.0.1:4030', '--connector-url');
  const whatsappPath = scenario.connector.whatsappWebhookPath;
  const crmPath = scenario.connector.crmWebhookPath;
  const creds: StackCredentials = MOCK_DEFAULT_CREDENTIALS;
  const targets: K6Targets = {
    connectorWhatsAppWebhookUrl: `${connectorUrl}${whatsappPath}`,
    connectorCrmWebhookUrl: `${connectorUrl}${crmPath}`,
    whatsappMockUrl: hostUrl(
      opts.whatsappMockUrl ?? `http://127.0.0.1:${MOCK_DEFAULT_PORTS.whatsapp}`,
      '--whatsapp-url',
    ),
    crmMockUrl: hostUrl(opts.crmMockUrl ?? `http://127.0.0.1:${MOCK_DEFAULT_PORTS.crm}`, '--crm-url'),
    appSecret: creds.appSecret,
    crmWebhookSecret: creds.crmWebhookSecret,
    wabaId: creds.wabaId,
    phoneNumberId: creds.phoneNumberId,
    displayPhoneNumber: creds.displayPhoneNumber,
  };
  const name = k8sName(`${scenario.name}-${suite.kind}`);
  // `wacrm collect` grades the run from the whole journals: room for every flow's entries (at most
  // some 10 each, docs/distributed.md) and the setup's, never below the mocks' default.
  const journalCapacity = String(
    Math.max(JOURNAL_DEFAULT_ENTRIES, Math.ceil((expectedIterations(plan) * 12) / 100_000) * 100_000),
  );
  const k8s = {
    name,
    parallelism,
    image: opts.image ?? 'wacrm:local',
    connectorUrl: opts.connectorUrl === undefined ? 'http://connector:4030' : connectorUrl,
    whatsappWebhookPath: whatsappPath,
    crmWebhookPath: crmPath,
    configMapName: `${name}-script`,
    ports: MOCK_DEFAULT_PORTS,
    mockArgs: {
      whatsapp: [
        '--throughput',
        String(scenario.mocks.whatsapp.throughputPerSec),
        '--seed',
        String(scenario.seed),
        '--journal-capacity',
        journalCapacity,
      ],
      crm: [
        '--plan',
        scenario.mocks.crm.plan,
        '--limit-per-min',
        String(scenario.mocks.crm.ratePerMin),
        '--contacts',
        String(scenario.mocks.crm.contacts),
        '--seed',
        String(scenario.seed),
        '--journal-capacity',
        journalCapacity,
      ],
    },
  };
  const wire = await wireFiles();
  const pool = await flowPool(scenario, suite.kind);
  const out: Array<[string, string]> = [
    ['script.ts', renderK6Script(plan, targets, `${scenario.name} (${opts.scenarioFile})`)],
    ['wire.js', wire.js],
    ['wire.d.ts', wire.dts],
    ['flows.json', `${JSON.stringify(pool)}\n`],
    ['tsconfig.json', k6Tsconfig()],
    [
      'k8s/mocks.yaml',
      renderMockManifests(k8s, {
        appSecret: creds.appSecret,
        accessToken: creds.accessToken,
        verifyToken: creds.verifyToken,
        crmToken: creds.crmToken,
        crmWebhookSecret: creds.crmWebhookSecret,
        wabaId: creds.wabaId,
        phoneNumberId: creds.phoneNumberId,
        displayPhoneNumber: creds.displayPhoneNumber,
      }),
    ],
    ['k8s/testrun.yaml', renderTestRun(k8s)],
  ];
  const outDir = resolve(opts.outDir);
  try {
    await mkdir(join(outDir, 'k8s'), { recursive: true });
    for (const [file, text] of out) await writeFile(join(outDir, file), text, 'utf8');
  } catch (err) {
    throw new WacrmError(
      'WACRM_EXPORT_FAILED',
      `could not write the k6 export to ${outDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'pick a writable --out directory',
    );
  }
  return {
    outDir,
    files: out.map(([f]) => f),
    plan,
    expectedIterations: expectedIterations(plan),
    suiteKind: suite.kind,
  };
}
