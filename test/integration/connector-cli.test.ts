import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerConnectorCommand, runConnectorProcess } from '../../src/cli/connector.js';
import type { Io } from '../../src/cli/io.js';
import { WacrmError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'wacrm-connector-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in connector: records its argv, exits with EXIT_WITH, or waits for SIGTERM and exits 0. */
const entry = join(dir, 'fake-connector.mjs');
writeFileSync(
  entry,
  `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(join(dir, 'argv.json'))}, JSON.stringify(process.argv.slice(2)));
const code = process.env.EXIT_WITH;
if (code !== undefined) process.exit(Number(code));
process.on('SIGTERM', () => { writeFileSync(${JSON.stringify(join(dir, 'signal.txt'))}, 'SIGTERM'); process.exit(0); });
setInterval(() => {}, 1000);
`,
);

function fakeIo(): Io & { stop?: (signal: string) => void } {
  const io: Io & { stop?: (signal: string) => void } = {
    out() {},
    err() {},
    isTty: false,
    env: {},
    onStop(fn) {
      io.stop = fn;
    },
  };
  return io;
}

describe('wacrm connector', () => {
  it('passes every flag through unchanged to the connector process', async () => {
    process.env['EXIT_WITH'] = '0';
    try {
      const program = new Command('wacrm').exitOverride();
      registerConnectorCommand(program, fakeIo(), entry);
      await program.parseAsync(['connector', '--port', '0', '--fault', 'cap=5', '--crm-plan=enterprise'], {
        from: 'user',
      });
      expect(JSON.parse(readFileSync(join(dir, 'argv.json'), 'utf8'))).toEqual([
        '--port',
        '0',
        '--fault',
        'cap=5',
        '--crm-plan=enterprise',
      ]);
      expect(program.commands.find((c) => c.name() === 'connector')?.description()).toMatch(
        /reference connector/,
      );
    } finally {
      delete process.env['EXIT_WITH'];
    }
  });

  it('turns exit code 2 into a usage error and others into an exited connector', async () => {
    for (const [code, expected] of [
      ['2', 'WACRM_USAGE'],
      ['5', 'WACRM_CONNECTOR_EXITED'],
    ] as const) {
      process.env['EXIT_WITH'] = code;
      try {
        const err = await runConnectorProcess([], fakeIo(), entry).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WacrmError);
        expect((err as WacrmError).code).toBe(expected);
      } finally {
        delete process.env['EXIT_WITH'];
      }
    }
  });

  it('forwards SIGTERM to the connector and resolves when it exits 0', async () => {
    rmSync(join(dir, 'argv.json'), { force: true });
    const io = fakeIo();
    const done = runConnectorProcess(['--port', '0'], io, entry);
    // Give the child time to install its handler.
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20));
      try {
        readFileSync(join(dir, 'argv.json'));
        break;
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 100));
    io.stop?.('SIGTERM');
    await expect(done).resolves.toBeUndefined();
    expect(readFileSync(join(dir, 'signal.txt'), 'utf8')).toBe('SIGTERM');
  });
});
