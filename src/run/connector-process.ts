import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WacrmError } from '../errors.js';

/** Where the built reference connector lives (dist/connector/main.js), from source or from dist. */
export function referenceConnectorMain(): string {
  const here = fileURLToPath(import.meta.url);
  // From dist/src/run/connector-process.js the connector is ../../connector/main.js; from the
  // TypeScript source (tests) it is the built copy under dist/.
  const candidates = [
    fileURLToPath(new URL('../../connector/main.js', import.meta.url)),
    fileURLToPath(new URL('../../dist/connector/main.js', import.meta.url)),
  ];
  const found = candidates.find((c) => c.endsWith('.js') && existsSync(c));
  if (!found) {
    throw new WacrmError(
      'WACRM_CONNECTOR_UNREACHABLE',
      `the reference connector is not built (looked for ${candidates.join(', ')} from ${here})`,
      'run `npm run build` first',
    );
  }
  return found;
}

/** A running connector child process. */
export interface ConnectorProcess {
  url: string;
  pid: number;
  /** The last lines the connector wrote to stderr (evidence when it misbehaves). */
  recentLog(): string[];
  /** Exit code/signal once it exited, else null. */
  exited(): { code: number | null; signal: string | null } | null;
  /** Registers a listener for an unexpected exit. */
  onExit(fn: (code: number | null, signal: string | null) => void): void;
  /** Asks it to drain and stop (SIGTERM), then kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts the reference connector as a real child process (so its CPU and memory can be sampled
 * and its load never skews the harness's timing) and waits for its `listening` line.
 */
export function spawnConnector(
  args: string[],
  opts: { startTimeoutMs?: number } = {},
): Promise<ConnectorProcess> {
  const main = referenceConnectorMain();
  // The IPC channel is a lifeline: if this process dies, even by SIGKILL, it closes and the
  // connector drains and exits instead of lingering (a `kill -9` of a soak must not leak it).
  const child: ChildProcess = spawn(process.execPath, [main, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  child.channel?.unref();
  const log: string[] = [];
  let exitInfo: { code: number | null; signal: string | null } | null = null;
  const exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
  const pushLog = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      log.push(line);
      if (log.length > 200) log.shift();
    }
  };
  child.stderr?.on('data', pushLog);

  return new Promise<ConnectorProcess>((resolve, reject) => {
    let settled = false;
    let stdoutBuf = '';
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(
        new WacrmError(
          'WACRM_CONNECTOR_UNREACHABLE',
          `the reference connector did not report that it was listening within ${opts.startTimeoutMs ?? 15000} ms`,
          log.slice(-5).join('\n') || undefined,
        ),
      );
    }, opts.startTimeoutMs ?? 15_000);

    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      for (const fn of exitListeners) fn(code, signal);
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(
          new WacrmError(
            'WACRM_CONNECTOR_EXITED',
            `the reference connector exited before listening (code ${code}, signal ${signal})`,
            log.slice(-8).join('\n') || undefined,
          ),
        );
      }
    });
    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(
        new WacrmError(
          'WACRM_CONNECTOR_UNREACHABLE',
          `could not start the reference connector: ${err.message}`,
        ),
      );
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBuf += chunk.toString('utf8');
      let nl = stdoutBuf.indexOf('\n');
      while (nl >= 0) {
        const line = stdoutBuf.slice(0, nl).trim();
        stdoutBuf = stdoutBuf.slice(nl + 1);
        nl = stdoutBuf.indexOf('\n');
        if (settled || !line.startsWith('{')) continue;
        try {
          const msg = JSON.parse(line) as { event?: string; url?: string };
          if (msg.event === 'listening' && typeof msg.url === 'string') {
            settled = true;
            clearTimeout(timer);
            resolve(handle(msg.url));
          }
        } catch {
          // Not our line: ignore.
        }
      }
    });

    function handle(url: string): ConnectorProcess {
      return {
        url,
        pid: child.pid ?? -1,
        recentLog: () => [...log],
        exited: () => exitInfo,
        onExit: (fn) => {
          exitListeners.push(fn);
        },
        stop: (graceMs = 5000) =>
          new Promise<void>((done) => {
            if (exitInfo) return done();
            const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            child.kill('SIGTERM');
          }),
      };
    }
  });
}
