import { describe, expect, it } from 'vitest';
import { formatRatePerMin, parseDurationMs, parseRatePerMin, SpecError } from '../../../src/load/rates.js';

describe('parseRatePerMin', () => {
  it('reads per-second, per-minute, per-hour and per-day rates as msg/min', () => {
    expect(parseRatePerMin('500/min')).toBe(500);
    expect(parseRatePerMin('500/m')).toBe(500);
    expect(parseRatePerMin('80/s')).toBe(4800);
    expect(parseRatePerMin('80 / sec')).toBe(4800);
    expect(parseRatePerMin('5000/h')).toBeCloseTo(83.333333333, 6);
    expect(parseRatePerMin('5000/h') * 60).toBeCloseTo(5000, 9);
    expect(parseRatePerMin('120000/day')).toBeCloseTo(83.333333333, 6);
    expect(parseRatePerMin('1.5/MIN')).toBe(1.5);
    expect(parseRatePerMin('250')).toBe(250);
    expect(parseRatePerMin(42)).toBe(42);
  });

  it('names the accepted forms on bad input', () => {
    for (const bad of ['', 'fast', '-5/min', '5/fortnight', '5/', '/min', '1e3/min']) {
      expect(() => parseRatePerMin(bad), bad).toThrow(SpecError);
    }
    expect(() => parseRatePerMin('5/week')).toThrow(/expected a number per unit: 500\/min/);
    expect(() => parseRatePerMin(Number.NaN)).toThrow(SpecError);
    expect(() => parseRatePerMin({} as never)).toThrow(/expected text/);
  });

  it('formats per minute', () => {
    expect(formatRatePerMin(83.3333333)).toBe('83.33/min');
  });

  it('shares the duration parser with the mocks', () => {
    expect(parseDurationMs('72h')).toBe(72 * 3_600_000);
    expect(parseDurationMs('30s')).toBe(30_000);
  });
});
