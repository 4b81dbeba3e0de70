import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../kernel/clock.js';
import { createRng } from '../../../../kernel/random.js';
import type { StatusTiming } from '../../../../mocks/whatsapp/options.js';
import {
  DueHeap,
  type OutboundMessage,
  pricingFor,
  StatusSimulator,
} from '../../../../mocks/whatsapp/statuses.js';
import type { StatusObject } from '../../../../mocks/whatsapp/webhooks.js';

const TIMING: StatusTiming = {
  sent: { kind: 'fixed', ms: 500 },
  delivered: { kind: 'fixed', ms: 1000 },
  read: { kind: 'fixed', ms: 5000 },
  readProbability: 1,
  failureRate: 0,
};

function sim(timing: Partial<StatusTiming> = {}, reorder = false) {
  const clock = new VirtualClock({ epochMs: Date.UTC(2026, 0, 5) });
  const out: Array<{ atMs: number; s: StatusObject }> = [];
  const s = new StatusSimulator({
    clock,
    rng: createRng(3),
    timing: { ...TIMING, ...timing },
    emit: (_m, st) => out.push({ atMs: clock.nowMs(), s: st }),
    reorder: () => reorder,
  });
  return { clock, s, out };
}

const msg = (n = 1, over: Partial<OutboundMessage> = {}): OutboundMessage => ({
  wamid: `wamid.M${n}`,
  waId: '16505551234',
  pricing: pricingFor('UTILITY', false),
  bizOpaque: 'crm-1',
  ...over,
});

describe('status simulator', () => {
  it('plays sent → delivered → read at the drawn delays, each relative to the previous', () => {
    const { clock, s, out } = sim();
    s.start(msg(), { kind: 'normal' });
    expect(s.pendingCount()).toBe(1);
    clock.advance(10_000);
    expect(out.map((o) => [o.s.status, o.atMs])).toEqual([
      ['sent', 500],
      ['delivered', 1500],
      ['read', 6500],
    ]);
    expect(s.pendingCount()).toBe(0);
    const [sent, delivered, read] = out.map((o) => o.s);
    expect(sent).toMatchObject({
      id: 'wamid.M1',
      recipient_id: '16505551234',
      biz_opaque_callback_data: 'crm-1',
    });
    expect(sent?.timestamp).toBe(String(Math.floor(Date.UTC(2026, 0, 5, 0, 0, 0, 500) / 1000)));
    expect(sent?.pricing).toEqual({
      billable: true,
      pricing_model: 'PMP',
      type: 'regular',
      category: 'utility',
    });
    // Meta's order: id, expiration_timestamp (on the status that opens it), origin.
    expect(Object.keys(sent?.conversation ?? {})).toEqual(['id', 'expiration_timestamp', 'origin']);
    expect(sent?.conversation?.expiration_timestamp).toBe(
      String(Math.floor((Date.UTC(2026, 0, 5, 0, 0, 0, 500) + 24 * 3_600_000) / 1000)),
    );
    expect(sent?.conversation?.origin).toEqual({ type: 'utility' });
    expect(delivered?.conversation).toEqual({ id: sent?.conversation?.id, origin: { type: 'utility' } });
    expect(read?.pricing).toBeUndefined();
    expect(read?.biz_opaque_callback_data).toBe('crm-1');
  });

  it('never reads when readProbability is 0', () => {
    const { clock, s, out } = sim({ readProbability: 0 });
    s.start(msg(), { kind: 'normal' });
    clock.advance(60_000);
    expect(out.map((o) => o.s.status)).toEqual(['sent', 'delivered']);
  });

  it('fails outright with the planned error and no sent status', () => {
    const { clock, s, out } = sim();
    s.start(msg(), { kind: 'fail', code: 131047, afterSent: false });
    clock.advance(60_000);
    expect(out).toHaveLength(1);
    expect(out[0]?.s.status).toBe('failed');
    expect(out[0]?.s.errors?.[0]).toMatchObject({ code: 131047, title: 'Re-engagement message' });
    expect(out[0]?.s.pricing).toBeUndefined();
  });

  it('fails after sent at the failure rate with 131026', () => {
    const { clock, s, out } = sim({ failureRate: 1 });
    s.start(msg(), { kind: 'normal' });
    clock.advance(60_000);
    expect(out.map((o) => o.s.status)).toEqual(['sent', 'failed']);
    expect(out[1]?.s.errors?.[0]?.code).toBe(131026);
  });

  it('emits sent after delivered when the reorder fault picks the message', () => {
    const { clock, s, out } = sim({ readProbability: 0 }, true);
    s.start(msg(), { kind: 'normal' });
    clock.advance(60_000);
    expect(out.map((o) => o.s.status)).toEqual(['delivered', 'sent']);
    expect(Number(out[1]?.s.timestamp)).toBeLessThanOrEqual(Number(out[0]?.s.timestamp));
  });

  it('opens one conversation per user and category for 24 h', () => {
    const { clock, s, out } = sim({ readProbability: 0 });
    s.start(msg(1), { kind: 'normal' });
    s.start(msg(2), { kind: 'normal' });
    s.start(msg(3, { pricing: pricingFor('MARKETING', false) }), { kind: 'normal' });
    clock.advance(5_000);
    const sentConv = out.filter((o) => o.s.status === 'sent').map((o) => o.s.conversation);
    expect(sentConv[0]?.id).toBe(sentConv[1]?.id);
    expect(sentConv[1]?.expiration_timestamp).toBeUndefined();
    expect(sentConv[2]?.id).not.toBe(sentConv[0]?.id);
    expect(sentConv[2]?.origin.type).toBe('marketing');
    // The user's marketing conversation did not displace the utility one.
    s.start(msg(5), { kind: 'normal' });
    clock.advance(5_000);
    const again = out.find((o) => o.s.id === 'wamid.M5' && o.s.status === 'sent')?.s.conversation;
    expect(again).toEqual({ id: sentConv[0]?.id, origin: { type: 'utility' } });
    clock.advance(25 * 3_600_000);
    s.start(msg(4), { kind: 'normal' });
    clock.advance(5_000);
    const later = out.filter((o) => o.s.id === 'wamid.M4' && o.s.status === 'sent')[0]?.s.conversation;
    expect(later?.id).not.toBe(sentConv[0]?.id);
    expect(later?.expiration_timestamp).toBeDefined();
  });

  it('emits every status at exactly its due time, however the delays interleave', () => {
    const clock = new VirtualClock();
    const due = new Map<string, number>();
    const off: string[] = [];
    let emitted = 0;
    const s = new StatusSimulator({
      clock,
      rng: createRng(9),
      timing: {
        sent: { kind: 'lognormal', medianMs: 300, sigma: 1, maxMs: 1_000 },
        delivered: { kind: 'lognormal', medianMs: 900, sigma: 1, maxMs: 5_000 },
        read: { kind: 'uniform', minMs: 0, maxMs: 20_000 },
        readProbability: 0.5,
        failureRate: 0.1,
      },
      emit: (m, st, next) => {
        emitted++;
        const key = `${m.wamid} ${st.status}`;
        if (due.get(key) !== clock.nowMs()) off.push(`${key} due ${due.get(key)}, emitted ${clock.nowMs()}`);
        if (next) due.set(`${m.wamid} ${next.status}`, clock.nowMs() + next.dueInMs);
      },
      reorder: () => false,
    });
    for (let i = 0; i < 300; i++) {
      const first = s.start(msg(i), { kind: 'normal' });
      due.set(`wamid.M${i} ${first.status}`, clock.nowMs() + first.dueInMs);
      clock.advance(3);
    }
    clock.advance(3_600_000);
    expect(off).toEqual([]);
    expect(s.pendingCount()).toBe(0);
    expect(emitted).toBeGreaterThan(600);
  });

  it('keeps its timeline going after an emit listener throws', () => {
    const clock = new VirtualClock();
    const out: string[] = [];
    let calls = 0;
    const s = new StatusSimulator({
      clock,
      rng: createRng(3),
      timing: { ...TIMING, readProbability: 0 },
      emit: (m, st) => {
        if (calls++ === 0) throw new Error('listener bug');
        out.push(`${m.wamid} ${st.status}`);
      },
      reorder: () => false,
    });
    s.start(msg(1), { kind: 'normal' });
    s.start(msg(2), { kind: 'normal' });
    expect(() => clock.advance(600)).toThrow('listener bug');
    clock.advance(60_000);
    // M1's `sent` was lost with the throw; everything after it still came, on time.
    expect(out).toEqual(['wamid.M2 sent', 'wamid.M1 delivered', 'wamid.M2 delivered']);
    expect(s.pendingCount()).toBe(0);
  });

  it('cancelAll drops every pending status', () => {
    const { clock, s, out } = sim();
    for (let i = 0; i < 10; i++) s.start(msg(i), { kind: 'normal' });
    clock.advance(600);
    s.cancelAll();
    clock.advance(60_000);
    expect(out.every((o) => o.s.status === 'sent')).toBe(true);
    expect(s.pendingCount()).toBe(0);
  });
});

