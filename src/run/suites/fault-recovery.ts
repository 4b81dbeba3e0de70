import { parseFaultSpec } from '../../../kernel/fault-spec.js';
import { countFlows } from '../../checks/outcome.js';
import { judgeFaultRecovery } from '../../checks/recovery.js';
import type { AppliedFault } from '../../checks/suites.js';
import type { SuiteOf } from '../../config/schema.js';
import { constantStages } from '../../load/profiles.js';
import type { SuiteContext, SuiteOutput } from './context.js';
import { emptyJudgement, loadSource, mixedStart, play } from './context.js';
import { type RunExtras, registerSuite } from './registry.js';

/** Fault recovery: steady traffic while scheduled faults hit the mocks; recovery time and loss. */
export async function runFaultRecovery(
  ctx: SuiteContext,
  suite: SuiteOf<'fault-recovery'>,
  extras?: RunExtras,
): Promise<SuiteOutput> {
  const startedAtMs = ctx.clock.nowMs();
  const source = loadSource(ctx, 0xfa1, extras);
  const applied: AppliedFault[] = [];
  const t0 = ctx.clock.nowMs() + 50;
  for (const f of suite.faults) {
    const mock = f.target === 'whatsapp' ? ctx.stack.whatsapp : ctx.stack.crm;
    const window = { startMs: t0 + f.atMs, endMs: t0 + f.atMs + f.forMs };
    const added = mock.faults.add({ ...parseFaultSpec(f.spec, t0), ...window });
    applied.push({ target: f.target, spec: f.spec, ...window });
    ctx.log(
      `fault scheduled: ${f.target} ${f.spec} at +${f.atMs / 1000}s for ${f.forMs / 1000}s (${added.id})`,
    );
  }
  const flows = await play(ctx, {
    suite: suite.kind,
    label: 'flows under faults',
    total: Math.round((suite.ratePerMin * suite.durationMs) / 60_000),
    stages: constantStages(suite.ratePerMin, suite.durationMs),
    startAtMs: t0,
    deadlineMs: suite.deadlineMs,
    direction: 'outbound',
    start: mixedStart(ctx, source, suite.kind, suite.mix.outbound),
  });
  for (const f of suite.faults) (f.target === 'whatsapp' ? ctx.stack.whatsapp : ctx.stack.crm).faults.clear();
  const endedAtMs = ctx.clock.nowMs();
  const j = judgeFaultRecovery(flows, applied, { originMs: ctx.originMs, endedAtMs });
  const judgement = emptyJudgement();
  judgement.metrics['error_recovery_s'] = j.errorRecovery;
  judgement.checks['messages_lost'] = j.messagesLost;
  judgement.flows = countFlows(flows, suite.deadlineMs);
  judgement.notes.push(`${flows.length} flows at ${suite.ratePerMin}/min over ${suite.durationMs / 1000} s`);
  return {
    kind: suite.kind,
    title: 'Fault recovery',
    startedAtMs,
    endedAtMs,
    flows,
    judgement,
    functional: false,
    faults: j.outcomes,
  };
}

registerSuite({
  kind: 'fault-recovery',
  reads: ['rate', 'duration', 'deadline', 'mix', 'faults'],
  run: runFaultRecovery,
});
