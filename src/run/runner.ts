import { readFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RealClock } from '../../mocks/shared/clock.js';
import { hopBreakdown, timeline } from '../checks/breakdown.js';
import { fmt, percentile } from '../checks/measures.js';
import { fullyRecorded, syncLatencies } from '../checks/suites.js';
import type { AcceptanceTable, MetricKey } from '../config/acceptance.js';
import type { Scenario, Suite } from '../config/schema.js';
import { FlowTracer } from '../flows/tracer.js';
import type { FlowTrace } from '../flows/types.js';
import { openJournal, recordTypes } from '../journal/journal.js';
import { HarnessHealth, startLoopMonitor } from '../metrics/loop.js';
import { procSource, type ResourceSample, startResourceSampler } from '../metrics/resources.js';
import type { Measured, RunResult } from '../report/model.js';
import { FlowWaiter } from './drive.js';
import { type Stack, startStack } from './stack.js';
import {
  runCapacity,
  runConsistencyAudit,
  runConversationSync,
  runFaultRecovery,
  runSoak,
  runTemplateDelivery,
  type SoakRunOptions,
  type SuiteContext,
  type SuiteOutput,
  type SuiteProgress,
} from './suites.js';
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
  /** Fixed mock ports (an external connector is configured with them). */
  whatsappPort?: number;
  crmPort?: number;
  /** Where the run journal goes (journal.ndjson); none when omitted. */
  runDir?: string;
  onProgress?: (p: SuiteProgress) => void;
  onLog?: (line: string) => void;
}

const NOT_RUN_HERE = new Set(['conformance']);

/**
 * Runs a scenario end to end: starts the mocks (in this process, on the harness clock) and the
 * connector, plays each suite, judges it, and returns the RunResult that grading and the reports
 * read. Connector misbehaviour is data in the result; only a run that cannot start or whose
 * harness saturated is marked invalid.
 */
