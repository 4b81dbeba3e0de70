import { readFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type Clock, RealClock } from '../../kernel/clock.js';
import { hopBreakdown, timeline } from '../checks/breakdown.js';
import { WhatsAppLedger } from '../checks/consistency.js';
import { fmt } from '../checks/measures.js';
import { functionalMetrics, poolOf } from '../checks/pools.js';
import { syncErrorLimit } from '../checks/soak-sync-error.js';
import type { AcceptanceTable, MetricKey } from '../config/acceptance.js';
import type { Scenario } from '../config/schema.js';
import { WacrmError } from '../errors.js';
import { FlowTracer } from '../flows/tracer.js';
import type { FlowTrace } from '../flows/types.js';
import { type JournalRecord, openJournal, type RunJournal, recordTypes } from '../journal/journal.js';
import { type CostFigures, costBetween } from '../metrics/cost.js';
import { HarnessHealth, type HealthBounds, type LoopSample, startLoopMonitor } from '../metrics/loop.js';
import {
  harnessSource,
  procSource,
  type ResourceSample,
  startResourceSampler,
} from '../metrics/resources.js';
import type { ExternalWiring, Measured, RunResult } from '../result/run-result.js';
import { ConnectorWatch, stageOf } from './connector-watch.js';
import { crmBudgetArgs, crmMockOptions } from './crm-options.js';
import { FlowWaiter } from './drive.js';
import { preflight } from './preflight.js';
import { MOCK_DEFAULT_CREDENTIALS, type Stack, type StackCredentials, startStack } from './stack.js';
import {
  type RunExtras,
  type SuiteContext,
  type SuiteOutput,
  type SuiteProgress,
  suiteRunner,
} from './suites/index.js';
import { Traffic } from './traffic.js';

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  scenario: Scenario;
  /** Path of the scenario file (for the report). */
  scenarioFile: string;
  acceptance: AcceptanceTable;
  runId: string;
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Test an external connector at this base URL instead of the reference one. */
  connectorUrl?: string;
  wacrmVersion: string;
  /** Node.js version of the harness (the CLI passes process.version). */
  nodeVersion: string;
  /** Compresses soak timelines (`--time-scale`), overriding the scenario. */
  timeScale?: number;
  /**
   * Event loops the harness runs on (`--workers`, see {@link StackOptions.workers}); default 1,
   * everything on this thread.
   */
  workers?: number;
  /** Fixed mock ports (an external connector is configured with them). */
  whatsappPort?: number;
  crmPort?: number;
  /** Fixed credentials (CLI flags, WACRM_* variables); the rest are the stack's defaults. */
  credentials?: Partial<StackCredentials>;
  /** Called once with the running stack, before preflight and any suite (`--print-env`). */
  onStack?: (stack: Stack) => void;
  /** Where the run journal goes (journal.ndjson); none when omitted. */
  runDir?: string;
  onProgress?: (p: SuiteProgress) => void;
  onLog?: (line: string) => void;
  /**
   * Aborted when the user interrupts the run (SIGINT/SIGTERM): the running suite starts no new
   * flows, later suites are skipped, and the result covers what ran, marked `interrupted`. The
   * signal's `reason` names the signal (e.g. `SIGINT`).
   */
  signal?: AbortSignal;
  /**
   * The harness clock the mocks, the driver, the monitors and every suite timer run on (default: a
   * RealClock). Tests inject a ScaledClock or VirtualClock; nothing in the run reads time otherwise.
   */
  clock?: Clock;
}

/**
 * Runs a scenario end to end: starts the mocks (in this process, on the harness clock) and the
 * connector, plays each suite, judges it, and returns the RunResult that grading and the reports
 * read. Connector misbehaviour is data in the result; only a run that cannot start or whose
 * harness saturated is marked invalid.
 */
