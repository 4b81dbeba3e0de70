import type { Rng } from './random.js';

/** Bad text in a duration, delay or fault spec; the message names the bad part and the accepted forms. */
export class SpecError extends Error {
  override readonly name = 'SpecError';
  /** The whole text that was being parsed. */
  readonly input: string;
  constructor(message: string, input: string) {
    super(message);
    this.input = input;
  }
}

/** How long something takes: one value, a uniform range, or a lognormal around a median (optionally capped). */
export type DelaySpec =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'lognormal'; medianMs: number; sigma: number; maxMs?: number };

/** The duration forms, for error messages. */
export const DURATION_FORMS =
  'a number with unit ms, s, m, h or d (250ms, 1.5s, 5m, 72h, 7d; a bare number is ms)';
/** The delay forms, for error messages. */
export const DELAY_FORMS =
  '800ms | fixed(800ms) | uniform(200ms,1s) | lognormal(800ms,0.5) | lognormal(800ms,0.5,10s) (median, sigma, cap)';
/** Largest sigma a lognormal delay accepts: beyond it one sample in a thousand is > 10^6 × the median. */
export const MAX_LOGNORMAL_SIGMA = 5;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)?$/;
const PLAIN_NUMBER_RE = /^(\d+(?:\.\d+)?|\.\d+)$/;

/** Shows at most 80 characters of user input inside a message, so a pasted file does not flood it. */
export function quoteInput(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

/** Rounds to whole microseconds: parsing '1.1s' must give exactly 1100, not 1100.0000000000002. */
function roundMs(ms: number): number {
  return ms >= 2 ** 43 ? Math.round(ms) : Math.round(ms * 1000) / 1000;
}

/** Duration text → milliseconds: '250ms' '1.5s' '5m' '72h' '7d'; a bare number is ms. Throws SpecError. */
export function parseDurationMs(text: string): number {
  if (typeof text !== 'string')
    throw new SpecError(`invalid duration: expected text, got ${typeof text}`, String(text));
  const m = DURATION_RE.exec(text.trim());
  if (!m) throw new SpecError(`invalid duration ${quoteInput(text)}: expected ${DURATION_FORMS}`, text);
  const ms = roundMs(Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] as number));
  if (!Number.isSafeInteger(Math.ceil(ms))) {
    throw new SpecError(
      `invalid duration ${quoteInput(text)}: too long (at most ${Number.MAX_SAFE_INTEGER}ms)`,
      text,
    );
  }
  return ms;
}

/** Milliseconds → the shortest exact duration text ('90s' stays '90s', 1500 → '1500ms'); parses back to the same value. */
export function formatDurationMs(ms: number): string {
  if (Number.isInteger(ms) && ms > 0) {
    for (const unit of ['d', 'h', 'm', 's'] as const) {
      const size = UNIT_MS[unit] as number;
      if (ms % size === 0) return `${ms / size}${unit}`;
    }
  }
  return `${ms}ms`;
}

/** A probability written as 0..1 ('0.05') or a percentage ('5%'). Throws SpecError naming `what`. */
export function parseRate(text: string, what = 'rate', input = text): number {
  const t = text.trim();
  const pct = t.endsWith('%');
  const body = pct ? t.slice(0, -1) : t;
  if (PLAIN_NUMBER_RE.test(body)) {
    const v = pct ? Number(body) / 100 : Number(body);
    if (v >= 0 && v <= 1) return Math.round(v * 1e9) / 1e9;
  }
  throw new SpecError(
    `invalid ${what} ${quoteInput(text)}: expected a probability from 0 to 1 (0.05) or a percentage (5%)`,
    input,
  );
}

function delayError(input: string, problem: string): SpecError {
  return new SpecError(
    `invalid delay ${quoteInput(input)}: ${problem}; accepted forms: ${DELAY_FORMS}`,
    input,
  );
}

function delayArgMs(input: string, fn: string, what: string, arg: string): number {
  try {
    return parseDurationMs(arg);
  } catch {
    throw delayError(input, `${fn} ${what} ${quoteInput(arg)} is not a duration (${DURATION_FORMS})`);
  }
}

