import { Command } from 'commander';
import type { Io } from '../../src/cli/io.js';
import { addMockCrmCommand } from '../../src/cli/mock-crm.js';

/** An {@link Io} that captures stdout and stderr lines in order and lets a test send the stop signal. */
export function captureIo(): Io & { lines: string[]; stop: (signal: string) => void } {
  const lines: string[] = [];
  let stopFn: ((s: string) => void) | undefined;
  return {
    lines,
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    isTty: false,
    env: {},
    onStop(fn) {
      stopFn = fn;
    },
    stop: (signal) => stopFn?.(signal),
  };
}

/** Waits until a captured line contains `text` (at most `ms`); returns whether one did. */
export async function untilLine(io: { lines: string[] }, text: string, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!io.lines.some((l) => l.includes(text))) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/**
 * Starts `wacrm mock crm …args` in-process and waits for its banner: the base URL it listens on
 * (undefined if it never printed one), its captured output, and the command's promise (it settles
 * after `io.stop(signal)`).
 */
export async function startMockCrm(args: string[]): Promise<{
  io: ReturnType<typeof captureIo>;
  base: string | undefined;
  running: Promise<unknown>;
}> {
  const io = captureIo();
  const mock = new Command('mock').exitOverride();
  addMockCrmCommand(mock, io);
  const running = mock.parseAsync(['crm', ...args], { from: 'user' });
  // A start that fails settles `running` first; the test sees its error when it awaits it.
  await Promise.race([untilLine(io, 'stop with Ctrl-C'), running.catch(() => undefined)]);
  const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(io.lines[0] ?? '')?.[1];
  return { io, base, running };
}