export async function runScenario(opts: RunScenarioOptions): Promise<RunResult> {
  const { scenario } = opts;
  const seed = opts.seed ?? scenario.seed;
  // Wall-clock stamps come from the harness clock too, so a run on a virtual clock is dated consistently.
  const clock = opts.clock ?? new RealClock();
  const startedAt = new Date(clock.epochMs());
  const session = await openRunSession({ ...opts, clock }, seed, (s) => ({
    type: recordTypes.runStarted,
    runId: opts.runId,
    scenario: scenario.name,
    scenarioFile: resolve(opts.scenarioFile),
    seed,
    startedAt: startedAt.toISOString(),
    ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}),
    ...(s.externalUrl ? { connectorUrl: s.externalUrl } : {}),
  }));
  const { ctx, journal, log } = session;
  const extras: Omit<RunExtras, 'suiteIndex'> = {
    ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}),
    startEpochMs: startedAt.getTime(),
    readProfile: (file) => parseYaml(readFileSync(resolve(dirname(opts.scenarioFile), file), 'utf8')),
    syncErrorLimit: syncErrorLimit(opts.acceptance),
    ...(journal ? { journal } : {}),
    ...(opts.runDir
      ? {
          runInfo: {
            scenarioFile: resolve(opts.scenarioFile),
            runId: opts.runId,
            outDir: resolve(opts.runDir),
            startedAt: startedAt.toISOString(),
            ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}),
            ...(opts.connectorUrl !== undefined ? { connectorUrl: opts.connectorUrl } : {}),
            ...(opts.whatsappPort !== undefined ? { whatsappPort: opts.whatsappPort } : {}),
            ...(opts.crmPort !== undefined ? { crmPort: opts.crmPort } : {}),
          },
        }
      : {}),
  };
  const outputs: SuiteOutput[] = [];
  const notes: string[] = [];
  let interruptedAt: { at: string; signal: string } | undefined;
  const onAbort = () => {
    interruptedAt = {
      at: new Date(ctx.clock.epochMs()).toISOString(),
      signal: String(opts.signal?.reason ?? 'SIGINT'),
    };
    ctx.log(`interrupted (${interruptedAt.signal}): no new flows; writing the reports for what ran`);
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal) ctx.signal = opts.signal;
  try {
    for (const [suiteIndex, suite] of scenario.suites.entries()) {
      if (opts.signal?.aborted) {
        notes.push(`suite ${suite.kind} did not run: the run was interrupted`);
        continue;
      }
      const runner = suiteRunner(suite.kind);
      if (!runner) {
        notes.push(`suite ${suite.kind} is not run by \`wacrm run\` yet; it was skipped`);
        log(`skipping ${suite.kind}: not available in this version`);
        continue;
      }
      log(`suite ${suite.kind} starting`);
      session.watch.setSuite(suite.kind);
      const out = withHarness(
        ctx,
        await runner.run(ctx, suite as never, {
          ...extras,
          suiteIndex,
          suiteCount: scenario.suites.length,
        }),
      );
      outputs.push(out);
      journalSuiteEnd(session, out);
      log(`suite ${suite.kind} done in ${fmt((out.endedAtMs - out.startedAtMs) / 1000, 1)} s`);
    }
  } finally {
    await session.close();
  }
  return buildRunResult({
    session,
    scenario,
    scenarioFile: opts.scenarioFile,
    runId: opts.runId,
    seed,
    startedAt,
    wacrmVersion: opts.wacrmVersion,
    nodeVersion: opts.nodeVersion,
    outputs,
    notes,
    ...(interruptedAt ? { interrupted: interruptedAt } : {}),
  });
}

/**
 * Where the CRM mock keeps its state: nowhere (a freshly seeded CRM per run), the run directory's
 * `crm.sqlite` (`persist: true`, so a resumed soak finds it), or the scenario's file (across runs).
 */
function crmStorePath(persist: boolean | string, runDir: string | undefined): string | undefined {
  if (typeof persist === 'string') return persist;
  if (persist && runDir) return join(resolve(runDir), 'crm.sqlite');
  return undefined;
}

