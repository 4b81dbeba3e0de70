import { describe, expect, it } from 'vitest';
import { percentile } from '../../../connector/server.js';

describe('percentiles of ack times', () => {
  it('uses the nearest rank', () => {
    expect(percentile([], 0.99)).toBe(0);
    expect(percentile([5, 1, 3], 0.5)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.99,
      ),
    ).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
  });
});
