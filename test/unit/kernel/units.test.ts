import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatClockMs,
  formatRatePerMin,
  isKnownTimeZone,
  parseDayRange,
  parseRatePerMin,
  parseScenarioDurationMs,
  UnitError,
} from '../../../kernel/units.js';

describe('parseRatePerMin', () => {
  it('converts every unit to messages per minute', () => {
    expect(parseRatePerMin('500/min')).toBe(500);
    expect(parseRatePerMin('80/s')).toBe(4800);
    expect(parseRatePerMin('5000/h')).toBeCloseTo(83.3333333333, 9);
    expect(parseRatePerMin('1.5/sec')).toBe(90);
    expect(parseRatePerMin(' 120 / minute ')).toBe(120);
    expect(parseRatePerMin('60/hour')).toBe(1);
  });

  it('refuses a bare number, naming the fix', () => {
    expect(() => parseRatePerMin('500')).toThrow(/unit is required: write 500\/min/);
  });

  it('refuses zero, negative and unknown units', () => {
    expect(() => parseRatePerMin('0/min')).toThrow(UnitError);
    expect(() => parseRatePerMin('-5/min')).toThrow(/expected a count per unit/);
    expect(() => parseRatePerMin('5/day')).toThrow(/500\/min, 5000\/h, 80\/s/);
  });

  it('formats back to text that parses to the same rate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom('min', 'h', 's'), (n, unit) => {
        const perMin = parseRatePerMin(`${n}/${unit}`);
        expect(parseRatePerMin(formatRatePerMin(perMin))).toBeCloseTo(perMin, 6);
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseScenarioDurationMs', () => {
  it('parses durations with units', () => {
    expect(parseScenarioDurationMs('15s')).toBe(15_000);
    expect(parseScenarioDurationMs('250ms')).toBe(250);
    expect(parseScenarioDurationMs('72h')).toBe(259_200_000);
    expect(parseScenarioDurationMs('1.5m')).toBe(90_000);
  });

  it('requires the unit, suggesting both readings', () => {
    expect(() => parseScenarioDurationMs('15')).toThrow(/unit is required \(write 15s or 15ms\)/);
  });

  it('refuses zero unless allowed, and garbage', () => {
    expect(() => parseScenarioDurationMs('0s')).toThrow(/above 0/);
    expect(parseScenarioDurationMs('0s', { allowZero: true })).toBe(0);
    expect(() => parseScenarioDurationMs('soon')).toThrow(/250ms, 1.5s, 5m, 72h, 7d/);
  });
});

describe('parseDayRange', () => {
  it('gives ms since midnight', () => {
    expect(parseDayRange('09:00-11:00')).toEqual({ startMs: 9 * 3_600_000, endMs: 11 * 3_600_000 });
    expect(parseDayRange('22:30-24:00')).toEqual({ startMs: 22.5 * 3_600_000, endMs: 24 * 3_600_000 });
    expect(formatClockMs(parseDayRange('19:00-21:15').endMs)).toBe('21:15');
  });

  it('refuses ranges that wrap, are empty or are not times', () => {
    expect(() => parseDayRange('22:00-02:00')).toThrow(/across midnight as two/);
    expect(() => parseDayRange('10:00-10:00')).toThrow(/end must be after the start/);
    expect(() => parseDayRange('9-11')).toThrow(/not a time HH:MM/);
    expect(() => parseDayRange('24:30-25:00')).toThrow(UnitError);
  });
});

describe('isKnownTimeZone', () => {
  it('knows IANA zones and rejects inventions', () => {
    expect(isKnownTimeZone('UTC')).toBe(true);
    expect(isKnownTimeZone('Asia/Taipei')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
  });
});
