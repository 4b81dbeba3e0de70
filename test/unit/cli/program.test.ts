import { describe, expect, it } from 'vitest';
import type { Io } from '../../../src/cli/io.js';
import { buildProgram } from '../../../src/cli/program.js';

function captureIo(): Io & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l), isTty: false, env: {}, onStop() {} };
}

describe('wacrm program', () => {
  it('names itself and carries the version it is given', () => {
    const program = buildProgram(captureIo(), '9.9.9');
    expect(program.name()).toBe('wacrm');
    expect(program.version()).toBe('9.9.9');
  });

  it('gives every command a description for --help', () => {
    const program = buildProgram(captureIo(), '0.0.0');
    for (const cmd of program.commands) {
      expect(cmd.description(), `command ${cmd.name()} has no description`).not.toBe('');
    }
  });
});