/** A started stack with everything a suite needs, and the run journal (see {@link openRunSession}). */
export interface RunSession {
  ctx: SuiteContext;
  journal?: RunJournal;
  originMs: number;
  externalUrl?: string;
  log: (line: string) => void;
  /** Why the reference connector exited during the run, if it did. */
  connectorExit(): string | undefined;
  /** Counts the connector's answers to our webhooks and notices when it stops answering. */
  watch: ConnectorWatch;
  /**
   * Stops the monitors and the stack, journals run.finished (unless `finished` is false: a resume that
   * failed leaves the run resumable) and closes the journal.
   */
  close(opts?: { finished?: boolean }): Promise<void>;
}

/** What {@link openRunSession} needs: the scenario's stack settings and where things go. */
export type RunSessionOptions = Pick<
  RunScenarioOptions,
  | 'scenario'
  | 'connectorUrl'
  | 'whatsappPort'
  | 'crmPort'
  | 'workers'
  | 'credentials'
  | 'onStack'
  | 'runDir'
  | 'onProgress'
  | 'onLog'
  | 'clock'
>;

/**
 * How `wacrm run` watches its own health, as docs/load-model.md states it (a docs test holds it):
 * 5 s windows and an event-loop p99 bound of 200 ms, where the API's default is 100 ms (the run's
 * main loop also carries both mocks, their dispatchers and the tracer); the scheduler-lag bounds
 * are the defaults.
 */
export const RUN_HEALTH: { windowMs: number; bounds: Partial<HealthBounds> } = {
  windowMs: 5_000,
  bounds: { maxLoopDelayP99Ms: 200 },
};

/**
 * Starts the mocks (on the injected clock, a RealClock by default, in this process) and the connector for a scenario, the harness
 * monitors and the flow tracer, opens the run journal and appends `first(session)` to it (run.started
 * or run.resumed). `wacrm run` and `wacrm resume` both start their stack here.
 */
