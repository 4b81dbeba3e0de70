import { DURATION_FORMS, parseDurationMs, quoteInput } from './distributions.js';

/**
 * Unit parsing for scenario files. Durations and rates are written with their unit (`30s`,
 * `500/min`) and parsed here once, at the boundary; everything past the loader sees `…Ms` and
 * `…PerMin` numbers. Each parser throws {@link UnitError} with a message that names the accepted forms.
 */

/** Bad text in a duration, rate or time-of-day range; the message says what was expected. */
export class UnitError extends Error {
  override readonly name = 'UnitError';
}

/** The rate forms, for error messages. */
export const RATE_FORMS = 'a count per unit: 500/min, 5000/h, 80/s (also /sec, /minute, /hour)';

const RATE_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*\/\s*(s|sec|second|m|min|minute|h|hr|hour)$/i;
const PER_MIN_FACTOR: Record<string, number> = {
  s: 60,
  sec: 60,
  second: 60,
  m: 1,
  min: 1,
  minute: 1,
  h: 1 / 60,
  hr: 1 / 60,
  hour: 1 / 60,
};

/** Rate text → messages per minute: '500/min' → 500, '5000/h' → 83.33…, '80/s' → 4800. Throws UnitError; a rate must be above 0. */
export function parseRatePerMin(text: string): number {
  if (typeof text !== 'string') throw new UnitError(`expected a rate as text (${RATE_FORMS})`);
  const m = RATE_RE.exec(text.trim());
  if (!m) {
    const hint = /^\d+(\.\d+)?$/.test(text.trim()) ? ' (the unit is required: write 500/min, not 500)' : '';
    throw new UnitError(`invalid rate ${quoteInput(text)}: expected ${RATE_FORMS}${hint}`);
  }
  const perMin = Number(m[1]) * (PER_MIN_FACTOR[(m[2] as string).toLowerCase()] as number);
  if (!(perMin > 0)) throw new UnitError(`invalid rate ${quoteInput(text)}: must be above 0`);
  // Twelve significant digits: '5000/h' must not print as 83.33333333333333 in one place and …4 in another.
  return Number(perMin.toPrecision(12));
}

/** Messages per minute → the text form a scenario uses ('1500/min'; whole per-hour counts below 1/min as '/h'). */
export function formatRatePerMin(perMin: number): string {
  if (Number.isInteger(perMin)) return `${perMin}/min`;
  // parseRatePerMin keeps 12 significant digits, so a whole per-hour count comes back within 1e-6.
  const perHour = perMin * 60;
  if (Math.abs(perHour - Math.round(perHour)) < 1e-6) return `${Math.round(perHour)}/h`;
  return `${Number(perMin.toPrecision(12))}/min`;
}

/**
 * Duration text → ms, with the unit required ('15s', '250ms', '72h'). A bare number is refused here,
 * unlike the mocks' parser, because in a scenario `deadline: 15` is far more likely to mean seconds than ms.
 */
export function parseScenarioDurationMs(text: string, opts: { allowZero?: boolean } = {}): number {
  if (typeof text !== 'string') throw new UnitError(`expected a duration as text (${DURATION_FORMS})`);
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    throw new UnitError(`invalid duration ${quoteInput(text)}: the unit is required (write ${t}s or ${t}ms)`);
  }
  let ms: number;
  try {
    ms = parseDurationMs(t);
  } catch {
    throw new UnitError(`invalid duration ${quoteInput(text)}: expected ${DURATION_FORMS}`);
  }
  if (ms === 0 && !opts.allowZero)
    throw new UnitError(`invalid duration ${quoteInput(text)}: must be above 0`);
  return ms;
}

/** A range of wall-clock time within one day, in ms since local midnight (end exclusive, end ≤ 24 h). */
export interface DayRangeMs {
  startMs: number;
  endMs: number;
}

const DAY_MS = 86_400_000;
const CLOCK_RE = /^([01]?\d|2[0-4]):([0-5]\d)$/;

function clockMs(text: string, whole: string): number {
  const m = CLOCK_RE.exec(text.trim());
  if (!m)
    throw new UnitError(`invalid time range ${quoteInput(whole)}: ${quoteInput(text)} is not a time HH:MM`);
  const ms = (Number(m[1]) * 60 + Number(m[2])) * 60_000;
  if (ms > DAY_MS) throw new UnitError(`invalid time range ${quoteInput(whole)}: ${text} is past 24:00`);
  return ms;
}

/** '09:00-11:00' → { startMs: 9 h, endMs: 11 h } since local midnight. Ranges across midnight are written as two. */
export function parseDayRange(text: string): DayRangeMs {
  if (typeof text !== 'string') throw new UnitError('expected a time range as text, such as 09:00-11:00');
  const parts = text.split('-');
  if (parts.length !== 2) throw new UnitError(`invalid time range ${quoteInput(text)}: expected HH:MM-HH:MM`);
  const startMs = clockMs(parts[0] as string, text);
  const endMs = clockMs(parts[1] as string, text);
  if (endMs <= startMs) {
    throw new UnitError(
      `invalid time range ${quoteInput(text)}: the end must be after the start (write a range across midnight as two, e.g. 22:00-24:00 and 00:00-02:00)`,
    );
  }
  return { startMs, endMs };
}

/** ms since midnight → 'HH:MM'. */
export function formatClockMs(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** True when `zone` is an IANA time zone this Node knows ('UTC', 'Asia/Taipei'). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
