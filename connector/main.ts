#!/usr/bin/env node
import { faultWarnings } from '../kernel/connector-faults.js';
/**
 * The reference connector as a program: flags/env → config → listen → one JSON line on stdout
 * (`{"event":"listening","url":…,"pid":…}`) that the harness waits for. Human logs go to stderr.
 * SIGTERM/SIGINT: stop accepting, drain the queue (bounded), exit 0. Bad flags: exit 2. Started
 * with an IPC channel (as the harness does), it also drains and exits when that channel closes.
 */
import { ConfigError, type ParsedArgs, parseArgs, usage } from './config.js';
import { createLogger } from './log.js';
import { buildConnector } from './server.js';

/** Exit code when the connector cannot start (e.g. its port is taken). */
const EXIT_CANNOT_START = 3;

const stderr = (line: string) => {
  process.stderr.write(line + '\n');
};

let parsed: ParsedArgs;
try {
  parsed = parseArgs(process.argv.slice(2), process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  stderr(`wacrm-connector: ${err.message}`);
  process.exit(2);
}
if (parsed.help) {
  process.stdout.write(usage() + '\n');
  process.exit(0);
}
const config = parsed.config;
const log = createLogger(config.logLevel, stderr);
for (const warning of faultWarnings(config.faults)) stderr(warning);

const app = buildConnector(config, { log });
try {
  await app.listen({ host: config.host, port: config.port });
} catch (err) {
  stderr(`wacrm-connector: cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  process.exit(EXIT_CANNOT_START);
}

const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : config.port;
const wildcard = config.host === '0.0.0.0' || config.host === '::';
const host = wildcard ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
const url = `http://${host}:${port}`;
process.stdout.write(JSON.stringify({ event: 'listening', url, pid: process.pid }) + '\n');
log.info(
  `connector listening on ${url} (webhooks: /webhooks/whatsapp, /webhooks/crm); ` +
    `WhatsApp ${config.waBaseUrl}/${config.waApiVersion} at ${config.waRatePerSec}/s; ` +
    `CRM ${config.crmBaseUrl} (plan ${config.crmPlan}, budget ${config.crmRatePerMin} req/min); ` +
    `${config.concurrency} workers, queue limit ${config.queueLimit}`,
);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) {
    log.info(`${signal} again: already draining (at most ${config.drainTimeoutMs} ms)`);
    return;
  }
  stopping = true;
  log.info(
    `${signal}: no longer accepting webhooks; draining the queue (at most ${config.drainTimeoutMs} ms)`,
  );
  // Belt and braces: whatever happens while closing, the process ends shortly after the drain budget.
  setTimeout(() => {
    log.warn('shutdown took too long; exiting');
    process.exit(0);
  }, config.drainTimeoutMs + 5000).unref();
  app.close().then(
    () => {
      const left = app.connector.leftAtShutdown ?? 0;
      if (left > 0) log.warn(`stopped with ${left} job(s) undone (drain timeout reached)`);
      else log.info('drained; bye');
      process.exit(0);
    },
    (err: unknown) => {
      log.error(`error while closing: ${(err as Error).message}`);
      process.exit(0);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
// Started by the harness, the connector has an IPC channel to it. If the harness dies, even by
// SIGKILL, the channel closes: drain and exit rather than linger on the port.
if (process.channel) {
  process.channel.unref();
  process.on('disconnect', () => stop('the harness that started this connector is gone'));
}
process.on('unhandledRejection', (err) => {
  log.error(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`);
});
