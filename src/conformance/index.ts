/**
 * The connector conformance kit: cases as data (`CONFORMANCE_CASES`), run against the reference
 * connector or a vendor's over HTTP (`runConformance`), reported like any run (`conformanceRunResult`).
 */
export { CONFORMANCE_CASE_IDS, CONFORMANCE_CASES } from './cases/index.js';
export { type ConformanceResultMeta, conformanceRunResult } from './result.js';
export {
  type ConformanceCaseResult,
  type ConformanceOptions,
  type ConformanceRun,
  type ConformanceTarget,
  REFERENCE_RETRY_DELAY_MS,
  REFERENCE_WEBHOOK_PATHS,
  runConformance,
  runConformanceSuite,
  SEED_RETRY_DELAY_MS,
  selectCases,
} from './runner.js';
export type { CaseContext, CaseOutcome, CaseSettings, ConformanceCaseDef } from './types.js';
