import { describe, expect, it } from 'vitest';
import { WindowedMetrics } from '../../../src/metrics/windows.js';

describe('WindowedMetrics', () => {
  const build = () => {
    const w = new WindowedMetrics({ windowMs: 60_000, originMs: 1000 });
    w.record('e2e', 1000, 100);
    w.record('e2e', 60_999, 200);
    w.record('e2e', 61_000, 300);
    w.record('hop.accepted', 61_500, 10);
    w.add('sent', 5000);
    w.add('sent', 70_000, 4);
    w.add('failed', 200_000);
    return w;
  };

  it('puts values in [origin + i·w, origin + (i+1)·w) windows, created only when used', () => {
    const w = build();
    expect(w.windows().map((x) => [x.index, x.startMs, x.endMs])).toEqual([
      [0, 1000, 61_000],
      [1, 61_000, 121_000],
      [3, 181_000, 241_000],
    ]);
    expect(w.get(2)).toBeUndefined();
    expect(w.indexAt(0)).toBe(0);
  });

  it('merges histograms and sums counters over a time range', () => {
    const w = build();
    expect(w.histogram('e2e').count).toBe(3);
    expect(w.histogram('e2e', 61_000, 121_000).count).toBe(1);
    expect(w.histogram('e2e', 61_000, 121_000).maxMs / 300).toBeCloseTo(1, 2);
    expect(w.histogram('nothing').count).toBe(0);
    expect(w.counter('sent')).toBe(5);
    expect(w.counter('sent', 61_000)).toBe(4);
    expect(w.counter('failed', 0, 181_000)).toBe(0);
  });

  it('marks windows invalid with reasons, once each', () => {
    const w = build();
    w.markInvalid(70_000, 'scheduler lag p99 80 ms > 50 ms');
    w.markInvalid(80_000, 'scheduler lag p99 80 ms > 50 ms');
    expect(w.get(1)?.invalidReasons).toEqual(['scheduler lag p99 80 ms > 50 ms']);
    expect(w.isValid(0, 61_000)).toBe(true);
    expect(w.isValid()).toBe(false);
    expect(WindowedMetrics.summarizeWindow(w.get(1)!).valid).toBe(false);
  });

  it('hands out closed windows once, in order, for the journal', () => {
    const w = build();
    expect(w.takeClosed(60_000)).toEqual([]);
    expect(w.takeClosed(121_000).map((x) => x.index)).toEqual([0, 1]);
    expect(w.takeClosed(121_000)).toEqual([]);
    expect(w.takeClosed(10_000_000).map((x) => x.index)).toEqual([3]);
  });

  it('round-trips through encode/decode and merges encoded windows into an existing series', () => {
    const w = build();
    w.markInvalid(1000, 'gap after resume');
    const enc = JSON.parse(JSON.stringify(w.encode()));
    const back = WindowedMetrics.decode(enc);
    expect(back.windows().map((x) => WindowedMetrics.summarizeWindow(x))).toEqual(
      w.windows().map((x) => WindowedMetrics.summarizeWindow(x)),
    );
    back.mergeWindow(WindowedMetrics.encodeWindow(w.get(1)!));
    expect(back.counter('sent', 61_000, 121_000)).toBe(8);
    expect(back.histogram('e2e', 61_000, 121_000).count).toBe(2);
  });

  it('rejects a window size that is not a positive number', () => {
    expect(() => new WindowedMetrics({ windowMs: 0 })).toThrow(/windowMs must be a finite number > 0/);
    expect(() => WindowedMetrics.decode({} as never)).toThrow(/windows array/);
  });
});

describe('WindowedMetrics with an end', () => {
  it('puts a value exactly at the end (the last arrival of a schedule) into the last window', () => {
    const w = new WindowedMetrics({ windowMs: 60_000, endMs: 120_000 });
    w.add('sent', 120_000);
    w.add('sent', 119_999);
    w.add('sent', 0);
    expect(w.windows().map((x) => [x.index, x.counters.get('sent')])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(WindowedMetrics.decode(w.encode()).endMs).toBe(120_000);
  });
});
