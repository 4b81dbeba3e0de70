import { z } from 'zod';
import type { ConnectorHealth } from '../checks/connector-health.js';
import { METRIC_KEYS, type MetricKey } from '../config/acceptance.js';
import type { Band } from '../grading/bands.js';
import { formatValue } from '../grading/format.js';
import { type CheckGrade, type Failure, type GradeSheet, verdictLine } from '../grading/grade.js';
import type {
  CapacityResult,
  DistributedRun,
  FaultOutcome,
  RunResult,
  SoakResult,
} from '../result/run-result.js';
import { redactUrl } from './escape.js';

/**
 * summary.json: the machine-readable outcome of a run (verdict, every metric with value, unit,
 * band and thresholds, checks, conformance, capacity with its steps, soak windows, faults,
 * environment). Versioned: a field is only ever added within a version; a rename or removal bumps
 * `schemaVersion`. The format is documented in docs/reports.md; `wacrm compare` reads it back.
 */

/** Version of the summary.json format. */
export const SUMMARY_SCHEMA_VERSION = 1;

/** A metric as summary.json states it. */
export interface SummaryMetric {
  title: string;
  suite: string;
  value: number | null;
  unit: string;
  band: Band;
  direction: 'higher' | 'lower';
  thresholds: { qualified: number; average: number; best: number };
  evidence: string;
  /** Present when the value is a lower bound never reached (a latency censored at its deadline). */
  atLeast?: true;
  /** How the value reads for a person when it is a lower bound, e.g. `> 60 s`. */
  shown?: string;
}

/** summary.json, schema version 1. */
export interface Summary {
  schemaVersion: typeof SUMMARY_SCHEMA_VERSION;
  generator: { name: 'wacrm'; version: string };
  runId: string;
  scenario: { name: string; file: string; description?: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  seed: number;
  verdict: GradeSheet['verdict'];
  exitCode: GradeSheet['exitCode'];
  verdictLine: string;
  valid: boolean;
  invalidReasons: string[];
  metrics: Record<MetricKey, SummaryMetric>;
  checks: CheckGrade[];
  conformance: GradeSheet['conformance'];
  soakRules: GradeSheet['soakRules'];
  failures: Failure[];
  warnings: string[];
  counts: GradeSheet['counts'];
  suites: RunResult['suites'];
  /**
   * The capacity result, with both peaks by name: `stepPeakPerMin` (last passing coarse step) and
   * `refinedPeakPerMin` (highest passing refinement probe or bracket floor; null without `refine`).
   */
  capacity: SummaryCapacity | null;
  soak: SoakResult | null;
  /** The connector's answers to our webhooks by suite and status code, and the diagnoses (null in older runs). */
  connectorHealth: ConnectorHealth | null;
  /** When and by which signal the run was interrupted (null for a run that finished). */
  interrupted: { at: string; signal: string } | null;
  faults: FaultOutcome[];
  hops: RunResult['hops'];
  environment: RunResult['environment'];
  /** Present when the load came from k6 and `wacrm collect` rebuilt the flows from the mocks' journals. */
  distributed?: DistributedRun;
}

/** summary.json's capacity: the run result's, both peaks named. */
export type SummaryCapacity = CapacityResult & {
  stepPeakPerMin: number | null;
  refinedPeakPerMin: number | null;
};

/** The capacity result with the step peak and the refined peak side by side. */
export function summaryCapacity(c: CapacityResult): SummaryCapacity {
  // Results from before refinement carried only one peak: the coarse step's.
  const stepPeakPerMin = c.stepPeakPerMin === undefined ? c.peakCapacityPerMin : c.stepPeakPerMin;
  return { ...c, stepPeakPerMin, refinedPeakPerMin: c.refinement ? c.peakCapacityPerMin : null };
}

/** Builds summary.json's content from a run and its grade sheet (secrets in URLs redacted). */
export function buildSummary(result: RunResult, sheet: GradeSheet): Summary {
  const metrics = Object.fromEntries(
    sheet.rows.map((r) => [
      r.key,
      {
        title: r.title,
        suite: r.suite,
        value: r.value,
        unit: r.unit,
        band: r.band,
        direction: r.direction,
        thresholds: r.thresholds,
        evidence: r.evidence,
        ...(r.atLeast ? { atLeast: true, shown: `> ${formatValue(r.value, r.unit)}` } : {}),
      },
    ]),
  ) as Record<MetricKey, SummaryMetric>;
  const connector = result.environment.connector;
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    generator: { name: 'wacrm', version: result.environment.wacrmVersion },
    runId: result.runId,
    scenario: result.scenario,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    durationMs: result.durationMs,
    seed: result.seed,
    verdict: sheet.verdict,
    exitCode: sheet.exitCode,
    verdictLine: verdictLine(sheet),
    valid: sheet.verdict !== 'invalid',
    invalidReasons: sheet.invalidReasons,
    metrics,
    checks: sheet.checks,
    conformance: sheet.conformance,
    soakRules: sheet.soakRules,
    failures: sheet.failures,
    warnings: sheet.warnings,
    counts: sheet.counts,
    suites: result.suites,
    capacity: result.capacity ? summaryCapacity(result.capacity) : null,
    soak: result.soak ?? null,
    connectorHealth: result.connectorHealth ?? null,
    interrupted: result.interrupted ?? null,
    faults: result.faults ?? [],
    hops: result.hops,
    environment: {
      ...result.environment,
      connector: connector.url === undefined ? connector : { ...connector, url: redactUrl(connector.url) },
    },
    ...(result.distributed
      ? {
          distributed: {
            ...result.distributed,
            journals: result.distributed.journals.map((j) => ({ ...j, url: redactUrl(j.url) })),
          },
        }
      : {}),
  };
}

/** summary.json as text (two-space indented, trailing newline). */
export function renderSummaryJson(result: RunResult, sheet: GradeSheet): string {
  return `${JSON.stringify(buildSummary(result, sheet), null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Reading it back (wacrm compare): only the parts compare needs are checked strictly.

const bandSchema = z.enum(['fail', 'qualified', 'average', 'best', 'not_measured']);
const summaryMetricSchema = z.object({
  title: z.string(),
  value: z.number().nullable(),
  unit: z.string(),
  band: bandSchema,
  direction: z.enum(['higher', 'lower']),
});

/** The part of summary.json that `wacrm compare` relies on. */
export const summaryForCompareSchema = z.object({
  schemaVersion: z.literal(SUMMARY_SCHEMA_VERSION),
  runId: z.string(),
  scenario: z.object({ name: z.string() }),
  verdict: z.enum(['pass', 'fail', 'invalid']),
  metrics: z.object(
    Object.fromEntries(METRIC_KEYS.map((k) => [k, summaryMetricSchema])) as Record<
      MetricKey,
      typeof summaryMetricSchema
    >,
  ),
  checks: z.array(
    z.object({
      key: z.string(),
      title: z.string(),
      suite: z.string().nullable(),
      value: z.number().nullable(),
      unit: z.string(),
      passed: z.boolean().nullable(),
    }),
  ),
  conformance: z.array(z.object({ id: z.string(), title: z.string(), passed: z.boolean() })),
});

/** summary.json as read by compare. */
export type SummaryForCompare = z.output<typeof summaryForCompareSchema>;
