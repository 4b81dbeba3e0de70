import type { CrmMessage } from '../../../mocks/crm/index.js';
import type { Customer } from '../customers.js';
import { describeOutcome, type HttpOutcome, isOk } from '../http.js';
import { line, plural } from '../judge.js';
import type { CaseContext, ConformanceCaseDef } from '../types.js';
import type { StatusSpec } from '../wire.js';
import { recordedOutbound, SOURCES, sendsTo, stored, storedCount } from './common.js';

/** A customer message with the order-confirmation keyword: the connector answers it automatically. */
const CONFIRM_TEXT = 'Hi, could you confirm my order A-20417 please?';

/** What a delivered-more-than-once inbound message left behind. */
function inboundAftermath(ctx: CaseContext, customer: Customer, wamid: string) {
  const msg = stored(ctx, wamid);
  const inbound = storedCount(ctx, wamid);
  const sends = sendsTo(ctx, customer);
  const outboundCrm = msg
    ? ctx.crm.messages().filter((m) => m.contact_id === msg.contact_id && m.direction === 'outbound').length
    : 0;
  return { inbound, sends: sends.length, outboundCrm };
}

function aftermathText(a: ReturnType<typeof inboundAftermath>): string {
  return `CRM holds ${plural(a.inbound, 'message')} with that id; WhatsApp got ${plural(a.sends, 'reply', 'replies')} to the customer; CRM holds ${plural(a.outboundCrm, 'outbound message')} for them`;
}

const duplicateMessage: ConformanceCaseDef = {
  id: 'idempotent-duplicate-message',
  title: 'A message delivered twice is stored once',
  rule: 'The same inbound-message webhook delivered twice back to back is acknowledged (2xx) both times and has the effects of one: one CRM message, at most one automatic reply.',
  source: SOURCES.duplicates,
  async run(ctx) {
    const customer = ctx.customer();
    const msg = ctx.wire.inboundText({ waId: customer.waId, name: customer.name, text: CONFIRM_TEXT });
    const first = await ctx.wire.post(msg.raw);
    const second = await ctx.wire.post(msg.raw);
    const ok = await ctx.waitFor(() => stored(ctx, msg.wamid) !== undefined, 10_000);
    // The automatic reply (if the connector sends one) and any duplicate of it.
    await ctx.waitFor(() => sendsTo(ctx, customer).length > 0, 4_000);
    await ctx.sleep(1_500);
    const a = inboundAftermath(ctx, customer, msg.wamid);
    return {
      passed: isOk(first) && isOk(second) && ok && a.inbound === 1 && a.sends <= 1 && a.outboundCrm <= 1,
      evidence: line(
        `inbound "confirm my order" webhook delivered twice → ${describeOutcome(first)}, ${describeOutcome(second)}`,
        ok ? aftermathText(a) : 'the message was not stored in the CRM within 10 s',
      ),
    };
  },
};

const afterRetry: ConformanceCaseDef = {
  id: 'idempotent-after-retry',
  title: 'A message redelivered after it was processed is stored once',
  rule: 'When WhatsApp redelivers a webhook (its first ack was lost) 1 s and 3 s after the connector processed it, the redeliveries are acknowledged (2xx) and change nothing: one CRM message, at most one automatic reply.',
  source: SOURCES.duplicates,
  async run(ctx) {
    const customer = ctx.customer();
    const msg = ctx.wire.inboundText({ waId: customer.waId, name: customer.name, text: CONFIRM_TEXT });
    const first = await ctx.wire.post(msg.raw);
    const ok = await ctx.waitFor(() => stored(ctx, msg.wamid) !== undefined, 10_000);
    await ctx.waitFor(() => sendsTo(ctx, customer).length > 0, 4_000);
    const before = inboundAftermath(ctx, customer, msg.wamid);
    // WhatsApp's retry schedule (1 s, then doubling): the same bytes again.
    await ctx.sleep(1_000);
    const retry1 = await ctx.wire.post(msg.raw);
    await ctx.sleep(2_000);
    const retry2 = await ctx.wire.post(msg.raw);
    await ctx.sleep(2_000);
    const a = inboundAftermath(ctx, customer, msg.wamid);
    const unchanged = a.sends === before.sends && a.outboundCrm === before.outboundCrm;
    return {
      passed:
        isOk(first) &&
        isOk(retry1) &&
        isOk(retry2) &&
        ok &&
        a.inbound === 1 &&
        a.sends <= 1 &&
        a.outboundCrm <= 1 &&
        unchanged,
      evidence: line(
        `inbound "confirm my order" webhook → ${describeOutcome(first)}, processed (${before.sends} reply); redelivered 1 s later → ${describeOutcome(retry1)}, 3 s later → ${describeOutcome(retry2)}`,
        ok ? aftermathText(a) : 'the message was not stored in the CRM within 10 s',
      ),
    };
  },
};

