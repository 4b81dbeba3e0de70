import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { WacrmError } from '../errors.js';

// The run directory's writer lock: a pid file. It is an edge to the operating system (this
// process's pid, whether another pid is alive), like the CLI entry and the connector process.

/** Beside the journal while a process writes it: that process's pid. */
export const LOCK_FILE = 'journal.lock';

/** Whether a process with this pid exists (EPERM: it does, under another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes this process the one writer of the run directory's journal: creates `journal.lock` holding
 * its pid, exclusively. A lock whose process is gone (a run killed with SIGKILL) is taken over; a
 * lock held by a live process is refused with WACRM_RUN_DIR_BUSY, so `wacrm resume` started twice,
 * or a `wacrm run --out` into a directory a run is still writing, cannot interleave two journals.
 * Returns the function that releases the lock (only while it is still this process's).
 */
export function takeWriterLock(runDir: string): () => void {
  const path = join(runDir, LOCK_FILE);
  const mine = String(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${mine}\n`);
      } finally {
        closeSync(fd);
      }
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === mine) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(path, 'utf8').trim());
    } catch {
      // Removed meanwhile: try again.
    }
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
      throw new WacrmError(
        'WACRM_RUN_DIR_BUSY',
        `the run in ${runDir} is being written by another process (pid ${holder})`,
        `wait for it to finish or stop it; if pid ${holder} is not a wacrm process, delete ${path}`,
      );
    }
    try {
      unlinkSync(path);
    } catch {
      // Someone else removed the stale lock first: the next attempt decides.
    }
  }
}
