import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../kernel/clock.js';
import type { Io } from '../../../src/cli/io.js';
import { createProgress, formatDurationShort, formatProgressLine } from '../../../src/cli/progress.js';

function captureIo(isTty: boolean, env: Record<string, string> = {}): Io & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`), isTty, env, onStop() {} };
}

describe('formatProgressLine', () => {
  it('shows step, virtual time, rate, p95, errors, share done and ETA', () => {
    expect(
      formatProgressLine(
        'soak',
        {
          virtualMs: (29 * 60 + 14) * 60_000,
          ratePerMin: 83.4,
          p95Ms: 412.2,
          errors: 3,
          errorRate: 0.0002,
          done: 41,
        },
        { total: 100, elapsedMs: 1000, etaMs: 42 * 60_000 + 10_000 },
      ),
    ).toBe('soak  T+29h14m  83/min  p95 412ms  errors 3 (0.02%)  41%  ETA 42m10s');
    expect(
      formatProgressLine(
        'ramp',
        { step: 'step 4/12', p95Ms: 12_345, harnessValid: false },
        { elapsedMs: 65_000, etaMs: null },
      ),
    ).toBe('ramp  step 4/12  p95 12.3s  elapsed 1m05s  HARNESS LAGGING');
  });

  it('formats durations compactly', () => {
    expect(formatDurationShort(3_723_000)).toBe('1h02m');
    expect(formatDurationShort(65_000)).toBe('1m05s');
    expect(formatDurationShort(4200)).toBe('4s');
    expect(formatDurationShort(Number.NaN)).toBe('?');
  });
});

describe('createProgress', () => {
  it('writes plain lines at most every 5 s when stdout is not a terminal (CI logs)', () => {
    const io = captureIo(false);
    const clock = new VirtualClock();
    const p = createProgress(io, { label: 'ramp', total: 10, clock });
    p.update({ step: 'step 1/10', done: 0 });
    for (let i = 1; i <= 40; i++) {
      clock.advance(500);
      p.update({ done: i / 4, p95Ms: 100 + i });
    }
    // 20 s of updates every 0.5 s: the first line, then one per 5 s.
    expect(io.lines).toHaveLength(5);
    expect(io.lines.every((l) => !l.includes('\x1b'))).toBe(true);
    expect(io.lines[1]).toBe('ramp  step 1/10  p95 110ms  25%  ETA 15s');
    p.done('stopped: p95 > 5 s');
    expect(io.lines.at(-1)).toBe('ramp  step 1/10  p95 140ms  100%  took 20s  stopped: p95 > 5 s');
    p.update({ done: 11 });
    expect(io.lines).toHaveLength(6);
  });

  it('rewrites one live line in place on a terminal, a few times a second at most', () => {
    const io = captureIo(true);
    const clock = new VirtualClock();
    const p = createProgress(io, { label: 'soak', clock });
    p.update({ virtualMs: 0 });
    clock.advance(100);
    p.update({ virtualMs: 60_000 }); // throttled
    clock.advance(200);
    p.update({ virtualMs: 120_000 });
    expect(io.lines).toEqual(['soak  T+0h00m  elapsed 0s', '\x1b[1A\x1b[2Ksoak  T+0h02m  elapsed 0s']);
    p.done();
    expect(io.lines.at(-1)).toBe('\x1b[1A\x1b[2Ksoak  T+0h02m  took 0s');
  });

  it('falls back to plain lines on a dumb terminal', () => {
    const io = captureIo(true, { TERM: 'dumb' });
    const p = createProgress(io, { label: 'x', clock: new VirtualClock() });
    p.update({ ratePerMin: 500 });
    p.done();
    expect(io.lines).toEqual(['x  500/min  elapsed 0s', 'x  500/min  took 0s']);
  });
});
