import { escapeHtml as esc } from './escape.js';

/**
 * Small pure chart functions: data in, an inline `<svg>` string out. No chart library and no
 * script, so report.html stays one self-contained file that renders the same offline, in a CI
 * artifact viewer, or printed. Every user-supplied label goes through the HTML escaper.
 */

/** The report's colours, shared by the charts and the page's CSS. */
export const PALETTE = {
  fail: '#c93c3c',
  qualified: '#d48a1a',
  average: '#2f74c0',
  best: '#1f8f57',
  notMeasured: '#8a94a3',
  p50: '#2f74c0',
  p95: '#e08a1e',
  p99: '#c2453d',
  sent: '#2f74c0',
  completed: '#1f8f57',
  errors: '#c93c3c',
  cpu: '#7a52b3',
  memory: '#0f8b8d',
  peak: '#e08a1e',
  fault: '#c93c3c',
  suite: '#8a94a3',
  ink: '#1d2430',
} as const;

/** A point of a series; a null y breaks the line (no data in that interval). */
export type Point = readonly [number, number | null];

/** One line of a chart. */
export interface Series {
  label: string;
  color: string;
  points: readonly Point[];
  /** SVG dash pattern ('6 4') for secondary lines. */
  dash?: string;
  /** Plot against the right-hand axis. */
  axis?: 'left' | 'right';
  /** Draw a dot on every point (sparse data such as ramp steps). */
  dots?: boolean;
  /** The dots' shape: diamonds set a second kind of measurement (refinement probes) apart from steps. */
  marker?: 'circle' | 'diamond';
  /** Draw only the markers, no line: points that are not a sequence along x (bisection probes). */
  markersOnly?: boolean;
  /** Fill the area under the line (left axis only). */
  area?: boolean;
}

/** An axis: its label, how ticks are written, and optional fixed bounds. */
export interface Axis {
  label: string;
  format: (value: number) => string;
  min?: number;
  max?: number;
  /** Preferred tick values instead of computed ones. */
  ticks?: readonly number[];
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  title: string;
  width?: number;
  height?: number;
  series: readonly Series[];
  x: Axis;
  y: Axis;
  y2?: Axis;
  /** Shaded x ranges (peak windows, fault windows, suites). */
  bands?: ReadonlyArray<{ from: number; to: number; color: string; label?: string; opacity?: number }>;
  /** Horizontal reference lines (a criterion, a threshold). */
  hLines?: ReadonlyArray<{ y: number; label: string; color: string; axis?: 'left' | 'right' }>;
  /** Vertical markers (the ramp's stop point). */
  vLines?: ReadonlyArray<{ x: number; label: string; color: string }>;
  /** Keep the right axis' margin even without a right axis, so stacked charts share their x positions. */
  reserveRightAxis?: boolean;
}

/** Tick values for a time axis in ms: whole seconds, minutes or hours, about `count` of them. */
export function timeTicks(maxMs: number, count = 6): number[] {
  const steps = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
  ].map((s) => s * 1000);
  const step = steps.find((s) => maxMs / s <= count) ?? (steps[steps.length - 1] as number);
  const ticks: number[] = [];
  for (let t = 0; t <= maxMs && ticks.length < 200; t += step) ticks.push(t);
  return ticks;
}

