import type { FlowTrace } from '../flows/types.js';
import { censoredP95Measure } from './censored.js';
import { examples, fmt, hop, type Measure, ratio, statusWriteback } from './measures.js';
import { countFlows, doneLatencyMs, type FlowCounts } from './outcome.js';

/** What one suite measured: graded metrics (SPEC §7 keys) and named suite checks. */
export interface SuiteJudgement {
  metrics: Record<string, Measure>;
  checks: Record<string, Measure>;
  flows: FlowCounts;
  notes: string[];
}

/** The seed's first-response target for automatic answers: within 5 s. */
export const FIRST_RESPONSE_MS = 5_000;

/** Handover deadline of the seed: complaints reach a human within 20 s. */
export const HANDOVER_DEADLINE_MS = 20_000;

/** Sync latency of flows that reached their sync hop, in ms. */
export function syncLatencies(flows: readonly FlowTrace[]): number[] {
  const out: number[] = [];
  for (const f of flows) if (f.syncLatencyMs !== undefined) out.push(f.syncLatencyMs);
  return out;
}

/** Whether a flow is fully recorded in the CRM: the message, and for outbound every emitted status. */
export function fullyRecorded(f: FlowTrace): boolean {
  if (hop(f, 'crm.message.recorded') === undefined) return false;
  if (f.direction === 'outbound') {
    const { emitted, stored } = statusWriteback(f);
    return stored === emitted;
  }
  return true;
}

/**
 * Template delivery (SPEC §6): delivered / planned sends, display latency (intended → delivered on
 * the customer's phone), content accuracy (the text WhatsApp rendered equals what the CRM data
 * implies), statuses written back, and consent respected.
 */