export async function runScenario(opts: RunScenarioOptions): Promise<RunResult> {
  const { scenario } = opts;
  const clock = new RealClock();
  const seed = opts.seed ?? scenario.seed;
  const log = opts.onLog ?? (() => {});
  const startedAt = new Date();
  const originMs = clock.nowMs();
  const invalidReasons: string[] = [];
  const externalUrl = opts.connectorUrl ?? scenario.connector.url ?? undefined;
  const stack: Stack = await startStack({
    clock,
    seed,
    ...(opts.whatsappPort !== undefined ? { whatsappPort: opts.whatsappPort } : {}),
    ...(opts.crmPort !== undefined ? { crmPort: opts.crmPort } : {}),
    whatsapp: {
      throughputPerSec: scenario.mocks.whatsapp.throughputPerSec,
      errorProfile: scenario.mocks.whatsapp.errorProfile,
      messagingTier: scenario.mocks.whatsapp.messagingTier,
      windowErrorMode: scenario.mocks.whatsapp.windowErrorMode,
      statusTiming: scenario.mocks.whatsapp.statusTiming,
    },
    crm: {
      plan: scenario.mocks.crm.plan,
      planLimits: { [scenario.mocks.crm.plan]: scenario.mocks.crm.ratePerMin },
      seedContacts: { count: scenario.mocks.crm.contacts, dirtyShare: scenario.mocks.crm.dirtyShare },
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
          args: ['--crm-rate-per-min', String(scenario.mocks.crm.ratePerMin), ...scenario.connector.args],
        },
  });
  log(`mocks up: WhatsApp ${stack.whatsappUrl}, CRM ${stack.crmUrl}; connector ${stack.connectorUrl}`);
  if (!stack.handshake.ok) {
    log(`the connector refused the webhook verification (HTTP ${stack.handshake.statusCode ?? '?'})`);
  }

  const health = new HarnessHealth({ windowMs: 5_000, originMs, bounds: { maxLoopDelayP99Ms: 200 } });
  const loop = startLoopMonitor({ timer: clock, onSample: (s) => health.recordLoopSample(s) });
  const samples: ResourceSample[] = [];
  const sampler = stack.connector
    ? startResourceSampler({
        source: procSource(stack.connector.pid),
        timer: clock,
        onSample: (s) => {
          samples.push(s);
          if (samples.length > 20_000) samples.splice(0, 10_000);
        },
      })
    : undefined;
  let connectorExit: string | undefined;
  let closing = false;
  stack.connector?.onExit((code, signal) => {
    if (closing) return;
    connectorExit = `the reference connector exited during the run (code ${code}, signal ${signal})`;
    log(connectorExit);
  });

  const tracer = new FlowTracer();
  tracer.attach(stack.whatsapp.journal);
  tracer.attach(stack.crm.journal);
  const journal = opts.runDir
    ? openJournal(opts.runDir, { onError: (err) => log(`journal write failed: ${err.message}`) })
    : undefined;
  journal?.append({
    type: recordTypes.runStarted,
    runId: opts.runId,
    scenario: scenario.name,
    seed,
    startedAt: startedAt.toISOString(),
  });
  const settled = (f: FlowTrace) =>
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
    connectorSamples: () => samples,
    progress: opts.onProgress ?? (() => {}),
    log,
  };

  const soakOptions: SoakRunOptions = {
    ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}),
    startEpochMs: startedAt.getTime(),
    readProfile: (file) => parseYaml(readFileSync(resolve(dirname(opts.scenarioFile), file), 'utf8')),
  };
  const outputs: SuiteOutput[] = [];
  const notes: string[] = [];
  try {
    for (const suite of scenario.suites) {
      if (NOT_RUN_HERE.has(suite.kind)) {
        notes.push(`suite ${suite.kind} is not run by \`wacrm run\` yet; it was skipped`);
        log(`skipping ${suite.kind}: not available in this version`);
        continue;
      }
      log(`suite ${suite.kind} starting`);
      const out = await runSuite(ctx, suite, soakOptions);
      if (!out) continue;
      outputs.push(out);
      for (const f of out.flows) {
        if (f.state === 'pending') {
          journal?.append({
            type: recordTypes.flowSettled,
            flowId: f.flowId,
            suite: f.suite,
            outcome: 'timed_out',
            hops: f.hops.map((h) => h.name),
          });
        } else if (f.state === 'dropped') {
          journal?.append({
            type: recordTypes.flowDropped,
            flowId: f.flowId,
            suite: f.suite,
            scheduledAtMs: f.intendedAtMs - originMs,
          });
        }
      }
      journal?.append({ type: 'suite.finished', suite: out.kind, judgement: out.judgement });
      log(`suite ${suite.kind} done in ${fmt((out.endedAtMs - out.startedAtMs) / 1000, 1)} s`);
    }
  } finally {
    loop.stop();
    sampler?.stop();
    tracer.detachAll();
    closing = true;
    await stack.close();
    if (journal) {
      journal.append({ type: recordTypes.runFinished, finishedAt: new Date().toISOString() });
      await journal.close().catch((err: Error) => log(`journal close failed: ${err.message}`));
    }
  }
  // A connector that dies mid-run is the connector's failure, not the harness's: the run went on,
  // its losses are counted in the metrics, and the report says what happened.
  if (connectorExit) notes.push(`${connectorExit}; the flows it had not finished count as lost`);
  const healthWindows = health.windows().filter((w) => !w.valid);
  if (
    healthWindows.length > 0 &&
    outputs.some((o) => o.kind === 'capacity' && o.capacity?.harnessValid === false)
  ) {
    invalidReasons.push(`the harness saturated: ${healthWindows[0]?.reasons.join('; ')}`);
  }

  const finishedAt = new Date();
  const result: RunResult = {
    schemaVersion: 1,
    runId: opts.runId,
    scenario: {
      name: scenario.name,
      file: opts.scenarioFile,
      ...(scenario.description ? { description: scenario.description } : {}),
    },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    seed,
    environment: {
      wacrmVersion: opts.wacrmVersion,
      node: opts.nodeVersion,
      platform: platform(),
      arch: arch(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      connector: externalUrl
        ? { kind: 'external', url: externalUrl, faults: [] }
        : { kind: 'reference', faults: scenario.connector.faults },
    },
    valid: invalidReasons.length === 0,
    invalidReasons,
    metrics: mergeMetrics(outputs),
    checks: outputs.flatMap((o) =>
      Object.entries(o.judgement.checks).map(([key, m]) => ({
        key,
        suite: o.kind,
        value: m.value,
        evidence: m.evidence,
      })),
    ),
    suites: outputs.map((o) => ({
      kind: o.kind,
      title: o.title,
      startedAtMs: o.startedAtMs - originMs,
      endedAtMs: o.endedAtMs - originMs,
      flows: o.judgement.flows,
      notes: o.judgement.notes,
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

/** Runs one suite; undefined for kinds `wacrm run` does not play (conformance has its own command). */
async function runSuite(
  ctx: SuiteContext,
  suite: Suite,
  soak: SoakRunOptions,
): Promise<SuiteOutput | undefined> {
  switch (suite.kind) {
    case 'template-delivery':
      return runTemplateDelivery(ctx, suite);
    case 'conversation-sync':
      return runConversationSync(ctx, suite);
    case 'fault-recovery':
      return runFaultRecovery(ctx, suite);
    case 'capacity':
      return runCapacity(ctx, suite);
    case 'soak':
      return runSoak(ctx, suite, soak);
    case 'consistency-audit':
      return runConsistencyAudit(ctx, suite);
    default:
      return undefined;
  }
}

/**
 * The graded metrics of the whole run. Record completeness and sync latency pool the functional
 * suites (template delivery and conversation sync) so both directions count; the other metrics come
 * from the one suite that measures them.
 */
function mergeMetrics(outputs: readonly SuiteOutput[]): RunResult['metrics'] {
  const metrics: RunResult['metrics'] = {};
  for (const o of outputs) {
    for (const [key, m] of Object.entries(o.judgement.metrics)) {
      if (key === 'record_completeness' || key === 'sync_latency_p95_s') continue;
      metrics[key as MetricKey] = m as Measured;
    }
  }
  const functional = outputs.filter((o) => o.functional).flatMap((o) => o.flows);
  const planned = functional.filter((f) => f.outbound?.sendAllowed !== false && f.state !== 'dropped');
  if (planned.length > 0) {
    const recorded = planned.filter(fullyRecorded).length;
    const dirs = (d: string) => planned.filter((f) => f.direction === d);
    metrics.record_completeness = {
      value: recorded / planned.length,
      evidence:
        `${recorded} of ${planned.length} flows fully recorded in the CRM ` +
        `(outbound ${dirs('outbound').filter(fullyRecorded).length}/${dirs('outbound').length}, ` +
        `inbound ${dirs('inbound').filter(fullyRecorded).length}/${dirs('inbound').length})`,
    };
    const lat = syncLatencies(planned);
    const p95 = percentile(lat, 95);
    if (p95 !== null) {
      metrics.sync_latency_p95_s = {
        value: p95 / 1000,
        evidence:
          `p95 over ${lat.length} flows both ways: outbound ${fmt((percentile(syncLatencies(dirs('outbound')), 95) ?? 0) / 1000, 3)} s, ` +
          `inbound ${fmt((percentile(syncLatencies(dirs('inbound')), 95) ?? 0) / 1000, 3)} s`,
      };
    }
  }
  return metrics;
}
