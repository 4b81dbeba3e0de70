import { z } from 'zod';
import type { ConnectorHealth } from '../checks/connector-health.js';
import {
  type AcceptanceTable,
  acceptanceTableSchema,
  METRIC_KEYS,
  type MetricKey,
} from '../config/acceptance.js';
import type { CostFigures } from '../metrics/cost.js';

/**
 * RunResult: everything a finished (or abandoned) run measured, as the orchestrator hands it to
 * grading and reports and writes it to `RUN_DIR/result.json`. Raw measurements only: bands,
 * verdicts and thresholds are added by grading, so a run can be re-graded against another table.
 * All `…Ms` times inside a run are milliseconds from the run's start on the harness clock; soak
 * windows are in virtual time from the soak's start. Documented in docs/reports.md.
 */

/** Version of the RunResult format (result.json). */
export const RUN_RESULT_SCHEMA_VERSION = 1;

/** A measured value with the evidence that backs it (a sentence a human can check). */
export interface Measured {
  value: number;
  evidence: string;
  /**
   * The true value is at least `value` and was never reached in the run (e.g. a backlog that never
   * drained: recovery is unbounded). Such a value can only prove a failure, never a pass.
   */
  atLeast?: boolean;
}

/** Counts of the flows of one suite. */
export interface FlowCounts {
  sent: number;
  completed: number;
  failed: number;
  lost: number;
  dropped: number;
  late: number;
}

/** One step of the capacity ramp. */
export interface CapacityStep {
  ratePerMin: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errorRate: number;
  sent: number;
  completed: number;
  dropped: number;
  connectorCpuPct?: number;
  connectorMemPct?: number;
  /** The harness's cost in the step (see {@link CostFigures}): where a saturation came from. */
  harnessCpuPct?: number;
  harnessCpuUsPerFlow?: number;
  loopDelayP99Ms?: number;
  connectorCpuUsPerFlow?: number;
  passed: boolean;
  /**
   * The harness broke its health bounds in this window. Lag only ever counts against the connector
   * (latency runs from intended starts), so a pass stands; a failure in such a window is void
   * (`brokenCriteria` then names `harness_invalid`).
   */
  harnessLagged?: boolean;
  brokenCriteria: string[];
}

/** The step ramp's outcome. */
export interface CapacityResult {
  peakCapacityPerMin: number | null;
  firstFailingPerMin: number | null;
  brokenCriterion: string | null;
  stoppedBecause: string;
  harnessValid: boolean;
  /** The step criteria the ramp was judged by (drawn as reference lines in the report). */
  criteria?: { p95LatencyMs: number; errorRate: number };
  /** The last passing coarse step (the peak before any refinement); absent in older results. */
  stepPeakPerMin?: number | null;
  steps: CapacityStep[];
  /**
   * `refine: true`: the probes that bisected between the last passing and the first failing step,
   * in the order they ran, until the interval was within `resolutionPerMin`; the peak above is then
   * the refined one (`lowPerMin`).
   */
  refinement?: { resolutionPerMin: number; lowPerMin: number; highPerMin: number; probes: CapacityStep[] };
}

/** One reporting window of a soak (virtual time). */
export interface SoakWindow {
  startMs: number;
  endMs: number;
  sent: number;
  completed: number;
  errorRate: number;
  p95Ms: number | null;
  connectorRssBytes?: number;
  isPeak: boolean;
}

/** The soak's outcome. */
export interface SoakResult {
  timeScale: number;
  virtualDurationMs: number;
  windows: SoakWindow[];
  p95DriftMs: number | null;
  memoryGrowthBytes: number | null;
  rules: Array<{ rule: string; passed: boolean; evidence: string }>;
  /**
   * Stretches of the virtual axis the harness did not watch live: the soak was resumed
   * (`wacrm resume`) after the harness died there. Absent when the soak ran in one go.
   */
  gaps?: Array<{ startMs: number; endMs: number; reason: string }>;
}

/**
 * What an external connector was given and how the mocks answered it: the wiring (never a secret:
 * only whether the credentials were the documented defaults), its calls the mocks refused by
 * `HTTP status + error code`, and the CRM rate limit the mock enforced.
 */
export interface ExternalWiring {
  whatsappBaseUrl: string;
  crmBaseUrl: string;
  whatsappWebhookPath: string;
  crmWebhookPath: string;
  credentials: 'documented defaults' | 'custom';
  refusedCalls: { whatsapp: Record<string, number>; crm: Record<string, number> };
  crmPlan: string;
  crmRateLimitPerMin: number;
}

