import { Command } from 'commander';
import type { Io } from '../../../src/cli/io.js';
import { WacrmError } from '../../../src/errors.js';

/** Runs one registered command the way main.ts does and returns its output and exit code. */
export async function runCommand(
  register: (program: Command, io: Io) => void,
  args: string[],
): Promise<{ out: string[]; err: string[]; exitCode: number; error?: WacrmError }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), isTty: false, env: {}, onStop() {} };
  const program = new Command('wacrm').exitOverride().configureOutput({
    writeOut: (s) => out.push(s),
    writeErr: (s) => err.push(s),
  });
  register(program, io);
  try {
    await program.parseAsync(['node', 'wacrm', ...args]);
    return { out, err, exitCode: 0 };
  } catch (e) {
    if (e instanceof WacrmError) return { out, err, exitCode: e.exitCode, error: e };
    if (e && typeof e === 'object' && 'exitCode' in e)
      return { out, err, exitCode: (e as { exitCode: number }).exitCode === 0 ? 0 : 2 };
    throw e;
  }
}
