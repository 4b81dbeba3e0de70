import { parseDurationMs, parseRatePerMin } from './rates.js';
import { type RateStage, stageArrivals, validateStages } from './schedule.js';

export { rampStages as stepRampStages } from './step-ramp.js';

const MS_PER_MIN = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const MIN_PER_DAY = 1440;

/** A bad profile or shape file; `path` names the field ('points[3].at'), the message says what is accepted. */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** A constant rate for a duration. */
export function constantStages(ratePerMin: number, durationMs: number): RateStage[] {
  const stages = [{ durationMs, startPerMin: ratePerMin, endPerMin: ratePerMin }];
  validateStages(stages);
  return stages;
}

/** A linear ramp from one rate to another over a duration. */
export function linearRampStages(fromPerMin: number, toPerMin: number, durationMs: number): RateStage[] {
  const stages = [{ durationMs, startPerMin: fromPerMin, endPerMin: toPerMin }];
  validateStages(stages);
  return stages;
}

/** A periodic daily point: the rate (msg/min) at a local time of day; rates between points are linear. */
export interface DailyPoint {
  minuteOfDay: number;
  perMin: number;
}

/** A point on a run's own timeline (not periodic): the rate at `atMs` after the start. */
export interface TimelinePoint {
  atMs: number;
  perMin: number;
}

/**
 * A load shape. Daily shapes repeat every local day (by the profile's time zone); timeline shapes run
 * once from the start of the run. Hourly shapes are constant within each hour; point shapes are linear
 * between points.
 */
export type LoadShape =
  | { kind: 'daily-hourly'; perMin: number[] }
  | { kind: 'daily-points'; points: DailyPoint[] }
  | { kind: 'timeline-hourly'; perMin: number[] }
  | { kind: 'timeline-points'; points: TimelinePoint[] };

/**
 * The default diurnal shape (relative weights, scaled to the mean the soak asks for): quiet nights
 * (0.25–0.3 of the day's mean around 00:00–05:00), a morning rise, flat peaks 09:00–11:00 and
 * 19:00–21:00 at twice the base, a steady working day between. Ramps of 30 minutes into and out of
 * the peaks keep the volume change per minute inside what the 70–130 % monitoring band can follow.
 */
export const defaultDiurnalShape: LoadShape = {
  kind: 'daily-points',
  points: [
    { minuteOfDay: 0, perMin: 0.3 },
    { minuteOfDay: 5 * 60, perMin: 0.25 },
    { minuteOfDay: 7 * 60, perMin: 0.6 },
    { minuteOfDay: 8 * 60 + 30, perMin: 1.0 },
    { minuteOfDay: 9 * 60, perMin: 2.0 },
    { minuteOfDay: 11 * 60, perMin: 2.0 },
    { minuteOfDay: 11 * 60 + 30, perMin: 1.2 },
    { minuteOfDay: 17 * 60, perMin: 1.1 },
    { minuteOfDay: 18 * 60 + 30, perMin: 1.2 },
    { minuteOfDay: 19 * 60, perMin: 2.0 },
    { minuteOfDay: 21 * 60, perMin: 2.0 },
    { minuteOfDay: 21 * 60 + 30, perMin: 1.0 },
    { minuteOfDay: 23 * 60, perMin: 0.45 },
  ],
};

/** The seed's daily peaks, in local hours [from, to). */
export const seedPeakHours: ReadonlyArray<readonly [number, number]> = [
  [9, 11],
  [19, 21],
];

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatterCache.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new ProfileError(
        `unknown time zone ${JSON.stringify(timeZone)}: use an IANA name such as 'UTC', 'Europe/Berlin', 'Asia/Taipei'`,
        'timeZone',
      );
    }
    formatterCache.set(timeZone, f);
  }
  return f;
}

/**
 * Offset of `timeZone` from UTC at instant `epochMs`, in ms (Asia/Taipei → +8 h, America/New_York in
 * summer → −4 h), via Intl: format the instant in the zone, read the wall clock back as if it were UTC,
 * subtract. Whole seconds only, which every real zone satisfies.
 */
