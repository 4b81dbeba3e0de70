/**
 * `wacrm certify --connector-url URL SCENARIO`: the conformance kit and the graded run against one
 * running connector (the vendor stand-in, configured once from `wacrm up --print-env`), one set of
 * reports holding both, and an exit code from both.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WacrmError } from '../../src/errors.js';
import type { Summary } from '../../src/report/summary.js';
import { freePort } from '../integration/conformance-proxy.js';
import { wacrm } from './cli.js';
import { parseEnv, startVendorConnector } from './vendor-stand-in.js';

let dir: string;
let ports: string[];
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-certify-'));
  await writeFile(
    join(dir, 'small.yaml'),
    `name: certify-e2e
seed: 7
acceptance: ${JSON.stringify(resolve('scenarios/acceptance.yaml'))}
suites:
  - { kind: template-delivery, templates: 2, sendsPerTemplate: 3, rate: 120/min, deadline: 10s }
`,
  );
  ports = ['--whatsapp-port', String(await freePort()), '--crm-port', String(await freePort())];
  const up = await wacrm(['up', '--print-env', ...ports]);
  expect(up.error).toBeUndefined();
  env = parseEnv(up.lines.join('\n'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('wacrm certify', () => {
  it('writes one grade sheet with the conformance cases and the graded suites', async () => {
    const connector = await startVendorConnector(env);
    try {
      const out = join(dir, 'sheet');
      // One passing case (the handshake) and one this minimal connector fails (it does not dedupe).
      const run = await wacrm([
        'certify',
        '--connector-url',
        connector.url,
        ...ports,
        '--only',
        'verify-handshake,idempotent-duplicate-message',
        '--quiet',
        '--out',
        out,
        join(dir, 'small.yaml'),
      ]);
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Summary & {
        conformance: Array<{ id: string; passed: boolean }>;
        suites: Array<{ kind: string }>;
      };
      expect(summary.conformance.map((c) => c.id)).toEqual([
        'verify-handshake',
        'idempotent-duplicate-message',
      ]);
      expect(summary.conformance[0]?.passed).toBe(true);
      expect(summary.suites.map((s) => s.kind)).toContain('template-delivery');
      // The exit code comes from both halves: a failed case fails the certification.
      expect(summary.conformance[1]?.passed).toBe(false);
      expect(run.error).toBeInstanceOf(WacrmError);
      expect((run.error as WacrmError).exitCode).toBe(1);
      expect(summary.verdict).toBe('fail');
      const junit = await readFile(join(out, 'junit.xml'), 'utf8');
      expect(junit).toContain('name="verify-handshake"');
      expect(junit).toContain('template-delivery');
      const html = await readFile(join(out, 'report.html'), 'utf8');
      expect(html).toContain('id="conformance"');
      expect(html).toContain('template_delivery_rate');
      expect(run.lines.join('\n')).toMatch(/PASS\s+│ verify-handshake/);
    } finally {
      await connector.close();
    }
  }, 60_000);

  it('stops with exit 3 and keeps the conformance half when the preflight fails', async () => {
    const connector = await startVendorConnector({ ...env, CRM_TOKEN: 'not-the-token' });
    try {
      const out = join(dir, 'miswired');
      const run = await wacrm([
        'certify',
        '--connector-url',
        connector.url,
        ...ports,
        '--only',
        'verify-handshake',
        '--quiet',
        '--out',
        out,
        join(dir, 'small.yaml'),
      ]);
      expect(run.error).toBeInstanceOf(WacrmError);
      expect((run.error as WacrmError).code).toBe('WACRM_PREFLIGHT_FAILED');
      expect((run.error as WacrmError).exitCode).toBe(3);
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
        conformance: Array<{ id: string }>;
      };
      expect(summary.conformance.map((c) => c.id)).toEqual(['verify-handshake']);
    } finally {
      await connector.close();
    }
  }, 60_000);

  it('refuses bad usage before starting anything', async () => {
    for (const args of [
      ['certify'],
      ['certify', '--connector-url', 'ftp://x'],
      ['certify', '--connector-url', 'http://127.0.0.1:9', '--only', 'no-such-case'],
    ]) {
      const run = await wacrm(args);
      expect(run.error, args.join(' ')).toBeDefined();
    }
  });
});
