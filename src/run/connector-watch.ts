import type { AnswerCounts, ConnectorHealth } from '../checks/connector-health.js';
import { judgeConnectorHealth } from '../checks/connector-health.js';

/** A journal entry as the watch reads it (the mocks' journals emit these on `entry`). */
interface Entry {
  atMs: number;
  kind: string;
  data: Record<string, unknown>;
}

/** Something that emits journal entries (the mocks' journals). */
interface EntrySource {
  on(event: 'entry', fn: (e: Entry) => void): unknown;
  off(event: 'entry', fn: (e: Entry) => void): unknown;
}

/**
 * The stage a suite's progress line says it is in: a capacity step by its label, `sending` while
 * arrivals remain and `draining` after the last one (suites with a known total); none otherwise.
 */
export function stageOf(p: {
  suite: string;
  label: string;
  done: number;
  total: number;
}): string | undefined {
  if (p.suite === 'capacity') return p.label;
  if (p.total > 0) return p.done < p.total ? 'sending' : 'draining';
  return undefined;
}

/** Webhook attempts without an answer in a row before the watch says the connector stopped answering. */
export const SILENT_STREAK = 5;

/** Journal kinds of webhook attempts: WhatsApp's `webhook.*` and the CRM's `event.*`. */
const ATTEMPT_KINDS = new Set(['webhook.delivered', 'webhook.failed', 'event.delivered', 'event.failed']);

/**
 * Watches the connector from the outside while a run goes on: every webhook attempt the mocks
 * make (its HTTP status, or the transport error: timeout, refused, reset) is counted under the
 * suite that was running, and a streak of attempts without any answer marks the time the
 * connector stopped answering (said once in the log; the run keeps going). The reference
 * connector's process exit is recorded with its time. {@link ConnectorWatch.health} judges it all.
 */
export class ConnectorWatch {
  private suite = 'start-up';
  private stage: string | undefined;
  /** Counts per suite and stage, in the order they were first seen. */
  private readonly counts = new Map<
    string,
    { suite: string; stage?: string; byCode: Record<string, number> }
  >();
  private readonly listeners: Array<[EntrySource, (e: Entry) => void]> = [];
  private streak = 0;
  private streakStartMs: number | undefined;
  private silentSinceMs: number | undefined;
  private noAnswers = 0;
  private exited: { atMs: number; reason: string } | undefined;

  constructor(
    private readonly opts: {
      /** Harness-clock origin of the run: times in the report are relative to it. */
      originMs: number;
      handshake: ConnectorHealth['handshake'];
      log: (line: string) => void;
    },
  ) {}

  /** Starts counting the attempts journaled by `source`. */
  attach(source: EntrySource): void {
    const fn = (e: Entry) => this.onEntry(e);
    source.on('entry', fn);
    this.listeners.push([source, fn]);
  }

  /** Stops listening to every source. */
  detachAll(): void {
    for (const [s, fn] of this.listeners) s.off('entry', fn);
    this.listeners.length = 0;
  }

  /** The suite whose webhooks the following attempts belong to. */
  setSuite(kind: string): void {
    this.suite = kind;
    this.stage = undefined;
  }

  /** The stage of the running suite the following attempts belong to (undefined: none). */
  setStage(stage: string | undefined): void {
    this.stage = stage;
  }

  /** Webhook attempts that got no answer (timeouts, refused or reset connections) so far. */
  unanswered(): number {
    return this.noAnswers;
  }

  /** Records the reference connector's exit (at harness-clock `atMs`). */
  connectorExited(atMs: number, reason: string): void {
    this.exited ??= { atMs: atMs - this.opts.originMs, reason };
  }

  private onEntry(e: Entry): void {
    if (!ATTEMPT_KINDS.has(e.kind)) return;
    const code =
      typeof e.data['statusCode'] === 'number'
        ? String(e.data['statusCode'])
        : typeof e.data['error'] === 'string'
          ? e.data['error']
          : 'unknown error';
    const key = `${this.suite}\u0000${this.stage ?? ''}`;
    let bucket = this.counts.get(key);
    if (!bucket) {
      bucket = { suite: this.suite, ...(this.stage !== undefined ? { stage: this.stage } : {}), byCode: {} };
      this.counts.set(key, bucket);
    }
    const { byCode } = bucket;
    byCode[code] = (byCode[code] ?? 0) + 1;
    if (typeof e.data['statusCode'] === 'number') {
      // Any HTTP answer, even an error status, means the connector is there.
      this.streak = 0;
      this.streakStartMs = undefined;
      if (this.silentSinceMs !== undefined) {
        this.opts.log(
          `the connector answers again at ${((e.atMs - this.opts.originMs) / 1000).toFixed(1)} s`,
        );
      }
      this.silentSinceMs = undefined;
      return;
    }
    this.noAnswers++;
    // The attempt started latencyMs before it was journaled: that is when the silence began.
    const startedAtMs = e.atMs - (typeof e.data['latencyMs'] === 'number' ? e.data['latencyMs'] : 0);
    this.streakStartMs ??= startedAtMs;
    if (++this.streak === SILENT_STREAK && this.silentSinceMs === undefined) {
      this.silentSinceMs = this.streakStartMs;
      this.opts.log(
        `the connector stopped answering at ${((this.silentSinceMs - this.opts.originMs) / 1000).toFixed(1)} s ` +
          `(${SILENT_STREAK} webhooks in a row got no answer: ${code}); the run goes on`,
      );
    }
  }

  /** The judged health so far (summary.json `connectorHealth`). */
  health(): ConnectorHealth {
    const answers: AnswerCounts[] = [...this.counts.values()].map((b) => ({ ...b, byCode: { ...b.byCode } }));
    return judgeConnectorHealth({
      handshake: this.opts.handshake,
      answers,
      ...(this.silentSinceMs !== undefined
        ? { stoppedAnsweringAtMs: this.silentSinceMs - this.opts.originMs }
        : {}),
      ...(this.exited ? { exited: this.exited } : {}),
    });
  }
}