export function judgeTemplateDelivery(flows: readonly FlowTrace[], deadlineMs: number): SuiteJudgement {
  const shouldSend = flows.filter((f) => f.outbound?.sendAllowed !== false);
  const forbidden = flows.filter((f) => f.outbound?.sendAllowed === false);
  const delivered = shouldSend.filter(
    (f) => hop(f, 'wa.status.delivered') !== undefined || hop(f, 'wa.status.read') !== undefined,
  );
  const undelivered = shouldSend.filter((f) => !delivered.includes(f));
  const displayOf = (f: FlowTrace) => {
    const at = hop(f, 'wa.status.delivered') ?? hop(f, 'wa.status.read');
    return at === undefined ? undefined : at - f.intendedAtMs;
  };
  const accepted = shouldSend.filter((f) => f.hops.some((h) => h.name === 'wa.message.accepted'));
  const wrongText = accepted.filter((f) => {
    const rendered = f.hops.find((h) => h.name === 'wa.message.accepted')?.data?.['renderedText'];
    return f.outbound?.expectedText !== undefined && rendered !== f.outbound.expectedText;
  });
  let emitted = 0;
  let stored = 0;
  const missingStatus: FlowTrace[] = [];
  for (const f of accepted) {
    const w = statusWriteback(f);
    emitted += w.emitted;
    stored += w.stored;
    if (w.stored < w.emitted) missingStatus.push(f);
  }
  const violations = forbidden.filter((f) => hop(f, 'wa.message.accepted') !== undefined);
  const recorded = shouldSend.filter(fullyRecorded);
  const deliveryRate = ratio(delivered.length, shouldSend.length);
  const contentAccuracy = ratio(accepted.length - wrongText.length, accepted.length);
  const writeback = ratio(stored, emitted);
  const metrics: Record<string, Measure> = {};
  const checks: Record<string, Measure> = {};
  if (deliveryRate !== null) {
    metrics['template_delivery_rate'] = {
      value: deliveryRate,
      evidence:
        `${delivered.length} of ${shouldSend.length} template sends delivered` +
        examples(undelivered, (f) => f.failure ?? lastHop(f)),
    };
  }
  const completeness = ratio(recorded.length, shouldSend.length);
  if (completeness !== null) {
    metrics['record_completeness'] = {
      value: completeness,
      evidence: `${recorded.length} of ${shouldSend.length} outbound flows fully recorded in the CRM`,
    };
  }
  // Flows that never synced or were never delivered count at the deadline (censored, see censored.ts).
  const syncP95 = censoredP95Measure(
    shouldSend,
    (f) => f.syncLatencyMs,
    deadlineMs,
    'CRM event → WhatsApp accepted and CRM record',
    'flows',
  );
  if (syncP95 !== null) metrics['sync_latency_p95_s'] = syncP95;
  const displayP95 = censoredP95Measure(
    shouldSend,
    displayOf,
    deadlineMs,
    "event → delivered on the customer's phone",
    'messages',
  );
  if (displayP95 !== null) checks['display_latency_p95_s'] = displayP95;
  if (contentAccuracy !== null) {
    checks['content_accuracy'] = {
      value: contentAccuracy,
      evidence:
        `${accepted.length - wrongText.length} of ${accepted.length} rendered texts match the CRM data` +
        examples(
          wrongText,
          (f) => {
            const got = f.hops.find((h) => h.name === 'wa.message.accepted')?.data?.['renderedText'];
            return `expected ${JSON.stringify(f.outbound?.expectedText)}, WhatsApp rendered ${JSON.stringify(got)}`;
          },
          2,
        ),
    };
  }
  if (writeback !== null) {
    checks['status_writeback_rate'] = {
      value: writeback,
      evidence:
        `${stored} of ${emitted} statuses written back to the CRM` +
        examples(missingStatus, (f) => `${statusWriteback(f).stored}/${statusWriteback(f).emitted} stored`),
    };
  }
  const toWhatsAppP95 = censoredP95Measure(
    shouldSend,
    (f) => {
      const at = hop(f, 'wa.message.accepted');
      return at === undefined ? undefined : at - f.intendedAtMs;
    },
    deadlineMs,
    'CRM event → template accepted by WhatsApp',
    'sends',
  );
  if (toWhatsAppP95 !== null) checks['crm_to_whatsapp_latency_p95_s'] = toWhatsAppP95;
  checks['consent_violations'] = {
    value: violations.length,
    evidence:
      `${violations.length} sends to contacts whose consent forbids them (of ${forbidden.length} such events)` +
      examples(violations, (f) => `${f.outbound?.category} template ${f.outbound?.templateName}`),
  };
  return { metrics, checks, flows: countFlows(flows, deadlineMs), notes: [] };
}

function lastHop(f: FlowTrace): string {
  const last = f.hops[f.hops.length - 1];
  return last ? `last hop ${last.name}` : 'no hop at all';
}

/**
 * Conversation sync (SPEC §6): CRM record completeness, tag accuracy against the generator's
 * ground truth (a message is right when the tags it caused equal the expected set), handover
 * accuracy (every expected handover within 20 s, and none unexpected), automatic replies.
 */
