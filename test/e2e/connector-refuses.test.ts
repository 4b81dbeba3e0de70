/**
 * A connector that refuses our correctly signed webhooks (HTTP 403) is diagnosed, not just graded:
 * "connector refused our webhooks" with the codes in the terminal, summary.json and report.html, the
 * answers counted by suite and stage, and no BEST latency (every flow is censored at its deadline).
 * The stand-in passes the preflight and refuses the load (see vendor-stand-in.ts); about 20 s.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WacrmError } from '../../src/errors.js';
import type { Summary } from '../../src/report/summary.js';
import { freePort } from '../integration/conformance-proxy.js';
import { wacrm } from './cli.js';
import { parseEnv, startVendorConnector } from './vendor-stand-in.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-refuses-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('answers 403 to every webhook: "connector refused our webhooks" in every report', async () => {
  const file = join(dir, 'sync.yaml');
  await writeFile(
    file,
    `name: refuses
seed: 7
acceptance: ${JSON.stringify(resolve('scenarios/acceptance.yaml'))}
suites:
  - { kind: conversation-sync, messages: 60, conversations: 20, rate: 600/min, deadline: 5s }
`,
  );
  const ports = ['--whatsapp-port', String(await freePort()), '--crm-port', String(await freePort())];
  const env = parseEnv((await wacrm(['up', '--print-env', ...ports])).lines.join('\n'));
  const connector = await startVendorConnector(env, { refuseAfterPreflight: 403 });
  try {
    const out = join(dir, 'run');
    const run = await wacrm(['run', '--connector-url', connector.url, ...ports, '--out', out, file]);
    // Graded and failed (exit 1), not stopped: the preflight passed.
    expect(run.error).toBeInstanceOf(WacrmError);
    expect((run.error as WacrmError).exitCode).toBe(1);
    const terminal = run.lines.join('\n');
    expect(terminal).toMatch(/DIAGNOSIS connector refused our webhooks: .*answered 4xx: 403 × \d/);

    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Summary;
    const health = summary.connectorHealth;
    if (!health) throw new Error('summary.json has no connectorHealth');
    expect(health.diagnoses[0]).toMatch(/^connector refused our webhooks: .* 403 × /);
    expect(health.refusedShare).toBeGreaterThan(0.95);
    // By suite and stage: the messages while sending, the retries of the refused ones while draining.
    const sync = health.answers.filter((a) => a.suite === 'conversation-sync');
    expect(sync.map((a) => a.stage)).toContain('sending');
    for (const a of sync) expect(Object.keys(a.byCode)).toEqual(['403']);

    const m = summary.metrics.sync_latency_p95_s;
    expect(m.band).toBe('fail');
    expect(m.shown).toBe('> 5 s');

    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('connector refused our webhooks');
    expect(html).toContain('<th>Stage</th>');
    expect(html).toContain('HTTP 403');
  } finally {
    await connector.close();
  }
}, 60_000);
