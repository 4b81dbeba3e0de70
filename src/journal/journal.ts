import {
  closeSync,
  existsSync,
  fstatSync,
  fsync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { type Clock, RealClock, type TimerHandle } from '../../kernel/clock.js';
import { WacrmError } from '../errors.js';
import { takeWriterLock } from './lock.js';
import {
  type CheckpointState,
  JOURNAL_FILE,
  JOURNAL_VERSION,
  type JournalRecord,
  recordTypes,
  terminalFlowTypes,
} from './records.js';

export { LOCK_FILE } from './lock.js';
export * from './records.js';

/** Options of {@link openJournal}. */
export interface JournalOptions {
  /** Drives the flush and fsync timers. Real time by default (disk durability is about real seconds). */
  clock?: Clock;
  /** Buffered records are written to the file at least this often. Default 200 ms. */
  flushEveryMs?: number;
  /** The file is fsynced at least this often (capped at 2,000 ms). Default 1,000 ms. */
  fsyncEveryMs?: number;
  /** A buffer larger than this is written at once. Default 64 KiB. */
  maxBufferBytes?: number;
  /** Called once per write or fsync failure (disk full, file removed); the run decides what to do. */
  onError?: (err: Error) => void;
}

/** An open run journal. */
export interface RunJournal<S = CheckpointState> {
  readonly path: string;
  /** Queues one record (stamped with `v` and `seq`); written within `flushEveryMs`. */
  append(record: JournalRecord): void;
  /** Appends a checkpoint and writes + fsyncs it right away. */
  checkpoint(state: S): void;
  /** Writes everything queued and waits for the fsync. Rejects with the first write error, if any. */
  flush(): Promise<void>;
  /** Flushes, fsyncs and closes the file. Further appends throw. */
  close(): Promise<void>;
  /** Counts for the run's own health report. */
  stats(): { records: number; bytesWritten: number; fsyncs: number; lastSeq: number; error: string | null };
}

const CHUNK = 64 * 1024;

/**
 * Cuts a torn last line (a write interrupted by SIGKILL or power loss) so the next append starts on a
 * fresh line. Reads backwards in chunks to the last newline; returns the number of bytes removed.
 */
function repairTornTail(fd: number): number {
  const size = fstatSync(fd).size;
  if (size === 0) return 0;
  const buf = Buffer.alloc(CHUNK);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const n = readSync(fd, buf, 0, end - start, start);
    for (let i = n - 1; i >= 0; i--) {
      if (buf[i] === 0x0a) {
        const keep = start + i + 1;
        if (keep < size) ftruncateSync(fd, keep);
        return size - keep;
      }
    }
    end = start;
  }
  ftruncateSync(fd, 0);
  return size;
}

/** The `seq` of the last complete record in the file (0 when empty or unreadable). */
function lastSeqOf(fd: number): number {
  const size = fstatSync(fd).size;
  if (size === 0) return 0;
  const len = Math.min(size, CHUNK);
  const buf = Buffer.alloc(len);
  readSync(fd, buf, 0, len, size - len);
  const lines = buf.toString('utf8').split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const rec = JSON.parse(lines[i] as string) as JournalRecord;
      if (typeof rec.seq === 'number') return rec.seq;
    } catch {
      // Not a whole line (the chunk started mid-line) or empty: keep looking.
    }
  }
  return 0;
}

/**
 * Opens (or continues) the append-only NDJSON journal of a run in `runDir`. Records are buffered and
 * written every `flushEveryMs`; the file is fsynced every `fsyncEveryMs` (≤ 2 s) in the thread pool, so
 * the event loop never waits on the disk. A SIGKILL loses only what was still buffered (≤ 200 ms);
 * a power loss only the last fsync interval. A torn last line from a previous crash is cut first.
 */
