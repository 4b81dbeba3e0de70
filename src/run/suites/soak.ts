import { fmt } from '../../checks/measures.js';
import { classifyFlow } from '../../checks/outcome.js';
import { judgeSoak } from '../../checks/soak-result.js';
import type { SuiteJudgement } from '../../checks/suites.js';
import type { SuiteOf } from '../../config/schema.js';
import type { CheckpointState, JournalRecord } from '../../journal/records.js';
import {
  diurnalShapeFromPeaks,
  type LoadShape,
  localMsOfDay,
  parseShape,
  shapeStages,
} from '../../load/profiles.js';
import { offsetOfArrival, scaleStages } from '../../load/schedule.js';
import { type EncodedSoakWindow, type SoakCheckpoint, SoakLedger } from '../../load/soak-ledger.js';
import type { SoakResult } from '../../result/run-result.js';
import type { SuiteContext, SuiteOutput } from './context.js';
import { emptyJudgement, every, loadSource, mixedStart, play } from './context.js';
import { type RunExtras, registerSuite } from './registry.js';

const HOUR_MS = 3_600_000;

/** What a soak checkpoint needs to continue the run in another process (`wacrm resume`). */
export interface SoakRunInfo {
  /** Absolute path of the scenario file. */
  scenarioFile: string;
  runId: string;
  /** The run directory (`--out`). */
  outDir: string;
  startedAt: string;
  timeScale?: number;
  connectorUrl?: string;
  whatsappPort?: number;
  crmPort?: number;
}

/** A soak continued by `wacrm resume`: where it stopped and what the dead process left. */
export interface SoakResumeState {
  checkpoint: CheckpointState & { soak: SoakCheckpoint };
  /** Every `window.closed` window of the soak in the journal. */
  closed: EncodedSoakWindow[];
  /** Journal records after the last checkpoint (deduplicated). */
  after: JournalRecord[];
  /** Where the schedule continues. */
  nextArrivalIndex: number;
}

/**
 * Soak: a diurnal profile (or a shape file) played in real time or compressed by `timeScale`
 * (virtual time on the report's axis); every window judged, then the 4-hour snapshots, days,
 * p95 drift, connector memory growth and the seed's monitoring rules. With a journal, each window
 * is journaled once it is final and a checkpoint is written every few seconds; with `resume`, the
 * schedule continues at the checkpointed arrival and the dead process's in-flight flows count as lost.
 */