/** One injected fault and how the connector came back from it. */
export interface FaultOutcome {
  target: 'whatsapp' | 'crm';
  spec: string;
  startMs: number;
  endMs: number;
  recoveryMs: number | null;
  lost: number;
  retryTiming?: string;
}

/** One conformance case. */
export interface ConformanceCase {
  id: string;
  title: string;
  passed: boolean;
  evidence: string;
  rule: string;
  source: string;
  /** The case never ran (the connector was gone before it); `evidence` says since which case. */
  notRun?: boolean;
}

/** The figures wacrm reads from k6's end-of-test summary. */
export interface K6Figures {
  file: string;
  /** Iterations k6 started (each one flow). */
  iterations: number;
  /** Iterations the executor could not start on time for want of a VU (open model: counted, not delayed). */
  droppedIterations: number;
  /** Share of k6's requests that failed (`http_req_failed`), and their count; absent when k6 made none. */
  httpReqFailedRate?: number;
  httpReqFailedCount?: number;
  httpReqs?: number;
}

/**
 * A run whose load another generator made (k6, `wacrm collect`): which journals the flows were
 * rebuilt from, how the clocks were lined up, what k6 itself counted, and what was not measured.
 */
export interface DistributedRun {
  generator: 'k6';
  journals: Array<{ source: 'whatsapp' | 'crm'; url: string; entries: number; droppedByMock: number }>;
  /** Flows named by the journals' ids, and flows k6 ran that no journal mentions (counted lost). */
  flowsFound: number;
  flowsUnseen: number;
  clock: {
    /** How times were put on one timeline, in a sentence. */
    method: string;
    /** The test's start on k6's wall clock (the timeline's 0). */
    originEpochMs: number;
    /** How far the flows' intended times sit from the schedule after alignment (95th percentile, max), ms. */
    originP95ResidualMs: number;
    originMaxResidualMs: number;
    /** Upper bound of each mock's clock lead over k6's: the smallest delay it recorded (null: no flow). */
    whatsappLeadAtMostMs: number | null;
    crmLeadAtMostMs: number | null;
  };
  /** Figures k6 measured itself (`--k6-summary`). */
  k6?: K6Figures;
  /** What this run could not measure from journals, and why. */
  notMeasured: Array<{ item: string; reason: string }>;
}

