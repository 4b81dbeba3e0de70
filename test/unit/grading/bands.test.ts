import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bandFor, bandRank, checkPasses } from '../../../src/grading/bands.js';

const delivery = { qualified: 0.99, average: 0.993, best: 0.999 };
const latency = { qualified: 3, average: 2.1, best: 0.8 };

describe('bandFor', () => {
  it('grades higher-is-better metrics at and around each threshold', () => {
    expect(bandFor(0.9899, delivery, 'higher')).toBe('fail');
    expect(bandFor(0.99, delivery, 'higher')).toBe('qualified');
    expect(bandFor(0.992, delivery, 'higher')).toBe('qualified');
    expect(bandFor(0.993, delivery, 'higher')).toBe('average');
    expect(bandFor(0.999, delivery, 'higher')).toBe('best');
    expect(bandFor(1, delivery, 'higher')).toBe('best');
  });

  it('grades lower-is-better metrics the other way round', () => {
    expect(bandFor(3.01, latency, 'lower')).toBe('fail');
    expect(bandFor(3, latency, 'lower')).toBe('qualified');
    expect(bandFor(2.1, latency, 'lower')).toBe('average');
    expect(bandFor(0.8, latency, 'lower')).toBe('best');
    expect(bandFor(0, latency, 'lower')).toBe('best');
  });

  it('counts a value that only differs by float noise as the threshold', () => {
    expect(bandFor(0.1 + 0.2 + 0.69, delivery, 'higher')).toBe('qualified'); // 0.9900000000000001 vs 0.99
    expect(bandFor(0.99 - 1e-12, delivery, 'higher')).toBe('qualified');
    expect(bandFor(0.99 - 1e-6, delivery, 'higher')).toBe('fail');
  });

  it('fails a value that is not a number', () => {
    expect(bandFor(Number.NaN, delivery, 'higher')).toBe('fail');
    expect(bandFor(Number.POSITIVE_INFINITY, latency, 'lower')).toBe('fail');
  });

  it('is monotonic: a better value never gets a worse band', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        (a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(bandRank(bandFor(hi, latency, 'lower'))).toBeLessThanOrEqual(
            bandRank(bandFor(lo, latency, 'lower')),
          );
          expect(bandRank(bandFor(hi / 10, delivery, 'higher'))).toBeGreaterThanOrEqual(
            bandRank(bandFor(lo / 10, delivery, 'higher')),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('checkPasses', () => {
  it('honours inclusive and exclusive thresholds in both directions', () => {
    expect(checkPasses(0.95, 0.95, 'higher', false)).toBe(false);
    expect(checkPasses(0.951, 0.95, 'higher', false)).toBe(true);
    expect(checkPasses(1, 1, 'higher', true)).toBe(true);
    expect(checkPasses(0.9999, 1, 'higher', true)).toBe(false);
    expect(checkPasses(0.008, 0.008, 'lower', true)).toBe(true);
    expect(checkPasses(0.0081, 0.008, 'lower', true)).toBe(false);
    expect(checkPasses(3, 3, 'lower', false)).toBe(false);
    expect(checkPasses(2.99, 3, 'lower', false)).toBe(true);
    expect(checkPasses(Number.NaN, 3, 'lower', true)).toBe(false);
  });
});