export async function runSoak(
  ctx: SuiteContext,
  suite: SuiteOf<'soak'>,
  opts: RunExtras,
): Promise<SuiteOutput & { soak: SoakResult }> {
  const startedAtMs = ctx.clock.nowMs();
  const timeScale = opts.timeScale ?? suite.timeScale;
  let shape: LoadShape = diurnalShapeFromPeaks(suite.peaks, suite.peakFactor);
  let meanPerHour = suite.averageRatePerMin * 60;
  if (suite.profileFile && opts.readProfile) {
    const parsed = parseShape(opts.readProfile(suite.profileFile));
    shape = parsed.shape;
    if (parsed.meanPerHour !== undefined) meanPerHour = parsed.meanPerHour;
  }
  const virtual = shapeStages(shape, {
    startEpochMs: opts.startEpochMs,
    durationMs: suite.durationMs,
    timeZone: suite.timezone,
    meanPerHour,
  });
  const real = scaleStages(virtual, timeScale, suite.volume);
  const source = loadSource(ctx, 0x50a, opts);
  const callsBefore = ctx.apiCalls();
  const resume = opts.resume;
  const firstIndex = resume?.nextArrivalIndex ?? 0;
  // A resumed soak plays arrival firstIndex + 1 now: its offset on the schedule is mapped to now.
  const realDurationMs = suite.durationMs / timeScale;
  const resumeOffsetMs = resume ? (offsetOfArrival(real, firstIndex + 1) ?? realDurationMs) : 0;
  const t0 = ctx.clock.nowMs() + 50 - resumeOffsetMs;
  const toVirtual = (realAtMs: number) => (realAtMs - t0) * timeScale;
  const toReal = (virtualMs: number) => t0 + virtualMs / timeScale;
  const samples = ctx.connectorSamples;
  const start = mixedStart(ctx, source, 'soak', suite.mix.outbound);
  const ledger = new SoakLedger({
    windowMs: suite.windowMs,
    durationMs: suite.durationMs,
    deadlineMs: suite.deadlineMs,
    ...(opts.journal ? { journal: opts.journal } : {}),
    measure: (startMs, endMs) => {
      const from = toReal(startMs);
      const to = toReal(endMs);
      const rss = samples()
        .filter((s) => s.alive && s.atMs >= from && s.atMs < to)
        .map((s) => s.rssBytes);
      return {
        harnessValid: ctx.health.spanHealth(from, to).valid,
        ...(rss.length > 0 ? { rssMaxBytes: Math.max(...rss) } : {}),
      };
    },
  });
  const gaps: NonNullable<SoakResult['gaps']> = [...(resume?.checkpoint.soak.gaps ?? [])];
  const carriedCalls = resume?.checkpoint.soak.apiCalls ?? { total: 0, ok: 0 };
  let lostAtCrash = 0;
  if (resume) {
    ledger.restore(resume.closed, resume.checkpoint, resume.after);
    lostAtCrash = ledger.loseInFlight();
    const gapStartMs = Math.max(0, ledger.lastVirtualMs, resume.checkpoint.position.virtualMs);
    const gapEndMs = Math.max(gapStartMs, Math.min(suite.durationMs, resumeOffsetMs * timeScale));
    gaps.push({
      startMs: Math.round(gapStartMs),
      endMs: Math.round(gapEndMs),
      reason:
        `the harness died here and the soak was resumed at arrival ${firstIndex}` +
        (lostAtCrash > 0 ? `; ${lostAtCrash} flows in flight at the crash count as lost` : ''),
    });
    ctx.log(
      `soak resumed at arrival ${firstIndex} (virtual ${fmt(gapEndMs / HOUR_MS, 2)} h); ${lostAtCrash} flows lost in the crash`,
    );
  }
  const apiCallsNow = () => {
    const c = ctx.apiCalls();
    return {
      total: carriedCalls.total + c.total - callsBefore.total,
      ok: carriedCalls.ok + c.ok - callsBefore.ok,
    };
  };
  const checkpoint = () => {
    if (!opts.journal) return;
    const snap = ledger.snapshot();
    const calls = apiCallsNow();
    opts.journal.checkpoint({
      position: {
        nextArrivalIndex: ledger.nextArrivalIndex,
        virtualMs: Math.round(Math.min(suite.durationMs, Math.max(0, toVirtual(ctx.clock.nowMs())))),
      },
      seed: ctx.seed,
      histograms: snap.histograms,
      counters: { apiCallsTotal: calls.total, apiCallsOk: calls.ok, lostAtCrash },
      startEpochMs: opts.startEpochMs,
      ...(opts.runInfo ? { run: opts.runInfo } : {}),
      soak: { suiteIndex: opts.suiteIndex ?? 0, ...snap.soak, apiCalls: calls, gaps },
    });
  };
  checkpoint();
  const everyMs = Math.min(5_000, Math.max(100, opts.checkpointEveryMs ?? 2_000));
  const stopCheckpoints = every(ctx.clock, everyMs, checkpoint);
  const virtualLabel = () => {
    const v = Math.max(0, toVirtual(ctx.clock.nowMs()));
    return `virtual ${Math.floor(v / HOUR_MS)}h of ${suite.durationMs / HOUR_MS}h (×${timeScale})`;
  };
  const flows = await play(ctx, {
    suite: 'soak',
    label: virtualLabel,
    total: 0,
    stages: real,
    startAtMs: t0,
    firstIndex,
    deadlineMs: suite.deadlineMs,
    direction: 'outbound',
    start: (a) => {
      ledger.launched(a.index, toVirtual(a.scheduledAtMs));
      return start(a);
    },
    onSettled: (a, f) => ledger.settled(a.index, f),
    onDrop: (a) => ledger.dropped(a.index, toVirtual(a.scheduledAtMs)),
  }).finally(stopCheckpoints);
  ledger.closeReady(true);
  checkpoint();
  const localPeak = (virtualMs: number) => {
    const ms = localMsOfDay(suite.timezone, opts.startEpochMs + virtualMs);
    return suite.peaks.some((p) => ms >= p.startMs && ms < p.endMs);
  };
  const judged = judgeSoak(ledger.closed, {
    timeScale,
    virtualDurationMs: suite.durationMs,
    isPeak: localPeak,
    syncErrorLimit: opts.syncErrorLimit ?? null,
    gaps,
  });
  const soak = judged.soak;
  const totals = ledger.totals();
  // Flow counts over the whole soak (every process), from the windows: flows of dead processes are gone.
  // Of the timed-out flows (this process's), those that synced after the deadline are late, not lost.
  const lateCount = flows.filter((f) => classifyFlow(f, suite.deadlineMs).outcome === 'late').length;
  const judgement: SuiteJudgement = {
    ...emptyJudgement(),
    flows: {
      sent: totals.sent,
      completed: totals.completed,
      failed: totals.failed,
      dropped: totals.dropped,
      late: Math.min(lateCount, totals.timedOut),
      lost: totals.timedOut - Math.min(lateCount, totals.timedOut),
    },
  };
  const calls = apiCallsNow();
  if (calls.total > 0) {
    judgement.checks['api_success_rate'] = {
      value: calls.ok / calls.total,
      evidence: `${calls.ok} of ${calls.total} calls the connector made to WhatsApp and the CRM succeeded during the soak`,
    };
  }
  judgement.checks['soak_sync_error_rate'] = {
    value: judged.syncErrorRate,
    evidence: `${fmt(judged.syncErrorRate * 100, 3)} % of ${judged.sent} flows failed, timed out or were dropped`,
  };
  judgement.notes.push(
    `${totals.sent} flows over ${suite.durationMs / HOUR_MS} h of virtual time at ×${timeScale} (${suite.volume})`,
  );
  for (const g of gaps) {
    judgement.notes.push(
      `resumed soak: virtual ${fmt(g.startMs / HOUR_MS, 2)}–${fmt(g.endMs / HOUR_MS, 2)} h was not watched live (${g.reason}); ` +
        'the connector and the mocks were restarted there, so memory growth spans two connector processes',
    );
  }
  return {
    kind: suite.kind,
    title: 'Soak',
    startedAtMs,
    endedAtMs: ctx.clock.nowMs(),
    flows,
    judgement,
    functional: false,
    soak,
  };
}

registerSuite({
  kind: 'soak',
  reads: [
    'duration',
    'averageRate',
    'peaks',
    'peakFactor',
    'timezone',
    'profileFile',
    'timeScale',
    'volume',
    'window',
    'deadline',
    'mix',
  ],
  run: runSoak,
});
