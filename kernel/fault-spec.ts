import {
  type DelaySpec,
  formatDelaySpec,
  formatDurationMs,
  parseDelaySpec,
  parseDurationMs,
  parseRate,
  quoteInput,
  SpecError,
} from './distributions.js';

// The grammar of the mocks' fault specs, with no fastify and no timers: the mocks' controller runs
// the rules, and the scenario loader parses the same text at load time so a bad spec never reaches a run.

/** When and where a fault applies: clock ms; absent start = now, absent end = until cleared; route = substring of the URL path. */
export type FaultWindow = { id?: string; startMs?: number; endMs?: number; route?: string };
type Window = FaultWindow;

/** One fault on the mock's timeline. */
export type FaultRule = Window &
  (
    | { kind: 'error'; code: string | number; rate: number } // answer with this error (the mock's responder decides the shape)
    | { kind: 'latency'; delay: DelaySpec; rate?: number } // add latency before handling
    | { kind: 'outage'; mode: 'unavailable' | 'reset' | 'hang' } // 503-style error / destroy the socket / never answer
    | { kind: 'rate-limit'; retryAfterS: number; rate?: number } // 429 storm with Retry-After
    | { kind: 'webhook-duplicate'; rate: number } // outgoing webhooks sent twice
    | { kind: 'webhook-reorder'; rate: number } // outgoing status webhooks out of order
    | { kind: 'webhook-delay'; delay: DelaySpec } // outgoing webhooks delayed
    | { kind: 'media-download'; mode: MediaDownloadMode; rate?: number } // media downloads fail, reset or hang
  );

/** What a `media-download` fault does to a download: answer 500, cut the connection, or never answer. */
export type MediaDownloadMode = 'fail' | 'reset' | 'hang';

/** A fault kind. */
export type FaultKind = FaultRule['kind'];
/** A fault rule as stored: with its id. */
export type StoredFaultRule = FaultRule & { id: string };

/** Every spec form, for error messages and docs. */
export const FAULT_FORMS =
  'error=CODE[:RATE] | latency=DELAY[:RATE] | outage=unavailable|reset|hang | rate-limit=RETRY_AFTER[:RATE] | ' +
  'webhook-duplicate=RATE | webhook-reorder=RATE | webhook-delay=DELAY | media-download=fail|reset|hang[:RATE], ' +
  'each optionally followed by ' +
  '@START[+DURATION] (from now) and ~ROUTE (URL path substring), e.g. error=131000:0.05@10s+30s~/messages';

const FAULT_KINDS: readonly FaultKind[] = [
  'error',
  'latency',
  'outage',
  'rate-limit',
  'webhook-duplicate',
  'webhook-reorder',
  'webhook-delay',
  'media-download',
];
const OUTAGE_MODES = ['unavailable', 'reset', 'hang'] as const;
const MEDIA_DOWNLOAD_MODES: readonly MediaDownloadMode[] = ['fail', 'reset', 'hang'];
const CODE_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const ROUTE_RE = /^[^\s@~]{1,200}$/;

function faultError(input: string, problem: string): SpecError {
  return new SpecError(
    `invalid fault ${quoteInput(input)}: ${problem}; accepted forms: ${FAULT_FORMS}`,
    input,
  );
}

/** Re-throws a nested SpecError (bad delay, rate, duration) as a fault error that keeps its detail. */
function nested<T>(input: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SpecError) throw faultError(input, `${what}: ${e.message.split('; accepted forms')[0]}`);
    throw e;
  }
}

/** Splits `VALUE[:RATE]`; a second ':' is an error. */
function valueAndRate(input: string, args: string): [string, string | undefined] {
  const parts = args.split(':');
  if (parts.length > 2) throw faultError(input, `too many ':' in ${quoteInput(args)} (one, before the rate)`);
  return [parts[0] as string, parts[1]];
}

/**
 * Fault text → FaultRule. `nowMs` anchors the window: '@10s+30s' starts 10 s after `nowMs` and lasts
 * 30 s. Forms: see {@link FAULT_FORMS}. Anything else is a SpecError naming the bad part.
 */
