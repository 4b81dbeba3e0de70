import type { LogLevel } from './config.js';

const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Human log lines (stderr in the real program). Never give it a token or a secret. */
export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

/** A logger writing `time level message` lines through `write`, dropping levels below `level`. */
export function createLogger(level: LogLevel, write: (line: string) => void): Logger {
  const at = (lvl: LogLevel) => (msg: string) => {
    if (ORDER[lvl] <= ORDER[level]) write(`${new Date().toISOString()} ${lvl.padEnd(5)} ${msg}`);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/** A logger that writes nothing (tests). */
export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };
