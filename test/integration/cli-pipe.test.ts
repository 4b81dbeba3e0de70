import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const MAIN = resolve(import.meta.dirname, '../../dist/src/cli/main.js');

/**
 * Runs the built CLI with stdout on a pipe whose reader goes away: at once (`closeAfterBytes` 0, so
 * the CLI's first write finds no reader) or after the first bytes, as `wacrm … | head -c N` does.
 */
function pipedInto(
  args: string[],
  closeAfterBytes: number,
): Promise<{ code: number | null; signal: string | null; stderr: string; read: number }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let read = 0;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr += s;
    });
    if (closeAfterBytes === 0) child.stdout.destroy();
    else {
      child.stdout.on('data', (b: Buffer) => {
        read += b.length;
        if (read >= closeAfterBytes) child.stdout.destroy();
      });
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`wacrm ${args.join(' ')} did not exit within 20 s`));
    }, 20_000);
    child.once('error', fail);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stderr, read });
    });
  });
}

describe('wacrm with its stdout closed early (`wacrm … | head`)', () => {
  for (const args of [['run', '--help'], ['--help'], ['validate', '--help']]) {
    it(`wacrm ${args.join(' ')}: the reader closes before the first line; wacrm exits 0 without a word`, async () => {
      const r = await pipedInto(args, 0);
      expect(r.stderr).not.toMatch(/EPIPE|Error|at .*\.js:\d+/);
      expect(r.stderr).toBe('');
      expect(r).toMatchObject({ code: 0, signal: null });
    });
  }

  it('wacrm run --help: the reader closes after the first bytes; still no stack trace and exit 0', async () => {
    const r = await pipedInto(['run', '--help'], 1);
    expect(r.read).toBeGreaterThan(0);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, signal: null });
  });
});