export async function openRunSession(
  opts: RunSessionOptions,
  seed: number,
  first: (s: { externalUrl?: string }) => JournalRecord,
): Promise<RunSession> {
  const { scenario } = opts;
  const clock = opts.clock ?? new RealClock();
  const log = opts.onLog ?? (() => {});
  const originMs = clock.nowMs();
  const externalUrl = opts.connectorUrl ?? scenario.connector.url ?? undefined;
  // The journal first: a run directory another process is writing (WACRM_RUN_DIR_BUSY) is refused
  // before any mock or connector starts.
  const journal = opts.runDir
    ? openJournal(opts.runDir, { onError: (err) => log(`journal write failed: ${err.message}`) })
    : undefined;
  const crmStoreFile = crmStorePath(scenario.mocks.crm.persist, opts.runDir);
  if (crmStoreFile !== undefined) {
    log(
      `CRM state kept in ${crmStoreFile} (give each run its own --seed: a repeated one replays message ids the CRM already holds)`,
    );
  }
  let stack: Stack;
  try {
    stack = await startStack({
      clock,
      seed,
      ...(opts.whatsappPort !== undefined ? { whatsappPort: opts.whatsappPort } : {}),
      ...(opts.crmPort !== undefined ? { crmPort: opts.crmPort } : {}),
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      whatsapp: {
        throughputPerSec: scenario.mocks.whatsapp.throughputPerSec,
        errorProfile: scenario.mocks.whatsapp.errorProfile,
        messagingTier: scenario.mocks.whatsapp.messagingTier,
        windowErrorMode: scenario.mocks.whatsapp.windowErrorMode,
        statusTiming: scenario.mocks.whatsapp.statusTiming,
        reproducibleIds: scenario.mocks.whatsapp.reproducibleIds,
      },
      crm: {
        ...crmMockOptions(scenario.mocks.crm),
        ...(crmStoreFile !== undefined ? { store: { file: crmStoreFile } } : {}),
      },
      connector: externalUrl
        ? {
            kind: 'external',
            url: externalUrl,
            whatsappWebhookPath: scenario.connector.whatsappWebhookPath,
            crmWebhookPath: scenario.connector.crmWebhookPath,
          }
        : {
            kind: 'reference',
            faults: scenario.connector.faults,
            args: [...crmBudgetArgs(scenario.mocks.crm), ...scenario.connector.args],
          },
    });
  } catch (err) {
    await journal?.close().catch(() => undefined);
    // A persisted CRM file that is not a CRM store (another program's, or a newer schema) is bad input.
    if (crmStoreFile !== undefined && err instanceof Error && err.message.startsWith('cannot open')) {
      throw new WacrmError(
        'WACRM_SCENARIO_INVALID',
        `mocks.crm.persist: ${err.message}`,
        'point persist at a new file, or delete this one to start from a freshly seeded CRM',
      );
    }
    throw err;
  }
  log(`mocks up: WhatsApp ${stack.whatsappUrl}, CRM ${stack.crmUrl}; connector ${stack.connectorUrl}`);
  opts.onStack?.(stack);
  if (externalUrl) {
    // A mis-wired connector would fail every row: stop before any suite with the one missing piece.
    const pre = await preflight(stack, { keepCrm: crmStoreFile !== undefined });
    if (!pre.ok) {
      await stack.close();
      await journal?.close().catch(() => undefined);
      throw new WacrmError('WACRM_PREFLIGHT_FAILED', `preflight: ${pre.reason}`);
    }
    log(`preflight ok: ${pre.steps.join(', ')}`);
  } else if (!stack.handshake.ok) {
    log(`the connector refused the webhook verification (HTTP ${stack.handshake.statusCode ?? '?'})`);
  }

  const health = new HarnessHealth({ ...RUN_HEALTH, originMs });
  // Bounded series for the cost figures beside each suite and step (a long soak keeps the latest).
  const keep = <T>(list: T[], item: T) => {
    list.push(item);
    if (list.length > 20_000) list.splice(0, 10_000);
  };
  const loopSamples: LoopSample[] = [];
  const loop = startLoopMonitor({
    timer: clock,
    onSample: (s) => {
      health.recordLoopSample(s);
      keep(loopSamples, s);
    },
  });
  const harnessSamples: ResourceSample[] = [];
  const harnessSampler = startResourceSampler({
    source: harnessSource(),
    timer: clock,
    onSample: (s) => keep(harnessSamples, s),
  });
  const samples: ResourceSample[] = [];
  const sampler = stack.connector
    ? startResourceSampler({
        source: procSource(stack.connector.pid),
        timer: clock,
        onSample: (s) => keep(samples, s),
      })
    : undefined;
  const watch = new ConnectorWatch({ originMs, handshake: stack.handshake, log });
  watch.attach(stack.whatsapp.journal);
  watch.attach(stack.crm.journal);
  let connectorExit: string | undefined;
  let closing = false;
  stack.connector?.onExit((code, signal) => {
    if (closing) return;
    connectorExit = `the reference connector exited during the run (code ${code}, signal ${signal})`;
    watch.connectorExited(clock.nowMs(), `the process exited (code ${code}, signal ${signal})`);
    log(connectorExit);
  });

  // The audit's ground truth is streamed off the journal as it is written: the journal itself is a
  // bounded ring that a long soak overruns.
  const waLedger = new WhatsAppLedger();
  const toLedger = (e: { kind: string; data: Record<string, unknown> }) => waLedger.record(e);
  stack.whatsapp.journal.on('entry', toLedger);
  const tracer = new FlowTracer();
  tracer.attach(stack.whatsapp.journal);
  tracer.attach(stack.crm.journal);
  journal?.append(first({ ...(externalUrl ? { externalUrl } : {}) }));
  const settled = (f: FlowTrace) => {
    // The soak journals its own flows under their arrival index, which stays unique across resumes.
    if (f.suite === 'soak') return;
    journal?.append({
      type: recordTypes.flowSettled,
      flowId: f.flowId,
      suite: f.suite,
      direction: f.direction,
      outcome: f.state === 'complete' ? 'completed' : 'failed',
      intendedAtMs: f.intendedAtMs - originMs,
      latencyMs: f.syncLatencyMs ?? null,
      failure: f.failure ?? null,
      hops: f.hops.map((h) => [h.name, Math.round((h.atMs - f.intendedAtMs) * 1000) / 1000]),
    });
  };
  tracer.on('complete', settled);
  tracer.on('failed', settled);
  const apiCalls = { total: 0, ok: 0 };
  const countCall = (e: { kind: string; data: Record<string, unknown> }) => {
    if (e.kind !== 'graph.request' && e.kind !== 'api.request') return;
    apiCalls.total++;
    if (typeof e.data['statusCode'] === 'number' && e.data['statusCode'] < 400) apiCalls.ok++;
  };
  stack.whatsapp.journal.on('entry', countCall);
  stack.crm.journal.on('entry', countCall);
  const ctx: SuiteContext = {
    apiCalls: () => ({ ...apiCalls }),
    clock,
    stack,
    tracer,
    traffic: new Traffic(stack, tracer, clock),
    waiter: new FlowWaiter(tracer, clock),
    seed,
    originMs,
    maxInFlight: scenario.harness.maxInFlight,
    lagBoundMs: scenario.harness.lagBoundMs,
    health,
    waLedger,
    connectorSamples: () => samples,
    costSeries: () => ({ harness: harnessSamples, connector: samples, loop: loopSamples }),
    connectorUnanswered: () => watch.unanswered(),
    progress: (p) => {
      // The progress line knows the suite's stage; the connector's answers are counted under it.
      watch.setStage(stageOf(p));
      opts.onProgress?.(p);
    },
    log,
  };
  return {
    ctx,
    ...(journal ? { journal } : {}),
    originMs,
    ...(externalUrl ? { externalUrl } : {}),
    log,
    connectorExit: () => connectorExit,
    watch,
    async close(closeOpts = {}) {
      loop.stop();
      harnessSampler.stop();
      stack.whatsapp.journal.off('entry', toLedger);
      watch.detachAll();
      sampler?.stop();
      tracer.detachAll();
      closing = true;
      await stack.close();
      if (journal) {
        if (closeOpts.finished !== false) {
          journal.append({
            type: recordTypes.runFinished,
            finishedAt: new Date(clock.epochMs()).toISOString(),
          });
        }
        await journal.close().catch((err: Error) => log(`journal close failed: ${err.message}`));
      }
    },
  };
}

