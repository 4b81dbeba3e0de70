import { parseDurationMs, quoteInput, SpecError } from '../../kernel/distributions.js';

// Durations come from the one parser the mocks use too, so '30s' means the same thing everywhere.
export { parseDurationMs, SpecError };

/** The rate forms, for error messages. */
export const RATE_FORMS = 'a number per unit: 500/min, 5000/h, 80/s, 120000/d (or 500/m, 80/sec, 5000/hour)';

// Minutes per unit: a rate per unit is divided by this (dividing by 60 rounds better than × 1/60).
const MINUTES_PER_UNIT: Record<string, number> = {
  s: 1 / 60,
  sec: 1 / 60,
  second: 1 / 60,
  m: 1,
  min: 1,
  minute: 1,
  h: 60,
  hour: 60,
  d: 1440,
  day: 1440,
};

const RATE_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*\/\s*([a-z]+)$/;

/**
 * Rate text → messages per minute: '500/min' → 500, '5000/h' → 83.33…, '80/s' → 4800. A bare number is
 * (or a number) is read as per minute, the unit the whole harness uses. Throws SpecError naming the forms.
 */
export function parseRatePerMin(text: string | number): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return text;
    throw new SpecError(`invalid rate ${String(text)}: expected ${RATE_FORMS}`, String(text));
  }
  if (typeof text !== 'string') {
    throw new SpecError(`invalid rate: expected text, got ${typeof text}`, String(text));
  }
  const t = text.trim().toLowerCase();
  if (/^(\d+(?:\.\d+)?|\.\d+)$/.test(t)) return Number(t);
  const m = RATE_RE.exec(t);
  const minutes = m ? MINUTES_PER_UNIT[m[2] as string] : undefined;
  if (!m || minutes === undefined) {
    throw new SpecError(`invalid rate ${quoteInput(text)}: expected ${RATE_FORMS}`, text);
  }
  return minutes < 1 ? Number(m[1]) * Math.round(1 / minutes) : Number(m[1]) / minutes;
}

/** Messages per minute → the shortest readable text ('500/min', '80/s' stays per minute: '4800/min'). */
export function formatRatePerMin(ratePerMin: number): string {
  const rounded = Math.round(ratePerMin * 100) / 100;
  return `${rounded}/min`;
}
