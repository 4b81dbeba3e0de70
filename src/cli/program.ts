import { Command } from 'commander';
import { registerConnectorCommand } from './connector.js';
import type { Io } from './io.js';
import { registerMockCommand } from './mock.js';
import { registerUpCommand } from './up.js';

/**
 * Builds the `wacrm` program. Each command lives in its own small file under src/cli/ that parses
 * flags and calls the public API (src/index.ts); this file only registers them.
 */
export function buildProgram(io: Io, version: string): Command {
  const program = new Command('wacrm')
    .description('Load- and conformance-testing harness for WhatsApp Cloud API <-> CRM integrations')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // Commands register here, one line each.
  registerConnectorCommand(program, io);
  registerMockCommand(program, io);
  registerUpCommand(program, io);
  return program;
}