/**
 * The harness's health over a suite's own window, unless the suite judged narrower windows itself
 * (capacity: the judged part of each step). Every suite consults it: a saturated window voids that
 * suite's metrics.
 */
export function withHarness(ctx: SuiteContext, out: SuiteOutput): SuiteOutput {
  if (out.harness) return out;
  const h = ctx.health.spanHealth(out.startedAtMs, out.endedAtMs);
  return { ...out, harness: { valid: h.valid, reasons: h.reasons } };
}

export type { FunctionalPool } from '../checks/pools.js';

/** Journals what a finished suite leaves behind: unsettled flows, then `suite.finished` with its judgement. */
export function journalSuiteEnd(session: RunSession, out: SuiteOutput): void {
  const { journal, originMs } = session;
  if (!journal) return;
  if (out.kind !== 'soak') {
    for (const f of out.flows) {
      if (f.state === 'pending') {
        journal.append({
          type: recordTypes.flowSettled,
          flowId: f.flowId,
          suite: f.suite,
          outcome: 'timed_out',
          hops: f.hops.map((h) => h.name),
        });
      } else if (f.state === 'dropped') {
        journal.append({
          type: recordTypes.flowDropped,
          flowId: f.flowId,
          suite: f.suite,
          scheduledAtMs: f.intendedAtMs - originMs,
        });
      }
    }
  }
  journal.append({
    type: 'suite.finished',
    suite: out.kind,
    judgement: out.judgement,
    title: out.title,
    startedAtMs: out.startedAtMs - originMs,
    endedAtMs: out.endedAtMs - originMs,
    functional: out.functional,
    ...(out.functional ? { pool: out.pool ?? poolOf(out.flows) } : {}),
    ...(out.harness ? { harness: out.harness } : {}),
    ...(out.capacity ? { capacity: out.capacity } : {}),
    ...(out.faults ? { faults: out.faults } : {}),
  });
}

