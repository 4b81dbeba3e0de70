/**
 * wacrm's public API. The CLI is a thin layer over these functions; scripts and other tools can
 * call them directly.
 */

export { type Clock, RealClock, ScaledClock, VirtualClock } from '../kernel/clock.js';
export { buildCrmMock } from '../mocks/crm/index.js';
export { Journal, type JournalEntry } from '../mocks/shared/journal.js';
export { buildWhatsAppMock } from '../mocks/whatsapp/index.js';
export { hopBreakdown, timeline } from './checks/breakdown.js';
export { judgeConversationSync, judgeLoss, judgeRecovery, judgeTemplateDelivery } from './checks/suites.js';
export { loadAcceptanceTable, loadScenario } from './config/index.js';
export type { Scenario, Suite } from './config/schema.js';
export {
  CONFORMANCE_CASES,
  type ConformanceOptions,
  conformanceRunResult,
  runConformance,
  runConformanceSuite,
} from './conformance/index.js';
export { type ErrorCode, errorCodes, WacrmError } from './errors.js';
export { type ExportK6Options, type ExportK6Result, exportK6 } from './export/index.js';
export { FlowTracer } from './flows/tracer.js';
export type { FlowTrace, Hop, HopName } from './flows/types.js';
export { type GradeSheet, grade } from './grading/index.js';
export { runOpenModel } from './load/driver.js';
export { arrivalOffsets, type RateStage } from './load/schedule.js';
export { readRunResult, renderGradeTable, writeReports } from './report/index.js';
export type { RunResult } from './result/run-result.js';
export { type RunScenarioOptions, runScenario } from './run/runner.js';
export { type Stack, type StackOptions, startStack } from './run/stack.js';
export { registeredKinds, suiteReads } from './run/suites/index.js';
