import { describe, expect, it } from 'vitest';
import {
  bulletChart,
  faultChart,
  hopChart,
  lineChart,
  niceTicks,
  timeTicks,
} from '../../../src/report/charts.js';
import { parseXml } from './xml.js';

const fmt = (v: number) => String(v);

describe('niceTicks', () => {
  it('picks 1-2-5 steps that cover the range', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0, 1610, 5)).toEqual([0, 500, 1000, 1500, 2000]);
    expect(niceTicks(0.99, 1, 5)).toEqual([0.99, 0.992, 0.994, 0.996, 0.998, 1]);
    expect(niceTicks(5, 5)).toEqual([4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6]);
  });

  it('always ends at or above the maximum and starts at or below the minimum', () => {
    for (const [lo, hi] of [
      [0, 7],
      [3, 97],
      [-12, 0.5],
      [1e-6, 3e-6],
    ] as const) {
      const t = niceTicks(lo, hi, 5);
      expect(t[0]).toBeLessThanOrEqual(lo);
      expect(t[t.length - 1]).toBeGreaterThanOrEqual(hi);
      expect(t.length).toBeLessThan(15);
    }
  });

  it('pads a flat zero series upwards only: an axis of rates never runs below 0', () => {
    expect(niceTicks(0, 0)[0]).toBe(0);
    expect(Math.max(...niceTicks(0, 0))).toBeGreaterThan(0);
    expect(niceTicks(-2, -2).every((t) => t <= 0)).toBe(true);
  });

  it('gives whole time units for time axes', () => {
    expect(timeTicks(262_000, 9)).toEqual([
      0, 30_000, 60_000, 90_000, 120_000, 150_000, 180_000, 210_000, 240_000,
    ]);
    expect(timeTicks(72 * 3_600_000, 6)).toEqual([
      0, 43_200_000, 86_400_000, 129_600_000, 172_800_000, 216_000_000, 259_200_000,
    ]);
  });
});

describe('lineChart', () => {
  it('is well-formed SVG with one path per unbroken stretch of data', () => {
    const svg = lineChart({
      title: 'p95 <over> time',
      series: [
        {
          label: 'p95',
          color: '#f00',
          points: [
            [0, 1],
            [1, 2],
            [2, null],
            [3, 2],
            [4, 1],
          ],
        },
      ],
      x: { label: 't', format: fmt },
      y: { label: 'v', format: fmt },
    });
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs['aria-label']).toBe('p95 <over> time');
    expect(svg.match(/class="line"/g)).toHaveLength(2);
  });

  it('draws bands, reference lines and markers with escaped labels', () => {
    const svg = lineChart({
      title: 'ramp',
      series: [
        {
          label: 'p95',
          color: '#f00',
          points: [
            [500, 1],
            [700, 6],
          ],
          dots: true,
        },
      ],
      x: { label: 'rate', format: fmt, min: 400, max: 800 },
      y: { label: 's', format: fmt },
      bands: [{ from: 450, to: 550, color: '#0f0', label: 'warm <up>' }],
      hLines: [{ y: 5, label: 'limit 5 s', color: '#f00' }],
      vLines: [{ x: 700, label: 'stop & look', color: '#f00' }],
    });
    parseXml(svg);
    expect(svg).toContain('class="band"');
    expect(svg).toContain('warm &lt;up&gt;');
    expect(svg).toContain('limit 5 s');
    expect(svg).toContain('stop &amp; look');
    expect(svg.match(/<circle/g)).toHaveLength(2);
  });

  it('copes with no data at all', () => {
    const svg = lineChart({
      title: 'empty',
      series: [],
      x: { label: 'x', format: fmt },
      y: { label: 'y', format: fmt },
    });
    expect(() => parseXml(svg)).not.toThrow();
    expect(svg).not.toContain('NaN');
  });
});

describe('other charts', () => {
  it('hopChart draws three bars per hop on a scale that fits the slowest p99', () => {
    const svg = hopChart({
      title: 'hops',
      hops: [
        { name: 'a → b', count: 1, p50Ms: 10, p95Ms: 20, p99Ms: 30 },
        { name: '<c>', count: 1, p50Ms: 700, p95Ms: 1200, p99Ms: 1610 },
      ],
      format: (ms) => `${ms} ms`,
    });
    parseXml(svg);
    expect(svg.match(/<rect x="270" y="\d+" width="[\d.]+" height="(18|12|6)"/g)).toHaveLength(6);
    expect(svg).toContain('&lt;c&gt;');
    expect(svg).toContain('>2000 ms<');
  });

  it('faultChart shows a recovery, or says the fault never recovered', () => {
    const svg = faultChart({
      title: 'faults',
      fromMs: 0,
      toMs: 60_000,
      faults: [
        { label: 'whatsapp: outage', startMs: 10_000, endMs: 20_000, recoveryMs: 4000 },
        { label: 'crm: outage', startMs: 30_000, endMs: 40_000, recoveryMs: null },
      ],
      format: fmt,
      formatSpan: (ms) => `${ms / 1000} s`,
    });
    parseXml(svg);
    expect(svg).toContain('recovered in 4 s');
    expect(svg).toContain('never recovered');
  });

  it('bulletChart marks the value, and nothing when not measured', () => {
    const args = {
      direction: 'higher' as const,
      thresholds: { qualified: 0.99, average: 0.993, best: 0.999 },
      format: fmt,
    };
    expect(bulletChart({ ...args, value: 0.995 })).toContain('bullet-mark');
    expect(bulletChart({ ...args, value: null })).not.toContain('bullet-mark');
    parseXml(bulletChart({ ...args, value: 0.5 }));
  });
});
