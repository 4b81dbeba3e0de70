/**
 * The CLI's only contact with the terminal and the process (besides main.ts). Commands get an
 * {@link Io} so they can be driven in tests with captured output.
 */
export interface Io {
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a line to stderr. */
  err(line: string): void;
  /** True when stdout is an interactive terminal (live progress) rather than a log (plain lines). */
  readonly isTty: boolean;
  /** Version of the Node.js running the harness (for the report's environment). */
  readonly nodeVersion?: string;
  /** Environment variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the user asks the process to stop (SIGINT or SIGTERM). */
  onStop(fn: (signal: string) => void): void;
  /** Ends the process at once with this exit code (a second Ctrl-C); absent in tests. */
  exit?(code: number): void;
}

/**
 * Watches a standard stream for the reader going away (`wacrm … | head` closes the pipe: EPIPE):
 * from then on writes to it are dropped, so the command finishes quietly, as `git log | head` does,
 * instead of dying on an unhandled 'error' event with a stack trace. Returns whether it is gone.
 */
function watchClosed(stream: NodeJS.WriteStream): () => boolean {
  let gone = false;
  // Any error of a standard stream (EPIPE, then ERR_STREAM_DESTROYED for later writes; EIO for a
  // vanished terminal) means nobody reads it any more: there is nowhere left to report it.
  stream.on('error', () => {
    gone = true;
  });
  return () => gone || stream.destroyed;
}

/** The real terminal. */
export function processIo(): Io {
  const stdoutGone = watchClosed(process.stdout);
  const stderrGone = watchClosed(process.stderr);
  return {
    out: (line) => {
      if (!stdoutGone()) process.stdout.write(line + '\n');
    },
    err: (line) => {
      if (!stderrGone()) process.stderr.write(line + '\n');
    },
    isTty: Boolean(process.stdout.isTTY),
    env: process.env,
    nodeVersion: process.version,
    onStop(fn) {
      const handler = (signal: NodeJS.Signals) => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
        fn(signal);
      };
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
    },
    exit: (code) => process.exit(code),
  };
}
