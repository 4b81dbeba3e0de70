import { Command } from 'commander';
import { registerCertifyCommand } from './certify.js';
import { registerCollectCommand } from './collect.js';
import { registerCompareCommand } from './compare.js';
import { registerConformanceCommand } from './conformance.js';
import { registerConnectorCommand } from './connector.js';
import { registerExportCommand } from './export.js';
import type { Io } from './io.js';
import { registerMockCommand } from './mock.js';
import { registerReportCommand } from './report.js';
import { registerResumeCommand } from './resume.js';
import { registerRunCommand } from './run.js';
import { registerUpCommand } from './up.js';
import { registerValidateCommand } from './validate.js';

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
  registerRunCommand(program, io);
  registerConnectorCommand(program, io);
  registerMockCommand(program, io);
  registerUpCommand(program, io);
  registerValidateCommand(program, io);
  registerReportCommand(program, io);
  registerCompareCommand(program, io);
  registerConformanceCommand(program, io);
  registerCertifyCommand(program, io);
  registerResumeCommand(program, io);
  registerExportCommand(program, io);
  registerCollectCommand(program, io);
  return program;
}
