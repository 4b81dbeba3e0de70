import { arch, cpus, platform, totalmem } from 'node:os';
import type { AcceptanceTable } from '../config/acceptance.js';
import type { RunResult } from '../result/run-result.js';
import type { ConformanceRun } from './runner.js';

/** What the report needs besides the run itself. */
export interface ConformanceResultMeta {
  runId: string;
  wacrmVersion: string;
  /** Node.js version of the harness (the CLI passes process.version). */
  nodeVersion: string;
  /** The acceptance table the result is graded with (recorded so `wacrm report` re-grades the same way). */
  acceptance?: AcceptanceTable;
}

/**
 * A conformance run as a RunResult, so it goes through the same grading and report writers as
 * `wacrm run`: one JUnit test case per conformance case, the conformance section of summary.json,
 * the HTML table. It measures no metric; each case is a pass/fail with its evidence.
 */
export function conformanceRunResult(run: ConformanceRun, meta: ConformanceResultMeta): RunResult {
  const result: RunResult = {
    schemaVersion: 1,
    runId: meta.runId,
    scenario: {
      name: 'conformance',
      file: '(wacrm conformance)',
      description: `Connector conformance kit: ${run.cases.length} case${run.cases.length === 1 ? '' : 's'} against the ${run.connector.kind} connector${run.connector.url ? ` at ${run.connector.url}` : ''}`,
    },
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    durationMs: run.finishedAt.getTime() - run.startedAt.getTime(),
    seed: run.seed,
    environment: {
      wacrmVersion: meta.wacrmVersion,
      node: meta.nodeVersion,
      platform: platform(),
      arch: arch(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      connector:
        run.connector.kind === 'external'
          ? { kind: 'external', ...(run.connector.url ? { url: run.connector.url } : {}), faults: [] }
          : { kind: 'reference', faults: run.connector.faults },
    },
    valid: run.valid,
    invalidReasons: [...run.invalidReasons],
    metrics: {},
    checks: [],
    suites: [],
    hops: [],
    timeline: [],
    conformance: run.cases.map((c) => ({
      id: c.id,
      title: c.title,
      passed: c.passed,
      evidence: c.evidence,
      rule: c.rule,
      source: c.source,
      ...(c.notRun ? { notRun: true } : {}),
    })),
  };
  if (meta.acceptance) result.acceptance = meta.acceptance;
  return result;
}
