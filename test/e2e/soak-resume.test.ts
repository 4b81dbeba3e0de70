import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/journal/journal.js';
import { runResultSchema } from '../../src/result/run-result.js';

const MAIN = resolve('dist/src/cli/main.js');
const HOUR_MS = 3_600_000;

let dir: string | undefined;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function cli(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((res, rej) => {
    if (child.exitCode !== null || child.signalCode !== null) return res(child.exitCode);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`wacrm did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      res(code);
    });
  });
}

function journal(runDir: string): JournalRecord[] {
  const path = join(runDir, 'journal.ndjson');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as JournalRecord];
      } catch {
        return []; // the torn last line of a killed writer
      }
    });
}

describe.skipIf(!existsSync(MAIN))('wacrm resume after SIGKILL in the middle of a soak', () => {
  it('continues the schedule: every arrival exactly once, the whole virtual span covered, the gap marked', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wacrm-resume-'));
    const runDir = join(dir, 'out');
    const scenario = join(dir, 'soak.yaml');
    // 2 h of virtual time at ×360 = 20 s real, about 10 arrivals/s, 12 windows of 10 virtual minutes.
    writeFileSync(
      scenario,
      [
        'name: soak-resume',
        'seed: 7',
        `acceptance: ${JSON.stringify(resolve('scenarios/acceptance.yaml'))}`,
        'mocks:',
        '  whatsapp:',
        '    statusTiming:',
        '      sent: uniform(20ms,80ms)',
        '      delivered: uniform(50ms,150ms)',
        '      read: uniform(100ms,300ms)',
        '      readProbability: 0.7',
        '      failureRate: 0',
        'suites:',
        '  - kind: soak',
        '    duration: 2h',
        '    window: 10m',
        '    averageRate: 600/min',
        '    timezone: UTC',
        '    timeScale: 360',
        '    volume: keep-rate',
        '    deadline: 10s',
        '',
      ].join('\n'),
    );

    const run = cli(['run', scenario, '--out', runDir, '--quiet']);
    // Kill it once the soak is well under way: a few windows closed and checkpoints written.
    const deadline = Date.now() + 45_000;
    for (;;) {
      const recs = journal(runDir);
      const closed = recs.filter((r) => r.type === 'window.closed').length;
      if (closed >= 4 && recs.some((r) => r.type === 'checkpoint')) break;
      if (run.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the soak did not get going (exit ${run.exitCode}, ${recs.length} records)`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    run.kill('SIGKILL');
    await exited(run, 5_000);
    const before = journal(runDir);
    expect(before.some((r) => r.type === 'run.finished')).toBe(false);
    const launchedBefore = new Set(
      before.filter((r) => r.type === 'flow.launched').map((r) => r['index'] as number),
    );
    const settledBefore = new Set(
      before
        .filter((r) => r.type === 'flow.settled' && r['suite'] === 'soak')
        .map((r) => r['index'] as number),
    );
    const openAtKill = [...launchedBefore].filter((i) => !settledBefore.has(i));

    // The killed run left its journal lock behind: the resume takes it over.
    expect(existsSync(join(runDir, 'journal.lock'))).toBe(true);
    const resume = cli(['resume', runDir, '--quiet']);
    let stderr = '';
    resume.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    // While it writes, a second resume of the same run is refused, and changes nothing.
    const lockedBy = async () => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          if (readFileSync(join(runDir, 'journal.lock'), 'utf8').trim() === String(resume.pid)) return;
        } catch {
          // Not there yet.
        }
        if (resume.exitCode !== null || Date.now() > deadline)
          throw new Error('the resume never took the lock');
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await lockedBy();
    const second = cli(['resume', runDir, '--quiet']);
    let secondErr = '';
    second.stderr?.on('data', (d) => {
      secondErr += String(d);
    });
    expect(await exited(second, 30_000), secondErr).toBe(2);
    expect(secondErr).toMatch(new RegExp(`another process \\(pid ${resume.pid}\\).*WACRM_RUN_DIR_BUSY`));
    const code = await exited(resume, 90_000);
    expect(code, stderr).not.toBe(2);
    expect(code, stderr).not.toBe(3);

    const all = journal(runDir);
    const resumedAt = all.findIndex((r) => r.type === 'run.resumed');
    expect(resumedAt).toBeGreaterThan(0);
    expect(all.at(-1)?.type).toBe('run.finished');
    expect(existsSync(join(runDir, 'journal.lock'))).toBe(false);
    const soak = all.filter((r) => r['suite'] === 'soak');
    // Every arrival index appears exactly once as launched or dropped, across both processes.
    const arrivals = soak.filter((r) => r.type === 'flow.launched' || r.type === 'flow.dropped');
    const indices = arrivals.map((r) => r['index'] as number).sort((a, b) => a - b);
    expect(new Set(indices).size).toBe(indices.length);
    expect(indices[0]).toBe(0);
    expect(indices.at(-1)).toBe(indices.length - 1);
    const firstRun = all
      .slice(0, resumedAt)
      .filter((r) => r.type === 'flow.launched' || r.type === 'flow.dropped');
    const secondRun = all
      .slice(resumedAt)
      .filter((r) => r.type === 'flow.launched' || r.type === 'flow.dropped');
    expect(firstRun.length).toBeGreaterThan(20);
    expect(secondRun.length).toBeGreaterThan(20);
    // Every launched flow settles exactly once; the ones the kill caught settle as lost, in the resume.
    const settled = soak.filter((r) => r.type === 'flow.settled');
    const launched = soak.filter((r) => r.type === 'flow.launched').map((r) => r['index'] as number);
    expect(settled.map((r) => r['index'] as number).sort((a, b) => a - b)).toEqual(
      [...launched].sort((a, b) => a - b),
    );
    const lost = settled.filter((r) => r['outcome'] === 'lost').map((r) => r['index'] as number);
    expect(lost.sort((a, b) => a - b)).toEqual(openAtKill.sort((a, b) => a - b));
    // Each window journaled once.
    const windows = soak
      .filter((r) => r.type === 'window.closed')
      .map((r) => (r['window'] as { index: number }).index);
    expect(windows).toEqual(Array.from({ length: 12 }, (_, i) => i));

    const result = runResultSchema.parse(JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8')));
    const s = result.soak!;
    expect(s.virtualDurationMs).toBe(2 * HOUR_MS);
    expect(s.windows).toHaveLength(12);
    expect(s.windows[0]?.startMs).toBe(0);
    expect(s.windows.at(-1)?.endMs).toBe(2 * HOUR_MS);
    for (let i = 1; i < s.windows.length; i++) expect(s.windows[i]?.startMs).toBe(s.windows[i - 1]?.endMs);
    expect(s.windows.reduce((a, w) => a + w.sent, 0)).toBe(indices.length);
    const suite = result.suites.find((x) => x.kind === 'soak')!;
    expect(suite.flows.sent).toBe(indices.length);
    // The gap: one entry on the virtual axis, inside the run, and a note in the soak suite.
    expect(s.gaps).toHaveLength(1);
    const gap = s.gaps![0]!;
    expect(gap.startMs).toBeGreaterThan(0);
    expect(gap.endMs).toBeGreaterThanOrEqual(gap.startMs);
    expect(gap.endMs).toBeLessThan(2 * HOUR_MS);
    expect(suite.notes.some((n) => n.startsWith('resumed soak'))).toBe(true);
    console.log(
      `soak resume: ${firstRun.length} arrivals before the kill, ${secondRun.length} after, ${lost.length} lost in flight, ` +
        `gap ${(gap.startMs / 60_000).toFixed(1)}–${(gap.endMs / 60_000).toFixed(1)} virtual min`,
    );

    // The run is finished now: a second resume refuses, as does a directory that is not a run.
    const again = cli(['resume', runDir, '--quiet']);
    expect(await exited(again, 20_000)).toBe(2);
    const notRun = cli(['resume', dir, '--quiet']);
    expect(await exited(notRun, 20_000)).toBe(2);
  }, 150_000);
});