export function openJournal<S = CheckpointState>(runDir: string, opts: JournalOptions = {}): RunJournal<S> {
  const clock = opts.clock ?? new RealClock();
  const flushEveryMs = Math.max(1, opts.flushEveryMs ?? 200);
  const fsyncEveryMs = Math.min(2000, Math.max(1, opts.fsyncEveryMs ?? 1000));
  const maxBuffer = opts.maxBufferBytes ?? 64 * 1024;
  const path = join(runDir, JOURNAL_FILE);
  let fd: number;
  let releaseLock: () => void = () => {};
  try {
    mkdirSync(runDir, { recursive: true });
    releaseLock = takeWriterLock(runDir);
    fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    repairTornTail(fd);
    closeSync(fd);
    fd = openSync(path, 'a');
  } catch (err) {
    releaseLock();
    if (err instanceof WacrmError) throw err;
    throw new WacrmError(
      'WACRM_RUN_DIR_INVALID',
      `cannot open the run journal ${path}: ${(err as Error).message}`,
      undefined,
      {
        cause: err,
      },
    );
  }
  let seq = (() => {
    const rfd = openSync(path, 'r');
    try {
      return lastSeqOf(rfd);
    } finally {
      closeSync(rfd);
    }
  })();

  let buffer: string[] = [];
  let bufferBytes = 0;
  let records = 0;
  let bytesWritten = 0;
  let fsyncs = 0;
  let dirty = false;
  let closed = false;
  let error: Error | null = null;
  let fsyncing: Promise<void> | null = null;
  let flushTimer: TimerHandle | null = null;
  let fsyncTimer: TimerHandle | null = null;

  const fail = (err: Error) => {
    if (!error) error = err;
    opts.onError?.(err);
  };

  const writeBuffer = () => {
    if (buffer.length === 0 || error) return;
    const data = Buffer.from(buffer.join(''), 'utf8');
    buffer = [];
    bufferBytes = 0;
    try {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      bytesWritten += data.length;
      dirty = true;
    } catch (err) {
      fail(err as Error);
    }
  };

  const syncNow = (): Promise<void> => {
    if (fsyncing) return fsyncing;
    if (!dirty || error) return Promise.resolve();
    dirty = false;
    fsyncing = new Promise<void>((resolve) => {
      fsync(fd, (err) => {
        fsyncing = null;
        if (err) fail(err);
        else fsyncs++;
        resolve();
      });
    });
    return fsyncing;
  };

  const armFlush = () => {
    if (closed) return;
    flushTimer = clock.setTimeout(() => {
      writeBuffer();
      armFlush();
    }, flushEveryMs);
  };
  const armFsync = () => {
    if (closed) return;
    fsyncTimer = clock.setTimeout(() => {
      writeBuffer();
      void syncNow();
      armFsync();
    }, fsyncEveryMs);
  };
  armFlush();
  armFsync();

  const push = (record: JournalRecord) => {
    if (closed) throw new Error('the run journal is closed');
    if (!record || typeof record !== 'object' || typeof record.type !== 'string' || record.type === '') {
      throw new TypeError('a journal record needs a non-empty string `type`');
    }
    seq++;
    const line = JSON.stringify({ ...record, v: record.v ?? JOURNAL_VERSION, seq }) + '\n';
    buffer.push(line);
    bufferBytes += line.length;
    records++;
    if (bufferBytes >= maxBuffer) writeBuffer();
  };

  const flush = async () => {
    writeBuffer();
    // An fsync already running may have started before the last write: wait for it, then sync again.
    if (fsyncing) await fsyncing;
    await syncNow();
    if (error) throw error;
  };

  return {
    path,
    append: push,
    checkpoint(state: S) {
      push({ type: recordTypes.checkpoint, state });
      writeBuffer();
      void syncNow();
    },
    flush,
    async close() {
      if (closed) return;
      try {
        await flush();
      } finally {
        closed = true;
        if (flushTimer) clock.clearTimeout(flushTimer);
        if (fsyncTimer) clock.clearTimeout(fsyncTimer);
        try {
          closeSync(fd);
        } catch {
          // Already closed by a failed write path: nothing left to release.
        }
        releaseLock();
      }
    },
    stats: () => ({ records, bytesWritten, fsyncs, lastSeq: seq, error: error ? error.message : null }),
  };
}

/** What {@link readJournal} found. */
export interface JournalContents<S = CheckpointState> {
  path: string;
  /** Every complete record in file order (empty when read with `keepRecords: false`). */
  records: JournalRecord[];
  /** The last checkpoint, or null when the run died before its first one. */
  checkpoint: { seq: number; state: S } | null;
  /**
   * Records after the last checkpoint to replay on top of its state, deduplicated: a record with a
   * `flowId` is kept only if no record of the same type for the same flow came before it (before or
   * after the checkpoint), so a resumed run that re-journals a flow never counts it twice.
   */
  afterCheckpoint: JournalRecord[];
  /** Records left out of `afterCheckpoint` as duplicates. */
  duplicatesSkipped: number;
  /** The last line was incomplete (cut by a crash) and was ignored. */
  tornTail: boolean;
  /** 1-based numbers of lines in the middle of the file that were not valid records (skipped). */
  corruptLines: number[];
  lastSeq: number;
  /**
   * Where the schedule continues: one past the highest `index` of any flow.launched or flow.dropped
   * record, or the checkpoint's position if that is further; null when neither exists.
   */
  nextArrivalIndex: number | null;
  /** Flows with a flow.launched record and no terminal record: in flight when the run died. */
  openFlows: string[];
}