export function judgeConversationSync(flows: readonly FlowTrace[], deadlineMs: number): SuiteJudgement {
  const started = flows.filter((f) => f.state !== 'dropped');
  const recorded = started.filter((f) => hop(f, 'crm.message.recorded') !== undefined);
  const missing = started.filter((f) => hop(f, 'crm.message.recorded') === undefined);
  const tagsOf = (f: FlowTrace) => {
    const got = new Set<string>();
    for (const h of f.hops) {
      if (h.name !== 'crm.tags.added') continue;
      for (const t of (h.data?.['tags'] as string[] | undefined) ?? []) got.add(t);
    }
    return got;
  };
  const wrongTags = recorded.filter((f) => {
    const got = tagsOf(f);
    const want = new Set(f.inbound?.expectedTags ?? []);
    return got.size !== want.size || [...want].some((t) => !got.has(t));
  });
  const expectHandover = started.filter((f) => f.inbound?.expectedHandover);
  const handoverOk = expectHandover.filter((f) => {
    const at = hop(f, 'crm.handover.created');
    return at !== undefined && at - f.intendedAtMs <= HANDOVER_DEADLINE_MS;
  });
  const unexpectedHandover = started.filter(
    (f) => !f.inbound?.expectedHandover && hop(f, 'crm.handover.created') !== undefined,
  );
  const handoverMisses = expectHandover.filter((f) => !handoverOk.includes(f));
  const expectReply = started.filter((f) => f.inbound?.expectAutoReply);
  const replied = expectReply.filter((f) => hop(f, 'wa.autoreply.accepted') !== undefined);
  const metrics: Record<string, Measure> = {};
  const checks: Record<string, Measure> = {};
  const completeness = ratio(recorded.length, flows.length);
  if (completeness !== null) {
    metrics['record_completeness'] = {
      value: completeness,
      evidence:
        `${recorded.length} of ${flows.length} customer messages recorded in the CRM` +
        examples(missing, (f) => f.failure ?? lastHop(f)),
    };
  }
  // Messages that never synced count at the deadline (censored, see censored.ts).
  const syncP95 = censoredP95Measure(
    started,
    (f) => f.syncLatencyMs,
    deadlineMs,
    'customer message → CRM record',
    'messages',
  );
  if (syncP95 !== null) metrics['sync_latency_p95_s'] = syncP95;
  const tagAccuracy = ratio(recorded.length - wrongTags.length, recorded.length);
  if (tagAccuracy !== null) {
    checks['tag_accuracy'] = {
      value: tagAccuracy,
      evidence:
        `${recorded.length - wrongTags.length} of ${recorded.length} messages tagged exactly as the keyword rules say` +
        examples(
          wrongTags,
          (f) => `expected [${f.inbound?.expectedTags.join(', ')}], got [${[...tagsOf(f)].join(', ')}]`,
        ),
    };
  }
  const handoverAccuracy = ratio(handoverOk.length, expectHandover.length + unexpectedHandover.length);
  if (handoverAccuracy !== null) {
    checks['handover_accuracy'] = {
      value: handoverAccuracy,
      evidence:
        `${handoverOk.length} of ${expectHandover.length} expected handovers within ${HANDOVER_DEADLINE_MS / 1000} s, ` +
        `${unexpectedHandover.length} unexpected` +
        examples(handoverMisses, (f) => {
          const at = hop(f, 'crm.handover.created');
          return at === undefined
            ? `no ${f.inbound?.expectedHandover} handover`
            : `after ${fmt((at - f.intendedAtMs) / 1000, 1)} s`;
        }),
    };
  }
  const toCrmP95 = censoredP95Measure(
    started,
    (f) => {
      const at = hop(f, 'crm.message.recorded');
      return at === undefined ? undefined : at - f.intendedAtMs;
    },
    deadlineMs,
    'customer message → CRM record',
    'messages',
  );
  if (toCrmP95 !== null) checks['whatsapp_to_crm_latency_p95_s'] = toCrmP95;
  const fast = expectReply.filter((f) => {
    const at = hop(f, 'wa.autoreply.accepted');
    return at !== undefined && at - f.intendedAtMs <= FIRST_RESPONSE_MS;
  });
  const fastShare = ratio(fast.length, expectReply.length);
  if (fastShare !== null) {
    checks['first_response_within_5s_share'] = {
      value: fastShare,
      evidence: `${fast.length} of ${expectReply.length} automatic first answers within ${FIRST_RESPONSE_MS / 1000} s`,
    };
  }
  const replyRate = ratio(replied.length, expectReply.length);
  if (replyRate !== null) {
    checks['auto_reply_rate'] = {
      value: replyRate,
      evidence: `${replied.length} of ${expectReply.length} order-confirmation questions answered automatically`,
    };
  }
  return { metrics, checks, flows: countFlows(flows, deadlineMs), notes: [] };
}

