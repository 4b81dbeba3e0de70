/**
 * Drives the wacrm CLI in-process for the e2e tests: the same commander program as `bin/wacrm`,
 * with an {@link Io} that captures every line so a test can read what a user would see.
 */
import type { Io } from '../../src/cli/io.js';
import { buildProgram } from '../../src/cli/program.js';

/** An {@link Io} whose stdout and stderr lines land, in order, in `lines`. */
export function captureIo(env: Record<string, string> = {}): Io & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    isTty: false,
    nodeVersion: process.version,
    env,
    onStop() {},
  };
}

/** What one CLI run left: the captured lines and the error it ended with (undefined on exit 0). */
export interface CliRun {
  io: Io & { lines: string[] };
  lines: string[];
  error?: unknown;
}

/** Runs `wacrm ...args` and returns its output and error instead of exiting. */
export async function wacrm(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const io = captureIo(env);
  try {
    await buildProgram(io, '0.0.0-test').parseAsync(['node', 'wacrm', ...args]);
    return { io, lines: io.lines };
  } catch (error) {
    return { io, lines: io.lines, error };
  }
}