/** Round numbers for axis ticks covering [min, max] with about `count` steps (the classic 1-2-5 rule). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0];
  if (min === max) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    // Padding never crosses zero: an all-zero error rate gets an axis from 0 up, not one below 0 %.
    const lo = min >= 0 ? Math.max(0, min - pad) : min - pad;
    const hi = max <= 0 && min < 0 ? Math.min(0, max + pad) : max + pad;
    return niceTicks(lo, hi, count);
  }
  const span = max - min;
  let step = 10 ** Math.floor(Math.log10(span / count));
  const err = (count / span) * step;
  if (err <= 0.15) step *= 10;
  else if (err <= 0.35) step *= 5;
  else if (err <= 0.75) step *= 2;
  // First tick at or below min, last at or above max, so the data always fits inside the axis.
  const first = Math.floor(min / step);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last && ticks.length < 100; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

function extent(values: number[], fallback: [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return fallback;
  return [Math.min(...finite), Math.max(...finite)];
}

function num(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 10) / 10) : '0';
}

/** Builds a polyline path, starting a new segment after every null. */
function pathFor(points: readonly Point[], sx: (x: number) => number, sy: (y: number) => number): string[] {
  const segments: string[] = [];
  let cur: string[] = [];
  for (const [x, y] of points) {
    if (y === null || !Number.isFinite(y)) {
      if (cur.length > 0) segments.push(cur.join(' '));
      cur = [];
      continue;
    }
    cur.push(`${cur.length === 0 ? 'M' : 'L'}${num(sx(x))},${num(sy(y))}`);
  }
  if (cur.length > 0) segments.push(cur.join(' '));
  return segments;
}