/**
 * Messages lost to automatic handling: planned flows that never reached the CRM. A flow the
 * connector gave up on and wrote to the error log is counted too — a human has to handle it, which
 * is what the seed's loss figure (≤ 0.8 % with automatic handling) is about.
 */
export function judgeLoss(flows: readonly FlowTrace[]): Measure {
  const relevant = flows.filter((f) => f.outbound?.sendAllowed !== false && f.state !== 'dropped');
  const lost = relevant.filter((f) => hop(f, 'crm.message.recorded') === undefined);
  const logged = lost.filter((f) => hop(f, 'crm.errorlog') !== undefined).length;
  return {
    value: relevant.length === 0 ? 0 : lost.length / relevant.length,
    evidence:
      `${lost.length} of ${relevant.length} messages never reached the CRM (${logged} of them error-logged for a human)` +
      examples(lost, lastHop),
  };
}

/** A fault as it was applied on the run's timeline (harness clock). */
export interface AppliedFault {
  target: 'whatsapp' | 'crm';
  spec: string;
  startMs: number;
  endMs: number;
}

/** Recovery from one fault: fault end → flows completing normally again with the backlog drained. */
export interface RecoveryJudgement {
  recoveryMs: number | null;
  lost: number;
  affected: number;
  evidence: string;
}

/**
 * Judges recovery from a fault. The backlog is every flow intended before the fault ended; it is
 * drained when the last of them reached its sync hop. "Normal again" is the first flow intended
 * after the fault whose sync latency is within `normalLatencyMs`. Recovery is the later of the
 * two, measured from the fault's end; null when no flow after the fault was normal.
 */
export function judgeRecovery(
  flows: readonly FlowTrace[],
  fault: AppliedFault,
  normalLatencyMs: number,
): RecoveryJudgement {
  // "Through" is the one definition every suite counts by: a sync hop, or (a send its consent
  // forbids) the completed refusal.
  const syncAt = (f: FlowTrace) => {
    const done = doneLatencyMs(f);
    return done === undefined ? undefined : f.intendedAtMs + done;
  };
  const backlog = flows.filter((f) => f.intendedAtMs <= fault.endMs && f.state !== 'dropped');
  const affected = backlog.filter((f) => {
    const at = syncAt(f);
    return f.intendedAtMs >= fault.startMs || at === undefined || at >= fault.startMs;
  });
  const lost = affected.filter((f) => syncAt(f) === undefined);
  let drainedAt = fault.endMs;
  for (const f of affected) {
    const at = syncAt(f);
    if (at !== undefined) drainedAt = Math.max(drainedAt, at);
  }
  let firstNormalAt: number | undefined;
  for (const f of flows) {
    const done = doneLatencyMs(f);
    if (f.intendedAtMs < fault.endMs || done === undefined || done > normalLatencyMs) continue;
    const at = f.intendedAtMs + done;
    if (firstNormalAt === undefined || at < firstNormalAt) firstNormalAt = at;
  }
  // A backlog with flows that never synced never drained: there was no recovery to time.
  const recoveryMs =
    firstNormalAt === undefined || lost.length > 0 ? null : Math.max(firstNormalAt, drainedAt) - fault.endMs;
  const evidence =
    `${fault.target} ${fault.spec} for ${fmt((fault.endMs - fault.startMs) / 1000, 1)} s: ` +
    `${affected.length} flows caught by it, ${lost.length} never completed; ` +
    (lost.length > 0
      ? 'the backlog never drained'
      : firstNormalAt === undefined
        ? 'no flow completed normally after the fault'
        : `first normal flow ${fmt((firstNormalAt - fault.endMs) / 1000, 2)} s after the fault, ` +
          `backlog drained ${fmt((drainedAt - fault.endMs) / 1000, 2)} s after it`);
  return { recoveryMs, lost: lost.length, affected: affected.length, evidence };
}