export function parseFaultSpec(text: string, nowMs: number): FaultRule {
  if (typeof text !== 'string') throw faultError(String(text), `expected text, got ${typeof text}`);
  const t = text.trim();
  const head = /^[^@~]*/.exec(t)?.[0] ?? '';
  const suffixes = t.slice(head.length).match(/[@~][^@~]*/g) ?? [];
  const eq = head.indexOf('=');
  if (eq < 0) {
    throw faultError(text, head ? `missing '=' after ${quoteInput(head)}` : 'empty fault');
  }
  const kind = head.slice(0, eq).trim() as FaultKind;
  const args = head.slice(eq + 1).trim();
  if (!FAULT_KINDS.includes(kind)) throw faultError(text, `unknown fault kind ${quoteInput(kind)}`);
  if (!args) throw faultError(text, `${kind} needs a value after '='`);

  let rule: FaultRule;
  switch (kind) {
    case 'error': {
      const [code, rate] = valueAndRate(text, args);
      if (!CODE_RE.test(code))
        throw faultError(text, `error code ${quoteInput(code)} is not a code like 131000 or unavailable`);
      rule = {
        kind,
        code: /^\d+$/.test(code) && Number.isSafeInteger(Number(code)) ? Number(code) : code,
        rate: rate === undefined ? 1 : nested(text, 'error rate', () => parseRate(rate, 'rate')),
      };
      break;
    }
    case 'latency': {
      const [delay, rate] = valueAndRate(text, args);
      rule = { kind, delay: nested(text, 'latency delay', () => parseDelaySpec(delay)) };
      if (rate !== undefined) rule.rate = nested(text, 'latency rate', () => parseRate(rate, 'rate'));
      break;
    }
    case 'outage': {
      const mode = args as (typeof OUTAGE_MODES)[number];
      if (!OUTAGE_MODES.includes(mode)) {
        throw faultError(text, `outage mode ${quoteInput(args)} is not one of ${OUTAGE_MODES.join(', ')}`);
      }
      rule = { kind, mode };
      break;
    }
    case 'rate-limit': {
      const [after, rate] = valueAndRate(text, args);
      const afterMs = nested(text, 'rate-limit Retry-After', () => parseDurationMs(after));
      // Retry-After is whole seconds on the wire; round up so a client never retries early.
      rule = { kind, retryAfterS: Math.ceil(afterMs / 1000) };
      if (rate !== undefined) rule.rate = nested(text, 'rate-limit rate', () => parseRate(rate, 'rate'));
      break;
    }
    case 'webhook-duplicate':
    case 'webhook-reorder':
      rule = { kind, rate: nested(text, `${kind} rate`, () => parseRate(args, 'rate')) };
      break;
    case 'webhook-delay':
      rule = { kind, delay: nested(text, 'webhook-delay delay', () => parseDelaySpec(args)) };
      break;
    case 'media-download': {
      const [mode, rate] = valueAndRate(text, args);
      if (!MEDIA_DOWNLOAD_MODES.includes(mode as MediaDownloadMode)) {
        throw faultError(
          text,
          `media-download mode ${quoteInput(mode)} is not one of ${MEDIA_DOWNLOAD_MODES.join(', ')}`,
        );
      }
      rule = { kind, mode: mode as MediaDownloadMode };
      if (rate !== undefined) rule.rate = nested(text, 'media-download rate', () => parseRate(rate, 'rate'));
      break;
    }
  }

  const seen = new Set<string>();
  for (const s of suffixes) {
    const mark = s[0] as '@' | '~';
    if (seen.has(mark)) throw faultError(text, `more than one '${mark}' suffix`);
    seen.add(mark);
    const body = s.slice(1).trim();
    if (mark === '~') {
      if (!ROUTE_RE.test(body))
        throw faultError(text, `route ${quoteInput(body)} must be a non-empty URL path part`);
      rule.route = body;
    } else {
      const m = /^([^+]*)(?:\+(.*))?$/.exec(body);
      const startText = (m?.[1] ?? '').trim();
      const durText = m?.[2]?.trim();
      if (!startText && durText === undefined)
        throw faultError(text, "window '@' needs START[+DURATION], e.g. @10s+30s");
      const startMs = startText ? nested(text, 'window start', () => parseDurationMs(startText)) : 0;
      rule.startMs = nowMs + startMs;
      if (durText !== undefined) {
        const durMs = nested(text, 'window duration', () => parseDurationMs(durText));
        if (!(durMs > 0)) throw faultError(text, 'window duration must be above 0');
        rule.endMs = rule.startMs + durMs;
      }
    }
  }
  return rule;
}

