import type { JournalEntry } from '../../../mocks/shared/journal.js';
import { percentile } from '../../checks/measures.js';
import type { Customer } from '../customers.js';
import { type HttpOutcome, isOk } from '../http.js';
import { line, ms } from '../judge.js';
import type { CaseContext, ConformanceCaseDef } from '../types.js';
import { SOURCES } from './common.js';

/** The acknowledgement target (seed: the message URL must answer within 200 ms). */
export const ACK_TARGET_MS = 200;

/** p50 / p99 / max of the acknowledgement times and how many were not 2xx. */
function ackSummary(outcomes: readonly HttpOutcome[]): {
  p50: number;
  p99: number;
  max: number;
  bad: number;
  text: string;
} {
  const lat = outcomes.map((o) => o.latencyMs);
  const p50 = percentile(lat, 50) ?? Number.NaN;
  const p99 = percentile(lat, 99) ?? Number.NaN;
  const max = lat.length > 0 ? Math.max(...lat) : Number.NaN;
  const bad = outcomes.filter((o) => !isOk(o)).length;
  const codes = new Map<string, number>();
  for (const o of outcomes) {
    if (isOk(o)) continue;
    const k = o.status === undefined ? (o.error ?? 'no answer') : `HTTP ${o.status}`;
    codes.set(k, (codes.get(k) ?? 0) + 1);
  }
  const badText =
    bad === 0
      ? `all ${outcomes.length} answered 2xx`
      : `${bad} not 2xx (${[...codes].map(([k, n]) => `${n}× ${k}`).join(', ')})`;
  return { p50, p99, max, bad, text: `p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(max)}; ${badText}` };
}

/** Posts `count` webhooks `spacingMs` apart without waiting for answers (an open-model burst). */
async function burst(
  ctx: CaseContext,
  count: number,
  spacingMs: number,
  make: (i: number) => string,
): Promise<HttpOutcome[]> {
  const pending: Array<Promise<HttpOutcome>> = [];
  const t0 = ctx.clock.nowMs();
  for (let i = 0; i < count; i++) {
    const due = t0 + i * spacingMs;
    const wait = due - ctx.clock.nowMs();
    if (wait > 0) await ctx.sleep(wait);
    pending.push(ctx.wire.post(make(i)));
  }
  return Promise.all(pending);
}

const ackWithin200: ConformanceCaseDef = {
  id: 'ack-within-200ms',
  title: 'Acknowledges webhooks within 200 ms (p99 over a burst)',
  rule: `Over a burst of 100 inbound-message webhooks at 50/s, the 99th percentile of the time to a 2xx answer is at most ${ACK_TARGET_MS} ms, and every webhook gets a 2xx.`,
  source: SOURCES.ack,
  async run(ctx) {
    const customers: Customer[] = Array.from({ length: 10 }, () => ctx.customer());
    const outcomes = await burst(ctx, 100, 20, (i) => {
      const c = customers[i % customers.length] as Customer;
      return ctx.wire.inboundText({
        waId: c.waId,
        name: c.name,
        text: `Burst message ${i + 1}: just saying hi.`,
      }).raw;
    });
    const s = ackSummary(outcomes);
    return {
      passed: s.bad === 0 && s.p99 <= ACK_TARGET_MS,
      evidence: line(
        `100 signed inbound-message webhooks from 10 customers at 50/s: ${s.text}`,
        s.p99 > ACK_TARGET_MS ? `p99 is over ${ACK_TARGET_MS} ms` : '',
      ),
    };
  },
};

const ackUnderStatusBurst: ConformanceCaseDef = {
  id: 'ack-under-status-burst',
  title: 'Still acknowledges within 200 ms under a status burst of 3× the outbound rate',
  rule: `While the CRM sends 10 template events/s for 3 s, every accepted message gets sent, delivered and read status webhooks (30/s, 3× the outbound rate); the p99 of their acknowledgements is at most ${ACK_TARGET_MS} ms and all are 2xx.`,
  source: SOURCES.ack,
  async run(ctx) {
    const flows = 30;
    const customers: Customer[] = Array.from({ length: flows }, () => ctx.customer());
    const byWaId = new Map(customers.map((c) => [c.waId, c]));
    const statusPosts: Array<Promise<HttpOutcome>> = [];
    const wamids: string[] = [];
    const timers: NodeJS.Timeout[] = [];
    const onEntry = (e: JournalEntry) => {
      if (e.kind !== 'message.accepted' || typeof e.data['wamid'] !== 'string') return;
      const waId = String(e.data['phone'] ?? '');
      if (!byWaId.has(waId)) return;
      const wamid = e.data['wamid'];
      wamids.push(wamid);
      const ts = ctx.wire.nowSec();
      (['sent', 'delivered', 'read'] as const).forEach((status, i) => {
        const post = () =>
          statusPosts.push(
            ctx.wire.post(ctx.wire.statuses([{ wamid, status, recipientId: waId, timestampSec: ts + i }])),
          );
        // WhatsApp reports the three statuses over the next moments, not at once.
        if (i === 0) post();
        else timers.push(setTimeout(post, i * 100));
      });
    };
    ctx.wa.journal.on('entry', onEntry);
    try {
      const t0 = ctx.clock.nowMs();
      for (let i = 0; i < flows; i++) {
        const wait = t0 + i * 100 - ctx.clock.nowMs();
        if (wait > 0) await ctx.sleep(wait);
        ctx.startTemplateFlow(customers[i] as Customer, 'utility');
      }
      await ctx.waitFor(() => wamids.length >= flows, 15_000);
      // Let the last scheduled statuses go out.
      await ctx.sleep(300);
    } finally {
      ctx.wa.journal.off('entry', onEntry);
      for (const t of timers) clearTimeout(t);
    }
    const outcomes = await Promise.all(statusPosts);
    const s = ackSummary(outcomes);
    const eventAcks = ctx
      .crmEntries('event.delivered')
      .map((e) => (typeof e.data['latencyMs'] === 'number' ? e.data['latencyMs'] : Number.NaN));
    const eventP99 = percentile(eventAcks.filter(Number.isFinite), 99);
    // Informational: how many of the bursts' statuses made it into the CRM.
    const crm = ctx.crm;
    const readCount = () => wamids.filter((w) => crm.messageByWaId(w)?.status === 'read').length;
    await ctx.waitFor(() => readCount() === wamids.length, 10_000, 200);
    const enough = outcomes.length >= flows * 3 * 0.9;
    return {
      passed: enough && s.bad === 0 && s.p99 <= ACK_TARGET_MS,
      evidence: line(
        `${wamids.length}/${flows} templates sent; ${outcomes.length} status webhooks at ~30/s: ${s.text}`,
        eventP99 !== null ? `CRM event acks p99 ${ms(eventP99)}` : '',
        `CRM shows read for ${readCount()}/${wamids.length} messages`,
        enough
          ? ''
          : 'too few messages were sent to make the burst (the connector did not send the templates)',
      ),
    };
  },
};

/** The acknowledgement cases. */
export const ACK_CASES: readonly ConformanceCaseDef[] = [ackWithin200, ackUnderStatusBurst];
