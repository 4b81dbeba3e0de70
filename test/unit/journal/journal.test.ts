import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../kernel/clock.js';
import { WacrmError } from '../../../src/errors.js';
import {
  type CheckpointState,
  JOURNAL_FILE,
  LOCK_FILE,
  openJournal,
  readJournal,
} from '../../../src/journal/journal.js';
import { Histogram } from '../../../src/metrics/histogram.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wacrm-journal-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const state = (nextArrivalIndex: number, counters: Record<string, number> = {}): CheckpointState => ({
  position: { nextArrivalIndex, virtualMs: nextArrivalIndex * 100 },
  seed: 7,
  histograms: { e2e: Histogram.of([100, 200]).encode() },
  counters,
});

describe('openJournal / readJournal', () => {
  it('appends versioned NDJSON records with increasing seq and reads them back', async () => {
    const j = openJournal(dir, { clock: new VirtualClock() });
    j.append({ type: 'run.started', runId: 'r1', seed: 7 });
    j.append({ type: 'flow.launched', flowId: 'f0', index: 0, scheduledAtMs: 0 });
    await j.close();
    const lines = readFileSync(join(dir, JOURNAL_FILE), 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { type: 'run.started', runId: 'r1', seed: 7, v: 1, seq: 1 },
      { type: 'flow.launched', flowId: 'f0', index: 0, scheduledAtMs: 0, v: 1, seq: 2 },
    ]);
    const read = readJournal(dir);
    expect(read.records).toHaveLength(2);
    expect(read).toMatchObject({
      tornTail: false,
      corruptLines: [],
      lastSeq: 2,
      checkpoint: null,
      nextArrivalIndex: 1,
    });
    expect(read.openFlows).toEqual(['f0']);
    expect(() => j.append({ type: 'late' })).toThrow(/closed/);
  });

  it('writes buffered records on its flush timer, before any explicit flush', async () => {
    const clock = new VirtualClock();
    const j = openJournal(dir, { clock, flushEveryMs: 200 });
    j.append({ type: 'a' });
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).toBe('');
    clock.advance(200);
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).toContain('"type":"a"');
    clock.advance(1000); // fsync timer: runs in the thread pool
    await j.flush();
    expect(j.stats().fsyncs).toBeGreaterThanOrEqual(1);
    await j.close();
  });

  it('writes a checkpoint through at once and returns the last one with the records after it', async () => {
    const j = openJournal(dir, { clock: new VirtualClock() });
    j.append({ type: 'flow.settled', flowId: 'f1', outcome: 'completed', latencyMs: 120 });
    j.checkpoint(state(2, { completed: 1 }));
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).toContain('"type":"checkpoint"');
    j.append({ type: 'flow.launched', flowId: 'f2', index: 2, scheduledAtMs: 200 });
    j.checkpoint(state(3, { completed: 1 }));
    j.append({ type: 'flow.settled', flowId: 'f2', outcome: 'completed', latencyMs: 90 });
    await j.close();
    const read = readJournal(dir);
    expect(read.checkpoint?.seq).toBe(4);
    expect(read.checkpoint?.state.position.nextArrivalIndex).toBe(3);
    expect(Histogram.decode(read.checkpoint!.state.histograms.e2e!).count).toBe(2);
    expect(read.afterCheckpoint.map((r) => [r.type, r.flowId])).toEqual([['flow.settled', 'f2']]);
    expect(read.openFlows).toEqual([]);
    expect(read.nextArrivalIndex).toBe(3);
  });

  it('tolerates a torn last line, and a reopened journal cuts it before appending', async () => {
    const j = openJournal(dir, { clock: new VirtualClock() });
    j.append({ type: 'flow.launched', flowId: 'f0', index: 0, scheduledAtMs: 0 });
    j.checkpoint(state(1));
    await j.close();
    // SIGKILL in the middle of a write.
    appendFileSync(join(dir, JOURNAL_FILE), '{"type":"flow.settled","flowId":"f0","outc');
    const torn = readJournal(dir);
    expect(torn.tornTail).toBe(true);
    expect(torn.records).toHaveLength(2);
    expect(torn.corruptLines).toEqual([]);
    expect(torn.openFlows).toEqual(['f0']);

    const again = openJournal(dir, { clock: new VirtualClock() });
    again.append({ type: 'run.resumed' });
    await again.close();
    const read = readJournal(dir);
    expect(read.tornTail).toBe(false);
    expect(read.corruptLines).toEqual([]);
    expect(read.records.map((r) => [r.type, r.seq])).toEqual([
      ['flow.launched', 1],
      ['checkpoint', 2],
      ['run.resumed', 3],
    ]);
  });

  it('replays records after the checkpoint idempotently by flow id: no flow counted twice', async () => {
    const j = openJournal(dir, { clock: new VirtualClock() });
    for (let i = 0; i < 3; i++) {
      j.append({ type: 'flow.launched', flowId: `f${i}`, index: i, scheduledAtMs: i * 100 });
      j.append({ type: 'flow.settled', flowId: `f${i}`, outcome: 'completed', latencyMs: 50 });
    }
    j.checkpoint(state(3, { completed: 3 }));
    // After the checkpoint: a straggler record for a flow already counted, a new flow, and a
    // resumed process journaling the same new flow again.
    j.append({ type: 'flow.settled', flowId: 'f2', outcome: 'completed', latencyMs: 50 });
    j.append({ type: 'flow.launched', flowId: 'f3', index: 3, scheduledAtMs: 300 });
    j.append({ type: 'flow.settled', flowId: 'f3', outcome: 'completed', latencyMs: 70 });
    j.append({ type: 'flow.settled', flowId: 'f3', outcome: 'completed', latencyMs: 70 });
    j.append({ type: 'flow.launched', flowId: 'f4', index: 4, scheduledAtMs: 400 });
    j.append({ type: 'flow.dropped', flowId: 'f5', index: 5, scheduledAtMs: 500 });
    j.append({ type: 'note', text: 'kept: no flow id' });
    await j.close();
    const read = readJournal(dir);
    expect(read.afterCheckpoint.map((r) => `${r.type}:${r.flowId ?? '-'}`)).toEqual([
      'flow.launched:f3',
      'flow.settled:f3',
      'flow.launched:f4',
      'flow.dropped:f5',
      'note:-',
    ]);
    expect(read.duplicatesSkipped).toBe(2);
    // Checkpoint counters (3 completed) + replayed settlements (1) = 4 flows, each once.
    const completed =
      (read.checkpoint?.state.counters.completed ?? 0) +
      read.afterCheckpoint.filter((r) => r.type === 'flow.settled').length;
    expect(completed).toBe(4);
    expect(read.openFlows).toEqual(['f4']);
    expect(read.nextArrivalIndex).toBe(6);
  });

  it('skips and reports a corrupt line in the middle, and can read without keeping every record', () => {
    writeFileSync(
      join(dir, JOURNAL_FILE),
      ['{"type":"a","v":1,"seq":1}', 'garbage', '{"no":"type"}', '{"type":"b","v":1,"seq":2}', ''].join('\n'),
    );
    const read = readJournal(dir, { keepRecords: false });
    expect(read.corruptLines).toEqual([2, 3]);
    expect(read.records).toEqual([]);
    expect(read.afterCheckpoint.map((r) => r.type)).toEqual(['a', 'b']);
    expect(read.lastSeq).toBe(2);
  });

  it('reads a journal larger than its read chunk, with multi-byte text across chunk edges', async () => {
    const j = openJournal(dir, { clock: new VirtualClock() });
    for (let i = 0; i < 3000; i++)
      j.append({ type: 'msg', flowId: `f${i}`, text: 'مرحبا 你好 👋'.repeat(3) });
    await j.close();
    const read = readJournal(dir);
    expect(read.records).toHaveLength(3000);
    expect(read.corruptLines).toEqual([]);
    expect(read.records[2999]?.text).toBe('مرحبا 你好 👋'.repeat(3));
  });

  it('refuses a missing journal and one written by a newer wacrm with WACRM_RUN_DIR_INVALID', () => {
    expect(() => readJournal(join(dir, 'nope'))).toThrow(WacrmError);
    expect(() => readJournal(join(dir, 'nope'))).toThrow(/has no run journal/);
    writeFileSync(join(dir, JOURNAL_FILE), '{"type":"a","v":99,"seq":1}\n');
    try {
      readJournal(dir);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WacrmError);
      expect((e as WacrmError).code).toBe('WACRM_RUN_DIR_INVALID');
      expect((e as Error).message).toMatch(/newer wacrm \(journal version 99/);
    }
  });

  it('one writer per run directory: a live holder is refused, a dead one taken over, the lock released on close', async () => {
    const lock = join(dir, LOCK_FILE);
    // Another live process holds it (this test's parent process).
    writeFileSync(lock, `${process.ppid}\n`);
    try {
      openJournal(dir, { clock: new VirtualClock() });
      expect.unreachable();
    } catch (e) {
      expect((e as WacrmError).code).toBe('WACRM_RUN_DIR_BUSY');
      expect((e as WacrmError).exitCode).toBe(2);
      expect((e as Error).message).toMatch(
        new RegExp(`being written by another process \\(pid ${process.ppid}\\)`),
      );
      expect((e as WacrmError).hint).toContain(lock);
    }
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.ppid));
    // A holder that is gone (a run killed with SIGKILL): taken over.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(lock, `${gone.stdout}\n`);
    const j = openJournal(dir, { clock: new VirtualClock() });
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.pid));
    j.append({ type: 'x' });
    await j.close();
    expect(existsSync(lock)).toBe(false);
  });

  it('rejects a record without a type', () => {
    const j = openJournal(dir, { clock: new VirtualClock() });
    expect(() => j.append({} as never)).toThrow(/non-empty string `type`/);
    return j.close();
  });

  it('gives a clear error when the run directory cannot be created', () => {
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => openJournal(join(dir, 'file', 'run'))).toThrow(/cannot open the run journal/);
  });
});
