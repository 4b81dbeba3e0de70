/**
 * A vendor's path, first try: a connector written here from docs/testing-your-connector.md alone
 * (plain node:http + fetch, no import of connector/) is configured from `wacrm up --print-env`,
 * graded by `wacrm run --connector-url` without a restart, and each mis-wired variant stops at
 * preflight with exit 3 and the one line naming what is wrong.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WacrmError } from '../../src/errors.js';
import { freePort } from '../integration/conformance-proxy.js';
import { type CliRun, wacrm } from './cli.js';
import { parseEnv, startVendorConnector } from './vendor-stand-in.js';

let dir: string;
let ports: string[];
let env: Record<string, string>;
const SCENARIO = `name: vendor-e2e
description: a short template delivery for a connector wacrm did not start
seed: 7
acceptance: ${JSON.stringify(resolve('scenarios/acceptance.yaml'))}
suites:
  - kind: template-delivery
    templates: 2
    sendsPerTemplate: 3
    rate: 120/min
    deadline: 10s
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-vendor-'));
  await writeFile(join(dir, 'vendor-e2e.yaml'), SCENARIO);
  // The docs use the default ports 4010/4020; the test picks free ones so parallel runs do not collide.
  ports = ['--whatsapp-port', String(await freePort()), '--crm-port', String(await freePort())];
  // Step 1 of the docs: `wacrm up --print-env > .env`, then configure the connector from it.
  const up = await wacrm(['up', '--print-env', ...ports]);
  expect(up.error).toBeUndefined();
  env = parseEnv(up.lines.join('\n'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Step 2 of the docs: `wacrm run --connector-url URL scenario`, on the test's ports, reports in `out`. */
function gradeRun(connectorUrl: string, out: string): Promise<CliRun> {
  return wacrm([
    'run',
    '--connector-url',
    connectorUrl,
    ...ports,
    '--quiet',
    '--out',
    out,
    join(dir, 'vendor-e2e.yaml'),
  ]);
}

/** The run stopped at preflight: exit 3, WACRM_PREFLIGHT_FAILED, and one line matching `reason`. */
function expectPreflightStop(run: CliRun, reason: RegExp): void {
  expect(run.error).toBeInstanceOf(WacrmError);
  const err = run.error as WacrmError;
  expect(err.code).toBe('WACRM_PREFLIGHT_FAILED');
  expect(err.exitCode).toBe(3);
  expect(err.message).toMatch(reason);
  expect(err.message).not.toContain('\n');
}

describe('a vendor connector configured from `wacrm up --print-env`', () => {
  it('is graded by `wacrm run --connector-url` with no restart', async () => {
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(['WHATSAPP_BASE_URL', 'WHATSAPP_ACCESS_TOKEN', 'CRM_BASE_URL', 'CRM_TOKEN']),
    );
    const connector = await startVendorConnector(env);
    try {
      const out = join(dir, 'graded');
      // Step 2 of the docs: `wacrm run --connector-url http://127.0.0.1:8080 scenarios/vendor.yaml`.
      const run = await gradeRun(connector.url, out);
      // Graded: a pass (0) or a failed threshold (1), never a wiring stop (3).
      if (run.error !== undefined) {
        expect(run.error).toBeInstanceOf(WacrmError);
        expect((run.error as WacrmError).code).toBe('WACRM_THRESHOLD_FAILED');
      }
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
        environment?: {
          connector?: {
            kind: string;
            url?: string;
            external?: { credentials: string; crmRateLimitPerMin: number; refusedCalls: object };
          };
        };
      };
      expect(summary.environment?.connector?.kind).toBe('external');
      expect(summary.environment?.connector?.url?.replace(/\/$/, '')).toBe(connector.url);
      // The report states the wiring (no secrets), what the mocks refused, and the CRM limit.
      expect(summary.environment?.connector?.external).toMatchObject({
        credentials: 'documented defaults',
        crmRateLimitPerMin: 1500, // the scenario's default plan (enterprise)
      });
      expect(run.lines.some((l) => l.startsWith('CRM rate limit enforced: 1500/min'))).toBe(true);
      // The connector's sends reached the WhatsApp mock: the template suite measured deliveries.
      const text = await readFile(join(out, 'summary.json'), 'utf8');
      expect(text).not.toContain(env['WHATSAPP_APP_SECRET']);
      expect(text).not.toContain(env['CRM_TOKEN']);
    } finally {
      await connector.close();
    }
  }, 60_000);

  const miswired: Array<[string, (e: Record<string, string>) => Record<string, string>, RegExp]> = [
    [
      'a wrong verify token',
      () => ({ WHATSAPP_VERIFY_TOKEN: 'not-the-token' }),
      /^preflight: wrong verify token/,
    ],
    ['a wrong app secret', () => ({ WHATSAPP_APP_SECRET: 'not-the-secret' }), /^preflight: wrong app secret/],
    ['a wrong CRM token', () => ({ CRM_TOKEN: 'not-the-token' }), /^preflight: CRM token refused/],
    [
      'a wrong WhatsApp access token',
      () => ({ WHATSAPP_ACCESS_TOKEN: 'not-the-token' }),
      /^preflight: access token refused/,
    ],
    [
      'a wrong WhatsApp base URL',
      () => ({ WHATSAPP_API_VERSION: 'graph/v23.0' }),
      /^preflight: wrong WhatsApp base URL or version/,
    ],
    [
      'a wrong CRM base URL',
      (e) => ({ CRM_BASE_URL: `${e['CRM_BASE_URL']}/v2` }),
      /^preflight: wrong CRM base URL/,
    ],
  ];
  for (const [what, override, reason] of miswired) {
    it(`stops at preflight with exit 3 on ${what}`, async () => {
      const connector = await startVendorConnector({ ...env, ...override(env) });
      try {
        const out = join(dir, what.replace(/\W+/g, '-'));
        expectPreflightStop(await gradeRun(connector.url, out), reason);
      } finally {
        await connector.close();
      }
    }, 30_000);
  }
});
