import type { FlowTrace } from '../flows/types.js';
import type { FaultOutcome } from '../report/model.js';
import { fmt, hop, type Measure, percentile } from './measures.js';
import { type AppliedFault, judgeLoss, judgeRecovery } from './suites.js';

/**
 * "Normal" sync latency of a fault-recovery suite: twice the p95 of the flows intended before the
 * first fault, and at least 3 s (the seed's sync bound) so a fast baseline does not make ordinary
 * jitter look like a fault.
 */
export function normalLatencyMs(flows: readonly FlowTrace[], applied: readonly AppliedFault[]): number {
  const firstFaultMs = Math.min(...applied.map((a) => a.startMs));
  const before = flows.flatMap((f) =>
    f.intendedAtMs < firstFaultMs && f.syncLatencyMs !== undefined ? [f.syncLatencyMs] : [],
  );
  return Math.max(3_000, 2 * (percentile(before, 95) ?? 0));
}

/**
 * How the connector retried the flows the fault caught: the spread between the fault's start and
 * when those flows finally synced, against the three-level policy (≤ 1 s, ~30 s, then a log).
 */
export function retryTiming(flows: readonly FlowTrace[], fault: AppliedFault): string {
  const caught = flows.filter(
    (f) => f.intendedAtMs >= fault.startMs && f.intendedAtMs <= fault.endMs && f.syncLatencyMs !== undefined,
  );
  if (caught.length === 0) return 'no flow started during the fault reached the CRM';
  const waits = caught.map((f) => f.syncLatencyMs as number);
  const logged = flows.filter(
    (f) => f.intendedAtMs >= fault.startMs && hop(f, 'crm.errorlog') !== undefined,
  ).length;
  return (
    `${caught.length} flows started during the fault synced after p50 ${fmt((percentile(waits, 50) ?? 0) / 1000, 1)} s, ` +
    `max ${fmt(Math.max(...waits) / 1000, 1)} s; ${logged} error-log entries`
  );
}

/** What a fault-recovery suite measured: the graded recovery time, the loss check, per-fault outcomes. */
export interface FaultRecoveryJudgement {
  errorRecovery: Measure;
  messagesLost: Measure;
  outcomes: FaultOutcome[];
}

/**
 * Judges a fault-recovery suite: per fault, the recovery time and loss ({@link judgeRecovery}); the
 * graded `error_recovery_s` is the worst fault's, or — when one never recovered — at least the time
 * watched after the last fault (it can then only prove a failure). Times in the outcomes are from
 * `originMs`.
 */
export function judgeFaultRecovery(
  flows: readonly FlowTrace[],
  applied: readonly AppliedFault[],
  at: { originMs: number; endedAtMs: number },
): FaultRecoveryJudgement {
  const normalMs = normalLatencyMs(flows, applied);
  const outcomes: FaultOutcome[] = [];
  const evidence: string[] = [];
  let worst: number | null = 0;
  for (const fault of applied) {
    const r = judgeRecovery(flows, fault, normalMs);
    outcomes.push({
      target: fault.target,
      spec: fault.spec,
      startMs: fault.startMs - at.originMs,
      endMs: fault.endMs - at.originMs,
      recoveryMs: r.recoveryMs,
      lost: r.lost,
      retryTiming: retryTiming(flows, fault),
    });
    evidence.push(r.evidence);
    worst = worst === null || r.recoveryMs === null ? null : Math.max(worst, r.recoveryMs);
  }
  const watchedMs = at.endedAtMs - Math.max(...applied.map((a) => a.endMs));
  return {
    errorRecovery: {
      value: worst === null ? watchedMs / 1000 : worst / 1000,
      ...(worst === null ? { atLeast: true } : {}),
      evidence:
        (worst === null
          ? `did not recover (watched for ${fmt(watchedMs / 1000, 1)} s after the fault); `
          : '') +
        evidence.join(' | ') +
        ` (normal = sync within ${fmt(normalMs / 1000, 1)} s)`,
    },
    messagesLost: judgeLoss(flows),
    outcomes,
  };
}
