/**
 * The suite registry: importing this module registers every runner `wacrm run` plays (each
 * module registers its kind when loaded, as k6 executors do in their init).
 */
import './template-delivery.js';
import './conversation-sync.js';
import './fault-recovery.js';
import './capacity.js';
import './soak.js';
import './consistency-audit.js';

export type { SuiteContext, SuiteHarness, SuiteOutput, SuiteProgress } from './context.js';
export { type RunExtras, registeredKinds, type SuiteRunner, suiteRunner } from './registry.js';
export { runSoak, type SoakResumeState, type SoakRunInfo } from './soak.js';
