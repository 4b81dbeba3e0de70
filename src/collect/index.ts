import { arch, cpus, platform, totalmem } from 'node:os';
import { hopBreakdown, timeline } from '../checks/breakdown.js';
import { loadScenario, type Scenario, type SuiteOf } from '../config/index.js';
import { WacrmError } from '../errors.js';
import { plannedK6Flows } from '../export/index.js';
import type { FlowTrace } from '../flows/types.js';
import { offsetOfArrival } from '../load/schedule.js';
import { rampStages } from '../load/step-ramp.js';
import type { DistributedRun, RunResult } from '../result/run-result.js';
import {
  type CollectedEntry,
  type FetchLike,
  identifyMock,
  type JournalStats,
  journalPages,
  type MockSource,
  newStats,
} from './journal-client.js';
import { judgeCapacityFlows, stepPlanOf } from './judge.js';
import { type K6Figures, readK6Summary, sumK6Figures } from './k6-summary.js';
import { estimateOrigin, K6FlowIndex, Reconstruction } from './reconstruct.js';

export { baseUrl, type CollectedEntry, type FetchLike, JOURNAL_PAGE_SIZE } from './journal-client.js';
export { type CapacityJudgement, judgeCapacityFlows, stepPlanOf } from './judge.js';
export { type K6Figures, parseK6Summary, readK6Summary, sumK6Figures } from './k6-summary.js';
export { estimateOrigin, type K6Flow, K6FlowIndex, Reconstruction } from './reconstruct.js';

/** What {@link collectRun} needs. */
export interface CollectOptions {
  whatsappUrl: string;
  crmUrl: string;
  /** The scenario the k6 script was exported from (its capacity suite, plan and seed). */
  scenarioFile: string;
  /** k6 summaries: one file, or one per k6-operator runner (their counts add up). */
  k6SummaryFiles?: readonly string[];
  wacrmVersion: string;
  nodeVersion: string;
  runId: string;
  fetch?: FetchLike;
  pageSize?: number;
}

/** A collected run: the RunResult to grade and report, with the scenario's acceptance table. */
export interface CollectedRun {
  result: RunResult;
  scenario: Scenario;
  acceptance: Awaited<ReturnType<typeof loadScenario>>['acceptance'];
  acceptanceFile: string;
  acceptanceBuiltIn: boolean;
  /** The reconstructed flows (what the judges saw). */
  flows: FlowTrace[];
}

/** Why each other kind of suite is not measured from a k6 run's journals. */
const NOT_COLLECTED: Record<string, string> = {
  'template-delivery':
    'the exported script plays only the capacity suite’s load; this suite’s sends never ran',
  'conversation-sync':
    'the exported script plays only the capacity suite’s load; this suite’s conversations never ran',
  'fault-recovery':
    'no fault timeline: k6 injects no faults, and collect cannot tell when one was set on a mock',
  soak: 'the exported script plays only the capacity suite (export the soak separately; collect grades capacity only)',
  'consistency-audit':
    'the audit reads the CRM store against the harness’s own WhatsApp ledger, which a k6 run has none of',
  conformance: 'conformance cases are requests the harness itself makes to the connector; k6 makes none',
};

/** Merges two journals' entry streams into one, in wall-clock order (ties: WhatsApp first). */
async function* mergeByEpoch(
  a: AsyncGenerator<CollectedEntry[]>,
  b: AsyncGenerator<CollectedEntry[]>,
): AsyncGenerator<CollectedEntry> {
  const cursor = async (g: AsyncGenerator<CollectedEntry[]>) => {
    const next = await g.next();
    return next.done ? null : { page: next.value, i: 0 };
  };
  let ca = await cursor(a);
  let cb = await cursor(b);
  while (ca || cb) {
    const ea = ca ? ca.page[ca.i] : undefined;
    const eb = cb ? cb.page[cb.i] : undefined;
    const takeA = ea !== undefined && (eb === undefined || ea.epochMs <= eb.epochMs);
    if (takeA && ca && ea) {
      yield ea;
      if (++ca.i >= ca.page.length) ca = await cursor(a);
    } else if (cb && eb) {
      yield eb;
      if (++cb.i >= cb.page.length) cb = await cursor(b);
    } else break;
  }
}

function capacitySuiteOf(scenario: Scenario, file: string): SuiteOf<'capacity'> {
  if (scenario.mocks.crm.dialect !== 'native') {
    throw new WacrmError(
      'WACRM_COLLECT_UNSUPPORTED',
      `${file} uses the ${scenario.mocks.crm.dialect} CRM dialect, which \`wacrm export k6\` does not export`,
    );
  }
  const suite = scenario.suites.find((s) => s.kind === 'capacity');
  if (!suite) {
    throw new WacrmError(
      'WACRM_COLLECT_UNSUPPORTED',
      `${file} has no capacity suite: collect grades the step ramp a k6 script exported from it played`,
      'give the scenario the k6 script was exported from with --scenario (e.g. scenarios/step-ramp.yaml)',
    );
  }
  return suite as SuiteOf<'capacity'>;
}