/** What {@link buildRunResult} assembles. */
export interface BuildRunResultInput {
  session: RunSession;
  scenario: Scenario;
  scenarioFile: string;
  runId: string;
  seed: number;
  startedAt: Date;
  wacrmVersion: string;
  nodeVersion: string;
  /** Suites in scenario order; suites of an earlier process carry no flows (their pools instead). */
  outputs: SuiteOutput[];
  notes: string[];
  /** When and by which signal the run was interrupted, if it was. */
  interrupted?: { at: string; signal: string };
}

/** The wiring an external connector was given and what the mocks refused of its calls (no secrets). */
function externalWiring(stack: Stack, scenario: Scenario): ExternalWiring {
  const calls = stack.calls();
  const given = stack.credentials;
  const defaults = (Object.keys(MOCK_DEFAULT_CREDENTIALS) as Array<keyof StackCredentials>).every(
    (k) => given[k] === MOCK_DEFAULT_CREDENTIALS[k],
  );
  return {
    whatsappBaseUrl: stack.whatsappUrl,
    crmBaseUrl: stack.crmApiUrl,
    whatsappWebhookPath: scenario.connector.whatsappWebhookPath,
    crmWebhookPath: scenario.connector.crmWebhookPath,
    credentials: defaults ? 'documented defaults' : 'custom',
    refusedCalls: { whatsapp: { ...calls.whatsapp.refused }, crm: { ...calls.crm.refused } },
    crmPlan: scenario.mocks.crm.plan,
    crmRateLimitPerMin: scenario.mocks.crm.ratePerMin,
  };
}

