import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { WacrmError } from '../errors.js';
import type { Io } from './io.js';

/**
 * Where the built connector is: beside this file's build (dist/src/cli → dist/connector), or,
 * when this file runs from source (tsx), in the repository's dist/.
 */
export function connectorEntryPath(): string {
  const candidates = [
    new URL('../../connector/main.js', import.meta.url),
    new URL('../../dist/connector/main.js', import.meta.url),
  ].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new WacrmError(
      'WACRM_CONNECTOR_EXITED',
      `the reference connector is not built (looked for ${candidates.join(' and ')})`,
      'run `npm run build` first',
    );
  }
  return found;
}

/**
 * Runs the reference connector as a child process with `args` (its own flags), sharing this
 * terminal, forwarding SIGINT/SIGTERM so it drains and exits cleanly. Resolves when it exited 0;
 * otherwise throws: bad flags (exit 2) as a usage error, anything else as an exited connector.
 */
export function runConnectorProcess(
  args: readonly string[],
  io: Io,
  entry = connectorEntryPath(),
): Promise<void> {
  return new Promise((resolve, reject) => {
    // fork() starts the same node binary as this process, without this file reaching for `process`.
    const child = fork(entry, [...args], { stdio: 'inherit' });
    io.onStop((signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal as NodeJS.Signals);
    });
    child.once('error', (err) => {
      reject(new WacrmError('WACRM_CONNECTOR_EXITED', `could not start the connector: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      if (code === 0 || signal === 'SIGINT' || signal === 'SIGTERM') resolve();
      else if (code === 2) {
        reject(
          new WacrmError(
            'WACRM_USAGE',
            'the connector refused its flags (see the line above)',
            'run `wacrm connector --help`',
          ),
        );
      } else {
        reject(
          new WacrmError(
            'WACRM_CONNECTOR_EXITED',
            `the connector exited with ${signal ? `signal ${signal}` : `code ${code}`}`,
          ),
        );
      }
    });
  });
}

/**
 * `wacrm connector [flags]`: the reference connector on its own (its flags pass through unchanged).
 * `entry` replaces the built connector (tests).
 */
export function registerConnectorCommand(program: Command, io: Io, entry?: string): void {
  program
    .command('connector')
    .description(
      'run the reference connector on its own (all flags pass through; `wacrm connector --help` lists them)',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[flags...]', 'connector flags, e.g. --port 4030 --crm-plan enterprise')
    .action(async (_flags: string[], _opts: unknown, cmd: Command) => {
      await runConnectorProcess(cmd.args, io, entry ?? connectorEntryPath());
    });
}
