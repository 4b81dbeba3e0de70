import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  checkScenarioFile,
  defaultAcceptancePath,
  formatIssue,
  loadScenario,
  type Scenario,
} from '../../../src/config/index.js';
import { WacrmError } from '../../../src/errors.js';

const SCENARIOS = resolve(import.meta.dirname, '../../../scenarios');
const SHIPPED = [
  'default',
  'step-ramp',
  'soak-72h',
  'template-delivery',
  'conversation-sync',
  'fault-recovery',
  'vendor',
] as const;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Upper bound of a scenario's wall-clock time: each suite's arrivals plus its deadline (the longest
 * a flow may take to settle), the ramp's steps, the soak's compressed timeline.
 */
function plannedMs(s: Scenario): number {
  let total = 0;
  for (const suite of s.suites) {
    switch (suite.kind) {
      case 'template-delivery':
        total += ((suite.templates * suite.sendsPerTemplate) / suite.ratePerMin) * 60_000 + suite.deadlineMs;
        break;
      case 'conversation-sync':
        total += (suite.messages / suite.ratePerMin) * 60_000 + suite.deadlineMs;
        break;
      case 'fault-recovery':
        total += suite.durationMs;
        break;
      case 'capacity': {
        const steps = Math.floor((suite.maxPerMin - suite.startPerMin) / suite.stepPerMin) + 1;
        total += steps * suite.stepDurationMs;
        break;
      }
      case 'soak':
        total += suite.durationMs / suite.timeScale;
        break;
      default:
        break;
    }
  }
  return total;
}

describe('the shipped scenarios', () => {
  it.each(SHIPPED)('%s.yaml is valid, with its acceptance table', async (name) => {
    const loaded = await loadScenario(join(SCENARIOS, `${name}.yaml`));
    expect(loaded.scenario.name).toBe(name);
    expect(loaded.acceptanceFile).toBe(join(SCENARIOS, 'acceptance.yaml'));
    expect(Object.keys(loaded.acceptance.metrics)).toHaveLength(5);
  });

  it('default.yaml runs every suite kind of the acceptance suite and fits in under 5 minutes', async () => {
    const { scenario } = await loadScenario(join(SCENARIOS, 'default.yaml'));
    expect(scenario.suites.map((s) => s.kind)).toEqual([
      'template-delivery',
      'conversation-sync',
      'fault-recovery',
      'capacity',
      'soak',
      'consistency-audit',
    ]);
    const td = scenario.suites[0] as { templates: number; sendsPerTemplate: number };
    expect(td.templates * td.sendsPerTemplate).toBeGreaterThanOrEqual(1000);
    const cs = scenario.suites[1] as { messages: number; conversations: number };
    expect(cs.messages).toBeGreaterThanOrEqual(300);
    expect(cs.conversations).toBeGreaterThanOrEqual(200);
    expect(plannedMs(scenario)).toBeLessThan(5 * 60_000);
  });

  it('soak-72h.yaml is the seed’s 72 h at 5,000 msg/h with two peaks', async () => {
    const { scenario } = await loadScenario(join(SCENARIOS, 'soak-72h.yaml'));
    const soak = scenario.suites.find((s) => s.kind === 'soak');
    expect(soak).toMatchObject({
      durationMs: 72 * 3_600_000,
      peaks: [
        { startMs: 9 * 3_600_000, endMs: 11 * 3_600_000 },
        { startMs: 19 * 3_600_000, endMs: 21 * 3_600_000 },
      ],
      windowMs: 4 * 3_600_000,
    });
    expect((soak as { averageRatePerMin: number }).averageRatePerMin * 60).toBeCloseTo(5000, 6);
  });

  it('finds the built-in acceptance table', async () => {
    expect(await defaultAcceptancePath()).toBe(join(SCENARIOS, 'acceptance.yaml'));
  });
});

