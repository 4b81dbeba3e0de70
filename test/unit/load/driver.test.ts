import { describe, expect, it } from 'vitest';
import { type Clock, type TimerHandle, VirtualClock } from '../../../kernel/clock.js';
import { type Arrival, runOpenModel } from '../../../src/load/driver.js';
import { arrivalOffsets } from '../../../src/load/schedule.js';
import { HarnessHealth } from '../../../src/metrics/loop.js';

/** Lets promise callbacks run between clock steps (VirtualClock.advance is synchronous). */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** A clock whose timers fire `lateMs` after they are due: a harness whose event loop is busy. */
class LateClock implements Clock {
  constructor(
    readonly inner: VirtualClock,
    public lateMs: number,
  ) {}
  nowMs() {
    return this.inner.nowMs();
  }
  epochMs() {
    return this.inner.epochMs();
  }
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return this.inner.setTimeout(fn, delayMs + this.lateMs);
  }
  clearTimeout(h: TimerHandle) {
    this.inner.clearTimeout(h);
  }
}

describe('runOpenModel on a VirtualClock', () => {
  it('starts every arrival at its intended time and hands the intended time to launch', async () => {
    const clock = new VirtualClock({ startMs: 5000 });
    const started: Array<[number, number, number]> = [];
    const { done, stats } = runOpenModel({
      clock,
      offsetsMs: [0, 10, 20, 35.5, 100],
      startAtMs: 6000,
      maxInFlight: 10,
      coalesceMs: 0,
      launch: async (a) => {
        started.push([a.index, a.scheduledAtMs, clock.nowMs()]);
      },
    });
    expect(started).toEqual([]); // nothing synchronous inside runOpenModel
    clock.advance(999);
    expect(started).toEqual([]);
    clock.advance(1200);
    await settle();
    expect(started).toEqual([
      [0, 6000, 6000],
      [1, 6010, 6010],
      [2, 6020, 6020],
      [3, 6035.5, 6035.5],
      [4, 6100, 6100],
    ]);
    const s = await done;
    expect(s).toMatchObject({ launched: 5, completed: 5, dropped: 0, failed: 0, lateStarts: 0, maxLagMs: 0 });
    expect(s.nextIndex).toBe(5);
    expect(s.lastScheduledAtMs).toBe(6100);
    expect(stats().schedulingDone).toBe(true);
  });

  it('coalesces arrivals due within half a millisecond into one wake-up', () => {
    const clock = new VirtualClock();
    const at: number[] = [];
    runOpenModel({
      clock,
      offsetsMs: [10, 10.4, 10.9, 12],
      startAtMs: 0,
      maxInFlight: 10,
      launch: async () => {
        at.push(clock.nowMs());
      },
    });
    clock.advance(20);
    expect(at).toEqual([10, 10, 10.9, 12]);
  });

  it('never waits for the connector (open model): slow launches overlap and arrivals keep their times', async () => {
    const clock = new VirtualClock();
    const starts: number[] = [];
    const { done, stats } = runOpenModel({
      clock,
      offsetsMs: arrivalOffsets([{ durationMs: 1000, startPerMin: 600, endPerMin: 600 }]), // every 100 ms
      startAtMs: 0,
      maxInFlight: 100,
      coalesceMs: 0,
      // Each flow takes 450 ms: a closed model would start only every 450 ms.
      launch: () =>
        new Promise<void>((resolve) => {
          starts.push(clock.nowMs());
          clock.setTimeout(resolve, 450);
        }),
    });
    clock.advance(500);
    expect(stats().inFlight).toBe(5);
    for (let i = 0; i < 20; i++) {
      clock.advance(100);
      await settle();
    }
    expect(starts).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    const s = await done;
    expect(s).toMatchObject({ launched: 10, completed: 10, inFlight: 0, dropped: 0 });
  });

  it('drops (and counts) an arrival that finds maxInFlight flows running, without delaying the next', async () => {
    const clock = new VirtualClock();
    const dropped: Arrival[] = [];
    const starts: number[] = [];
    const { done } = runOpenModel({
      clock,
      offsetsMs: [0, 10, 20, 30, 32, 1000],
      startAtMs: 0,
      maxInFlight: 2,
      coalesceMs: 0,
      onDrop: (a) => dropped.push(a),
      launch: () =>
        new Promise<void>((resolve) => {
          starts.push(clock.nowMs());
          clock.setTimeout(resolve, 25);
        }),
    });
    // 1 ms steps so each completion settles before the next arrival (advance() itself is synchronous).
    for (let i = 0; i < 1100; i++) {
      clock.advance(1);
      await settle();
    }
    // 0 and 10 run; 20 is dropped (two in flight); 30 starts after 0 finished at 25; 32 is dropped.
    expect(starts).toEqual([0, 10, 30, 1000]);
    expect(dropped.map((a) => [a.index, a.scheduledAtMs])).toEqual([
      [2, 20],
      [4, 32],
    ]);
    const s = await done;
    expect(s).toMatchObject({ launched: 4, dropped: 2, completed: 4 });
  });

  it('measures its own lag when timers fire late, and counts starts later than the bound', async () => {
    const inner = new VirtualClock();
    const clock = new LateClock(inner, 0);
    const health = new HarnessHealth({ windowMs: 1000 });
    const { done } = runOpenModel({
      clock,
      offsetsMs: [0, 100, 200, 300, 1500, 1600, 1700],
      startAtMs: 0,
      maxInFlight: 10,
      lagBoundMs: 50,
      coalesceMs: 0,
      health,
      launch: async () => {},
    });
    inner.advance(350);
    // The timer for 1500 is already set; the loop turns slow after it, so 1600 and 1700 start 80 ms late.
    clock.lateMs = 80;
    inner.advance(2000);
    await settle();
    const s = await done;
    expect(s.launched).toBe(7);
    expect(s.maxLagMs).toBe(80);
    expect(s.lateStarts).toBe(2);
    expect(s.lag.count).toBe(7);
    expect(s.lag.percentileMs(50)).toBe(0);
    const [w0, w1] = health.windows();
    expect(w0?.valid).toBe(true);
    expect(w1?.valid).toBe(false);
    expect(w1?.lateStarts).toBe(2);
  });

  it('after a stall starts the backlog at once (late, counted), never spreading it out', async () => {
    const inner = new VirtualClock();
    const clock = new LateClock(inner, 300);
    const starts: Array<[number, number]> = [];
    const { done } = runOpenModel({
      clock,
      offsetsMs: [0, 100, 200, 300],
      startAtMs: 0,
      maxInFlight: 10,
      coalesceMs: 0,
      launch: async (a) => {
        starts.push([a.scheduledAtMs, clock.nowMs()]);
      },
    });
    inner.advance(1000);
    await settle();
    expect(starts).toEqual([
      [0, 300],
      [100, 300],
      [200, 300],
      [300, 300],
    ]);
    expect((await done).maxLagMs).toBe(300);
  });

  it('counts a launch that throws or rejects as failed and keeps going', async () => {
    const clock = new VirtualClock();
    let n = 0;
    const { done } = runOpenModel({
      clock,
      offsetsMs: [1, 2, 3, 4],
      startAtMs: 0,
      maxInFlight: 10,
      launch: (() => {
        n++;
        if (n === 1) throw new Error('sync bug');
        if (n === 2) return Promise.reject(new Error('async bug'));
        return Promise.resolve();
      }) as (a: Arrival) => Promise<void>,
    });
    clock.advance(10);
    await settle();
    expect(await done).toMatchObject({ launched: 4, failed: 2, completed: 2 });
  });

  it('stops launching on abort and resolves once in-flight flows settle', async () => {
    const clock = new VirtualClock();
    const ac = new AbortController();
    const { done, stats } = runOpenModel({
      clock,
      offsetsMs: arrivalOffsets([{ durationMs: 10_000, startPerMin: 6000, endPerMin: 6000 }]),
      startAtMs: 0,
      maxInFlight: 1000,
      signal: ac.signal,
      launch: () => new Promise<void>((resolve) => clock.setTimeout(resolve, 50)),
    });
    clock.advance(1000);
    ac.abort();
    const atAbort = stats().launched;
    expect(atAbort).toBe(100);
    clock.advance(5000);
    await settle();
    const s = await done;
    expect(s.launched).toBe(atAbort);
    expect(s.aborted).toBe(true);
    expect(s.inFlight).toBe(0);
    expect(s.nextIndex).toBe(100);
  });

  it('holds one timer at a time however many arrivals there are (1,000/s for 10 s)', async () => {
    const clock = new VirtualClock();
    let maxPending = 0;
    const { done } = runOpenModel({
      clock,
      offsetsMs: arrivalOffsets([{ durationMs: 10_000, startPerMin: 60_000, endPerMin: 60_000 }]),
      startAtMs: 0,
      maxInFlight: 50,
      launch: async () => {},
    });
    for (let t = 0; t < 10_050; t += 50) {
      clock.advance(50);
      maxPending = Math.max(maxPending, clock.pendingCount());
      await settle();
    }
    const s = await done;
    expect(s.launched).toBe(10_000);
    expect(s.dropped).toBe(0);
    expect(maxPending).toBeLessThanOrEqual(1);
  });

  it('continues the numbering of a resumed run, and validates its options', () => {
    const clock = new VirtualClock();
    const idx: number[] = [];
    runOpenModel({
      clock,
      offsetsMs: arrivalOffsets([{ durationMs: 60_000, startPerMin: 60, endPerMin: 60 }], 41),
      startAtMs: -40_000,
      firstIndex: 40,
      maxInFlight: 5,
      launch: async (a) => {
        idx.push(a.index);
      },
    });
    clock.advance(3000);
    expect(idx).toEqual([40, 41, 42]);
    expect(() =>
      runOpenModel({ clock, offsetsMs: [], startAtMs: 0, maxInFlight: 0, launch: async () => {} }),
    ).toThrow(/maxInFlight must be an integer ≥ 1/);
    expect(() =>
      runOpenModel({ clock, offsetsMs: [], startAtMs: Number.NaN, maxInFlight: 1, launch: async () => {} }),
    ).toThrow(/startAtMs/);
  });

  it('resolves at once for an empty schedule', async () => {
    const clock = new VirtualClock();
    const { done } = runOpenModel({
      clock,
      offsetsMs: [],
      startAtMs: 0,
      maxInFlight: 1,
      launch: async () => {},
    });
    clock.advance(0);
    expect(await done).toMatchObject({ launched: 0, schedulingDone: true });
  });
});
