/**
 * The reference connector passes every conformance case, and `wacrm conformance` turns the run
 * into the same report files as `wacrm run`, with exit codes 0 / 1 / 2 / 3.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_CASE_IDS, runConformanceSuite } from '../../src/conformance/index.js';
import { WacrmError } from '../../src/errors.js';
import { runResultSchema } from '../../src/result/run-result.js';
import { freePort } from '../integration/conformance-proxy.js';
import { type CliRun, wacrm } from './cli.js';

function cli(args: string[]): Promise<CliRun> {
  return wacrm(['conformance', ...args]);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-conformance-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the reference connector', () => {
  it('passes every conformance case', async () => {
    const lines: string[] = [];
    const run = await runConformanceSuite({
      connector: { kind: 'reference' },
      onProgress: (l) => lines.push(l),
    });
    expect(run.valid).toBe(true);
    expect(run.cases.map((c) => c.id)).toEqual([...CONFORMANCE_CASE_IDS]);
    const failed = run.cases.filter((c) => !c.passed).map((c) => `${c.id}: ${c.evidence}`);
    expect(failed).toEqual([]);
    for (const c of run.cases) {
      expect(c.evidence.length, c.id).toBeGreaterThan(20);
      expect(c.durationMs).toBeGreaterThanOrEqual(0);
    }
    // Long cases say what they are doing while they run.
    expect(lines.some((l) => l.includes('crm-plan-rate-respected: ') && l.includes('busiest minute'))).toBe(
      true,
    );
  }, 300_000);
});

describe('wacrm conformance (CLI)', () => {
  it('prints the case table, writes the reports and exits 0 when every case passes', async () => {
    const out = join(dir, 'pass');
    const { io, error } = await cli(['--only', 'verify-handshake,signature-missing', '--out', out]);
    expect(error).toBeUndefined();
    const text = io.lines.join('\n');
    expect(text).toMatch(/PASS\s+│ verify-handshake/);
    expect(text).toMatch(/PASS\s+│ signature-missing/);
    expect(text).toContain('2/2 cases passed');
    const result = runResultSchema.parse(JSON.parse(await readFile(join(out, 'result.json'), 'utf8')));
    expect(result.conformance?.map((c) => c.id)).toEqual(['verify-handshake', 'signature-missing']);
    const junit = await readFile(join(out, 'junit.xml'), 'utf8');
    expect(junit).toContain('classname="wacrm.conformance" name="signature-missing"');
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as { verdict: string };
    expect(summary.verdict).toBe('pass');
    // Secrets never reach the reports.
    expect(await readFile(join(out, 'report.html'), 'utf8')).not.toMatch(/verify_token=[a-f0-9]{16}/);
  }, 60_000);

  it('exits 1 with the failing case in the reports when a case fails', async () => {
    const out = join(dir, 'fail');
    const { io, error } = await cli([
      '--only',
      'signature-wrong-secret',
      '--fault',
      'skip-signature-check',
      '--out',
      out,
      '--json',
    ]);
    expect(error).toBeInstanceOf(WacrmError);
    expect((error as WacrmError).exitCode).toBe(1);
    expect((error as WacrmError).code).toBe('WACRM_THRESHOLD_FAILED');
    // --json: stdout is summary.json (the table went to stderr, captured in the same list here).
    const json = io.lines.find((l) => l.startsWith('{')) as string;
    const summary = JSON.parse(json) as {
      verdict: string;
      conformance: Array<{ id: string; passed: boolean }>;
    };
    expect(summary.verdict).toBe('fail');
    expect(summary.conformance).toEqual([
      expect.objectContaining({ id: 'signature-wrong-secret', passed: false }),
    ]);
    const md = await readFile(join(out, 'summary.md'), 'utf8');
    expect(md).toContain('signature-wrong-secret');
  }, 60_000);

  it('exits 2 on bad usage before starting anything', async () => {
    for (const args of [
      ['--only', 'no-such-case'],
      ['--skip', 'verify-handshake,nope'],
      ['--connector-url', 'ftp://example.com'],
      ['--connector-url', 'http://127.0.0.1:9', '--fault', 'no-retry'],
      ['--crm-plan', 'gold'],
      ['--whatsapp-port', '70000'],
      ['--connector-url', 'http://127.0.0.1:9', '--whatsapp-webhook-path', 'webhooks'],
    ]) {
      const { error } = await cli(args);
      expect(error, args.join(' ')).toBeInstanceOf(WacrmError);
      expect((error as WacrmError).exitCode, args.join(' ')).toBe(2);
    }
  });

  it('exits 3 when the connector cannot be reached', async () => {
    const closed = await freePort();
    const { error } = await cli([
      '--connector-url',
      `http://127.0.0.1:${closed}`,
      '--whatsapp-port',
      '0',
      '--crm-port',
      '0',
      '--only',
      'verify-handshake',
      '--out',
      join(dir, 'unreachable'),
    ]);
    expect(error).toBeInstanceOf(WacrmError);
    expect((error as WacrmError).code).toBe('WACRM_CONNECTOR_UNREACHABLE');
    expect((error as WacrmError).exitCode).toBe(3);
  }, 30_000);

  it('lists the cases', async () => {
    const { io, error } = await cli(['--list']);
    expect(error).toBeUndefined();
    expect(io.lines).toHaveLength(CONFORMANCE_CASE_IDS.length);
    expect(io.lines[0]).toMatch(/^verify-handshake\s+Verification handshake/);
  });
});
