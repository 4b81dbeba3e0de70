import { randomInt } from 'node:crypto';
import { type Clock, RealClock } from '../../kernel/clock.js';
import { createRng } from '../../kernel/random.js';
import { DEFAULT_PLAN_LIMITS, HUBSPOT_TIER_LIMITS } from '../../mocks/crm/index.js';
import { WacrmError } from '../errors.js';
import type { ConformanceCase } from '../result/run-result.js';
import { type Stack, type StackCredentials, startStack } from '../run/stack.js';
import { CONFORMANCE_CASE_IDS, CONFORMANCE_CASES } from './cases/index.js';
import { RunningCase } from './context.js';
import { Customers } from './customers.js';
import { HttpClient } from './http.js';
import { ms, selectIds } from './judge.js';
import type { CaseSettings, ConformanceCaseDef } from './types.js';
import { WhatsAppWire } from './wire.js';

/** The connector a conformance run tests: the reference one (started by the kit) or a vendor's over HTTP. */
export type ConformanceTarget =
  | { kind: 'reference'; faults?: string[]; args?: string[] }
  | { kind: 'external'; url: string; whatsappWebhookPath?: string; crmWebhookPath?: string };

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  connector: ConformanceTarget;
  /** Case ids to run (empty or absent: all). */
  only?: readonly string[];
  /** Case ids to leave out. */
  skip?: readonly string[];
  seed?: number;
  host?: string;
  /** Fixed mock ports (a vendor's connector is configured with them); default any free port. */
  whatsappPort?: number;
  crmPort?: number;
  /** Fixed credentials (a vendor's connector is configured with them); the rest are generated. */
  credentials?: Partial<StackCredentials>;
  /** The CRM plan the mock enforces and the connector must keep under (default enterprise). */
  crmPlan?: 'standard' | 'enterprise';
  /**
   * The CRM API the mock speaks (default native). With `hubspot` the reference connector speaks
   * HubSpot and takes HubSpot webhooks; `crm-plan-rate-respected` (a native plan) is refused.
   */
  crmDialect?: 'native' | 'hubspot';
  /**
   * The connector's pause before its second retry. For the reference connector the kit passes it
   * as `--retry-delay-ms` (default 3 s, to keep the run short); for an external connector it is
   * what the kit assumes (default the seed's 30 s).
   */
  retryDelayMs?: number;
  /** A progress line (case started, long case still going, case done). */
  onProgress?: (line: string) => void;
  /** Called as each case finishes. */
  onCase?: (result: ConformanceCaseResult, index: number, total: number) => void;
}

/** A finished case: the report's ConformanceCase plus how long it took. */
export interface ConformanceCaseResult extends ConformanceCase {
  durationMs: number;
}

/** Everything a conformance run found. */
export interface ConformanceRun {
  cases: ConformanceCaseResult[];
  /** False when the connector could not be reached for some cases (exit code 3). */
  valid: boolean;
  invalidReasons: string[];
  startedAt: Date;
  finishedAt: Date;
  seed: number;
  connector: { kind: 'reference' | 'external'; url?: string; faults: string[] };
  settings: CaseSettings;
}

/** The reference connector's pause before the second retry in a conformance run. */
export const REFERENCE_RETRY_DELAY_MS = 3_000;
/** The pause the seed prescribes, assumed for an external connector. */
export const SEED_RETRY_DELAY_MS = 30_000;
/** Longest a single case may run before it is failed as stuck. */
const CASE_GUARD_MS = 300_000;
/** A case silent for this long gets a "still running" progress line. */
const HEARTBEAT_MS = 15_000;
/** Longest the kit waits for the connector to finish the previous case's work. */
const SETTLE_CAP_MS = 60_000;

/** The webhook paths of the reference connector. */
export const REFERENCE_WEBHOOK_PATHS = { whatsapp: '/webhooks/whatsapp', crm: '/webhooks/crm' } as const;

