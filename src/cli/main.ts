#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { WacrmError } from '../errors.js';
import { processIo } from './io.js';
import { buildProgram } from './program.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const io = processIo();
try {
  await buildProgram(io, packageVersion()).parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander has already printed its message; --help and --version end with exit code 0.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof WacrmError) {
    io.err(`wacrm: ${err.message} [${err.code}]`);
    if (err.hint) io.err(`  hint: ${err.hint}`);
    process.exitCode = err.exitCode;
  } else {
    io.err(`wacrm: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    if (io.env['WACRM_DEBUG']) io.err(err instanceof Error ? (err.stack ?? '') : '');
    else io.err('  (set WACRM_DEBUG=1 to see the stack trace, and please report it)');
    process.exitCode = 3;
  }
}