export function timeZoneOffsetMs(timeZone: string, epochMs: number): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? Number.NaN);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** Local ms since midnight at instant `epochMs` in `timeZone`. */
export function localMsOfDay(timeZone: string, epochMs: number): number {
  const local = epochMs + timeZoneOffsetMs(timeZone, epochMs);
  return ((local % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
}

/** Rate (msg/min) of a daily shape at a local minute of the day (fractional minutes allowed). */
function dailyRate(
  shape: Extract<LoadShape, { kind: 'daily-hourly' | 'daily-points' }>,
  minute: number,
): number {
  if (shape.kind === 'daily-hourly') return shape.perMin[Math.floor(minute / 60) % 24] ?? 0;
  const pts = shape.points;
  const n = pts.length;
  if (n === 1) return (pts[0] as DailyPoint).perMin;
  // Periodic interpolation: the segment after the last point wraps to the first point of the next day.
  for (let i = 0; i < n; i++) {
    const a = pts[i] as DailyPoint;
    const b = pts[(i + 1) % n] as DailyPoint;
    const bMin = i + 1 < n ? b.minuteOfDay : b.minuteOfDay + MIN_PER_DAY;
    const m = minute < a.minuteOfDay ? minute + MIN_PER_DAY : minute;
    if (m >= a.minuteOfDay && m < bMin)
      return a.perMin + ((b.perMin - a.perMin) * (m - a.minuteOfDay)) / (bMin - a.minuteOfDay);
  }
  return (pts[0] as DailyPoint).perMin;
}

/** Next breakpoint of a daily shape strictly after local minute `minute` (may be ≥ 1440: next day). */
function nextDailyBreak(
  shape: Extract<LoadShape, { kind: 'daily-hourly' | 'daily-points' }>,
  minute: number,
): number {
  // Hour boundaries are always breakpoints too: the time zone offset is re-read at each one (DST).
  let next = (Math.floor(minute / 60 + 1e-9) + 1) * 60;
  if (shape.kind === 'daily-points') {
    for (const p of shape.points) {
      for (const m of [p.minuteOfDay, p.minuteOfDay + MIN_PER_DAY]) {
        if (m > minute + 1e-9 && m < next) next = m;
      }
    }
  }
  return next;
}

/** Options for turning a shape into stages. */
export interface ShapeOptions {
  /** Wall-clock start of the run (epoch ms); daily shapes are laid on the local days from here. */
  startEpochMs: number;
  /** Length of the run; default 72 h for daily shapes, the shape's own length for timeline shapes. */
  durationMs?: number;
  /** IANA zone the daily shape's hours are in. Default 'UTC'. */
  timeZone?: string;
  /** Scale the rates so the run averages this many msg/hour (the seed's soak: 5,000). */
  meanPerHour?: number;
}

/**
 * A load shape as a rate curve from the run's start. Daily shapes are cut at every local hour and
 * every point, reading the zone offset (Intl) at each cut, so a run that crosses a DST change follows
 * local time. With `meanPerHour` the rates are scaled so the total volume is exactly mean × hours.
 */
export function shapeStages(shape: LoadShape, opts: ShapeOptions): RateStage[] {
  validateShape(shape);
  if (typeof opts.startEpochMs !== 'number' || !Number.isFinite(opts.startEpochMs)) {
    throw new ProfileError('must be a finite epoch time in ms', 'startEpochMs');
  }
  const tz = opts.timeZone ?? 'UTC';
  formatterFor(tz);
  let stages: RateStage[];
  if (shape.kind === 'timeline-hourly') {
    const durationMs = opts.durationMs ?? shape.perMin.length * MS_PER_HOUR;
    stages = [];
    for (let i = 0; i * MS_PER_HOUR < durationMs; i++) {
      const r = shape.perMin[i] ?? shape.perMin[shape.perMin.length - 1] ?? 0;
      stages.push({
        durationMs: Math.min(MS_PER_HOUR, durationMs - i * MS_PER_HOUR),
        startPerMin: r,
        endPerMin: r,
      });
    }
  } else if (shape.kind === 'timeline-points') {
    const pts = shape.points;
    const last = pts[pts.length - 1] as TimelinePoint;
    const durationMs = opts.durationMs ?? last.atMs;
    stages = [];
    for (let i = 0; i + 1 < pts.length; i++) {
      const a = pts[i] as TimelinePoint;
      const b = pts[i + 1] as TimelinePoint;
      if (a.atMs >= durationMs) break;
      const endMs = Math.min(b.atMs, durationMs);
      const endRate = a.perMin + ((b.perMin - a.perMin) * (endMs - a.atMs)) / (b.atMs - a.atMs);
      if (endMs > a.atMs)
        stages.push({ durationMs: endMs - a.atMs, startPerMin: a.perMin, endPerMin: endRate });
    }
    if (durationMs > last.atMs) {
      stages.push({ durationMs: durationMs - last.atMs, startPerMin: last.perMin, endPerMin: last.perMin });
    }
  } else {
    const durationMs = opts.durationMs ?? 72 * MS_PER_HOUR;
    stages = [];
    let t = 0;
    // Each stage ends at a local hour or point, so there are at most ~40 per day; the bound is a guard.
    const maxStages = Math.ceil(durationMs / MS_PER_HOUR) * 30 + 10;
    while (t < durationMs - 1e-6 && stages.length < maxStages) {
      const minute = localMsOfDay(tz, opts.startEpochMs + t) / MS_PER_MIN;
      const nextMinute = nextDailyBreak(shape, minute);
      const stepMs = Math.min((nextMinute - minute) * MS_PER_MIN, durationMs - t);
      const startPerMin = dailyRate(shape, minute);
      const endPerMin =
        shape.kind === 'daily-hourly' ? startPerMin : dailyRate(shape, minute + stepMs / MS_PER_MIN - 1e-9);
      stages.push({ durationMs: stepMs, startPerMin, endPerMin: Math.max(0, endPerMin) });
      t += stepMs;
    }
  }
  if (opts.meanPerHour !== undefined) {
    if (!(opts.meanPerHour >= 0) || !Number.isFinite(opts.meanPerHour)) {
      throw new ProfileError(`must be a finite number ≥ 0, got ${opts.meanPerHour}`, 'meanPerHour');
    }
    let area = 0;
    let total = 0;
    for (const s of stages) {
      area += stageArrivals(s);
      total += s.durationMs;
    }
    const wanted = (opts.meanPerHour * total) / MS_PER_HOUR;
    if (area <= 0 && wanted > 0)
      throw new ProfileError('the shape is zero everywhere: nothing to scale', 'shape');
    const f = area > 0 ? wanted / area : 0;
    stages = stages.map((s) => ({
      durationMs: s.durationMs,
      startPerMin: s.startPerMin * f,
      endPerMin: s.endPerMin * f,
    }));
  }
  validateStages(stages);
  return stages;
}

/** The seed's soak: the default diurnal shape, 72 h, averaging 5,000 msg/hour, in `timeZone`. */
export function diurnalSoakStages(opts: Partial<ShapeOptions> & { startEpochMs: number }): RateStage[] {
  // Explicit fields, not a spread: an option passed as undefined must not erase its default.
  return shapeStages(defaultDiurnalShape, {
    startEpochMs: opts.startEpochMs,
    durationMs: opts.durationMs ?? 72 * MS_PER_HOUR,
    meanPerHour: opts.meanPerHour ?? 5000,
    timeZone: opts.timeZone ?? 'UTC',
  });
}

/**
 * Elapsed-time ranges [fromMs, toMs) of the run that fall in the given local hours (default the seed's
 * 09–11 and 19–21), for marking the peaks on a soak chart and checking the load followed them.
 */
export function localHourWindows(
  opts: { startEpochMs: number; durationMs: number; timeZone?: string },
  hours: ReadonlyArray<readonly [number, number]> = seedPeakHours,
): Array<{ fromMs: number; toMs: number; fromHour: number; toHour: number }> {
  const tz = opts.timeZone ?? 'UTC';
  const out: Array<{ fromMs: number; toMs: number; fromHour: number; toHour: number }> = [];
  // Walk local hour boundaries: at most one Intl call per hour of the run.
  let t = 0;
  let open: { fromMs: number; fromHour: number; toHour: number } | null = null;
  while (t < opts.durationMs) {
    const msOfDay = localMsOfDay(tz, opts.startEpochMs + t);
    const hour = Math.floor(msOfDay / MS_PER_HOUR);
    const range = hours.find(([from, to]) => hour >= from && hour < to);
    if (range && !open) open = { fromMs: t, fromHour: range[0], toHour: range[1] };
    if (!range && open) {
      out.push({ ...open, toMs: t });
      open = null;
    }
    const toNextHour = MS_PER_HOUR - (msOfDay % MS_PER_HOUR);
    t += toNextHour;
  }
  if (open) out.push({ ...open, toMs: opts.durationMs });
  return out;
}

/** Throws a ProfileError naming the field when a shape is unusable. */
export function validateShape(shape: LoadShape): void {
  const rate = (v: unknown, path: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ProfileError(`rate must be a finite number ≥ 0, got ${String(v)}`, path);
    }
  };
  if (!shape || typeof shape !== 'object') throw new ProfileError('must be a load shape object', 'shape');
  switch (shape.kind) {
    case 'daily-hourly':
      if (!Array.isArray(shape.perMin) || shape.perMin.length !== 24) {
        throw new ProfileError('a daily hourly table needs exactly 24 entries', 'hourly');
      }
      for (const [i, r] of shape.perMin.entries()) rate(r, `hourly[${i}]`);
      return;
    case 'timeline-hourly':
      if (!Array.isArray(shape.perMin) || shape.perMin.length === 0) {
        throw new ProfileError('needs at least one hour', 'hourly');
      }
      for (const [i, r] of shape.perMin.entries()) rate(r, `hourly[${i}]`);
      return;
    case 'daily-points': {
      if (!Array.isArray(shape.points) || shape.points.length === 0) {
        throw new ProfileError('needs at least one point', 'points');
      }
      let prev = -1;
      shape.points.forEach((p, i) => {
        rate(p.perMin, `points[${i}].rate`);
        if (!(p.minuteOfDay >= 0 && p.minuteOfDay < MIN_PER_DAY) || p.minuteOfDay <= prev) {
          throw new ProfileError(
            'times of day must be 00:00–23:59 and strictly increasing',
            `points[${i}].at`,
          );
        }
        prev = p.minuteOfDay;
      });
      return;
    }
    case 'timeline-points': {
      if (!Array.isArray(shape.points) || shape.points.length === 0) {
        throw new ProfileError('needs at least one point', 'points');
      }
      let prev = -1;
      shape.points.forEach((p, i) => {
        rate(p.perMin, `points[${i}].rate`);
        if (i === 0 && p.atMs !== 0)
          throw new ProfileError('the first point must be at 0 (the start)', 'points[0].after');
        if (!(p.atMs >= 0) || p.atMs <= prev) {
          throw new ProfileError('offsets must be strictly increasing', `points[${i}].after`);
        }
        prev = p.atMs;
      });
      return;
    }
    default:
      throw new ProfileError(
        `unknown shape kind ${JSON.stringify((shape as { kind?: unknown }).kind)}`,
        'shape',
      );
  }
}

function parseTimeOfDay(v: unknown, path: string): number {
  const m = typeof v === 'string' ? /^(\d{1,2}):(\d{2})$/.exec(v.trim()) : null;
  const h = m ? Number(m[1]) : Number.NaN;
  const min = m ? Number(m[2]) : Number.NaN;
  if (!m || h > 23 || min > 59)
    throw new ProfileError(`expected a local time HH:MM (09:30), got ${JSON.stringify(v)}`, path);
  return h * 60 + min;
}

function parseShapeRate(v: unknown, path: string, bareUnit: 'hour' | 'min'): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new ProfileError(`rate must be ≥ 0, got ${v}`, path);
    return bareUnit === 'hour' ? v / 60 : v;
  }
  if (typeof v !== 'string')
    throw new ProfileError(`expected a rate (500/min, 5000/h), got ${JSON.stringify(v)}`, path);
  try {
    return /^\s*\d*\.?\d+\s*$/.test(v) && bareUnit === 'hour' ? Number(v) / 60 : parseRatePerMin(v);
  } catch (err) {
    throw new ProfileError((err as Error).message, path);
  }
}

