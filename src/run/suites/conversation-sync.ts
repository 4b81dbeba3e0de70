import { createRng } from '../../../kernel/random.js';
import { poolOf } from '../../checks/pools.js';
import { judgeConversationSync } from '../../checks/suites.js';
import type { SuiteOf } from '../../config/schema.js';
import { planConversations } from '../../flows/inbound-plan.js';
import { exactly, play, type SuiteContext, type SuiteOutput, suitePhones } from './context.js';
import { type RunExtras, registerSuite } from './registry.js';

/** Conversation sync: random customer messages over ≥ 200 conversations. */
export async function runConversationSync(
  ctx: SuiteContext,
  suite: SuiteOf<'conversation-sync'>,
  extras?: RunExtras,
): Promise<SuiteOutput> {
  const startedAtMs = ctx.clock.nowMs();
  const plan = planConversations(
    { messages: suite.messages, conversations: suite.conversations, range: suitePhones(ctx, extras).inbound },
    createRng(ctx.seed ^ 0x5c2),
  );
  const flows = await play(ctx, {
    suite: suite.kind,
    label: 'customer messages',
    total: plan.length,
    stages: exactly(plan.length, suite.ratePerMin),
    deadlineMs: suite.deadlineMs,
    direction: 'inbound',
    start: (a) => ctx.traffic.startInbound(suite.kind, a.scheduledAtMs, plan[a.index % plan.length]!),
  });
  const judgement = judgeConversationSync(flows, suite.deadlineMs);
  judgement.notes.push(
    `${plan.length} messages over ${suite.conversations} conversations at ${suite.ratePerMin}/min`,
  );
  return {
    kind: suite.kind,
    title: 'Conversation sync',
    startedAtMs,
    endedAtMs: ctx.clock.nowMs(),
    flows,
    judgement,
    functional: true,
    pool: poolOf(flows),
  };
}

registerSuite({
  kind: 'conversation-sync',
  reads: ['messages', 'conversations', 'rate', 'deadline'],
  run: runConversationSync,
});
