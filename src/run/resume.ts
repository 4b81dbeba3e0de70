import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';
import type { FunctionalPool } from '../checks/pools.js';
import { syncErrorLimit } from '../checks/soak-sync-error.js';
import type { AcceptanceTable } from '../config/acceptance.js';
import { loadScenario } from '../config/index.js';
import type { SuiteOf } from '../config/schema.js';
import { WacrmError } from '../errors.js';
import {
  type CheckpointState,
  JOURNAL_FILE,
  type JournalRecord,
  readJournal,
  recordTypes,
} from '../journal/journal.js';
import type { EncodedSoakWindow, SoakCheckpoint } from '../load/soak-ledger.js';
import type { AcceptanceSource, RunResult } from '../result/run-result.js';
import { buildRunResult, journalSuiteEnd, openRunSession, type RunScenarioOptions } from './runner.js';
import { runSoak, type SoakRunInfo, type SuiteOutput, suiteReads } from './suites/index.js';

/** Options of {@link resumeRun}. */
export interface ResumeRunOptions {
  /** The run directory `wacrm run` wrote (holds journal.ndjson). */
  runDir: string;
  wacrmVersion: string;
  nodeVersion: string;
  onProgress?: RunScenarioOptions['onProgress'];
  onLog?: RunScenarioOptions['onLog'];
  clock?: RunScenarioOptions['clock'];
  /** Event loops the resumed harness runs on (`--workers`); default 1. */
  workers?: number;
  /** Environment the scenario's `connector.credentials` are read from (the resumed stack is wired alike). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What {@link resumeRun} hands back. */
export interface ResumedRun {
  result: RunResult;
  acceptance: AcceptanceTable;
  /** The file that table came from, and whether it is the built-in one. */
  acceptanceSource: AcceptanceSource;
  /** Absolute run directory (where the reports go). */
  runDir: string;
  /** Arrival index the soak continued from. */
  resumedAtIndex: number;
}

/** A soak checkpoint as `wacrm run` writes it. */
type SoakCheckpointState = CheckpointState & {
  soak: SoakCheckpoint;
  run: SoakRunInfo;
  startEpochMs: number;
};

/** What a run directory's journal says about the run, read for `wacrm resume`. */
export interface RunDirState {
  runDir: string;
  checkpoint: SoakCheckpointState;
  after: JournalRecord[];
  nextArrivalIndex: number;
  /** Every `window.closed` window of the soak. */
  closed: EncodedSoakWindow[];
  /** `suite.finished` records, in order. */
  finishedSuites: JournalRecord[];
}

function invalid(message: string, hint?: string): WacrmError {
  return new WacrmError('WACRM_RUN_DIR_INVALID', message, hint);
}

function isSoakCheckpoint(state: unknown): state is SoakCheckpointState {
  if (!state || typeof state !== 'object') return false;
  const s = state as Partial<SoakCheckpointState>;
  return (
    typeof s.soak === 'object' &&
    s.soak !== null &&
    Array.isArray(s.soak.open) &&
    Array.isArray(s.soak.inFlight) &&
    typeof s.run === 'object' &&
    s.run !== null &&
    typeof s.run.scenarioFile === 'string' &&
    typeof s.startEpochMs === 'number' &&
    typeof s.position?.nextArrivalIndex === 'number'
  );
}

/** Streams the journal once for the few record types a resume needs besides the checkpoint. */
async function scanLifecycle(path: string): Promise<{
  started: boolean;
  finishedLast: boolean;
  closed: EncodedSoakWindow[];
  finishedSuites: JournalRecord[];
}> {
  let started = false;
  let finishedLast = false;
  const closed: EncodedSoakWindow[] = [];
  const finishedSuites: JournalRecord[] = [];
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    // Cheap filter first: a long soak journals a few records per flow and only these matter here.
    if (!line.includes('"run.') && !line.includes('"window.closed"') && !line.includes('"suite.finished"')) {
      continue;
    }
    let rec: JournalRecord;
    try {
      rec = JSON.parse(line) as JournalRecord;
    } catch {
      continue; // a torn or corrupt line: readJournal reports those
    }
    if (rec.type === recordTypes.runStarted) {
      started = true;
      finishedLast = false;
    } else if (rec.type === recordTypes.runResumed) finishedLast = false;
    else if (rec.type === recordTypes.runFinished) finishedLast = true;
    else if (rec.type === recordTypes.windowClosed && rec['suite'] === 'soak' && rec['window']) {
      closed.push(rec['window'] as EncodedSoakWindow);
    } else if (rec.type === 'suite.finished') finishedSuites.push(rec);
  }
  return { started, finishedLast, closed, finishedSuites };
}

/**
 * Reads a run directory for `wacrm resume` and refuses (WACRM_RUN_DIR_INVALID) when it is not a wacrm
 * run, the run already finished, or it holds no soak to continue.
 */
export async function inspectRunDir(runDir: string): Promise<RunDirState> {
  const dir = resolve(runDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw invalid(`${runDir} is not a directory`, 'pass the directory a wacrm run wrote (its --out)');
  }
  const read = readJournal(dir, { keepRecords: false });
  const scan = await scanLifecycle(join(dir, JOURNAL_FILE));
  if (!scan.started) {
    throw invalid(`${runDir} is not a wacrm run: its journal has no run.started record`);
  }
  if (scan.finishedLast) {
    throw invalid(
      `the run in ${runDir} already finished: there is nothing to resume`,
      'its reports are in that directory; `wacrm report` re-renders them',
    );
  }
  const state = read.checkpoint?.state;
  if (!isSoakCheckpoint(state)) {
    throw invalid(
      `the run in ${runDir} has no soak to resume (no soak checkpoint in its journal)`,
      'only a soak is resumed; run the scenario again',
    );
  }
  if (scan.finishedSuites.some((r) => r['suite'] === 'soak')) {
    throw invalid(`the soak of the run in ${runDir} already finished: there is nothing to resume`);
  }
  return {
    runDir: dir,
    checkpoint: state,
    after: read.afterCheckpoint,
    nextArrivalIndex: read.nextArrivalIndex ?? state.position.nextArrivalIndex,
    closed: scan.closed,
    finishedSuites: scan.finishedSuites,
  };
}