/** Delay text → DelaySpec: '800ms' | 'fixed(800ms)' | 'uniform(200ms,1s)' | 'lognormal(800ms,0.5[,10s])'. Throws SpecError. */
export function parseDelaySpec(text: string): DelaySpec {
  if (typeof text !== 'string') throw delayError(String(text), `expected text, got ${typeof text}`);
  const t = text.trim();
  const call = /^([a-z]+)\((.*)\)$/i.exec(t);
  if (!call) {
    if (/^[a-z]+\(/i.test(t)) throw delayError(text, 'unbalanced parentheses');
    if (!DURATION_RE.test(t)) throw delayError(text, 'not a duration or a known distribution');
    return { kind: 'fixed', ms: parseDurationMs(t) };
  }
  const fn = (call[1] as string).toLowerCase();
  const args = (call[2] as string).split(',').map((a) => a.trim());
  const arity = (n: number | [number, number], shape: string): void => {
    const [lo, hi] = typeof n === 'number' ? [n, n] : n;
    if (args.length < lo || args.length > hi) {
      throw delayError(
        text,
        `${fn} takes ${shape}, got ${args.length} argument${args.length === 1 ? '' : 's'}`,
      );
    }
  };
  switch (fn) {
    case 'fixed': {
      arity(1, '1 argument (duration)');
      return { kind: 'fixed', ms: delayArgMs(text, fn, 'duration', args[0] as string) };
    }
    case 'uniform': {
      arity(2, '2 arguments (min,max)');
      const minMs = delayArgMs(text, fn, 'min', args[0] as string);
      const maxMs = delayArgMs(text, fn, 'max', args[1] as string);
      if (minMs > maxMs) {
        throw delayError(
          text,
          `uniform min ${formatDurationMs(minMs)} is above max ${formatDurationMs(maxMs)}`,
        );
      }
      return { kind: 'uniform', minMs, maxMs };
    }
    case 'lognormal': {
      arity([2, 3], '2 or 3 arguments (median,sigma[,cap])');
      const medianMs = delayArgMs(text, fn, 'median', args[0] as string);
      if (!(medianMs > 0)) throw delayError(text, 'lognormal median must be above 0');
      const sigmaText = args[1] as string;
      const sigma = Number(sigmaText);
      if (!PLAIN_NUMBER_RE.test(sigmaText) || !(sigma <= MAX_LOGNORMAL_SIGMA)) {
        throw delayError(
          text,
          `lognormal sigma ${quoteInput(sigmaText)} is not a number from 0 to ${MAX_LOGNORMAL_SIGMA}`,
        );
      }
      const spec: DelaySpec = { kind: 'lognormal', medianMs, sigma: Math.round(sigma * 1e6) / 1e6 };
      if (args.length === 3) {
        const maxMs = delayArgMs(text, fn, 'cap', args[2] as string);
        if (maxMs < medianMs) {
          throw delayError(
            text,
            `lognormal cap ${formatDurationMs(maxMs)} is below the median ${formatDurationMs(medianMs)}`,
          );
        }
        spec.maxMs = maxMs;
      }
      return spec;
    }
    default:
      throw delayError(text, `unknown distribution ${quoteInput(fn)}`);
  }
}

/**
 * One delay in ms drawn from `spec`. Lognormal: median·e^(σ·z) with z standard normal from
 * Box–Muller (two draws), so the median of the samples is `medianMs` and σ is the spread of ln(delay).
 */
export function sampleDelayMs(spec: DelaySpec, rng: Rng): number {
  switch (spec.kind) {
    case 'fixed':
      return spec.ms;
    case 'uniform':
      return spec.minMs + (spec.maxMs - spec.minMs) * rng.next();
    case 'lognormal': {
      const u1 = 1 - rng.next(); // (0, 1]: ln(0) would be -Infinity
      const u2 = rng.next();
      const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      const ms = spec.medianMs * Math.exp(spec.sigma * z);
      return spec.maxMs === undefined ? ms : Math.min(ms, spec.maxMs);
    }
  }
}

/** DelaySpec → the text form `parseDelaySpec` accepts (fixed delays as a bare duration). */
export function formatDelaySpec(spec: DelaySpec): string {
  switch (spec.kind) {
    case 'fixed':
      return formatDurationMs(spec.ms);
    case 'uniform':
      return `uniform(${formatDurationMs(spec.minMs)},${formatDurationMs(spec.maxMs)})`;
    case 'lognormal':
      return `lognormal(${formatDurationMs(spec.medianMs)},${spec.sigma}${
        spec.maxMs === undefined ? '' : `,${formatDurationMs(spec.maxMs)}`
      })`;
  }
}
