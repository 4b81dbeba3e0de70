import type { SyncErrorLimit } from '../../checks/soak-sync-error.js';
import type { SuiteKind, SuiteOf } from '../../config/schema.js';
import type { SoakJournal } from '../../load/soak-ledger.js';
import type { SuiteContext, SuiteOutput } from './context.js';
import type { SoakResumeState, SoakRunInfo } from './soak.js';

/** What the run passes to every suite runner that the scenario cannot know. */
export interface RunExtras {
  /** Position of the suite in the scenario's suites. */
  suiteIndex: number;
  /** How many suites the scenario has (with the index and the seed, it gives the suite its phone ranges). */
  suiteCount?: number;
  /** `--time-scale`, overriding the scenario. */
  timeScale?: number;
  /** Reads a file named by the scenario (resolved against the scenario's directory). */
  readProfile?: (file: string) => unknown;
  /** Wall-clock start of the run (the soak's local-time axis starts here). */
  startEpochMs: number;
  /** The run journal. */
  journal?: SoakJournal;
  /** Stored in soak checkpoints so `wacrm resume` can continue with the same options. */
  runInfo?: SoakRunInfo;
  /** Real ms between soak checkpoints. Default 2,000 (≤ 5 s). */
  checkpointEveryMs?: number;
  /** Continue a soak a dead process started. */
  resume?: SoakResumeState;
  /** The acceptance table's sync-error limit (its one home); none: the rule is not listed. */
  syncErrorLimit?: SyncErrorLimit | null;
}

/**
 * One runner per suite kind, registered by kind as k6 registers its executors: the runner plays
 * the traffic (orchestration only; pure code in src/checks and src/load judges) and declares the
 * keys of its suite it reads. A key the schema accepts but the runner does not read is rejected
 * when the scenario is loaded, never silently ignored.
 */
export interface SuiteRunner<K extends SuiteKind = SuiteKind> {
  kind: K;
  /** Keys of the suite as written in the scenario (besides `kind`) that this runner reads. */
  reads: readonly string[];
  run(ctx: SuiteContext, suite: SuiteOf<K>, extras: RunExtras): Promise<SuiteOutput> | SuiteOutput;
}

const runners = new Map<SuiteKind, SuiteRunner>();

/** Registers the runner of one kind (each suite module registers itself when imported). */
export function registerSuite<K extends SuiteKind>(runner: SuiteRunner<K>): void {
  if (runners.has(runner.kind)) throw new Error(`suite kind ${runner.kind} is registered twice`);
  runners.set(runner.kind, runner as unknown as SuiteRunner);
}

/** The runner of a kind; undefined for kinds `wacrm run` does not play (conformance has its own command). */
export function suiteRunner(kind: SuiteKind): SuiteRunner | undefined {
  return runners.get(kind);
}

/** The kinds with a registered runner. */
export function registeredKinds(): SuiteKind[] {
  return [...runners.keys()];
}

/**
 * The keys the runner of a kind reads, for the load-time check (config's `suiteReads`); undefined
 * for a kind no runner plays here.
 */
export function suiteReads(kind: SuiteKind): readonly string[] | undefined {
  return runners.get(kind)?.reads;
}