/**
 * Reads a run's journal for `wacrm resume` and `wacrm report`. Tolerates a torn last line (the crash
 * that made the resume necessary); skips and reports corrupt lines elsewhere; refuses a journal from a
 * newer wacrm (WACRM_RUN_DIR_INVALID) rather than misreading it. Streams the file in chunks, so the
 * replay bookkeeping, not the file size, bounds memory; pass `keepRecords: false` for long soaks.
 */
export function readJournal<S = CheckpointState>(
  runDir: string,
  opts: { keepRecords?: boolean } = {},
): JournalContents<S> {
  const path = join(runDir, JOURNAL_FILE);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new WacrmError(
      'WACRM_RUN_DIR_INVALID',
      `${runDir} has no run journal (${JOURNAL_FILE})`,
      'pass the directory a wacrm run wrote (reports/<run-id>)',
    );
  }
  const keep = opts.keepRecords ?? true;
  const records: JournalRecord[] = [];
  const corruptLines: number[] = [];
  let checkpoint: { seq: number; state: S } | null = null;
  let afterCheckpoint: JournalRecord[] = [];
  // Keys (type + flowId) seen so far; afterCheckpoint is rebuilt at each checkpoint.
  const seen = new Set<string>();
  const seenAfter = new Set<string>();
  let duplicatesSkipped = 0;
  let lastSeq = 0;
  let maxIndex = -1;
  const open = new Set<string>();
  let lineNo = 0;
  let tornTail = false;

  const handle = (line: string) => {
    lineNo++;
    if (line.trim() === '') return;
    let rec: JournalRecord;
    try {
      rec = JSON.parse(line) as JournalRecord;
      if (!rec || typeof rec !== 'object' || typeof rec.type !== 'string') throw new Error('not a record');
    } catch {
      corruptLines.push(lineNo);
      return;
    }
    if (typeof rec.v === 'number' && rec.v > JOURNAL_VERSION) {
      throw new WacrmError(
        'WACRM_RUN_DIR_INVALID',
        `${path} line ${lineNo} was written by a newer wacrm (journal version ${rec.v}, this one reads ${JOURNAL_VERSION})`,
        'resume or re-render it with the wacrm version that ran it',
      );
    }
    if (typeof rec.seq === 'number') lastSeq = Math.max(lastSeq, rec.seq);
    if (keep) records.push(rec);
    if (rec.type === recordTypes.checkpoint) {
      checkpoint = { seq: rec.seq ?? lineNo, state: rec.state as S };
      for (const k of seenAfter) seen.add(k);
      seenAfter.clear();
      afterCheckpoint = [];
      return;
    }
    if (
      (rec.type === recordTypes.flowLaunched || rec.type === recordTypes.flowDropped) &&
      typeof rec.index === 'number'
    ) {
      maxIndex = Math.max(maxIndex, rec.index);
    }
    if (typeof rec.flowId === 'string') {
      if (rec.type === recordTypes.flowLaunched) open.add(rec.flowId);
      else if (terminalFlowTypes.includes(rec.type)) open.delete(rec.flowId);
      const key = `${rec.type}\u0000${rec.flowId}`;
      if (seen.has(key) || seenAfter.has(key)) {
        duplicatesSkipped++;
        return;
      }
      seenAfter.add(key);
    }
    afterCheckpoint.push(rec);
  };

  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    let carry = '';
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, pos);
      if (n === 0) break;
      pos += n;
      // Decode only up to the last newline so a multi-byte character is never split across chunks.
      const chunk = buf.subarray(0, n);
      const nl = chunk.lastIndexOf(0x0a);
      if (nl < 0) {
        carry += chunk.toString('utf8');
        continue;
      }
      const text = carry + chunk.subarray(0, nl).toString('utf8');
      carry = chunk.subarray(nl + 1).toString('utf8');
      const lines = text.split('\n');
      for (const l of lines) handle(l);
    }
    // The writer ends every record with a newline, so text after the last one is a line it never
    // finished (even if it happens to parse): openJournal cuts it too, so reader and writer agree.
    if (carry !== '') tornTail = true;
  } finally {
    closeSync(fd);
  }

  const cp = checkpoint as { seq: number; state: S } | null;
  const cpIndex = (cp?.state as CheckpointState | undefined)?.position?.nextArrivalIndex;
  let nextArrivalIndex: number | null = maxIndex >= 0 ? maxIndex + 1 : null;
  if (typeof cpIndex === 'number') nextArrivalIndex = Math.max(nextArrivalIndex ?? 0, cpIndex);
  return {
    path,
    records,
    checkpoint: cp,
    afterCheckpoint,
    duplicatesSkipped,
    tornTail,
    corruptLines,
    lastSeq,
    nextArrivalIndex,
    openFlows: [...open],
  };
}