/** What a run measured; the input of grading and of every report. */
export interface RunResult {
  schemaVersion: 1;
  runId: string;
  scenario: { name: string; file: string; description?: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  seed: number;
  environment: {
    wacrmVersion: string;
    node: string;
    platform: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    memoryBytes: number;
    /** Event loops the harness ran on (`--workers`): 1 = one thread; absent in older results. */
    workers?: number;
    connector: { kind: 'reference' | 'external'; url?: string; faults: string[]; external?: ExternalWiring };
  };
  /** False when the harness saturated or the connector was unreachable: the verdict is then `invalid` (exit 3). */
  valid: boolean;
  invalidReasons: string[];
  /** Measured metric values only; a metric that was not measured is absent. */
  metrics: Partial<Record<MetricKey, Measured>>;
  /** Measured suite checks; thresholds come from the acceptance table. */
  checks: Array<{ key: string; suite: string; value: number; evidence: string; atLeast?: boolean }>;
  suites: Array<{
    kind: string;
    title: string;
    startedAtMs: number;
    endedAtMs: number;
    flows: FlowCounts;
    notes: string[];
    /** What the suite cost the harness and the connector (absent for a suite an earlier process ran). */
    cost?: CostFigures;
  }>;
  /** Per-hop latency breakdown (e.g. `crm.event→connector`, `connector→graph.send`). */
  hops: Array<{ name: string; count: number; p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number }>;
  /** Throughput and latency over the run, one point per interval. */
  timeline: Array<{
    tMs: number;
    sentPerMin: number;
    completedPerMin: number;
    errors: number;
    p95Ms: number | null;
  }>;
  capacity?: CapacityResult;
  soak?: SoakResult;
  /** The connector's answers to our webhooks and what they say (absent in results of older versions). */
  connectorHealth?: ConnectorHealth;
  /** The user interrupted the run (SIGINT/SIGTERM) at `at` (ISO time): the result covers what ran. */
  interrupted?: { at: string; signal: string };
  faults?: FaultOutcome[];
  conformance?: ConformanceCase[];
  /** The acceptance table the run was graded with (so `wacrm report` re-grades the same way). */
  acceptance?: AcceptanceTable;
  /** Where that table came from: its file, and whether it is the built-in one (the scenario named none). */
  acceptanceSource?: AcceptanceSource;
  /** The load came from another generator (k6) and the flows from the mocks' journals (`wacrm collect`). */
  distributed?: DistributedRun;
}

/** The file an acceptance table was read from; `builtIn` when it is the one shipped with wacrm. */
export interface AcceptanceSource {
  file: string;
  builtIn: boolean;
}

// ---------------------------------------------------------------------------------------------
// The same shape as a schema, for reading result.json written by another process or version.

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const count = z.number().int().min(0);
const ms = z.number().min(0);

const capacityStepShape = z.object({
  ratePerMin: ms,
  p50Ms: ms,
  p95Ms: ms,
  p99Ms: ms,
  errorRate: z.number().min(0).max(1),
  sent: count,
  completed: count,
  dropped: count,
  connectorCpuPct: ms.optional(),
  connectorMemPct: ms.optional(),
  harnessCpuPct: ms.optional(),
  harnessCpuUsPerFlow: ms.optional(),
  loopDelayP99Ms: ms.optional(),
  connectorCpuUsPerFlow: ms.optional(),
  passed: z.boolean(),
  harnessLagged: z.boolean().optional(),
  brokenCriteria: z.array(z.string()),
});

const metricsShape = Object.fromEntries(
  METRIC_KEYS.map((k) => [
    k,
    z.object({ value: z.number(), evidence: z.string(), atLeast: z.boolean().optional() }).optional(),
  ]),
) as Record<
  MetricKey,
  z.ZodOptional<
    z.ZodObject<{ value: z.ZodNumber; evidence: z.ZodString; atLeast: z.ZodOptional<z.ZodBoolean> }>
  >
>;

/** Schema of result.json (unknown fields are dropped, so newer writers stay readable). */
export const runResultSchema = z.object({
  schemaVersion: z.literal(RUN_RESULT_SCHEMA_VERSION),
  runId: z.string().min(1),
  scenario: z.object({ name: z.string(), file: z.string(), description: z.string().optional() }),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: ms,
  seed: z.number(),
  environment: z.object({
    wacrmVersion: z.string(),
    node: z.string(),
    platform: z.string(),
    arch: z.string(),
    cpus: count,
    cpuModel: z.string(),
    memoryBytes: ms,
    workers: count.optional(),
    connector: z.object({
      kind: z.enum(['reference', 'external']),
      url: z.string().optional(),
      faults: z.array(z.string()),
      external: z
        .object({
          whatsappBaseUrl: z.string(),
          crmBaseUrl: z.string(),
          whatsappWebhookPath: z.string(),
          crmWebhookPath: z.string(),
          credentials: z.enum(['documented defaults', 'custom']),
          refusedCalls: z.object({
            whatsapp: z.record(z.string(), z.number()),
            crm: z.record(z.string(), z.number()),
          }),
          crmPlan: z.string(),
          crmRateLimitPerMin: z.number(),
        })
        .optional(),
    }),
  }),
  valid: z.boolean(),
  invalidReasons: z.array(z.string()),
  metrics: z.strictObject(metricsShape),
  checks: z.array(
    z.object({
      key: z.string().min(1),
      suite: z.string(),
      value: z.number(),
      evidence: z.string(),
      atLeast: z.boolean().optional(),
    }),
  ),
  suites: z.array(
    z.object({
      kind: z.string(),
      title: z.string(),
      startedAtMs: ms,
      endedAtMs: ms,
      flows: z.object({
        sent: count,
        completed: count,
        failed: count,
        lost: count,
        dropped: count,
        late: count,
      }),
      notes: z.array(z.string()),
      cost: z
        .object({
          harnessCpuPct: ms.optional(),
          harnessCpuUsPerFlow: ms.optional(),
          loopDelayP99Ms: ms.optional(),
          connectorCpuPct: ms.optional(),
          connectorCpuUsPerFlow: ms.optional(),
        })
        .optional(),
    }),
  ),
  hops: z.array(z.object({ name: z.string(), count, p50Ms: ms, p95Ms: ms, p99Ms: ms, maxMs: ms })),
  timeline: z.array(
    z.object({
      tMs: ms,
      sentPerMin: ms,
      completedPerMin: ms,
      errors: ms,
      p95Ms: ms.nullable(),
    }),
  ),
  capacity: z
    .object({
      peakCapacityPerMin: ms.nullable(),
      firstFailingPerMin: ms.nullable(),
      brokenCriterion: z.string().nullable(),
      stoppedBecause: z.string(),
      harnessValid: z.boolean(),
      criteria: z.object({ p95LatencyMs: ms, errorRate: z.number().min(0).max(1) }).optional(),
      stepPeakPerMin: ms.nullable().optional(),
      steps: z.array(capacityStepShape),
      refinement: z
        .object({
          resolutionPerMin: ms,
          lowPerMin: ms,
          highPerMin: ms,
          probes: z.array(capacityStepShape),
        })
        .optional(),
    })
    .optional(),
  soak: z
    .object({
      timeScale: z.number().min(1),
      virtualDurationMs: ms,
      windows: z.array(
        z.object({
          startMs: ms,
          endMs: ms,
          sent: count,
          completed: count,
          errorRate: z.number().min(0).max(1),
          p95Ms: ms.nullable(),
          connectorRssBytes: ms.optional(),
          isPeak: z.boolean(),
        }),
      ),
      p95DriftMs: finite.nullable(),
      memoryGrowthBytes: finite.nullable(),
      rules: z.array(z.object({ rule: z.string(), passed: z.boolean(), evidence: z.string() })),
      gaps: z.array(z.object({ startMs: ms, endMs: ms, reason: z.string() })).optional(),
    })
    .optional(),
  interrupted: z.object({ at: z.string(), signal: z.string() }).optional(),
  connectorHealth: z
    .object({
      handshake: z.object({
        ok: z.boolean(),
        statusCode: z.number().optional(),
        error: z.string().optional(),
      }),
      answers: z.array(
        z.object({
          suite: z.string(),
          stage: z.string().optional(),
          byCode: z.record(z.string(), count),
          attempts: count,
          accepted: count,
          refused: count,
          unanswered: count,
        }),
      ),
      refusedShare: z.number().min(0).max(1),
      unanswered: count,
      stoppedAnsweringAtMs: z.number().optional(),
      exited: z.object({ atMs: z.number(), reason: z.string() }).optional(),
      diagnoses: z.array(z.string()),
    })
    .optional(),
  faults: z
    .array(
      z.object({
        target: z.enum(['whatsapp', 'crm']),
        spec: z.string(),
        startMs: ms,
        endMs: ms,
        recoveryMs: ms.nullable(),
        lost: count,
        retryTiming: z.string().optional(),
      }),
    )
    .optional(),
  conformance: z
    .array(
      z.object({
        id: z.string(),
        title: z.string(),
        passed: z.boolean(),
        evidence: z.string(),
        rule: z.string(),
        source: z.string(),
        notRun: z.boolean().optional(),
      }),
    )
    .optional(),
  acceptance: acceptanceTableSchema.optional(),
  acceptanceSource: z.object({ file: z.string(), builtIn: z.boolean() }).optional(),
  distributed: z
    .object({
      generator: z.literal('k6'),
      journals: z.array(
        z.object({
          source: z.enum(['whatsapp', 'crm']),
          url: z.string(),
          entries: count,
          droppedByMock: count,
        }),
      ),
      flowsFound: count,
      flowsUnseen: count,
      clock: z.object({
        method: z.string(),
        originEpochMs: z.number(),
        originP95ResidualMs: ms,
        originMaxResidualMs: ms,
        whatsappLeadAtMostMs: z.number().nullable(),
        crmLeadAtMostMs: z.number().nullable(),
      }),
      k6: z
        .object({
          file: z.string(),
          iterations: count,
          droppedIterations: count,
          httpReqFailedRate: z.number().min(0).max(1).optional(),
          httpReqFailedCount: count.optional(),
          httpReqs: count.optional(),
        })
        .optional(),
      notMeasured: z.array(z.object({ item: z.string(), reason: z.string() })),
    })
    .optional(),
});

// Compile-time proof that what the schema reads is a RunResult (fails to compile if they drift apart).
type SchemaFitsInterface = z.output<typeof runResultSchema> extends RunResult ? true : never;
const schemaFits: SchemaFitsInterface = true;
void schemaFits;
