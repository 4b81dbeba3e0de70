import { createRng } from '../../../kernel/random.js';
import { auditConsistency, consistencyMeasure } from '../../checks/consistency.js';
import type { SuiteOf } from '../../config/schema.js';
import { emptyJudgement, type SuiteContext, type SuiteOutput } from './context.js';
import { registerSuite } from './registry.js';

/**
 * Consistency audit: a sample of conversations compared between what WhatsApp saw over the whole
 * run (the harness's ledger, see src/checks/consistency.ts) and the CRM.
 */
export function runConsistencyAudit(ctx: SuiteContext, suite: SuiteOf<'consistency-audit'>): SuiteOutput {
  const startedAtMs = ctx.clock.nowMs();
  const audit = auditConsistency(
    ctx.waLedger,
    ctx.stack.crm.messages(),
    suite.sample,
    createRng(ctx.seed ^ 0xa0d),
  );
  const judgement = emptyJudgement();
  const measure = consistencyMeasure(audit);
  if (measure) judgement.checks['consistency_match_rate'] = measure;
  else judgement.notes.push('no conversation in WhatsApp or the CRM to audit');
  return {
    kind: suite.kind,
    title: 'Consistency audit',
    startedAtMs,
    endedAtMs: ctx.clock.nowMs(),
    flows: [],
    judgement,
    functional: false,
  };
}

registerSuite({ kind: 'consistency-audit', reads: ['sample'], run: runConsistencyAudit });
