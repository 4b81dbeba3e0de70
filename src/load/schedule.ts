/**
 * The arrival schedule: a pure function from a rate curve to the offset of every arrival. No timers,
 * no I/O, no randomness: the same stages always give the same offsets, so a resumed run can recompute
 * "arrival n is due at t" instead of storing it, and golden tests pin the maths.
 */

/** One piece of the rate curve: constant when start = end, a linear ramp otherwise. Rates in msg/min. */
export interface RateStage {
  durationMs: number;
  startPerMin: number;
  endPerMin: number;
}

const MS_PER_MIN = 60_000;

/**
 * Relative tolerance on the cumulative area. Sums of stage areas pick up rounding in the last bits
 * (0.1 + 0.2 ≠ 0.3); without a tolerance an arrival that lands exactly on a stage end would be lost
 * or shifted into the next stage. 1e-9 of the count is far below one arrival for any real schedule.
 */
const AREA_TOLERANCE = 1e-9;

function tolerance(area: number): number {
  return AREA_TOLERANCE * Math.max(1, Math.abs(area));
}

/** Throws a RangeError naming the stage and field when a stage is not a usable piece of a rate curve. */
export function validateStages(stages: readonly RateStage[]): void {
  if (!Array.isArray(stages)) throw new RangeError('stages must be an array of rate stages');
  stages.forEach((s, i) => {
    if (s === null || typeof s !== 'object') throw new RangeError(`stages[${i}] must be an object`);
    for (const key of ['durationMs', 'startPerMin', 'endPerMin'] as const) {
      const v = s[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new RangeError(`stages[${i}].${key} must be a finite number ≥ 0, got ${String(v)}`);
      }
    }
  });
}

/** Expected number of arrivals in one stage: the area under its rate curve (a trapezoid). */
export function stageArrivals(stage: RateStage): number {
  return (stage.durationMs * (stage.startPerMin + stage.endPerMin)) / 2 / MS_PER_MIN;
}

/** Total length of the schedule in ms. */
export function scheduleDurationMs(stages: readonly RateStage[]): number {
  let total = 0;
  for (const s of stages) total += s.durationMs;
  return total;
}

/** Whole arrivals the schedule produces: floor of the total area (arrival n needs the area to reach n). */
export function totalArrivals(stages: readonly RateStage[]): number {
  validateStages(stages);
  let area = 0;
  for (const s of stages) area += stageArrivals(s);
  return Math.floor(area + tolerance(area));
}

/** Area under the rate curve from 0 to `tMs` (a real number of arrivals; past the end it stays at the total). */
export function cumulativeArrivals(stages: readonly RateStage[], tMs: number): number {
  let area = 0;
  let startMs = 0;
  for (const s of stages) {
    if (tMs <= startMs) break;
    const endMs = startMs + s.durationMs;
    if (tMs >= endMs) {
      area += stageArrivals(s);
    } else {
      // Partial trapezoid: average of the rate at the stage start and the rate at t.
      const dt = tMs - startMs;
      const rateAtT = s.startPerMin + ((s.endPerMin - s.startPerMin) * dt) / s.durationMs;
      area += (dt * (s.startPerMin + rateAtT)) / 2 / MS_PER_MIN;
    }
    startMs = endMs;
  }
  return area;
}

/** Rate (msg/min) the curve asks for at `tMs`; 0 before the start and after the end. */
export function rateAt(stages: readonly RateStage[], tMs: number): number {
  let startMs = 0;
  for (const s of stages) {
    const endMs = startMs + s.durationMs;
    if (tMs >= startMs && tMs < endMs) {
      return s.startPerMin + ((s.endPerMin - s.startPerMin) * (tMs - startMs)) / s.durationMs;
    }
    startMs = endMs;
  }
  return 0;
}

/** Number of arrivals whose offset is strictly before `tMs`: arrivals n = 1, 2, … with n < A(t). */
function arrivalsBefore(stages: readonly RateStage[], tMs: number): number {
  const area = cumulativeArrivals(stages, tMs);
  return Math.max(0, Math.ceil(area - tolerance(area)) - 1);
}

/** Arrivals with an offset in [fromMs, toMs): what the schedule offers in that slice of time. */
export function arrivalsInRange(stages: readonly RateStage[], fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  return arrivalsBefore(stages, toMs) - arrivalsBefore(stages, fromMs);
}

/**
 * Offered arrivals per consecutive window [i·w, (i+1)·w) over the whole schedule (the last window may
 * be partial). Used for the per-minute volume rule of a soak: what was asked for in each minute.
 */
export function arrivalsPerWindow(stages: readonly RateStage[], windowMs: number): number[] {
  if (!(windowMs > 0) || !Number.isFinite(windowMs)) {
    throw new RangeError(`windowMs must be a finite number > 0, got ${windowMs}`);
  }
  validateStages(stages);
  const endMs = scheduleDurationMs(stages);
  const totalArea = cumulativeArrivals(stages, endMs);
  const total = Math.floor(totalArea + tolerance(totalArea));
  const out: number[] = [];
  let before = 0;
  for (let i = 0; i * windowMs < endMs; i++) {
    const toMs = (i + 1) * windowMs;
    // The last window is closed at the end so an arrival exactly at the end is counted.
    const upTo = toMs >= endMs ? total : arrivalsBefore(stages, toMs);
    out.push(upTo - before);
    before = upTo;
  }
  return out;
}

