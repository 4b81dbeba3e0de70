/**
 * wacrm's public API. The CLI is a thin layer over these functions; scripts and other tools can
 * call them directly.
 */
export { Journal, type JournalEntry } from '../mocks/shared/journal.js';
export { type Clock, RealClock, ScaledClock, VirtualClock } from '../mocks/shared/clock.js';
export { buildCrmMock } from '../mocks/crm/index.js';
export { buildWhatsAppMock } from '../mocks/whatsapp/index.js';
export { judgeConversationSync, judgeLoss, judgeRecovery, judgeTemplateDelivery } from './checks/suites.js';
export { hopBreakdown, timeline } from './checks/breakdown.js';
export { loadScenario, loadAcceptanceTable } from './config/index.js';
export {
  CONFORMANCE_CASES,
  type ConformanceOptions,
  conformanceRunResult,
  runConformance,
  runConformanceSuite,
} from './conformance/index.js';
export type { Scenario, Suite } from './config/schema.js';
export { WacrmError, errorCodes, type ErrorCode } from './errors.js';
export { FlowTracer } from './flows/tracer.js';
export type { FlowTrace, Hop, HopName } from './flows/types.js';
export { grade, type GradeSheet } from './grading/index.js';
export { arrivalOffsets, type RateStage } from './load/schedule.js';
export { runOpenModel } from './load/driver.js';
export type { RunResult } from './report/model.js';
export { renderGradeTable, writeReports, readRunResult } from './report/index.js';
export { runScenario, type RunScenarioOptions } from './run/runner.js';
export { startStack, type Stack, type StackOptions } from './run/stack.js';
