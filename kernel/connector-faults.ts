import { parseDurationMs } from './distributions.js';

/**
 * Fault switches: deliberate defects that exist only so tests can prove that a grader or a
 * conformance case catches a bad connector. All are off by default; each one switched on prints a
 * warning at start-up and counts how often it bit in `/stats`.
 */

/** What each switch takes as its value. */
type FaultValueKind = 'ratio' | 'duration' | 'count' | 'none';

/** The switches, what they take and what they break (the same text goes into docs/connector.md). */
export const FAULT_SWITCHES = {
  'drop-inbound': { value: 'ratio', breaks: 'silently drops share P of inbound messages after acking them' },
  'drop-outbound': { value: 'ratio', breaks: 'silently drops share P of CRM events after acking them' },
  'drop-status': { value: 'ratio', breaks: 'silently drops share P of status write-backs' },
  'slow-crm': { value: 'duration', breaks: 'waits DURATION before every CRM call' },
  'slow-ack': { value: 'duration', breaks: 'acknowledges webhooks DURATION late' },
  cap: { value: 'count', breaks: 'processes at most N flows per minute, evenly, queueing the rest' },
  'skip-signature-check': { value: 'none', breaks: 'accepts webhooks with a bad or missing signature' },
  'no-retry': { value: 'none', breaks: 'writes the error log on the first retryable failure' },
  'no-dedupe': { value: 'none', breaks: 'processes duplicate webhooks (messages, statuses, events) again' },
  'status-regress': { value: 'none', breaks: 'writes statuses in arrival order, even backwards' },
  'no-normalize': { value: 'none', breaks: 'sends the CRM phone as-is instead of E.164' },
  'ignore-consent': { value: 'none', breaks: 'sends every template whatever the consent or opt-out' },
  'no-handover': { value: 'none', breaks: 'never hands a conversation over to a human' },
  'no-tags': { value: 'none', breaks: 'never tags contacts from keywords' },
  'ignore-retry-after': { value: 'none', breaks: 'retries a CRM 429 at once, ignoring Retry-After' },
  'no-window-check': { value: 'none', breaks: 'sends free-form replies even outside the 24 h window' },
  'wrong-params': { value: 'none', breaks: 'mangles one template parameter of every send' },
} as const satisfies Record<string, { value: FaultValueKind; breaks: string }>;

/** A fault switch name. */
export type FaultName = keyof typeof FAULT_SWITCHES;

/** The parsed switches; absent = off. Ratios are 0..1, durations ms, cap flows per minute. */
export interface Faults {
  dropInbound?: number;
  dropOutbound?: number;
  dropStatus?: number;
  slowCrmMs?: number;
  slowAckMs?: number;
  capPerMin?: number;
  skipSignatureCheck?: boolean;
  noRetry?: boolean;
  noDedupe?: boolean;
  statusRegress?: boolean;
  noNormalize?: boolean;
  ignoreConsent?: boolean;
  noHandover?: boolean;
  noTags?: boolean;
  ignoreRetryAfter?: boolean;
  noWindowCheck?: boolean;
  wrongParams?: boolean;
}

/** Where each switch lands in {@link Faults}. */
const FIELD: Record<FaultName, keyof Faults> = {
  'drop-inbound': 'dropInbound',
  'drop-outbound': 'dropOutbound',
  'drop-status': 'dropStatus',
  'slow-crm': 'slowCrmMs',
  'slow-ack': 'slowAckMs',
  cap: 'capPerMin',
  'skip-signature-check': 'skipSignatureCheck',
  'no-retry': 'noRetry',
  'no-dedupe': 'noDedupe',
  'status-regress': 'statusRegress',
  'no-normalize': 'noNormalize',
  'ignore-consent': 'ignoreConsent',
  'no-handover': 'noHandover',
  'no-tags': 'noTags',
  'ignore-retry-after': 'ignoreRetryAfter',
  'no-window-check': 'noWindowCheck',
  'wrong-params': 'wrongParams',
};

/** A fault spec that cannot be parsed; the message names the spec and what was expected. */
export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

function parseValue(name: FaultName, kind: FaultValueKind, raw: string | undefined): number | boolean {
  if (kind === 'none') {
    if (raw !== undefined) throw new FaultSpecError(`fault '${name}' takes no value (got '${raw}')`);
    return true;
  }
  if (raw === undefined || raw === '') {
    const form = kind === 'ratio' ? 'P (0..1)' : kind === 'duration' ? 'DURATION' : 'N';
    throw new FaultSpecError(`fault '${name}' needs a value: ${name}=${form}`);
  }
  if (kind === 'ratio') {
    const p = Number(raw);
    if (!/^\d*\.?\d+$/.test(raw) || !(p >= 0 && p <= 1)) {
      throw new FaultSpecError(`fault '${name}': '${raw}' is not a share between 0 and 1`);
    }
    return p;
  }
  if (kind === 'duration') {
    try {
      // Whole ms: the connector's timers and its /stats print integers.
      return Math.round(parseDurationMs(raw));
    } catch {
      throw new FaultSpecError(`fault '${name}': '${raw}' is not a duration (e.g. 250ms, 2s, 1m)`);
    }
  }
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !(n >= 1)) {
    throw new FaultSpecError(`fault '${name}': '${raw}' is not a whole number >= 1`);
  }
  return n;
}

/** Parses `NAME[=VALUE]` specs (each may also be a comma-separated list) strictly into {@link Faults}. */
export function parseFaults(specs: readonly string[]): Faults {
  const faults: Faults = {};
  for (const group of specs) {
    for (const spec of group.split(',')) {
      const text = spec.trim();
      if (text === '') continue;
      const eq = text.indexOf('=');
      const name = (eq === -1 ? text : text.slice(0, eq)).trim();
      const raw = eq === -1 ? undefined : text.slice(eq + 1).trim();
      if (!Object.hasOwn(FAULT_SWITCHES, name)) {
        throw new FaultSpecError(
          `unknown fault '${name}'; known faults: ${Object.keys(FAULT_SWITCHES).join(', ')}`,
        );
      }
      const faultName = name as FaultName;
      const value = parseValue(faultName, FAULT_SWITCHES[faultName].value, raw);
      (faults as Record<string, number | boolean>)[FIELD[faultName]] = value;
    }
  }
  return faults;
}

/** The switches that are on, as `name` or `name=value` (value in the units the user wrote them). */
export function activeFaults(faults: Faults): string[] {
  const out: string[] = [];
  for (const name of Object.keys(FAULT_SWITCHES) as FaultName[]) {
    const value = faults[FIELD[name]];
    if (value === undefined || value === false) continue;
    if (value === true) out.push(name);
    else if (FAULT_SWITCHES[name].value === 'duration') out.push(`${name}=${value}ms`);
    else out.push(`${name}=${value}`);
  }
  return out;
}

/** One warning line per active switch, saying what it breaks. */
export function faultWarnings(faults: Faults): string[] {
  return activeFaults(faults).map((spec) => {
    const name = spec.split('=')[0] as FaultName;
    return `WARNING: fault switch '${spec}' is on: the connector ${FAULT_SWITCHES[name].breaks}. Never use it outside tests.`;
  });
}
