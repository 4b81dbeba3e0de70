/**
 * The kit against an external connector over HTTP (the reference connector started on its own,
 * behind a proxy), wired to the mocks by fixed ports and credentials exactly as a vendor wires
 * theirs. An honest proxy passes; each defect proxy makes the case that checks it fail — the cases
 * no fault switch of the reference connector can break.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCaseTable } from '../../src/cli/conformance.js';
import { runConformanceSuite } from '../../src/conformance/index.js';
import type { ConformanceRun } from '../../src/conformance/runner.js';
import { type ConnectorProcess, spawnConnector } from '../../src/run/connector-process.js';
import {
  type DefectProxy,
  freePort,
  type ProxyMode,
  startDefectProxy,
} from '../integration/conformance-proxy.js';

const credentials = {
  accessToken: 'vendor-access-token',
  appSecret: 'vendor-app-secret',
  verifyToken: 'vendor-verify-token',
  crmToken: 'vendor-crm-token',
  crmWebhookSecret: 'vendor-crm-secret',
  phoneNumberId: '106540352242922',
  displayPhoneNumber: '15550783881',
  wabaId: '419561257915477',
};

let connector: ConnectorProcess;
let whatsappPort: number;
let crmPort: number;

beforeAll(async () => {
  whatsappPort = await freePort();
  crmPort = await freePort();
  // The "vendor's" connector, configured once for the mocks' fixed ports and credentials.
  connector = await spawnConnector([
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--wa-base-url',
    `http://127.0.0.1:${whatsappPort}`,
    '--wa-phone-number-id',
    credentials.phoneNumberId,
    '--wa-access-token',
    credentials.accessToken,
    '--wa-app-secret',
    credentials.appSecret,
    '--wa-verify-token',
    credentials.verifyToken,
    '--crm-base-url',
    `http://127.0.0.1:${crmPort}/api/v1`,
    '--crm-token',
    credentials.crmToken,
    '--crm-webhook-secret',
    credentials.crmWebhookSecret,
    '--crm-plan',
    'enterprise',
    '--log-level',
    'error',
  ]);
}, 30_000);

afterAll(async () => {
  await connector?.stop();
});

async function runBehind(mode: ProxyMode, only: string[]): Promise<ConformanceRun> {
  const proxy: DefectProxy = await startDefectProxy(connector.url, mode);
  try {
    return await runConformanceSuite({
      connector: { kind: 'external', url: proxy.url },
      only,
      whatsappPort,
      crmPort,
      credentials,
    });
  } finally {
    await proxy.close();
  }
}

function byId(run: ConformanceRun): Record<string, { passed: boolean; evidence: string }> {
  return Object.fromEntries(run.cases.map((c) => [c.id, c]));
}

describe('wacrm conformance against an external connector', () => {
  it('passes an honest external connector through fixed ports and credentials', async () => {
    const run = await runBehind('pass', [
      'verify-handshake',
      'verify-rejects-wrong-token',
      'signature-wrong-secret',
      'signature-escaped-unicode-accepted',
      'idempotent-duplicate-status',
      'e164-normalised',
      'unknown-fields-ignored',
      'unknown-webhook-field-ignored',
    ]);
    expect(run.valid).toBe(true);
    expect(run.connector).toMatchObject({ kind: 'external' });
    // An external connector is assumed to pause the seed's 30 s before its second retry.
    expect(run.settings.retryDelayMs).toBe(30_000);
    for (const c of run.cases) expect(c.passed, `${c.id}: ${c.evidence}`).toBe(true);
    expect(run.cases).toHaveLength(8);
  }, 120_000);

  // mode → the cases that mode must make fail (and a case it must leave passing, as a control).
  const defects: Array<{ mode: ProxyMode; fails: string[]; passes: string }> = [
    { mode: 'no-echo', fails: ['verify-handshake'], passes: 'signature-missing' },
    { mode: 'any-token', fails: ['verify-rejects-wrong-token'], passes: 'verify-handshake' },
    { mode: 'reserialise', fails: ['signature-escaped-unicode-accepted'], passes: 'signature-missing' },
    { mode: 'strict-fields', fails: ['unknown-fields-ignored'], passes: 'signature-body-tampered' },
    { mode: 'messages-only', fails: ['unknown-webhook-field-ignored'], passes: 'unknown-fields-ignored' },
  ];
  for (const d of defects) {
    it(`a connector that ${d.mode} fails ${d.fails.join(', ')}`, async () => {
      const run = await runBehind(d.mode, [...d.fails, d.passes]);
      const cases = byId(run);
      for (const id of d.fails) {
        expect(cases[id]?.passed, `${id} should fail: ${cases[id]?.evidence}`).toBe(false);
        expect(cases[id]?.evidence.length).toBeGreaterThan(20);
      }
      expect(cases[d.passes]?.passed, `${d.passes}: ${cases[d.passes]?.evidence}`).toBe(true);
    }, 60_000);
  }

  it('reports every case as not run (invalid) when the connector goes away', async () => {
    const proxy = await startDefectProxy(connector.url, 'pass');
    const run = runConformanceSuite({
      connector: { kind: 'external', url: proxy.url },
      only: ['verify-handshake', 'signature-missing'],
      whatsappPort,
      crmPort,
      credentials,
      onCase: (r) => {
        // After the first case the "vendor" disappears.
        if (r.id === 'verify-handshake') void proxy.close();
      },
    });
    const result = await run;
    expect(result.cases[0]?.passed).toBe(true);
    expect(result.valid).toBe(false);
    expect(result.invalidReasons[0]).toMatch(/did not answer/);
    expect(result.cases[1]).toMatchObject({ id: 'signature-missing', passed: false, notRun: true });
    expect(result.cases[1]?.evidence).toMatch(
      /^not run: the connector was gone at case 2 of 2 \(signature-missing\): the connector did not answer/,
    );
    // The table says NOT RUN, not FAIL, for the case that did not run.
    const table = renderCaseTable(result.cases);
    expect(table).toMatch(/PASS\s+│ verify-handshake/);
    expect(table).toMatch(/NOT RUN\s+│ signature-missing/);
    expect(table).not.toMatch(/FAIL/);
  }, 60_000);
});