/** A line chart with optional right axis, shaded ranges, reference lines and markers, as inline SVG. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 960;
  const height = o.height ?? 300;
  const legendH = 26;
  const m = { top: 14 + legendH, right: o.y2 || o.reserveRightAxis ? 64 : 20, bottom: 44, left: 64 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;

  const left = o.series.filter((s) => s.axis !== 'right');
  const right = o.series.filter((s) => s.axis === 'right');
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const [x0raw, x1raw] = extent(
    [...xs, ...(o.bands ?? []).flatMap((b) => [b.from, b.to]), ...(o.vLines ?? []).map((v) => v.x)],
    [0, 1],
  );
  const x0 = o.x.min ?? x0raw;
  const x1 = o.x.max ?? (x1raw > x0 ? x1raw : x0 + 1);
  const yVals = (ss: readonly Series[], axis: 'left' | 'right') => [
    ...ss.flatMap((s) => s.points.map((p) => p[1]).filter((v): v is number => v !== null)),
    ...(o.hLines ?? []).filter((h) => (h.axis ?? 'left') === axis).map((h) => h.y),
  ];
  const yTicks = (axis: Axis, values: number[]): number[] => {
    if (axis.ticks) return [...axis.ticks];
    const [lo, hi] = extent(values, [0, 1]);
    const ticks = niceTicks(axis.min ?? Math.min(0, lo), axis.max ?? hi * 1.05, 5);
    // A fixed bound is a promise (an error rate is never below 0 %): no tick beyond it.
    return ticks.filter(
      (t) => (axis.min === undefined || t >= axis.min) && (axis.max === undefined || t <= axis.max),
    );
  };
  const ly = yTicks(o.y, yVals(left, 'left'));
  const ry = o.y2 ? yTicks(o.y2, yVals(right, 'right')) : [];
  const ly0 = o.y.min ?? (ly[0] as number);
  const ly1 = o.y.max ?? (ly[ly.length - 1] as number);
  const ry0 = o.y2?.min ?? ry[0] ?? 0;
  const ry1 = o.y2?.max ?? ry[ry.length - 1] ?? 1;

  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0 || 1)) * plotW;
  const syL = (y: number) => m.top + plotH - ((y - ly0) / (ly1 - ly0 || 1)) * plotH;
  const syR = (y: number) => m.top + plotH - ((y - ry0) / (ry1 - ry0 || 1)) * plotH;
  const clampY = (y: number) => Math.max(m.top, Math.min(m.top + plotH, y));

  const parts: string[] = [];
  parts.push(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(o.title)}" xmlns="http://www.w3.org/2000/svg">`,
  );
  parts.push(`<title>${esc(o.title)}</title>`);
  // Shaded ranges first, under everything.
  for (const b of o.bands ?? []) {
    const bx0 = Math.max(m.left, sx(b.from));
    const bx1 = Math.min(m.left + plotW, sx(b.to));
    if (bx1 <= bx0) continue;
    parts.push(
      `<rect class="band" x="${num(bx0)}" y="${m.top}" width="${num(bx1 - bx0)}" height="${plotH}" fill="${esc(b.color)}" fill-opacity="${b.opacity ?? 0.12}"/>`,
    );
    // Labels are cut to the band's width (about 6 px a character) rather than spilling over the next one.
    const fits = Math.floor((bx1 - bx0 - 8) / 6);
    if (b.label && fits >= 4) {
      const label = b.label.length <= fits ? b.label : `${b.label.slice(0, fits - 1)}…`;
      parts.push(
        `<text class="band-label" x="${num((bx0 + bx1) / 2)}" y="${m.top + 12}" text-anchor="middle">${esc(label)}</text>`,
      );
    }
  }
  // Grid and axes.
  for (const t of ly) {
    const y = syL(t);
    if (y < m.top - 0.5 || y > m.top + plotH + 0.5) continue;
    parts.push(`<line class="grid" x1="${m.left}" x2="${m.left + plotW}" y1="${num(y)}" y2="${num(y)}"/>`);
    parts.push(
      `<text class="tick" x="${m.left - 8}" y="${num(y + 4)}" text-anchor="end">${esc(o.y.format(t))}</text>`,
    );
  }
  if (o.y2) {
    for (const t of ry) {
      const y = syR(t);
      if (y < m.top - 0.5 || y > m.top + plotH + 0.5) continue;
      parts.push(
        `<text class="tick" x="${m.left + plotW + 8}" y="${num(y + 4)}" text-anchor="start">${esc(o.y2.format(t))}</text>`,
      );
    }
  }
  const xt = o.x.ticks ? [...o.x.ticks] : niceTicks(x0, x1, Math.max(2, Math.floor(plotW / 110)));
  for (const t of xt) {
    const x = sx(t);
    if (x < m.left - 0.5 || x > m.left + plotW + 0.5) continue;
    parts.push(
      `<line class="xtick" x1="${num(x)}" x2="${num(x)}" y1="${m.top + plotH}" y2="${m.top + plotH + 5}"/>`,
    );
    parts.push(
      `<text class="tick" x="${num(x)}" y="${m.top + plotH + 18}" text-anchor="middle">${esc(o.x.format(t))}</text>`,
    );
  }
  parts.push(
    `<line class="axis" x1="${m.left}" x2="${m.left + plotW}" y1="${m.top + plotH}" y2="${m.top + plotH}"/>`,
  );
  parts.push(
    `<text class="axis-label" x="${m.left + plotW / 2}" y="${height - 6}" text-anchor="middle">${esc(o.x.label)}</text>`,
  );
  parts.push(
    `<text class="axis-label" transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(o.y.label)}</text>`,
  );
  if (o.y2) {
    parts.push(
      `<text class="axis-label" transform="translate(${width - 10} ${m.top + plotH / 2}) rotate(90)" text-anchor="middle">${esc(o.y2.label)}</text>`,
    );
  }
  // Reference lines.
  for (const [i, h] of (o.hLines ?? []).entries()) {
    const y = (h.axis === 'right' ? syR : syL)(h.y);
    if (y < m.top - 0.5 || y > m.top + plotH + 0.5) continue;
    parts.push(
      `<line class="ref" x1="${m.left}" x2="${m.left + plotW}" y1="${num(y)}" y2="${num(y)}" stroke="${esc(h.color)}"/>`,
    );
    parts.push(
      // Labelled at the left end: markers (stop points) usually sit at the right.
      // Side by side when there are several: two limits often sit at nearly the same height.
      `<text class="ref-label" x="${m.left + 6 + i * 130}" y="${num(y - 5)}" text-anchor="start" fill="${esc(h.color)}">${esc(h.label)}</text>`,
    );
  }
  // Series.
  for (const s of o.series) {
    const sy = s.axis === 'right' ? syR : syL;
    const segments = pathFor(s.points, sx, (y) => clampY(sy(y)));
    if (s.area && s.axis !== 'right') {
      for (const seg of segments) {
        const pts = seg.split(' ');
        const firstX = pts[0]?.slice(1).split(',')[0];
        const lastX = pts[pts.length - 1]?.slice(1).split(',')[0];
        parts.push(
          `<path class="area" d="${seg} L${lastX},${m.top + plotH} L${firstX},${m.top + plotH} Z" fill="${esc(s.color)}" fill-opacity="0.12"/>`,
        );
      }
    }
    if (!s.markersOnly) {
      for (const seg of segments) {
        parts.push(
          `<path class="line" d="${seg}" stroke="${esc(s.color)}"${s.dash ? ` stroke-dasharray="${esc(s.dash)}"` : ''}/>`,
        );
      }
    }
    if (s.dots || s.markersOnly) {
      for (const [x, y] of s.points) {
        if (y === null || !Number.isFinite(y)) continue;
        const cx = sx(x);
        const cy = clampY(sy(y));
        parts.push(
          s.marker === 'diamond'
            ? `<path class="probe" d="M${num(cx)},${num(cy - 5)} L${num(cx + 5)},${num(cy)} L${num(cx)},${num(cy + 5)} L${num(cx - 5)},${num(cy)} Z" fill="#fff" stroke="${esc(s.color)}" stroke-width="2"/>`
            : `<circle class="dot" cx="${num(cx)}" cy="${num(cy)}" r="3.2" fill="${esc(s.color)}"/>`,
        );
      }
    }
  }
  // Markers on top.
  for (const [i, v] of (o.vLines ?? []).entries()) {
    const x = sx(v.x);
    if (x < m.left - 0.5 || x > m.left + plotW + 0.5) continue;
    parts.push(
      `<line class="marker" x1="${num(x)}" x2="${num(x)}" y1="${m.top}" y2="${m.top + plotH}" stroke="${esc(v.color)}"/>`,
    );
    const anchor = x > m.left + plotW * 0.8 ? 'end' : 'start';
    parts.push(
      `<text class="marker-label" x="${num(anchor === 'end' ? x - 5 : x + 5)}" y="${m.top + 26 + i * 16}" text-anchor="${anchor}" fill="${esc(v.color)}">${esc(v.label)}</text>`,
    );
  }
  // Legend.
  let lx = m.left;
  for (const s of o.series) {
    parts.push(
      s.markersOnly && s.marker === 'diamond'
        ? `<path d="M${lx + 9},7 L${lx + 14},12 L${lx + 9},17 L${lx + 4},12 Z" fill="#fff" stroke="${esc(s.color)}" stroke-width="2"/>`
        : `<line x1="${lx}" x2="${lx + 18}" y1="12" y2="12" stroke="${esc(s.color)}" stroke-width="3"${s.dash ? ` stroke-dasharray="${esc(s.dash)}"` : ''}/>`,
    );
    parts.push(`<text class="legend" x="${lx + 24}" y="16">${esc(s.label)}</text>`);
    lx += 34 + s.label.length * 6.6;
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Options of {@link hopChart}. */
export interface HopChartOptions {
  title: string;
  width?: number;
  hops: ReadonlyArray<{ name: string; p50Ms: number; p95Ms: number; p99Ms: number; count: number }>;
  format: (ms: number) => string;
}

