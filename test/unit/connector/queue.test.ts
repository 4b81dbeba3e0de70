import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../../connector/queue.js';
import { ManualClock } from './helpers.js';

interface J {
  key: string;
  n: number;
}

describe('keyed work queue', () => {
  it('runs jobs of one key one at a time in order, other keys in parallel', async () => {
    const q = new KeyedQueue<J>(new ManualClock(), 100);
    q.push({ key: 'a', n: 1 });
    q.push({ key: 'a', n: 2 });
    q.push({ key: 'b', n: 3 });
    const first = await q.take();
    const second = await q.take();
    expect([first?.n, second?.n]).toEqual([1, 3]);
    // a#2 waits for a#1.
    let third: J | undefined;
    void q.take().then((j) => {
      third = j;
    });
    await Promise.resolve();
    expect(third).toBeUndefined();
    q.done(first as J);
    await Promise.resolve();
    expect(third?.n).toBe(2);
    expect(q.inFlight).toBe(2);
  });

  it('counts queued, delayed and in-flight jobs against the limit', async () => {
    const clock = new ManualClock();
    const q = new KeyedQueue<J>(clock, 3);
    q.push({ key: 'a', n: 1 });
    const job = (await q.take()) as J;
    q.pushLater({ key: 'b', n: 2 }, 1000);
    q.push({ key: 'c', n: 3 });
    expect([q.queued, q.delayed, q.inFlight, q.pending]).toEqual([1, 1, 1, 3]);
    expect(q.hasRoom(1)).toBe(false);
    q.done(job);
    expect(q.hasRoom(1)).toBe(true);
  });

  it('brings a delayed job back at the front of its key after the delay', async () => {
    const clock = new ManualClock();
    const q = new KeyedQueue<J>(clock, 10);
    q.pushLater({ key: 'a', n: 1 }, 500);
    q.push({ key: 'a', n: 2 });
    const a2 = (await q.take()) as J;
    expect(a2.n).toBe(2);
    await clock.advance(500);
    q.done(a2);
    expect((await q.take())?.n).toBe(1);
  });

  it('releases delayed jobs at once when draining and reports idleness', async () => {
    const clock = new ManualClock();
    const q = new KeyedQueue<J>(clock, 10);
    q.pushLater({ key: 'a', n: 1 }, 30_000);
    let idle = false;
    void q.whenIdle().then(() => {
      idle = true;
    });
    q.releaseDelayed();
    expect(q.delayed).toBe(0);
    const j = (await q.take()) as J;
    q.done(j);
    await Promise.resolve();
    expect(idle).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('wakes waiting workers with undefined on close', async () => {
    const q = new KeyedQueue<J>(new ManualClock(), 10);
    const waiting = q.take();
    q.close();
    expect(await waiting).toBeUndefined();
  });
});