describe('loading scenario files', () => {
  it('resolves the acceptance table and profile file relative to the scenario', async () => {
    await writeFile(join(dir, 'profile.csv'), 'hour,share\n0,1\n');
    await writeFile(
      join(dir, 's.yaml'),
      `name: rel\nacceptance: ${join(SCENARIOS, 'acceptance.yaml')}\nsuites:\n  - kind: soak\n    profileFile: profile.csv\n`,
    );
    const loaded = await loadScenario(join(dir, 's.yaml'));
    expect(loaded.scenario.suites[0]).toMatchObject({ profileFile: join(dir, 'profile.csv') });
  });

  it('grades a scenario outside scenarios/ that names no table with the built-in one, and says so', async () => {
    await writeFile(join(dir, 's.yaml'), 'name: outside\nsuites:\n  - kind: template-delivery\n');
    const loaded = await loadScenario(join(dir, 's.yaml'));
    expect(loaded.acceptanceFile).toBe(join(SCENARIOS, 'acceptance.yaml'));
    expect(loaded.acceptanceBuiltIn).toBe(true);
    expect(Object.keys(loaded.acceptance.metrics)).toHaveLength(5);
  });

  it('a table the scenario names is not the built-in one, even when it is the same file', async () => {
    await writeFile(
      join(dir, 's.yaml'),
      `name: named\nacceptance: ${join(SCENARIOS, 'acceptance.yaml')}\nsuites:\n  - kind: template-delivery\n`,
    );
    const loaded = await loadScenario(join(dir, 's.yaml'));
    expect(loaded.acceptanceBuiltIn).toBe(false);
    expect(loaded.acceptanceFile).toBe(join(SCENARIOS, 'acceptance.yaml'));
  });

  it('reports a missing acceptance table and profile file at the fields that name them', async () => {
    await writeFile(
      join(dir, 's.yaml'),
      'name: x\nacceptance: nope.yaml\nsuites:\n  - kind: soak\n    profileFile: gone.csv\n',
    );
    const check = await checkScenarioFile(join(dir, 's.yaml'));
    expect(check.loaded).toBeUndefined();
    expect(check.issues.map(formatIssue)).toEqual([
      `${join(dir, 's.yaml')}:2:13 acceptance: acceptance table ${join(dir, 'nope.yaml')} does not exist`,
      `${join(dir, 's.yaml')}:5:18 suites[0].profileFile: profile file ${join(dir, 'gone.csv')} does not exist or cannot be read`,
    ]);
  });

  it('reports errors inside the acceptance table with that file’s positions', async () => {
    await writeFile(join(dir, 'table.yaml'), 'version: 2\nmetrics: {}\n');
    await writeFile(join(dir, 's.yaml'), 'name: x\nacceptance: table.yaml\nsuites: [{ kind: soak }]\n');
    const err = await loadScenario(join(dir, 's.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const configError = err as ConfigError;
    expect(configError.code).toBe('WACRM_ACCEPTANCE_INVALID');
    expect(configError.issues[0]).toMatchObject({ file: join(dir, 'table.yaml'), line: 1, path: 'version' });
    expect(configError.message).toContain('table.yaml:1:10 version: expected 1, got 2');
  });

  it('throws one ConfigError listing every problem of an invalid scenario', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'name: x\nseed: x\nsuites: []\n');
    const err = (await loadScenario(join(dir, 'bad.yaml')).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('WACRM_SCENARIO_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.issues).toHaveLength(2);
    expect(err.message).toMatch(/is not a valid scenario \(2 errors\)/);
    expect(err.message).toContain('bad.yaml:2:7 seed: expected a number, got "x"');
    expect(err.message).toContain('bad.yaml:3:9 suites: must have at least 1 item, got 0');
  });

  it('names a missing or unreadable file with its own code', async () => {
    const err = await loadScenario(join(dir, 'missing.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WacrmError);
    expect((err as WacrmError).code).toBe('WACRM_SCENARIO_NOT_FOUND');
    expect((err as WacrmError).message).toMatch(/does not exist/);
    const dirErr = await loadScenario(dir).catch((e: unknown) => e);
    expect((dirErr as WacrmError).message).toMatch(/is not a file/);
  });
});

describe('connector.credentials and an external connector', () => {
  const head = `name: ext\nacceptance: ${join(SCENARIOS, 'acceptance.yaml')}\nsuites: [{ kind: consistency-audit }]\n`;

  it('reads each secret from the variable it names, and only from there', async () => {
    const file = join(dir, 's.yaml');
    await writeFile(
      file,
      `${head}connector:\n  url: http://127.0.0.1:8080\n  credentials:\n    appSecret: { env: SHOP_APP_SECRET }\n    crmToken: { env: SHOP_CRM_TOKEN }\n`,
    );
    const loaded = await loadScenario(file, { env: { SHOP_APP_SECRET: 's3', SHOP_CRM_TOKEN: 't4' } });
    expect(loaded.credentials).toEqual({ appSecret: 's3', crmToken: 't4' });
    // The scenario keeps the names, never the values (it is journaled).
    expect(JSON.stringify(loaded.scenario)).not.toContain('s3');
    // Without an environment (wacrm validate) nothing is read.
    expect((await loadScenario(file)).credentials).toEqual({});
  });

  it('names an unset variable at its line and column', async () => {
    const file = join(dir, 's.yaml');
    await writeFile(file, `${head}connector:\n  credentials:\n    verifyToken: { env: SHOP_VERIFY }\n`);
    const err = (await loadScenario(file, { env: { SHOP_VERIFY: '' } }).catch(
      (e: unknown) => e,
    )) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(
      's.yaml:6:25 connector.credentials.verifyToken.env: environment variable SHOP_VERIFY is not set',
    );
  });

  it('refuses a secret written in plain text', async () => {
    const file = join(dir, 's.yaml');
    await writeFile(file, `${head}connector:\n  credentials:\n    appSecret: hunter2\n`);
    const err = (await loadScenario(file).catch((e: unknown) => e)) as ConfigError;
    expect(err.code).toBe('WACRM_SCENARIO_INVALID');
    expect(err.message).toContain('s.yaml:6:16 connector.credentials.appSecret: a secret is never written');
  });

  it('refuses reference-only keys when --connector-url makes the run external', async () => {
    const file = join(dir, 's.yaml');
    await writeFile(file, `${head}connector:\n  faults: [no-retry]\n  args: ['--x']\n`);
    expect((await loadScenario(file)).scenario.connector.faults).toEqual(['no-retry']);
    const err = (await loadScenario(file, { connectorUrl: 'http://127.0.0.1:8080' }).catch(
      (e: unknown) => e,
    )) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.issues.map(formatIssue)).toEqual([
      `${file}:5:11 connector.faults: faults apply to the reference connector only, and --connector-url names an external one; remove them`,
      `${file}:6:9 connector.args: args apply to the reference connector only, and --connector-url names an external one; remove them`,
    ]);
  });
});