/** Per-hop latency: one row per hop, p99 / p95 / p50 as nested bars on a shared scale. */
export function hopChart(o: HopChartOptions): string {
  const width = o.width ?? 960;
  const rowH = 30;
  const labelW = 270;
  const valueW = 190;
  const top = 30;
  const height = top + o.hops.length * rowH + 34;
  const plotW = width - labelW - valueW - 10;
  const maxMs = Math.max(1, ...o.hops.map((h) => h.p99Ms));
  const ticks = niceTicks(0, maxMs, 5);
  const scaleMax = ticks[ticks.length - 1] as number;
  const sx = (ms: number) => labelW + (ms / scaleMax) * plotW;
  const parts: string[] = [
    `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(o.title)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(o.title)}</title>`,
  ];
  const legend: Array<[string, string]> = [
    ['p50', PALETTE.p50],
    ['p95', PALETTE.p95],
    ['p99', PALETTE.p99],
  ];
  legend.forEach(([label, color], i) => {
    parts.push(`<rect x="${labelW + i * 70}" y="6" width="14" height="10" rx="2" fill="${color}"/>`);
    parts.push(`<text class="legend" x="${labelW + i * 70 + 20}" y="15">${label}</text>`);
  });
  for (const t of ticks) {
    const x = sx(t);
    parts.push(
      `<line class="grid" x1="${num(x)}" x2="${num(x)}" y1="${top - 4}" y2="${top + o.hops.length * rowH}"/>`,
    );
    parts.push(
      `<text class="tick" x="${num(x)}" y="${top + o.hops.length * rowH + 16}" text-anchor="middle">${esc(o.format(t))}</text>`,
    );
  }
  o.hops.forEach((h, i) => {
    const y = top + i * rowH;
    parts.push(
      `<text class="hop-label" x="${labelW - 10}" y="${y + 19}" text-anchor="end">${esc(h.name)}</text>`,
    );
    parts.push(
      `<rect x="${labelW}" y="${y + 6}" width="${num(Math.max(1, sx(h.p99Ms) - labelW))}" height="18" rx="3" fill="${PALETTE.p99}"/>`,
    );
    parts.push(
      `<rect x="${labelW}" y="${y + 9}" width="${num(Math.max(1, sx(h.p95Ms) - labelW))}" height="12" rx="2" fill="${PALETTE.p95}"/>`,
    );
    parts.push(
      `<rect x="${labelW}" y="${y + 12}" width="${num(Math.max(1, sx(h.p50Ms) - labelW))}" height="6" rx="1" fill="${PALETTE.p50}"/>`,
    );
    parts.push(
      `<text class="hop-value" x="${width - valueW + 6}" y="${y + 19}">${esc(`${o.format(h.p50Ms)} · ${o.format(h.p95Ms)} · ${o.format(h.p99Ms)}`)}</text>`,
    );
  });
  parts.push(
    `<text class="axis-label" x="${width - valueW + 6}" y="${top - 8}">p50 · p95 · p99</text>`,
    '</svg>',
  );
  return parts.join('');
}