/** Checks `only`/`skip` against the known cases; a WACRM_USAGE error names unknown ids. */
export function selectCases(
  only: readonly string[] = [],
  skip: readonly string[] = [],
): ConformanceCaseDef[] {
  const { selected, unknown } = selectIds(CONFORMANCE_CASE_IDS, only, skip);
  if (unknown.length > 0) {
    throw new WacrmError(
      'WACRM_USAGE',
      `unknown conformance case${unknown.length === 1 ? '' : 's'}: ${unknown.join(', ')}`,
      `known cases: ${CONFORMANCE_CASE_IDS.join(', ')}`,
    );
  }
  if (selected.length === 0) throw new WacrmError('WACRM_USAGE', '--only and --skip leave no case to run');
  return selected.map((id) => CONFORMANCE_CASES.find((c) => c.id === id) as ConformanceCaseDef);
}

function flagGiven(args: readonly string[], flag: string): boolean {
  return args.some((a) => a === flag || a.startsWith(`${flag}=`));
}

function isSlow(c: ConformanceCaseDef, s: CaseSettings): boolean {
  return typeof c.slow === 'function' ? c.slow(s) : c.slow === true;
}

/** Resolves after `ms` of real time. */
function sleep(msToWait: number): Promise<void> {
  return new Promise((r) => setTimeout(r, msToWait));
}

/**
 * Runs the selected conformance cases against a connector and returns what each found. The
 * mocks run in this process on the real clock; the reference connector runs as a child process;
 * an external connector is reached over HTTP at its URL exactly as the reference one is. Each
 * case starts from reset mocks, no fault rules and customers of its own, after the connector has
 * finished the previous case's work.
 */