/** FaultRule → spec text that parses back to the same rule at the same `nowMs` (windows are relative to it). */
export function formatFaultSpec(rule: FaultRule, nowMs: number): string {
  let s: string;
  switch (rule.kind) {
    case 'error':
      s = `error=${rule.code}:${rule.rate}`;
      break;
    case 'latency':
      s = `latency=${formatDelaySpec(rule.delay)}${rule.rate === undefined ? '' : `:${rule.rate}`}`;
      break;
    case 'outage':
      s = `outage=${rule.mode}`;
      break;
    case 'rate-limit':
      s = `rate-limit=${rule.retryAfterS}s${rule.rate === undefined ? '' : `:${rule.rate}`}`;
      break;
    case 'webhook-duplicate':
    case 'webhook-reorder':
      s = `${rule.kind}=${rule.rate}`;
      break;
    case 'webhook-delay':
      s = `webhook-delay=${formatDelaySpec(rule.delay)}`;
      break;
    case 'media-download':
      s = `media-download=${rule.mode}${rule.rate === undefined ? '' : `:${rule.rate}`}`;
      break;
  }
  if (rule.startMs !== undefined || rule.endMs !== undefined) {
    const startMs = rule.startMs ?? nowMs;
    s += `@${formatDurationMs(Math.max(0, startMs - nowMs))}`;
    if (rule.endMs !== undefined) s += `+${formatDurationMs(Math.max(0, rule.endMs - startMs))}`;
  }
  if (rule.route !== undefined) s += `~${rule.route}`;
  return s;
}

/** Checks a rule built in code (not parsed); throws SpecError naming the bad field. */
export function validateRule(rule: FaultRule): void {
  const input = JSON.stringify(rule) ?? String(rule);
  const bad = (problem: string): never => {
    throw new SpecError(`invalid fault rule: ${problem}`, input);
  };
  const rateOk = (r: unknown) => typeof r === 'number' && r >= 0 && r <= 1;
  const delayOk = (d: unknown) => {
    try {
      parseDelaySpec(formatDelaySpec(d as DelaySpec));
      return true;
    } catch {
      return false;
    }
  };
  if (!rule || typeof rule !== 'object' || !FAULT_KINDS.includes(rule.kind))
    bad(`kind must be one of ${FAULT_KINDS.join(', ')}`);
  for (const k of ['startMs', 'endMs'] as const) {
    if (rule[k] !== undefined && !Number.isFinite(rule[k])) bad(`${k} must be a finite number`);
  }
  if (rule.startMs !== undefined && rule.endMs !== undefined && rule.endMs <= rule.startMs)
    bad('endMs must be after startMs');
  if (rule.route !== undefined && (typeof rule.route !== 'string' || rule.route === ''))
    bad('route must be a non-empty string');
  switch (rule.kind) {
    case 'error':
      if (!rateOk(rule.rate)) bad('rate must be a number from 0 to 1');
      if (!(typeof rule.code === 'number' || (typeof rule.code === 'string' && rule.code !== '')))
        bad('code must be a number or a non-empty string');
      break;
    case 'latency':
      if (rule.rate !== undefined && !rateOk(rule.rate)) bad('rate must be a number from 0 to 1');
      if (!delayOk(rule.delay)) bad('delay is not a valid DelaySpec');
      break;
    case 'outage':
      if (!OUTAGE_MODES.includes(rule.mode)) bad(`mode must be one of ${OUTAGE_MODES.join(', ')}`);
      break;
    case 'rate-limit':
      if (rule.rate !== undefined && !rateOk(rule.rate)) bad('rate must be a number from 0 to 1');
      if (!(Number.isInteger(rule.retryAfterS) && rule.retryAfterS >= 0))
        bad('retryAfterS must be an integer ≥ 0');
      break;
    case 'webhook-duplicate':
    case 'webhook-reorder':
      if (!rateOk(rule.rate)) bad('rate must be a number from 0 to 1');
      break;
    case 'webhook-delay':
      if (!delayOk(rule.delay)) bad('delay is not a valid DelaySpec');
      break;
    case 'media-download':
      if (!MEDIA_DOWNLOAD_MODES.includes(rule.mode))
        bad(`mode must be one of ${MEDIA_DOWNLOAD_MODES.join(', ')}`);
      if (rule.rate !== undefined && !rateOk(rule.rate)) bad('rate must be a number from 0 to 1');
      break;
  }
}
