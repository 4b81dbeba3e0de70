import { z } from 'zod';

/**
 * The acceptance table: the graded metrics with their three thresholds (qualified, average actual,
 * industry best) and the suites' pass/fail checks. It is data (`scenarios/acceptance.yaml`), editable
 * per team; this schema is what makes an edited table safe to grade against.
 */

/** The graded metric keys, in the order of the seed's acceptance table; used verbatim in JSON, JUnit and HTML. */
export const METRIC_KEYS = [
  'template_delivery_rate',
  'sync_latency_p95_s',
  'record_completeness',
  'peak_capacity_msg_per_min',
  'error_recovery_s',
] as const;

/** One of {@link METRIC_KEYS}. */
export type MetricKey = (typeof METRIC_KEYS)[number];

/** Which way is better for a metric or check. */
export type Direction = 'higher' | 'lower';

/**
 * The suite kinds that measure each metric, the main one first (a metric none of whose suites ran
 * is `not_measured`). Completeness and sync latency pool both functional suites, so both directions count.
 */
export const METRIC_SUITES: Record<MetricKey, readonly string[]> = {
  template_delivery_rate: ['template-delivery'],
  sync_latency_p95_s: ['conversation-sync', 'template-delivery'],
  record_completeness: ['conversation-sync', 'template-delivery'],
  peak_capacity_msg_per_min: ['capacity'],
  error_recovery_s: ['fault-recovery'],
};

/** The main suite kind of each metric (the first of {@link METRIC_SUITES}). */
export const METRIC_SUITE = Object.fromEntries(
  Object.entries(METRIC_SUITES).map(([k, suites]) => [k, suites[0] as string]),
) as Record<MetricKey, string>;

const directionSchema = z
  .enum(['higher', 'lower'])
  .describe('Which way is better: higher (a rate) or lower (a latency)');
const unitSchema = z
  .string()
  .min(1)
  .max(20)
  .describe('Display unit: ratio (shown as %), s, ms, msg/min, count, % …');
const titleSchema = z.string().min(1).max(120).describe('Human title shown in reports');

const metricEntrySchema = z
  .strictObject({
    title: titleSchema,
    unit: unitSchema,
    direction: directionSchema,
    qualified: z.number().describe('Pass mark (inclusive): worse than this is a fail'),
    average: z.number().describe('Average actual: at least this good is band "average"'),
    best: z.number().describe('Industry best: at least this good is band "best"'),
    description: z.string().max(500).optional().describe('What is measured, for the report'),
  })
  .superRefine((m, ctx) => {
    // The bands only make sense when qualified ≤ average ≤ best in the metric's good direction.
    const ordered =
      m.direction === 'higher'
        ? m.qualified <= m.average && m.average <= m.best
        : m.qualified >= m.average && m.average >= m.best;
    if (!ordered) {
      const sign = m.direction === 'higher' ? '≤' : '≥';
      ctx.addIssue({
        code: 'custom',
        path: ['average'],
        message: `thresholds out of order for direction ${m.direction}: need qualified ${sign} average ${sign} best, got ${m.qualified}, ${m.average}, ${m.best}`,
      });
    }
  });

const checkEntrySchema = z.strictObject({
  title: titleSchema,
  unit: unitSchema,
  direction: directionSchema,
  threshold: z.number().describe('The pass mark'),
  inclusive: z
    .boolean()
    .describe('true: the threshold itself passes (≥ / ≤); false: strictly better (> / <)'),
  suite: z.string().min(1).optional().describe('The suite kind that measures this check, for grouping'),
  description: z.string().max(500).optional().describe('What is measured, for the report'),
});

const CHECK_KEY_RE = /^[a-z][a-z0-9_]*$/;

/** Schema of `acceptance.yaml`. */
export const acceptanceTableSchema = z.strictObject({
  version: z.literal(1).describe('Format version of this file (1)'),
  metrics: z
    .record(z.enum(METRIC_KEYS), metricEntrySchema)
    .describe('The five graded metrics, each with qualified / average / best'),
  checks: z
    .record(
      z.string().regex(CHECK_KEY_RE, 'check keys are snake_case: lower-case letters, digits, _'),
      checkEntrySchema,
    )
    .default({})
    .describe('Pass/fail checks the suites measure, keyed by check key'),
});

/** One graded metric's row in the table. */
export type MetricThresholds = z.output<typeof metricEntrySchema>;
/** One pass/fail check's row in the table. */
export type CheckThreshold = z.output<typeof checkEntrySchema>;
/** The acceptance table as loaded. */
export interface AcceptanceTable {
  version: 1;
  metrics: Record<MetricKey, MetricThresholds>;
  checks: Record<string, CheckThreshold>;
}

// Compile-time proof that the schema's output is the interface above.
const _tableShape: z.ZodType<AcceptanceTable, z.input<typeof acceptanceTableSchema>> = acceptanceTableSchema;
void _tableShape;