export async function runConformanceSuite(opts: ConformanceOptions): Promise<ConformanceRun> {
  const selected = selectCases(opts.only, opts.skip);
  const hubspot = opts.crmDialect === 'hubspot';
  const clock: Clock = new RealClock();
  const seed = opts.seed ?? 1;
  const plan = opts.crmPlan ?? 'enterprise';
  const reference = opts.connector.kind === 'reference';
  const retryDelayMs = opts.retryDelayMs ?? (reference ? REFERENCE_RETRY_DELAY_MS : SEED_RETRY_DELAY_MS);
  const settings: CaseSettings = {
    reference,
    retryDelayMs,
    crmLimitPerMin: DEFAULT_PLAN_LIMITS[plan],
    crmPlan: plan,
    crmDialect: hubspot ? 'hubspot' : 'native',
    // The HubSpot mock's default tier (the stack starts it with no tier of its own).
    hubspotPerTenSeconds: HUBSPOT_TIER_LIMITS.starter.perTenSeconds,
  };
  const progress = opts.onProgress ?? (() => {});
  const startedAt = new Date();

  const target = opts.connector;
  let connectorInfo: ConformanceRun['connector'];
  let waPath: string;
  let stackTarget: Parameters<typeof startStack>[0]['connector'];
  if (target.kind === 'reference') {
    const userArgs = target.args ?? [];
    const args = [...userArgs];
    if (!flagGiven(userArgs, '--retry-delay-ms')) args.push('--retry-delay-ms', String(retryDelayMs));
    if (!flagGiven(userArgs, '--crm-plan')) args.push('--crm-plan', plan);
    if (!flagGiven(userArgs, '--log-level')) args.push('--log-level', 'warn');
    stackTarget = { kind: 'reference', faults: target.faults ?? [], args };
    waPath = REFERENCE_WEBHOOK_PATHS.whatsapp;
    connectorInfo = { kind: 'reference', faults: [...(target.faults ?? [])] };
  } else {
    waPath = target.whatsappWebhookPath ?? REFERENCE_WEBHOOK_PATHS.whatsapp;
    stackTarget = {
      kind: 'external',
      url: target.url,
      whatsappWebhookPath: waPath,
      crmWebhookPath: target.crmWebhookPath ?? REFERENCE_WEBHOOK_PATHS.crm,
    };
    connectorInfo = { kind: 'external', url: target.url, faults: [] };
  }

  const stack: Stack = await startStack({
    clock,
    seed,
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.whatsappPort !== undefined ? { whatsappPort: opts.whatsappPort } : {}),
    ...(opts.crmPort !== undefined ? { crmPort: opts.crmPort } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    connector: stackTarget,
    whatsapp: {
      // Statuses come from the cases (in the order each case needs), not from the mock's timers.
      statusTiming: {
        sent: { kind: 'fixed', ms: 3_600_000 },
        delivered: { kind: 'fixed', ms: 3_600_000 },
        read: { kind: 'fixed', ms: 3_600_000 },
        readProbability: 0,
        failureRate: 0,
      },
    },
    crm: { plan, seedContacts: { count: 0 }, ...(hubspot ? { dialect: 'hubspot' as const } : {}) },
  });
  const http = new HttpClient(clock);
  const results: ConformanceCaseResult[] = [];
  const invalidReasons: string[] = [];
  try {
    const waUrl = stack.connectorUrl.replace(/\/$/, '') + waPath;
    const rng = createRng(seed ^ randomInt(0, 0x7fffffff));
    const customers = new Customers(rng);
    const wire = new WhatsAppWire({
      http,
      url: waUrl,
      appSecret: stack.credentials.appSecret,
      env: {
        wabaId: stack.credentials.wabaId,
        phoneNumberId: stack.credentials.phoneNumberId,
        displayPhoneNumber: stack.credentials.displayPhoneNumber,
      },
      rng,
      epochMs: () => clock.epochMs(),
    });
    const total = selected.length;
    /** Where the connector was first found gone, for the evidence of every case after it. */
    let goneAt: string | undefined;
    for (const [i, def] of selected.entries()) {
      const label = `[${i + 1}/${total}] ${def.id}`;
      if (invalidReasons.length === 0) {
        stack.whatsapp.faults.clear();
        stack.crm.faults.clear();
        if (i > 0) {
          const settled = await settle(stack, http, clock, reference);
          if (!settled.idle)
            progress(`${label}: the connector was still busy after ${ms(settled.waitedMs)}; going on`);
        }
        const down = await unreachable(stack, http, waUrl);
        if (down) {
          invalidReasons.push(down);
          goneAt = `the connector was gone at case ${i + 1} of ${total} (${def.id}): ${down}`;
        }
      }
      if (invalidReasons.length > 0) {
        const r: ConformanceCaseResult = {
          id: def.id,
          title: def.title,
          rule: def.rule,
          source: def.source,
          passed: false,
          notRun: true,
          evidence: `not run: ${goneAt ?? invalidReasons[0]}`,
          durationMs: 0,
        };
        results.push(r);
        opts.onCase?.(r, i, total);
        continue;
      }
      stack.whatsapp.reset();
      stack.crm.reset({ reseed: false });
      progress(`${label}: ${def.title}${isSlow(def, settings) ? ' (slow case)' : ''}`);
      const t0 = clock.nowMs();
      let lastLineMs = t0;
      const caseLine = (line: string) => {
        lastLineMs = clock.nowMs();
        progress(`  ${def.id}: ${line}`);
      };
      const ctx = new RunningCase({
        stack,
        settings,
        wire,
        customers,
        http,
        clock,
        whatsappWebhookUrl: waUrl,
        progress: caseLine,
      });
      // A case that says nothing for a while still shows it is alive.
      const heartbeat = setInterval(() => {
        const now = clock.nowMs();
        if (now - lastLineMs >= HEARTBEAT_MS) caseLine(`still running (${Math.round((now - t0) / 1000)} s)`);
      }, 1_000);
      let outcome: { passed: boolean; evidence: string };
      try {
        outcome = await guard(def.run(ctx), CASE_GUARD_MS);
      } catch (err) {
        outcome = {
          passed: false,
          evidence: `the case could not run: ${err instanceof Error ? err.message : String(err)}`,
        };
      } finally {
        clearInterval(heartbeat);
        ctx.clearFaults();
      }
      const r: ConformanceCaseResult = {
        id: def.id,
        title: def.title,
        rule: def.rule,
        source: def.source,
        passed: outcome.passed,
        evidence: outcome.evidence,
        durationMs: Math.round(clock.nowMs() - t0),
      };
      results.push(r);
      opts.onCase?.(r, i, total);
    }
  } finally {
    http.close();
    await stack.close();
  }
  return {
    cases: results,
    valid: invalidReasons.length === 0,
    invalidReasons,
    startedAt,
    finishedAt: new Date(),
    seed,
    connector: connectorInfo,
    settings,
  };
}