/** Posts status webhooks one at a time in the given order; their outcomes. */
async function deliverInOrder(ctx: CaseContext, specs: readonly StatusSpec[]): Promise<HttpOutcome[]> {
  const out: HttpOutcome[] = [];
  for (const s of specs) out.push(await ctx.wire.post(ctx.wire.statuses([s])));
  return out;
}

function history(m: CrmMessage | undefined): string {
  if (!m) return '(no message)';
  return m.status_history.map((s) => s.status).join(' → ') || '(empty)';
}

function acks(outcomes: readonly HttpOutcome[]): string {
  const bad = outcomes.filter((o) => !isOk(o));
  return bad.length === 0
    ? `all ${outcomes.length} acknowledged 2xx`
    : `${bad.length} not acknowledged: ${bad.map(describeOutcome).join(', ')}`;
}

const duplicateStatus: ConformanceCaseDef = {
  id: 'idempotent-duplicate-status',
  title: 'A status delivered twice is stored once',
  rule: 'sent, delivered, delivered again and sent again for one message leave exactly one delivered (and at most one sent) in the CRM status history, and the message ends delivered.',
  source: SOURCES.duplicates,
  async run(ctx) {
    const customer = ctx.customer();
    const setup = await recordedOutbound(ctx, customer);
    if (!setup.ok) return { passed: false, evidence: setup.why };
    const ts = ctx.wire.nowSec();
    const base = { wamid: setup.wamid, recipientId: customer.waId };
    const outcomes = await deliverInOrder(ctx, [
      { ...base, status: 'sent', timestampSec: ts },
      { ...base, status: 'delivered', timestampSec: ts + 1 },
      { ...base, status: 'delivered', timestampSec: ts + 1 },
      { ...base, status: 'sent', timestampSec: ts },
    ]);
    await ctx.waitFor(() => stored(ctx, setup.wamid)?.status === 'delivered', 8_000);
    await ctx.sleep(1_500);
    const m = stored(ctx, setup.wamid);
    const count = (s: string) => m?.status_history.filter((h) => h.status === s).length ?? 0;
    const delivered = count('delivered');
    const sent = count('sent');
    return {
      passed: outcomes.every(isOk) && delivered === 1 && sent <= 1 && m?.status === 'delivered',
      evidence: line(
        `statuses sent, delivered, delivered, sent for one template: ${acks(outcomes)}`,
        `CRM history ${history(m)} (delivered ×${delivered}, sent ×${sent}), now ${m?.status ?? 'none'}`,
      ),
    };
  },
};

