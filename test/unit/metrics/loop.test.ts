import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../kernel/clock.js';
import { HarnessHealth, startLoopMonitor } from '../../../src/metrics/loop.js';

describe('HarnessHealth', () => {
  it('keeps windows valid while scheduler lag and loop delay stay under their bounds', () => {
    const h = new HarnessHealth({ windowMs: 60_000 });
    for (let i = 0; i < 600; i++) h.recordSchedulerLag(i * 100, 0.5 + (i % 3) * 0.2);
    h.recordLoopSample({ atMs: 30_000, delayP50Ms: 1, delayP99Ms: 12, delayMaxMs: 20, delayMeanMs: 2 });
    const ws = h.windows();
    expect(ws).toHaveLength(1);
    expect(ws[0]).toMatchObject({ index: 0, arrivals: 600, lateStarts: 0, valid: true, reasons: [] });
    expect(ws[0]!.loopDelayP99Ms).toBe(12);
    expect(h.validBetween(0, 60_000)).toEqual({ valid: true, reasons: [] });
  });

  it('marks a window invalid when the scheduler lagged beyond the bound, naming why', () => {
    const h = new HarnessHealth({ windowMs: 60_000, bounds: { maxSchedulerLagP99Ms: 50 } });
    for (let i = 0; i < 100; i++) h.recordSchedulerLag(i * 100, 1);
    for (let i = 0; i < 100; i++) h.recordSchedulerLag(60_000 + i * 100, i < 90 ? 1 : 120, i >= 90);
    const [first, second] = h.windows();
    expect(first?.valid).toBe(true);
    expect(second?.valid).toBe(false);
    expect(second?.lateStarts).toBe(10);
    expect(second?.reasons.join('; ')).toMatch(/scheduler lag p99 1\d\d\.\d ms > 50 ms/);
    expect(second?.reasons.join('; ')).toMatch(/10\.0 % of arrivals started late > 1 %/);
    const v = h.validBetween(0, 120_000);
    expect(v.valid).toBe(false);
    expect(v.reasons[0]).toMatch(/^window 1: /);
    expect(h.validBetween(0, 60_000).valid).toBe(true);
  });

  it('marks a window invalid when the event loop was blocked', () => {
    const h = new HarnessHealth({ windowMs: 10_000 });
    h.recordLoopSample({ atMs: 12_000, delayP50Ms: 5, delayP99Ms: 250, delayMaxMs: 400, delayMeanMs: 30 });
    const [w] = h.windows();
    expect(w).toMatchObject({ index: 1, valid: false, loopDelayMaxMs: 400 });
    expect(w?.reasons).toEqual(['event-loop delay p99 250.0 ms > 100 ms']);
  });
});

describe('startLoopMonitor', () => {
  it('samples the real event-loop delay on the injected timer and stops cleanly', async () => {
    const clock = new VirtualClock();
    const samples: number[] = [];
    const m = startLoopMonitor({
      timer: clock,
      intervalMs: 1000,
      resolutionMs: 1,
      onSample: (s) => samples.push(s.atMs),
    });
    // Let the real monitor collect a few timer ticks.
    await new Promise((r) => setTimeout(r, 30));
    clock.advance(2000);
    expect(samples).toEqual([1000, 2000]);
    const s = m.sampleNow();
    expect(s.delayP99Ms).toBeGreaterThanOrEqual(0);
    expect(s.delayMaxMs).toBeGreaterThanOrEqual(s.delayP50Ms);
    m.stop();
    clock.advance(5000);
    expect(samples).toHaveLength(3);
  });
});
