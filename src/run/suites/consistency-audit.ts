import { createRng } from '../../../kernel/random.js';
import type { SuiteOf } from '../../config/schema.js';
import { emptyJudgement, type SuiteContext, type SuiteOutput } from './context.js';
import { registerSuite } from './registry.js';

/** Consistency audit: a sample of conversations compared between the WhatsApp journal and the CRM. */
export function runConsistencyAudit(ctx: SuiteContext, suite: SuiteOf<'consistency-audit'>): SuiteOutput {
  const startedAtMs = ctx.clock.nowMs();
  const rng = createRng(ctx.seed ^ 0xa0d);
  const waSeen = new Map<string, { direction: 'inbound' | 'outbound'; text?: string }>();
  for (const e of ctx.stack.whatsapp.journal.query({ kind: ['message.accepted', 'inbound.created'] })) {
    const wamid = e.data['wamid'];
    if (typeof wamid !== 'string') continue;
    const text = e.kind === 'inbound.created' ? e.data['text'] : e.data['renderedText'];
    waSeen.set(wamid, {
      direction: e.kind === 'inbound.created' ? 'inbound' : 'outbound',
      ...(typeof text === 'string' ? { text } : {}),
    });
  }
  const conversations = ctx.stack.crm.conversations();
  const messages = ctx.stack.crm.messages();
  const byConversation = new Map<string, typeof messages>();
  for (const m of messages) {
    const list = byConversation.get(m.conversation_id) ?? [];
    list.push(m);
    byConversation.set(m.conversation_id, list);
  }
  // Random sample without replacement (partial Fisher–Yates).
  const ids = conversations.map((c) => c.id);
  const n = Math.min(suite.sample, ids.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng.next() * (ids.length - i));
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  let matched = 0;
  const mismatches: string[] = [];
  for (const id of ids.slice(0, n)) {
    const problems: string[] = [];
    for (const m of byConversation.get(id) ?? []) {
      if (!m.wa_message_id) continue;
      const seen = waSeen.get(m.wa_message_id);
      if (!seen) problems.push(`${m.wa_message_id} is in the CRM but WhatsApp never saw it`);
      else if (seen.direction !== m.direction)
        problems.push(`${m.wa_message_id} direction ${m.direction} ≠ ${seen.direction}`);
      else if (m.direction === 'inbound' && seen.text !== undefined && m.body !== seen.text) {
        problems.push(`${m.wa_message_id} text differs`);
      }
    }
    if (problems.length === 0) matched++;
    else if (mismatches.length < 3) mismatches.push(`${id}: ${problems[0]}`);
  }
  // The other way round: every message WhatsApp saw is in the CRM.
  const crmWamids = new Set(
    messages.map((m) => m.wa_message_id).filter((w): w is string => typeof w === 'string'),
  );
  const missingInCrm = [...waSeen.keys()].filter((w) => !crmWamids.has(w)).length;
  const judgement = emptyJudgement();
  if (n > 0) {
    judgement.checks['consistency_match_rate'] = {
      value: matched / n,
      evidence:
        `${matched} of ${n} sampled conversations match what WhatsApp saw` +
        (mismatches.length > 0 ? `; e.g. ${mismatches.join('; ')}` : '') +
        `; ${missingInCrm} of ${waSeen.size} WhatsApp messages have no CRM record`,
    };
  } else judgement.notes.push('no conversation in the CRM to audit');
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