describe('PMP pricing', () => {
  it('prices templates by category; utility and free-form are free inside the service window', () => {
    expect(pricingFor('MARKETING', true)).toEqual({
      billable: true,
      pricing_model: 'PMP',
      type: 'regular',
      category: 'marketing',
    });
    expect(pricingFor('UTILITY', true)).toMatchObject({
      billable: false,
      type: 'free_customer_service',
      category: 'utility',
    });
    expect(pricingFor('AUTHENTICATION', false)).toMatchObject({ billable: true, category: 'authentication' });
    expect(pricingFor(undefined, true)).toMatchObject({
      billable: false,
      type: 'free_customer_service',
      category: 'service',
    });
  });
});

describe('DueHeap', () => {
  it('pops in (due, insertion) order whatever the pushes, across growth of its arrays', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 50 })), { maxLength: 3000 }),
        (ops) => {
          const heap = new DueHeap<number>();
          const model: Array<[number, number]> = [];
          let seq = 0;
          for (const [isPush, due] of ops) {
            if (isPush || model.length === 0) {
              heap.push(due, ++seq, seq);
              model.push([due, seq]);
              model.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
            } else {
              const [d, s] = model.shift() as [number, number];
              expect(heap.peekDue()).toBe(d);
              expect(heap.pop()).toBe(s);
            }
          }
          expect(heap.size).toBe(model.length);
          for (const [, s] of model) expect(heap.pop()).toBe(s);
          expect(heap.peekDue()).toBe(Number.POSITIVE_INFINITY);
          expect(heap.pop()).toBeUndefined();
        },
      ),
      { numRuns: 60 },
    );
  });
});