/** Options of {@link bulletChart}. */
export interface BulletOptions {
  value: number | null;
  direction: 'higher' | 'lower';
  thresholds: { qualified: number; average: number; best: number };
  format: (v: number) => string;
  width?: number;
}

/**
 * A metric against its bands on one small bar: fail, qualified, average and best zones, with the
 * value marked. The scale runs from bad (left) to good (right) whichever way the metric points.
 */
export function bulletChart(o: BulletOptions): string {
  const width = o.width ?? 240;
  const height = 30;
  const { qualified, average, best } = o.thresholds;
  const span = Math.abs(best - qualified) || Math.abs(qualified) || 1;
  // Badness scale: 0 = best threshold … 1 = qualified threshold; extend past qualified for the fail zone.
  const lo = o.direction === 'higher' ? qualified - span * 0.6 : qualified + span * 0.6;
  const hi = o.direction === 'higher' ? best + span * 0.15 : Math.max(0, best - span * 0.15);
  const pos = (v: number) => {
    const f = (v - lo) / (hi - lo || 1);
    return 4 + Math.max(0, Math.min(1, f)) * (width - 8);
  };
  const zones: Array<[number, number, string]> = [
    [pos(lo), pos(qualified), PALETTE.fail],
    [pos(qualified), pos(average), PALETTE.qualified],
    [pos(average), pos(best), PALETTE.average],
    [pos(best), pos(hi), PALETTE.best],
  ];
  const parts = [
    `<svg class="bullet" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="value against bands" xmlns="http://www.w3.org/2000/svg">`,
  ];
  for (const [a, b, color] of zones) {
    const x = Math.min(a, b);
    parts.push(
      `<rect x="${num(x)}" y="9" width="${num(Math.abs(b - a))}" height="12" fill="${color}" fill-opacity="0.35"/>`,
    );
  }
  if (o.value !== null && Number.isFinite(o.value)) {
    const x = pos(o.value);
    parts.push(`<rect x="${num(x - 2)}" y="3" width="4" height="24" rx="1.5" class="bullet-mark"/>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Options of {@link faultChart}. */
export interface FaultChartOptions {
  title: string;
  width?: number;
  /** The stretch of the run timeline to draw. */
  fromMs: number;
  toMs: number;
  faults: ReadonlyArray<{ label: string; startMs: number; endMs: number; recoveryMs: number | null }>;
  /** Ticks of the run timeline (e.g. m:ss). */
  format: (ms: number) => string;
  /** A span of time (recovery). */
  formatSpan: (ms: number) => string;
}

/** The faults on the run's timeline: the fault window in red, the recovery after it in amber. */
export function faultChart(o: FaultChartOptions): string {
  const width = o.width ?? 960;
  const rowH = 34;
  const labelW = 230;
  const top = 28;
  const height = top + o.faults.length * rowH + 34;
  const plotW = width - labelW - 24;
  const fromMs = o.fromMs;
  const toMs = Math.max(o.toMs, ...o.faults.map((f) => f.endMs + (f.recoveryMs ?? 0)), fromMs + 1);
  const sx = (ms: number) => labelW + ((ms - fromMs) / (toMs - fromMs)) * plotW;
  const parts = [
    `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(o.title)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(o.title)}</title>`,
    `<rect x="${labelW}" y="6" width="14" height="10" rx="2" fill="${PALETTE.fail}"/><text class="legend" x="${labelW + 20}" y="15">fault active</text>`,
    `<rect x="${labelW + 110}" y="6" width="14" height="10" rx="2" fill="${PALETTE.qualified}"/><text class="legend" x="${labelW + 130}" y="15">recovering (until normal flow, backlog drained)</text>`,
  ];
  const ticks = timeTicks(toMs - fromMs, Math.max(2, Math.floor(plotW / 110))).map(
    (t) => t + Math.ceil(fromMs / 1000) * 1000,
  );
  for (const t of ticks) {
    const x = sx(t);
    if (x < labelW - 0.5 || x > labelW + plotW + 0.5) continue;
    parts.push(
      `<line class="grid" x1="${num(x)}" x2="${num(x)}" y1="${top - 4}" y2="${top + o.faults.length * rowH}"/>`,
    );
    parts.push(
      `<text class="tick" x="${num(x)}" y="${top + o.faults.length * rowH + 16}" text-anchor="middle">${esc(o.format(t))}</text>`,
    );
  }
  o.faults.forEach((f, i) => {
    const y = top + i * rowH;
    parts.push(
      `<text class="hop-label" x="${labelW - 10}" y="${y + 21}" text-anchor="end">${esc(f.label)}</text>`,
    );
    const fx = sx(f.startMs);
    const fw = Math.max(2, sx(f.endMs) - fx);
    parts.push(
      `<rect x="${num(fx)}" y="${y + 8}" width="${num(fw)}" height="18" rx="3" fill="${PALETTE.fail}"/>`,
    );
    if (f.recoveryMs === null) {
      const fitsRight = fx + fw + 6 + 100 < width;
      parts.push(
        `<text class="marker-label" x="${num(fitsRight ? fx + fw + 6 : fx - 6)}" y="${y + 21}" text-anchor="${fitsRight ? 'start' : 'end'}" fill="${PALETTE.fail}">never recovered</text>`,
      );
    } else {
      const rw = Math.max(2, sx(f.endMs + f.recoveryMs) - sx(f.endMs));
      parts.push(
        `<rect x="${num(fx + fw)}" y="${y + 8}" width="${num(rw)}" height="18" rx="3" fill="${PALETTE.qualified}"/>`,
      );
      const text = `recovered in ${o.formatSpan(f.recoveryMs)}`;
      // Past the right edge the label goes to the left of the fault instead.
      const rightX = fx + fw + rw + 6;
      const fitsRight = rightX + text.length * 6.5 < width;
      parts.push(
        `<text class="hop-value" x="${num(fitsRight ? rightX : fx - 6)}" y="${y + 21}" text-anchor="${fitsRight ? 'start' : 'end'}">${esc(text)}</text>`,
      );
    }
  });
  parts.push('</svg>');
  return parts.join('');
}
