import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatPercent, formatValue } from '../../../src/grading/format.js';

describe('formatting graded values', () => {
  it('never rounds a ratio up to 100 % or down to 0 %', () => {
    expect(formatPercent(0.993)).toBe('99.3 %');
    expect(formatPercent(0.9998)).toBe('99.98 %');
    expect(formatPercent(0.99995)).toBe('99.995 %');
    expect(formatPercent(0.9999999)).toBe('99.99999 %');
    expect(formatPercent(1)).toBe('100 %');
    expect(formatPercent(0.000001)).toBe('0.0001 %');
    expect(formatPercent(0)).toBe('0 %');
  });

  it('writes each unit the way the acceptance table does', () => {
    expect(formatValue(0.8, 's')).toBe('0.8 s');
    expect(formatValue(2.125, 's')).toBe('2.13 s');
    expect(formatValue(41.74, 's')).toBe('41.7 s');
    expect(formatValue(1200, 'msg/min')).toBe('1,200 msg/min');
    expect(formatValue(78.46, '%')).toBe('78.5 %');
    expect(formatValue(null, 'ratio')).toBe('—');
    expect(formatValue(12345, 'count')).toBe('12,345');
  });

  it('writes durations and sizes for people', () => {
    expect(formatDuration(950)).toBe('950 ms');
    expect(formatDuration(4200)).toBe('4.2 s');
    expect(formatDuration(262_000)).toBe('4 min 22 s');
    expect(formatDuration(5_400_000)).toBe('1 h 30 min');
    expect(formatDuration(null)).toBe('—');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(-5 * 1048576)).toBe('-5 MiB');
  });
});
