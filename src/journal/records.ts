/** Version written on every journal record; a reader refuses records from a newer wacrm. */
export const JOURNAL_VERSION = 1;

/** The journal's file name inside a run directory. */
export const JOURNAL_FILE = 'journal.ndjson';

/**
 * One line of the run journal. Every record has a `type`; `v` and `seq` are stamped by the writer.
 * A record about one flow carries `flowId`: replay after a resume keeps one record per (type, flowId).
 */
export interface JournalRecord {
  type: string;
  v?: number;
  /** Position in the journal, increasing across resumes. */
  seq?: number;
  flowId?: string;
  [key: string]: unknown;
}

/**
 * What a checkpoint stores so `wacrm resume` can continue: where the schedule was, the seed, and the
 * running totals. Closed windows are journaled once each (`window.closed`), so a checkpoint only
 * carries what is still open and stays small however long the run is.
 */
export interface CheckpointState {
  /** Schedule position: the next arrival index to start, and the run's (virtual) time. */
  position: { nextArrivalIndex: number; virtualMs: number };
  seed: number;
  /** Encoded histograms (Histogram.encode()) by name, e.g. of the open window. */
  histograms: Record<string, string>;
  counters: Record<string, number>;
  [key: string]: unknown;
}

/** Record types the engine writes; other parts may add their own. */
export const recordTypes = {
  runStarted: 'run.started',
  runResumed: 'run.resumed',
  runFinished: 'run.finished',
  checkpoint: 'checkpoint',
  /** `{ flowId, index, scheduledAtMs }` */
  flowLaunched: 'flow.launched',
  /** `{ flowId, outcome: 'completed' | 'failed' | 'timed_out', latencyMs }` — a terminal record. */
  flowSettled: 'flow.settled',
  /** `{ flowId, index, scheduledAtMs }` — a terminal record. */
  flowDropped: 'flow.dropped',
  /** `{ window: EncodedWindow }` */
  windowClosed: 'window.closed',
  /** `{ step: StepVerdict }` */
  stepJudged: 'step.judged',
} as const;

/** Record types that end a flow: a launched flow without one of these was in flight when the run died. */
export const terminalFlowTypes: readonly string[] = [recordTypes.flowSettled, recordTypes.flowDropped];
