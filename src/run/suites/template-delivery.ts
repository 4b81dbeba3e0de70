import { createRng } from '../../../kernel/random.js';
import { poolOf } from '../../checks/pools.js';
import { judgeTemplateDelivery } from '../../checks/suites.js';
import type { SuiteOf } from '../../config/schema.js';
import { pickTemplates, planContacts, planDeliverySends } from '../../flows/outbound-plan.js';
import { exactly, play, type SuiteContext, type SuiteOutput, suitePhones } from './context.js';
import { type RunExtras, registerSuite } from './registry.js';

/** Template delivery: ≥ 20 approved templates × ≥ 50 sends through the connector. */
export async function runTemplateDelivery(
  ctx: SuiteContext,
  suite: SuiteOf<'template-delivery'>,
  extras?: RunExtras,
): Promise<SuiteOutput> {
  const startedAtMs = ctx.clock.nowMs();
  const rng = createRng(ctx.seed ^ 0x7d1);
  const templates = pickTemplates(ctx.stack.whatsapp.templates(), suite.templates);
  const notes: string[] = [];
  if (templates.length < suite.templates) {
    notes.push(`only ${templates.length} approved templates exist; the suite asked for ${suite.templates}`);
  }
  const total = templates.length * suite.sendsPerTemplate;
  const contacts = planContacts(Math.min(total, 500), rng, { range: suitePhones(ctx, extras).outbound });
  ctx.traffic.ensureContacts(contacts);
  const plans = planDeliverySends(templates, suite.sendsPerTemplate, contacts, rng);
  const flows = await play(ctx, {
    suite: suite.kind,
    label: 'template sends',
    total,
    stages: exactly(total, suite.ratePerMin),
    deadlineMs: suite.deadlineMs,
    direction: 'outbound',
    start: (a) => ctx.traffic.startOutbound(suite.kind, a.scheduledAtMs, plans[a.index % plans.length]!),
  });
  const judgement = judgeTemplateDelivery(flows, suite.deadlineMs);
  judgement.notes.push(
    ...notes,
    `${templates.length} templates × ${suite.sendsPerTemplate} sends at ${suite.ratePerMin}/min`,
  );
  return {
    kind: suite.kind,
    title: 'Template delivery',
    startedAtMs,
    endedAtMs: ctx.clock.nowMs(),
    flows,
    judgement,
    functional: true,
    pool: poolOf(flows),
  };
}

registerSuite({
  kind: 'template-delivery',
  reads: ['templates', 'sendsPerTemplate', 'rate', 'deadline'],
  run: runTemplateDelivery,
});