const readBeforeDelivered: ConformanceCaseDef = {
  id: 'status-order-read-before-delivered',
  title: 'read arriving before delivered leaves the message read',
  rule: 'When a message’s statuses arrive as sent, read, delivered (delivered late), the CRM ends with the message read: a late delivered never moves it back.',
  source: SOURCES.ordering,
  async run(ctx) {
    const customer = ctx.customer();
    const setup = await recordedOutbound(ctx, customer);
    if (!setup.ok) return { passed: false, evidence: setup.why };
    const ts = ctx.wire.nowSec();
    const base = { wamid: setup.wamid, recipientId: customer.waId };
    const outcomes = await deliverInOrder(ctx, [
      { ...base, status: 'sent', timestampSec: ts },
      { ...base, status: 'read', timestampSec: ts + 2 },
      { ...base, status: 'delivered', timestampSec: ts + 1 },
    ]);
    await ctx.waitFor(() => stored(ctx, setup.wamid)?.status === 'read', 8_000);
    // A connector that writes in arrival order writes the late delivered right after read.
    await ctx.sleep(1_500);
    const m = stored(ctx, setup.wamid);
    return {
      passed: outcomes.every(isOk) && m?.status === 'read',
      evidence: line(
        `statuses delivered in the order sent, read, delivered: ${acks(outcomes)}`,
        `CRM history ${history(m)}, ends ${m?.status ?? 'without a status'} (expected read)`,
      ),
    };
  },
};

/** The failed entry of a history, with its error, as evidence. */
function failedEntry(m: CrmMessage | undefined): { present: boolean; hasError: boolean } {
  const f = m?.status_history.find((s) => s.status === 'failed');
  return { present: f !== undefined, hasError: f !== undefined && f.error !== null && f.error !== undefined };
}

const failedAfterDelivered: ConformanceCaseDef = {
  id: 'status-failed-after-delivered',
  title: 'failed after delivered leaves the message failed, with its error',
  rule: 'A failure reported after delivery (one message can get delivered and failed) ends the message failed with the error recorded — whether failed arrives after delivered or overtakes it.',
  source: SOURCES.ordering,
  async run(ctx) {
    const a = ctx.customer();
    const b = ctx.customer();
    const [sa, sb] = await Promise.all([recordedOutbound(ctx, a), recordedOutbound(ctx, b)]);
    if (!sa.ok) return { passed: false, evidence: sa.why };
    if (!sb.ok) return { passed: false, evidence: sb.why };
    const ts = ctx.wire.nowSec();
    const ba = { wamid: sa.wamid, recipientId: a.waId };
    const bb = { wamid: sb.wamid, recipientId: b.waId };
    const [oa, ob] = await Promise.all([
      deliverInOrder(ctx, [
        { ...ba, status: 'sent', timestampSec: ts },
        { ...ba, status: 'delivered', timestampSec: ts + 1 },
        { ...ba, status: 'failed', timestampSec: ts + 2, errorCode: 131026 },
      ]),
      deliverInOrder(ctx, [
        { ...bb, status: 'sent', timestampSec: ts },
        { ...bb, status: 'failed', timestampSec: ts + 2, errorCode: 131026 },
        { ...bb, status: 'delivered', timestampSec: ts + 1 },
      ]),
    ]);
    await ctx.waitFor(
      () => stored(ctx, sa.wamid)?.status === 'failed' && stored(ctx, sb.wamid)?.status === 'failed',
      8_000,
    );
    await ctx.sleep(1_500);
    const ma = stored(ctx, sa.wamid);
    const mb = stored(ctx, sb.wamid);
    const fa = failedEntry(ma);
    const fb = failedEntry(mb);
    const okA = ma?.status === 'failed' && fa.hasError;
    const okB = mb?.status === 'failed' && fb.hasError;
    const note = (m: CrmMessage | undefined, f: { present: boolean; hasError: boolean }) =>
      `history ${history(m)}, ends ${m?.status ?? 'without a status'}${f.present && !f.hasError ? ' (failed stored without its error)' : ''}`;
    return {
      passed: [...oa, ...ob].every(isOk) && okA && okB,
      evidence: line(
        `in order (sent, delivered, failed 131026): ${note(ma, fa)}`,
        `failed overtaking delivered (sent, failed, delivered): ${note(mb, fb)}`,
        acks([...oa, ...ob]),
      ),
    };
  },
};

/** Idempotency and ordering cases. */
export const STATUS_CASES: readonly ConformanceCaseDef[] = [
  duplicateMessage,
  duplicateStatus,
  afterRetry,
  readBeforeDelivered,
  failedAfterDelivered,
];