/** Runs the selected cases and returns them as the report's conformance section (see {@link runConformanceSuite}). */
export async function runConformance(opts: ConformanceOptions): Promise<ConformanceCase[]> {
  const run = await runConformanceSuite(opts);
  return run.cases.map(({ durationMs: _d, ...c }) => c);
}

function guard<T>(p: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the case did not finish within ${ms(timeoutMs)}`)), timeoutMs);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Why the connector cannot be reached now, or undefined when it answers. */
async function unreachable(stack: Stack, http: HttpClient, waUrl: string): Promise<string | undefined> {
  const exited = stack.connector?.exited();
  if (exited) {
    const tail = stack.connector?.recentLog().slice(-2).join(' | ');
    return `the reference connector exited (code ${exited.code}, signal ${exited.signal})${tail ? `: ${tail}` : ''}`;
  }
  // Any HTTP answer will do (a verification GET without parameters is refused by a correct connector).
  const o = await http.request({ method: 'GET', url: waUrl, timeoutMs: 5_000 });
  if (o.status === undefined) return `the connector did not answer at ${waUrl} (${o.error ?? 'no answer'})`;
  return undefined;
}

/**
 * Waits until the connector has finished the previous case's work: no request to either mock
 * for a quiet spell, no CRM event still being delivered, and — for the reference connector, whose
 * `/stats` the kit can read — nothing left in its queue (delayed retries included).
 */
async function settle(
  stack: Stack,
  http: HttpClient,
  clock: Clock,
  reference: boolean,
): Promise<{ idle: boolean; waitedMs: number }> {
  const start = clock.nowMs();
  const quietMs = reference ? 300 : 1_500;
  for (;;) {
    const now = clock.nowMs();
    const since = now - quietMs;
    const recent =
      stack.crm.journal.query({ kind: 'api.request', sinceMs: since, limit: 1 }).length +
      stack.whatsapp.journal.query({ kind: 'graph.request', sinceMs: since, limit: 1 }).length;
    const d = stack.crm.dispatcher.stats();
    let busy = recent > 0 || d.queued + d.inFlight + d.waitingRetry > 0;
    if (!busy && reference) busy = (await referencePending(http, stack.connectorUrl)) > 0;
    if (!busy) return { idle: true, waitedMs: now - start };
    if (now - start >= SETTLE_CAP_MS) return { idle: false, waitedMs: now - start };
    await sleep(200);
  }
}

/** Jobs the reference connector still has (queued, delayed or in flight); 0 when it cannot tell. */
async function referencePending(http: HttpClient, connectorUrl: string): Promise<number> {
  const o = await http.request({
    method: 'GET',
    url: `${connectorUrl}/stats`,
    timeoutMs: 2_000,
    maxTextChars: 100_000,
  });
  if (o.status !== 200) return 0;
  try {
    const s = JSON.parse(o.text) as { queue?: { pending?: unknown; waitingForCrmBudget?: unknown } };
    const pending = typeof s.queue?.pending === 'number' ? s.queue.pending : 0;
    const waiting = typeof s.queue?.waitingForCrmBudget === 'number' ? s.queue.waitingForCrmBudget : 0;
    return pending + waiting;
  } catch {
    return 0;
  }
}
