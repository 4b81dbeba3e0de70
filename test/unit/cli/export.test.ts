import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerExportCommand } from '../../../src/cli/export.js';
import { runCommand } from './run-command.js';

const SCENARIOS = resolve(import.meta.dirname, '../../../scenarios');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-export-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('wacrm export k6', () => {
  it('writes the export and says what it holds', async () => {
    const out = join(dir, 'k6');
    const r = await runCommand(registerExportCommand, [
      'export',
      'k6',
      join(SCENARIOS, 'soak-72h.yaml'),
      '--out',
      out,
      '--time-scale',
      '72',
      '--start-at',
      '2026-12-03T00:00:00Z',
    ]);
    expect(r.exitCode).toBe(0);
    expect(r.out[0]).toContain('wrote 7 files');
    // 72 h at ×72: one hour of stages, about 5,000 iterations (keep-rate plays 1/72 of 360,000).
    expect(r.out[1]).toMatch(
      /^ {2}soak: \d+ k6 stages over 3600 s, peak \d+ msg\/min, about 5\d{3} iterations/,
    );
    expect((await readdir(out)).sort()).toEqual([
      'flows.json',
      'k8s',
      'script.ts',
      'tsconfig.json',
      'wire.d.ts',
      'wire.js',
    ]);
  });

  it('refuses a scenario without a capacity or soak suite, and writes nothing (exit 2)', async () => {
    const out = join(dir, 'none');
    const r = await runCommand(registerExportCommand, [
      'export',
      'k6',
      join(SCENARIOS, 'template-delivery.yaml'),
      '--out',
      out,
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.error?.code).toBe('WACRM_EXPORT_UNSUPPORTED');
    await expect(readdir(out)).rejects.toThrow();
  });

  it('refuses the HubSpot dialect and a suite the scenario lacks (exit 2)', async () => {
    const hub = join(dir, 'hub.yaml');
    await writeFile(hub, 'name: hub\nmocks:\n  crm:\n    dialect: hubspot\nsuites:\n  - kind: capacity\n');
    const a = await runCommand(registerExportCommand, ['export', 'k6', hub, '--out', join(dir, 'a')]);
    expect(a.error?.code).toBe('WACRM_EXPORT_UNSUPPORTED');
    expect(a.error?.message).toContain('hubspot');
    const b = await runCommand(registerExportCommand, [
      'export',
      'k6',
      join(SCENARIOS, 'step-ramp.yaml'),
      '--out',
      join(dir, 'b'),
      '--suite',
      'soak',
    ]);
    expect(b.error?.code).toBe('WACRM_EXPORT_UNSUPPORTED');
  });

  it('bad flags are usage errors naming the flag (exit 2)', async () => {
    const base = ['export', 'k6', join(SCENARIOS, 'step-ramp.yaml'), '--out', join(dir, 'x')];
    for (const [flags, text] of [
      [['--parallelism', '0'], '--parallelism'],
      [['--suite', 'ramp'], '--suite'],
      [['--start-at', 'tomorrow'], '--start-at'],
      [['--connector-url', 'ftp://x'], '--connector-url'],
    ] as const) {
      const r = await runCommand(registerExportCommand, [...base, ...flags]);
      expect(r.exitCode, flags.join(' ')).toBe(2);
      expect(r.error?.code).toBe('WACRM_USAGE');
      expect(r.error?.message).toContain(text);
    }
  });
});