/** The smallest recorded delay from k6's intended time to a hop one mock stamped (its clock's lead bound). */
function minDelay(flows: readonly FlowTrace[], hopNames: readonly string[]): number | null {
  let min: number | null = null;
  for (const f of flows) {
    for (const h of f.hops) {
      if (!hopNames.includes(h.name)) continue;
      const d = h.atMs - f.intendedAtMs;
      if (min === null || d < min) min = d;
    }
  }
  return min;
}

/**
 * `wacrm collect`: grades a load run k6 generated (a script from `wacrm export k6`) from the two
 * mocks' journals, with the judges `wacrm run` uses. Two streamed passes over each journal: the
 * first finds the flows k6 started (their ids carry the flow number and intended time), the second
 * feeds every entry, in wall-clock order, to the harness's tracer with those flows registered.
 */
export async function collectRun(opts: CollectOptions): Promise<CollectedRun> {
  const fetchImpl: FetchLike = opts.fetch ?? ((url, init) => fetch(url, init));
  const loaded = await loadScenario(opts.scenarioFile);
  const scenario = loaded.scenario;
  const suite = capacitySuiteOf(scenario, opts.scenarioFile);
  const files = opts.k6SummaryFiles ?? [];
  const k6: K6Figures | undefined =
    files.length === 0 ? undefined : sumK6Figures(await Promise.all(files.map((f) => readK6Summary(f))));
  const urls: Record<MockSource, string> = { whatsapp: opts.whatsappUrl, crm: opts.crmUrl };
  await identifyMock(fetchImpl, 'whatsapp', urls.whatsapp);
  await identifyMock(fetchImpl, 'crm', urls.crm);
  const pageOpts = opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {};

  // Pass 1: which flows k6 started, and where each journal ends now (pass 2 stops there).
  const index = new K6FlowIndex();
  const stats: Record<MockSource, JournalStats> = {
    whatsapp: newStats('whatsapp', urls.whatsapp),
    crm: newStats('crm', urls.crm),
  };
  let lastEpochMs = Number.NEGATIVE_INFINITY;
  let firstEpochMs = Number.POSITIVE_INFINITY;
  for (const source of ['whatsapp', 'crm'] as const) {
    for await (const page of journalPages(fetchImpl, source, urls[source], stats[source], pageOpts)) {
      for (const e of page) {
        index.observe(e);
        if (e.epochMs > lastEpochMs) lastEpochMs = e.epochMs;
        if (e.epochMs < firstEpochMs) firstEpochMs = e.epochMs;
      }
    }
  }
  const found = index.flows();
  const noEntries = stats.whatsapp.entries + stats.crm.entries === 0;
  if (noEntries || (found.length === 0 && !(k6 && k6.iterations > 0))) {
    throw new WacrmError(
      'WACRM_COLLECT_EMPTY',
      `neither journal names a flow of a k6 run (${stats.whatsapp.entries} WhatsApp and ${stats.crm.entries} CRM entries read)`,
      'run the exported script against these mocks first (docs/distributed.md); a restarted or reset mock has forgotten its journal',
    );
  }

  const stages = rampStages(stepPlanOf(suite));
  // k6's iteration n is due where the curve's area reaches n (iteration 0 at the start).
  const offsetOf = (seq: number) => (seq === 0 ? 0 : offsetOfArrival(stages, seq));
  const origin = estimateOrigin(found, offsetOf);
  // No flow with a scheduled offset (all of them lost, say): the earliest flow, else the journals' first entry.
  const earliest =
    found.length > 0
      ? found.reduce((m, f) => Math.min(m, f.intendedEpochMs), Number.POSITIVE_INFINITY)
      : undefined;
  const originEpochMs = origin?.originEpochMs ?? earliest ?? firstEpochMs;

  // Pass 2: every entry up to where pass 1 ended, both journals merged by wall clock, into the tracer.
  const pools = await plannedK6Flows(scenario, 'capacity');
  const rec = new Reconstruction(found, {
    suite: suite.kind,
    pools,
    outboundShare: suite.mix.outbound,
    originEpochMs,
    offsetOf,
    ...(k6 ? { iterations: k6.iterations } : {}),
  });
  const second = (source: MockSource) =>
    journalPages(fetchImpl, source, urls[source], newStats(source, urls[source]), {
      ...pageOpts,
      ...(stats[source].lastSeq !== null ? { untilSeq: stats[source].lastSeq } : { untilSeq: 0 }),
    });
  for await (const e of mergeByEpoch(second('whatsapp'), second('crm'))) rec.ingest(e);
  const { flows, wrongDirection, wrongText, unseen } = rec.finish();

  // The judges: each step's window after its warm-up, as `wacrm run` judges it, at the journals' end.
  const invalidReasons: string[] = [];
  if (k6 && k6.droppedIterations > 0) {
    invalidReasons.push(
      `k6 dropped ${k6.droppedIterations} iterations (no VU free when they were due): the generator, not the connector, set the pace`,
    );
  }
  for (const s of Object.values(stats)) {
    const lost = s.droppedByMock + Math.max(0, (s.firstSeq ?? 1) - 1);
    if (lost > 0) {
      invalidReasons.push(
        `the ${s.source} mock's journal had overwritten ${lost} entries before collect read them: some flows' hops are missing (raise journalCapacity or collect sooner)`,
      );
    }
  }
  const mismatched = wrongDirection + wrongText;
  if (found.length > 0 && mismatched > 0.05 * found.length) {
    invalidReasons.push(
      `${mismatched} of ${found.length} flows do not match ${opts.scenarioFile}'s plan (${wrongDirection} in the wrong direction, ${wrongText} with another text): the k6 script was exported from another scenario or seed`,
    );
  }
  const atMs = lastEpochMs - originEpochMs;
  const judged = judgeCapacityFlows(flows, suite, { atMs, harnessValid: invalidReasons.length === 0 });
  const { capacity, peak } = judged;
  const capacityNotes: string[] = [
    'graded from the mocks’ journals (wacrm collect): k6 played every step; as in wacrm run, the ramp ends at the first failing step and later steps are not judged',
  ];
  if (!peak) capacityNotes.push('the run is invalid: no capacity is reported');

  const notMeasured: DistributedRun['notMeasured'] = [
    {
      item: 'connector CPU and memory (connector_cpu_peak_pct, connector_memory_peak_pct)',
      reason: 'collect does not sample the connector’s process',
    },
    {
      item: 'harness CPU and loop delay',
      reason: 'the load generator was k6; its own cost is in k6’s output, not in the journals',
    },
    {
      item: 'connector health (webhook answers by status code)',
      reason:
        'k6 posts the webhooks; the mocks never see the connector’s answers (k6’s http_req_failed counts them)',
    },
  ];
  if (suite.refine) {
    notMeasured.push({
      item: 'refinement (refine: true)',
      reason: 'k6 plays the planned steps only; it cannot bisect',
    });
  }
  const suites: RunResult['suites'] = [];
  for (const s of scenario.suites) {
    if (s.kind === 'capacity') {
      suites.push({
        kind: s.kind,
        title: 'Capacity (step ramp, k6)',
        startedAtMs: 0,
        endedAtMs: Math.max(0, atMs),
        flows: judged.flows,
        notes: capacityNotes,
      });
      continue;
    }
    const reason = NOT_COLLECTED[s.kind] ?? 'collect grades only the capacity suite k6 played';
    notMeasured.push({ item: `suite ${s.kind}`, reason });
    suites.push({
      kind: s.kind,
      title: `${s.kind} (not measured)`,
      startedAtMs: 0,
      endedAtMs: 0,
      flows: { sent: 0, completed: 0, failed: 0, lost: 0, dropped: 0, late: 0 },
      notes: [`not measured by wacrm collect: ${reason}`],
    });
  }

  const whatsappLead = minDelay(flows, ['wa.message.accepted', 'wa.message.rejected']);
  const crmLead = minDelay(flows, ['crm.message.recorded', 'crm.errorlog']);
  const distributed: DistributedRun = {
    generator: 'k6',
    journals: (['whatsapp', 'crm'] as const).map((s) => ({
      source: s,
      url: urls[s],
      entries: stats[s].entries,
      droppedByMock: stats[s].droppedByMock,
    })),
    flowsFound: found.length,
    flowsUnseen: unseen,
    clock: {
      method:
        "wall clocks, not corrected: each hop at its mock's journal epochMs, each flow's intended time k6's Date.now() carried in its id; the timeline's 0 (k6's start, which no id carries) is the median of intended time minus the schedule's offset of the flow's iteration",
      originEpochMs,
      originP95ResidualMs: origin?.p95ResidualMs ?? 0,
      originMaxResidualMs: origin?.maxResidualMs ?? 0,
      whatsappLeadAtMostMs: whatsappLead,
      crmLeadAtMostMs: crmLead,
    },
    ...(k6 ? { k6: { ...k6 } } : {}),
    notMeasured,
  };
  const finishedAt = new Date();
  const result: RunResult = {
    schemaVersion: 1,
    runId: opts.runId,
    scenario: {
      name: scenario.name,
      file: loaded.file,
      ...(scenario.description ? { description: scenario.description } : {}),
    },
    startedAt: new Date(originEpochMs).toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: Math.max(0, Math.round(atMs)),
    seed: scenario.seed,
    environment: {
      wacrmVersion: opts.wacrmVersion,
      node: opts.nodeVersion,
      platform: platform(),
      arch: arch(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      connector: { kind: 'external', faults: [] },
    },
    valid: invalidReasons.length === 0,
    invalidReasons,
    metrics: peak ? { peak_capacity_msg_per_min: peak } : {},
    checks: [],
    suites,
    hops: hopBreakdown(flows),
    timeline: timeline(flows, 0, 5_000),
    capacity,
    distributed,
  };
  return {
    result,
    scenario,
    acceptance: loaded.acceptance,
    acceptanceFile: loaded.acceptanceFile,
    acceptanceBuiltIn: loaded.acceptanceBuiltIn,
    flows,
  };
}
