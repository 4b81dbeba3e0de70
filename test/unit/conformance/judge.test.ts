import { describe, expect, it } from 'vitest';
import {
  at,
  busiestWindow,
  clip,
  followUps,
  gaps,
  line,
  maxInWindow,
  ms,
  plural,
  selectIds,
} from '../../../src/conformance/judge.js';

describe('maxInWindow', () => {
  it('counts the most times inside any half-open window', () => {
    expect(maxInWindow([], 250)).toBe(0);
    expect(maxInWindow([0, 100, 200, 249], 250)).toBe(4);
    // 250 is outside [0, 250): the window slides to [100, 350) instead.
    expect(maxInWindow([0, 100, 200, 250], 250)).toBe(3);
    expect(maxInWindow([1000, 0, 500, 10, 20], 100)).toBe(3);
  });

  it('finds a burst at the end of a long series', () => {
    const times = [...Array.from({ length: 50 }, (_, i) => i * 1000), 60_000, 60_001, 60_002];
    expect(maxInWindow(times, 10)).toBe(3);
  });
});

describe('busiestWindow', () => {
  it('returns where the busiest window starts and its count', () => {
    expect(busiestWindow([], 60_000)).toBeNull();
    expect(busiestWindow([5, 70_000, 70_100, 129_000, 200_000], 60_000)).toEqual({
      startMs: 70_000,
      count: 3,
    });
  });
});

describe('gaps and followUps', () => {
  it('gaps are the differences of the sorted times', () => {
    expect(gaps([30, 10, 20])).toEqual([10, 10]);
    expect(gaps([5])).toEqual([]);
  });

  it('followUps pairs each event with the first later time', () => {
    expect(followUps([100, 1000], [50, 150, 2000])).toEqual([
      { atMs: 100, nextAtMs: 150, gapMs: 50 },
      { atMs: 1000, nextAtMs: 2000, gapMs: 1000 },
    ]);
    expect(followUps([100], [50])).toEqual([]);
  });
});

describe('evidence words', () => {
  it('formats durations, offsets, plurals and lines', () => {
    expect(ms(12.4)).toBe('12 ms');
    expect(ms(3512)).toBe('3.51 s');
    expect(at(1250, 1000)).toBe('+0.25 s');
    expect(plural(1, 'reply', 'replies')).toBe('1 reply');
    expect(plural(2, 'reply', 'replies')).toBe('2 replies');
    expect(plural(0, 'send')).toBe('0 sends');
    expect(clip('a  b\nc', 10)).toBe('a b c');
    expect(clip('abcdefghijkl', 5)).toBe('abcd…');
    expect(line('a', '', false, undefined, 'b')).toBe('a; b');
  });
});

describe('selectIds', () => {
  const all = ['a', 'b', 'c', 'd'];
  it('keeps the kit order and applies only, then skip', () => {
    expect(selectIds(all, [], [])).toEqual({ selected: all, unknown: [] });
    expect(selectIds(all, ['c', 'a'], [])).toEqual({ selected: ['a', 'c'], unknown: [] });
    expect(selectIds(all, ['a', 'b'], ['b'])).toEqual({ selected: ['a'], unknown: [] });
    expect(selectIds(all, [], ['d'])).toEqual({ selected: ['a', 'b', 'c'], unknown: [] });
  });

  it('reports unknown ids once each', () => {
    expect(selectIds(all, ['x', 'a'], ['x', 'y']).unknown).toEqual(['x', 'y']);
  });
});