/**
 * Time t ∈ [0, T] inside one stage at which the stage's own area reaches `c` (0 < c ≤ stage area).
 *
 * Derivation. Let a and b be the stage's start and end rates in arrivals per ms (msg/min ÷ 60,000) and
 * T its duration. The rate is linear, r(t) = a + (b − a)·t/T, so the area from the stage start is
 *
 *     A(t) = ∫₀ᵗ r(u) du = a·t + (b − a)·t² / (2T).
 *
 * With k = (b − a)/(2T) we solve k·t² + a·t − c = 0 for the root in [0, T]. (The code keeps a and b
 * in msg/min and multiplies c by 60,000 instead, the same equation scaled, so round numbers stay exact.) The textbook root
 * (−a + √(a² + 4kc)) / (2k) cancels catastrophically when k is tiny (a near-constant ramp) and divides
 * by zero when k = 0. Multiplying numerator and denominator by (a + √(a² + 4kc)) gives the stable form
 *
 *     t = 2c / (a + √(a² + 4kc)),
 *
 * which is exact for k = 0 (t = c/a), has no subtraction of close numbers for either sign of k (a ≥ 0
 * and the root is ≥ 0), and still works when a = 0 (t = √(c/k)). For a falling ramp (k < 0) the
 * discriminant stays ≥ 0 on the whole stage: at c = A(T) = aT + kT² it equals (a + 2kT)² = b². Rounding
 * can push it a hair below 0 at the very end, so it is clamped, and t is clamped to [0, T].
 */
function solveInStage(stage: RateStage, c: number): number {
  const T = stage.durationMs;
  if (T === 0 || c <= 0) return 0;
  // Rates stay in msg/min and the target in "arrival-minutes" (c · 60,000): a constant 500/min then
  // gives 120·n exactly instead of n / (500 / 60,000) with a rounding error in the last bit.
  const a = stage.startPerMin;
  const target = c * MS_PER_MIN;
  if (stage.endPerMin === a) return a > 0 ? Math.min(T, target / a) : 0;
  const k = (stage.endPerMin - a) / (2 * T);
  const disc = Math.max(0, a * a + 4 * k * target);
  const denom = a + Math.sqrt(disc);
  if (denom <= 0) return 0;
  return Math.min(T, Math.max(0, (2 * target) / denom));
}

/**
 * Offsets (ms from the start) of every arrival: the n-th arrival is where the area under the rate curve
 * reaches n (n = 1, 2, …). Lazy, so a 72 h soak (360,000 arrivals) never sits in memory. Pass
 * `fromArrival` to start at arrival n without generating the ones before it (a resumed run).
 *
 * Per stage i, with N0 the area of all stages before it, arrival n falls in stage i when
 * N0 < n ≤ N0 + area(i); its offset is the stage start plus solveInStage(stage, n − N0) (derivation
 * above). A stage with zero duration adds no area and is an instant jump from one rate to another.
 */
export function* arrivalOffsets(stages: readonly RateStage[], fromArrival = 1): Generator<number> {
  validateStages(stages);
  if (!Number.isFinite(fromArrival)) throw new RangeError(`fromArrival must be finite, got ${fromArrival}`);
  let n = Math.max(1, Math.ceil(fromArrival));
  let before = 0;
  let stageStartMs = 0;
  for (const stage of stages) {
    const end = before + stageArrivals(stage);
    const tol = tolerance(end);
    while (n <= end + tol) {
      yield stageStartMs + solveInStage(stage, n - before);
      n++;
    }
    before = end;
    stageStartMs += stage.durationMs;
  }
}

/** Offset of arrival n (1-based), or undefined when the schedule has fewer than n arrivals. */
export function offsetOfArrival(stages: readonly RateStage[], n: number): number | undefined {
  const it = arrivalOffsets(stages, n);
  const first = it.next();
  return first.done ? undefined : first.value;
}

/**
 * Compresses a schedule for `--time-scale N`: every stage lasts 1/N as long. 'keep-rate' keeps the
 * per-minute rates (so the connector sees the same instantaneous load and the run plays 1/N of the
 * flows: a sample); 'keep-total' multiplies the rates by N so the whole volume is played in less time
 * (a harder, denser test). The result is on the compressed timeline; multiply offsets by N to get back
 * to the virtual time axis the report shows.
 */
export function scaleStages(
  stages: readonly RateStage[],
  timeScale: number,
  volume: 'keep-rate' | 'keep-total',
): RateStage[] {
  validateStages(stages);
  if (typeof timeScale !== 'number' || !Number.isFinite(timeScale) || timeScale <= 0) {
    throw new RangeError(`timeScale must be a finite number > 0, got ${String(timeScale)}`);
  }
  if (volume !== 'keep-rate' && volume !== 'keep-total') {
    throw new RangeError(`volume must be 'keep-rate' or 'keep-total', got ${String(volume)}`);
  }
  const rateFactor = volume === 'keep-total' ? timeScale : 1;
  return stages.map((s) => ({
    durationMs: s.durationMs / timeScale,
    startPerMin: s.startPerMin * rateFactor,
    endPerMin: s.endPerMin * rateFactor,
  }));
}