/** Builds the RunResult of a finished run (or of a resumed one, with the earlier suites). */
export function buildRunResult(input: BuildRunResultInput): RunResult {
  const { session, scenario, outputs, notes, startedAt } = input;
  const { originMs, externalUrl } = session;
  const invalidReasons: string[] = [];
  const connectorExit = session.connectorExit();
  // A connector that dies mid-run is the connector's failure, not the harness's: the run went on,
  // its losses are counted in the metrics, and the report says what happened.
  if (connectorExit) notes.push(`${connectorExit}; the flows it had not finished count as lost`);
  // Every suite was judged against the harness's health in its own window: a saturated one voids
  // that suite's metrics (they measure the harness, not the connector) and makes the run invalid.
  const saturated = new Set(outputs.filter((o) => o.harness?.valid === false));
  for (const o of saturated) {
    const why = o.harness?.reasons.slice(0, 2).join('; ') || 'its health windows were invalid';
    invalidReasons.push(`the harness saturated during ${o.kind}: ${why}; its metrics are void`);
  }
  const graded = outputs.filter((o) => !saturated.has(o));

  // What each suite cost the harness and the connector (none for a suite an earlier process ran).
  const series = session.ctx.costSeries?.();
  const suiteCost = (o: SuiteOutput): { cost?: CostFigures } => {
    if (!series) return {};
    const cost = costBetween(o.startedAtMs, o.endedAtMs, o.judgement.flows.sent, series);
    return Object.keys(cost).length > 0 ? { cost } : {};
  };

  const finishedAt = new Date(session.ctx.clock.epochMs());
  const result: RunResult = {
    schemaVersion: 1,
    runId: input.runId,
    scenario: {
      name: scenario.name,
      file: input.scenarioFile,
      ...(scenario.description ? { description: scenario.description } : {}),
    },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    seed: input.seed,
    environment: {
      wacrmVersion: input.wacrmVersion,
      node: input.nodeVersion,
      platform: platform(),
      arch: arch(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      workers: session.ctx.stack.workers,
      connector: externalUrl
        ? {
            kind: 'external',
            url: externalUrl,
            faults: [],
            external: externalWiring(session.ctx.stack, scenario),
          }
        : { kind: 'reference', faults: scenario.connector.faults },
    },
    valid: invalidReasons.length === 0,
    invalidReasons,
    connectorHealth: session.watch.health(),
    ...(input.interrupted ? { interrupted: input.interrupted } : {}),
    metrics: runMetrics(graded, functionalDeadlineMs(scenario)),
    checks: graded.flatMap((o) =>
      Object.entries(o.judgement.checks).map(([key, m]) => ({
        key,
        suite: o.kind,
        value: m.value,
        evidence: m.evidence,
        ...(m.atLeast ? { atLeast: true } : {}),
      })),
    ),
    suites: outputs.map((o) => ({
      kind: o.kind,
      title: o.title,
      startedAtMs: Math.max(0, o.startedAtMs - originMs),
      endedAtMs: Math.max(0, o.endedAtMs - originMs),
      flows: o.judgement.flows,
      notes: [
        ...o.judgement.notes,
        ...(saturated.has(o)
          ? ['the harness saturated in this suite: its metrics and checks are not graded']
          : []),
      ],
      ...suiteCost(o),
    })),
    hops: hopBreakdown(outputs.flatMap((o) => o.flows)),
    timeline: timeline(
      outputs.flatMap((o) => o.flows),
      originMs,
      5_000,
    ),
  };
  if (notes.length > 0 && result.suites[0]) result.suites[0].notes.push(...notes);
  const capacity = outputs.find((o) => o.capacity)?.capacity;
  if (capacity) result.capacity = capacity;
  const soak = outputs.find((o) => o.kind === 'soak') as
    | (SuiteOutput & { soak?: RunResult['soak'] })
    | undefined;
  if (soak?.soak) result.soak = soak.soak;
  const faults = outputs.flatMap((o) => o.faults ?? []);
  if (faults.length > 0) result.faults = faults;
  return result;
}

/** The smallest deadline of the functional suites: the bound a never-synced flow is known to exceed. */
function functionalDeadlineMs(scenario: {
  suites: ReadonlyArray<{ kind: string; deadlineMs?: number }>;
}): number {
  const ds = scenario.suites
    .filter((s) => s.kind === 'template-delivery' || s.kind === 'conversation-sync')
    .map((s) => s.deadlineMs)
    .filter((d): d is number => typeof d === 'number');
  return ds.length > 0 ? Math.min(...ds) : 60_000;
}

/**
 * The graded metrics of the whole run, by one path for fresh and resumed runs: record completeness
 * and sync latency merge the functional suites' pools (both directions; an earlier process's pools
 * come from its `suite.finished` records), the other metrics come from the one suite that measures them.
 */
function runMetrics(outputs: readonly SuiteOutput[], deadlineMs: number): RunResult['metrics'] {
  const metrics: RunResult['metrics'] = {};
  for (const o of outputs) {
    for (const [key, m] of Object.entries(o.judgement.metrics)) {
      if (key === 'record_completeness' || key === 'sync_latency_p95_s') continue;
      metrics[key as MetricKey] = m as Measured;
    }
  }
  const pools = outputs.filter((o) => o.functional).map((o) => o.pool ?? poolOf(o.flows));
  return { ...metrics, ...functionalMetrics(pools, deadlineMs) };
}