/** A suite an earlier process finished, rebuilt from its `suite.finished` record (no flows). */
function priorOutput(rec: JournalRecord, originMs: number): SuiteOutput {
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  return {
    kind: String(rec['suite']),
    title: typeof rec['title'] === 'string' ? rec['title'] : String(rec['suite']),
    startedAtMs: originMs + num(rec['startedAtMs']),
    endedAtMs: originMs + num(rec['endedAtMs']),
    flows: [],
    judgement: rec['judgement'] as SuiteOutput['judgement'],
    functional: rec['functional'] === true,
    ...(rec['capacity'] ? { capacity: rec['capacity'] as NonNullable<SuiteOutput['capacity']> } : {}),
    ...(Array.isArray(rec['faults']) ? { faults: rec['faults'] as NonNullable<SuiteOutput['faults']> } : {}),
    // The pool the earlier process journaled: the result merges it like a fresh suite's.
    ...(rec['pool'] ? { pool: rec['pool'] as FunctionalPool } : {}),
    ...(rec['harness'] ? { harness: rec['harness'] as NonNullable<SuiteOutput['harness']> } : {}),
  };
}

/**
 * Continues a soak whose harness died (`wacrm resume RUN_DIR`): starts a fresh stack with the options
 * the checkpoint stored, plays the schedule from the checkpointed arrival index (the flows in flight at
 * the crash count as lost in their window), appends `run.resumed` and the rest of the soak to the same
 * journal, and returns the RunResult of the whole run: suites finished before the crash come from their
 * `suite.finished` records, the soak from its closed windows, with the gap marked.
 */
export async function resumeRun(opts: ResumeRunOptions): Promise<ResumedRun> {
  const state = await inspectRunDir(opts.runDir);
  const { checkpoint } = state;
  const info = checkpoint.run;
  const { scenario, acceptance, file, acceptanceFile, acceptanceBuiltIn, credentials } = await loadScenario(
    info.scenarioFile,
    { suiteReads, ...(opts.env ? { env: opts.env } : {}) },
  );
  const suiteIndex = checkpoint.soak.suiteIndex;
  const suite = scenario.suites[suiteIndex];
  if (suite?.kind !== 'soak') {
    throw invalid(
      `the scenario ${info.scenarioFile} changed since the run: suite ${suiteIndex} is no longer the soak`,
      'restore the scenario file the run used, or run it again',
    );
  }
  const seed = checkpoint.seed;
  const session = await openRunSession(
    {
      scenario,
      runDir: state.runDir,
      credentials,
      ...(info.connectorUrl !== undefined ? { connectorUrl: info.connectorUrl } : {}),
      ...(info.whatsappPort !== undefined ? { whatsappPort: info.whatsappPort } : {}),
      ...(info.crmPort !== undefined ? { crmPort: info.crmPort } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.onLog ? { onLog: opts.onLog } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    },
    seed,
    () => ({
      type: recordTypes.runResumed,
      runId: info.runId,
      resumedAt: new Date().toISOString(),
      fromArrivalIndex: state.nextArrivalIndex,
      inFlightAtCrash: checkpoint.soak.inFlight.length,
    }),
  );
  const { ctx, journal, log } = session;
  const outputs: SuiteOutput[] = [];
  const notes: string[] = [];
  for (const rec of state.finishedSuites) {
    outputs.push(priorOutput(rec, session.originMs));
  }
  let finished = false;
  try {
    log(`resuming the soak of run ${info.runId} at arrival ${state.nextArrivalIndex}`);
    const out = await runSoak(ctx, suite as SuiteOf<'soak'>, {
      ...(info.timeScale !== undefined ? { timeScale: info.timeScale } : {}),
      startEpochMs: checkpoint.startEpochMs,
      syncErrorLimit: syncErrorLimit(acceptance),
      readProfile: (f) => parseYaml(readFileSync(resolve(dirname(file), f), 'utf8')),
      ...(journal ? { journal } : {}),
      runInfo: info,
      suiteIndex,
      suiteCount: scenario.suites.length,
      resume: {
        checkpoint,
        closed: state.closed,
        after: state.after,
        nextArrivalIndex: state.nextArrivalIndex,
      },
    });
    outputs.push(out);
    journalSuiteEnd(session, out);
    finished = true;
  } finally {
    await session.close({ finished });
  }
  const skipped = scenario.suites.slice(suiteIndex + 1).map((s) => s.kind);
  if (skipped.length > 0) {
    notes.push(`resumed run: only the soak was resumed; ${skipped.join(', ')} after it did not run`);
  }
  const result = buildRunResult({
    session,
    scenario,
    scenarioFile: info.scenarioFile,
    runId: info.runId,
    seed,
    startedAt: new Date(info.startedAt),
    wacrmVersion: opts.wacrmVersion,
    nodeVersion: opts.nodeVersion,
    outputs,
    notes,
  });
  return {
    result,
    acceptance,
    acceptanceSource: { file: acceptanceFile, builtIn: acceptanceBuiltIn },
    runDir: state.runDir,
    resumedAtIndex: state.nextArrivalIndex,
  };
}