/**
 * Reads a shape file's content (already parsed from YAML/JSON). Accepted forms:
 *
 *     hourly: [1200, 900, …]          # msg in each hour (or rate texts '20/min'); 24 entries = every
 *                                     # local day, any other count = hour by hour from the start
 *     points:                         # linear between points
 *       - { at: '09:00', rate: 180/min }    # local time of day: repeats daily
 *       - { after: 36h, rate: 5000/h }      # offset from the start: runs once (first point after: 0)
 *     meanPerHour: 5000               # optional: scale the shape to this average
 *
 * Bare numbers in `hourly` are msg/hour (the table's unit); bare numbers in `rate` are msg/min (the
 * harness's unit). Every problem is a ProfileError naming the field.
 */
export function parseShape(data: unknown): { shape: LoadShape; meanPerHour?: number } {
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new ProfileError('a shape file must be a mapping with `hourly` or `points`', 'shape');
  }
  const obj = data as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!['hourly', 'points', 'meanPerHour'].includes(key)) {
      throw new ProfileError('unknown key (expected hourly, points, meanPerHour)', key);
    }
  }
  if ((obj.hourly === undefined) === (obj.points === undefined)) {
    throw new ProfileError('give exactly one of `hourly` or `points`', 'shape');
  }
  let meanPerHour: number | undefined;
  if (obj.meanPerHour !== undefined) {
    meanPerHour = parseShapeRate(obj.meanPerHour, 'meanPerHour', 'hour') * 60;
  }
  let shape: LoadShape;
  if (obj.hourly !== undefined) {
    if (!Array.isArray(obj.hourly)) throw new ProfileError('must be a list of hourly volumes', 'hourly');
    const perMin = obj.hourly.map((v, i) => parseShapeRate(v, `hourly[${i}]`, 'hour'));
    shape = perMin.length === 24 ? { kind: 'daily-hourly', perMin } : { kind: 'timeline-hourly', perMin };
  } else {
    if (!Array.isArray(obj.points) || obj.points.length === 0) {
      throw new ProfileError('must be a non-empty list of { at | after, rate }', 'points');
    }
    const raw = obj.points as unknown[];
    const daily = raw.every((p) => p && typeof p === 'object' && 'at' in p);
    const timeline = raw.every((p) => p && typeof p === 'object' && 'after' in p);
    if (!daily && !timeline) {
      throw new ProfileError(
        'every point needs `at` (time of day) or every point `after` (offset), not a mix',
        'points',
      );
    }
    if (daily) {
      shape = {
        kind: 'daily-points',
        points: raw.map((p, i) => {
          const o = p as Record<string, unknown>;
          return {
            minuteOfDay: parseTimeOfDay(o.at, `points[${i}].at`),
            perMin: parseShapeRate(o.rate, `points[${i}].rate`, 'min'),
          };
        }),
      };
    } else {
      shape = {
        kind: 'timeline-points',
        points: raw.map((p, i) => {
          const o = p as Record<string, unknown>;
          let atMs: number;
          try {
            atMs = typeof o.after === 'number' ? o.after : parseDurationMs(String(o.after));
          } catch (err) {
            throw new ProfileError((err as Error).message, `points[${i}].after`);
          }
          return { atMs, perMin: parseShapeRate(o.rate, `points[${i}].rate`, 'min') };
        }),
      };
    }
  }
  validateShape(shape);
  return meanPerHour === undefined ? { shape } : { shape, meanPerHour };
}

const MS_PER_HOUR_SHAPE = 3_600_000;

/**
 * The daily shape of a soak from its peaks: quiet nights, a working day at 1, the peaks at
 * `peakFactor` (hours partly inside a peak get the share they overlap).
 */
export function diurnalShapeFromPeaks(
  peaks: ReadonlyArray<{ startMs: number; endMs: number }>,
  peakFactor: number,
): LoadShape {
  const base = [
    0.3, 0.3, 0.25, 0.25, 0.25, 0.3, 0.5, 0.8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.8, 0.5,
  ];
  const perMin = base.map((b, h) => {
    let inPeak = 0;
    for (const p of peaks) {
      const from = Math.max(p.startMs, h * MS_PER_HOUR_SHAPE);
      const to = Math.min(p.endMs, (h + 1) * MS_PER_HOUR_SHAPE);
      if (to > from) inPeak += (to - from) / MS_PER_HOUR_SHAPE;
    }
    return b * (1 - inPeak) + peakFactor * inPeak;
  });
  return { kind: 'daily-hourly', perMin };
}
