import { describe, expect, it } from 'vitest';
import type { Io } from '../../../src/cli/io.js';
import { runConsole } from '../../../src/cli/run-output.js';
import type { SuiteProgress } from '../../../src/run/suites/index.js';

function logIo(isTty: boolean, term = 'xterm'): Io & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    out: (l) => lines.push(`out:${l}`),
    err: (l) => lines.push(l),
    isTty,
    env: { TERM: term },
    onStop: () => {},
  };
}

const step = (i: number, stepsLogged: boolean): SuiteProgress => ({
  suite: 'capacity',
  label: `step ${i}/3 at ${300 + i * 200}/min, ramp ends in ${12 - 4 * i}s unless a step breaks`,
  done: i * 30,
  total: 0,
  p95Ms: 120,
  errors: 0,
  ...(stepsLogged ? { stepsLogged: true } : {}),
});

describe('wacrm run progress in a log (not a terminal)', () => {
  it('prints each capacity step once, in the step-verdict format only', () => {
    const io = logIo(false);
    const c = runConsole(io, false);
    for (let i = 1; i <= 3; i++) {
      c.onProgress(step(i, true));
      c.onLog(`step ${i}/3 ${300 + i * 200}/min: p95 120 ms, errors 0.00 %`);
    }
    c.done();
    expect(io.lines).toEqual([
      '  step 1/3 500/min: p95 120 ms, errors 0.00 %',
      '  step 2/3 700/min: p95 120 ms, errors 0.00 %',
      '  step 3/3 900/min: p95 120 ms, errors 0.00 %',
    ]);
  });

  it('TERM=dumb on a terminal is a log too', () => {
    const io = logIo(true, 'dumb');
    const c = runConsole(io, false);
    c.onProgress(step(1, true));
    c.done();
    expect(io.lines).toEqual([]);
  });

  it('keeps the periodic progress line for suites that log no steps (a soak in CI)', () => {
    const io = logIo(false);
    const c = runConsole(io, false);
    c.onProgress({ ...step(1, false), suite: 'soak', label: 'window 3/12' });
    c.done();
    expect(io.lines.length).toBeGreaterThan(0);
    expect(io.lines.every((l) => l.startsWith('soak'))).toBe(true);
  });

  it('on a live terminal the capacity progress line still shows', () => {
    const io = logIo(true);
    const c = runConsole(io, false);
    c.onProgress(step(1, true));
    c.done();
    expect(io.lines.some((l) => l.includes('capacity') && l.includes('step 1/3'))).toBe(true);
  });
});
