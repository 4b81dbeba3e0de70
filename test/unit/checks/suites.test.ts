import { describe, expect, it } from 'vitest';
import { percentile } from '../../../src/checks/measures.js';
import {
  judgeConversationSync,
  judgeLoss,
  judgeRecovery,
  judgeTemplateDelivery,
} from '../../../src/checks/suites.js';
import type { FlowTrace, HopName } from '../../../src/flows/types.js';

function out(
  id: string,
  hops: Array<[HopName, number, Record<string, unknown>?]>,
  opts: Partial<FlowTrace> = {},
): FlowTrace {
  const f: FlowTrace = {
    flowId: id,
    direction: 'outbound',
    suite: 't',
    intendedAtMs: 0,
    hops: hops.map(([name, atMs, data]) => (data ? { name, atMs, data } : { name, atMs })),
    statusesScheduled: ['sent', 'delivered'],
    state: 'complete',
    outbound: {
      eventId: `e-${id}`,
      eventType: 'order.created',
      templateName: 'order_confirmation',
      templateLanguage: 'en_US',
      category: 'UTILITY',
      toE164: '+15550001',
      expectedText: 'Hi Ana',
      sendAllowed: true,
    },
    ...opts,
  };
  const acc = f.hops.find((h) => h.name === 'wa.message.accepted');
  const rec = f.hops.find((h) => h.name === 'crm.message.recorded');
  if (acc && rec && f.syncLatencyMs === undefined)
    f.syncLatencyMs = Math.max(acc.atMs, rec.atMs) - f.intendedAtMs;
  return f;
}

const good = (id: string) =>
  out(id, [
    ['wa.message.accepted', 300, { renderedText: 'Hi Ana' }],
    ['crm.message.recorded', 400],
    ['wa.status.sent', 500],
    ['crm.status.sent', 550],
    ['wa.status.delivered', 1200],
    ['crm.status.delivered', 1300],
  ]);

describe('template delivery judgement', () => {
  it('scores a healthy run at 100 %', () => {
    const j = judgeTemplateDelivery([good('a'), good('b')], 10_000);
    expect(j.metrics['template_delivery_rate']?.value).toBe(1);
    expect(j.metrics['record_completeness']?.value).toBe(1);
    expect(j.checks['content_accuracy']?.value).toBe(1);
    expect(j.checks['status_writeback_rate']?.value).toBe(1);
    expect(j.checks['display_latency_p95_s']?.value).toBeCloseTo(1.2);
    expect(j.metrics['sync_latency_p95_s']?.value).toBeCloseTo(0.4);
  });

  it('catches a dropped send, a wrong text and a missing status write-back', () => {
    const dropped = out('d', [], { state: 'pending' });
    const wrong = out('w', [
      ['wa.message.accepted', 300, { renderedText: 'Hi ?' }],
      ['crm.message.recorded', 400],
      ['wa.status.delivered', 900],
      ['crm.status.delivered', 950],
    ]);
    const noStatus = out('s', [
      ['wa.message.accepted', 300, { renderedText: 'Hi Ana' }],
      ['crm.message.recorded', 400],
      ['wa.status.sent', 500],
      ['wa.status.delivered', 900],
      ['crm.status.delivered', 950],
    ]);
    const j = judgeTemplateDelivery([good('a'), dropped, wrong, noStatus], 10_000);
    expect(j.metrics['template_delivery_rate']?.value).toBe(0.75);
    expect(j.metrics['template_delivery_rate']?.evidence).toContain('d (');
    expect(j.checks['content_accuracy']?.value).toBeCloseTo(2 / 3);
    expect(j.checks['content_accuracy']?.evidence).toContain('Hi ?');
    expect(j.checks['status_writeback_rate']?.value).toBeCloseTo(4 / 5);
    expect(j.metrics['record_completeness']?.value).toBe(0.5);
    expect(j.flows.lost).toBe(1);
  });

  it('counts a marketing send to a contact without consent as a violation', () => {
    const f = good('m');
    f.outbound = { ...f.outbound!, category: 'MARKETING', sendAllowed: false };
    const j = judgeTemplateDelivery([f], 10_000);
    expect(j.checks['consent_violations']?.value).toBe(1);
  });
});

function inb(
  id: string,
  expectedTags: string[],
  gotTags: string[],
  extra: Partial<FlowTrace['inbound']> = {},
  hops: Array<[HopName, number]> = [],
): FlowTrace {
  return {
    flowId: id,
    direction: 'inbound',
    suite: 's',
    intendedAtMs: 0,
    hops: [
      { name: 'crm.message.recorded', atMs: 200 },
      ...(gotTags.length ? [{ name: 'crm.tags.added' as HopName, atMs: 250, data: { tags: gotTags } }] : []),
      ...hops.map(([name, atMs]) => ({ name, atMs })),
    ],
    statusesScheduled: [],
    state: 'complete',
    syncLatencyMs: 200,
    inbound: {
      fromWaId: '1',
      conversationKey: 'k',
      text: 't',
      expectedTags,
      expectAutoReply: false,
      ...extra,
    },
  };
}

describe('conversation sync judgement', () => {
  it('measures tag accuracy as exact matches against the ground truth', () => {
    const j = judgeConversationSync(
      [
        inb('a', ['refund'], ['refund']),
        inb('b', [], []),
        inb('c', ['pricing'], []),
        inb('d', [], ['shipping']),
      ],
      30_000,
    );
    expect(j.checks['tag_accuracy']?.value).toBe(0.5);
    expect(j.checks['tag_accuracy']?.evidence).toContain('expected [pricing], got []');
  });

  it('fails handover accuracy for a late, a missing and an unexpected handover', () => {
    const ok = inb('ok', ['complaint'], ['complaint'], { expectedHandover: 'complaint' }, [
      ['crm.handover.created', 3_000],
    ]);
    const late = inb('late', ['complaint'], ['complaint'], { expectedHandover: 'complaint' }, [
      ['crm.handover.created', 25_000],
    ]);
    const missing = inb('missing', [], [], { expectedHandover: 'long_conversation' });
    const extra = inb('extra', [], [], {}, [['crm.handover.created', 100]]);
    expect(judgeConversationSync([ok], 30_000).checks['handover_accuracy']?.value).toBe(1);
    const j = judgeConversationSync([ok, late, missing, extra], 30_000);
    expect(j.checks['handover_accuracy']?.value).toBe(0.25);
    expect(j.checks['handover_accuracy']?.evidence).toContain('1 unexpected');
  });

  it('times automatic first answers against the 5 s target and both sync directions', () => {
    const quick = inb('q', ['order_confirmation'], ['order_confirmation'], { expectAutoReply: true }, [
      ['wa.autoreply.accepted', 1_200],
    ]);
    const slow = inb('s', ['order_confirmation'], ['order_confirmation'], { expectAutoReply: true }, [
      ['wa.autoreply.accepted', 7_000],
    ]);
    const j = judgeConversationSync([quick, slow], 30_000);
    expect(j.checks['first_response_within_5s_share']?.value).toBe(0.5);
    expect(j.checks['auto_reply_rate']?.value).toBe(1);
    expect(j.checks['whatsapp_to_crm_latency_p95_s']?.value).toBeCloseTo(0.2);
    expect(
      judgeTemplateDelivery([good('a')], 10_000).checks['crm_to_whatsapp_latency_p95_s']?.value,
    ).toBeCloseTo(0.3);
  });

  it('counts unrecorded messages against completeness and loss', () => {
    const lost: FlowTrace = { ...inb('x', [], []), hops: [], state: 'pending', syncLatencyMs: undefined };
    const j = judgeConversationSync([inb('a', [], []), lost], 30_000);
    expect(j.metrics['record_completeness']?.value).toBe(0.5);
    expect(judgeLoss([inb('a', [], []), lost]).value).toBe(0.5);
    const logged: FlowTrace = { ...lost, flowId: 'y', hops: [{ name: 'crm.errorlog', atMs: 50 }] };
    expect(judgeLoss([inb('a', [], []), logged]).value).toBe(0.5);
    expect(judgeLoss([inb('a', [], []), logged]).evidence).toContain('1 of them error-logged');
  });
});

describe('recovery judgement', () => {
  const at = (id: string, intendedAtMs: number, syncLatencyMs?: number): FlowTrace => ({
    ...good(id),
    intendedAtMs,
    syncLatencyMs,
  });
  const fault = { target: 'whatsapp' as const, spec: 'outage=unavailable', startMs: 10_000, endMs: 20_000 };

  it('is the later of the first normal flow and the drained backlog', () => {
    const flows = [at('a', 5_000, 300), at('b', 12_000, 19_000), at('c', 21_000, 400)];
    const j = judgeRecovery(flows, fault, 2_000);
    expect(j.recoveryMs).toBe(11_000);
    expect(j.lost).toBe(0);
  });

  it('is null when no flow completes normally after the fault', () => {
    const j = judgeRecovery([at('b', 12_000, 1_000), at('c', 21_000, 9_000)], fault, 2_000);
    expect(j.recoveryMs).toBeNull();
    expect(j.evidence).toContain('no flow completed normally');
  });

  it('is null when a flow caught by the fault never synced: the backlog never drained', () => {
    const j = judgeRecovery([at('b', 12_000, undefined), at('c', 21_000, 300)], fault, 2_000);
    expect(j.recoveryMs).toBeNull();
    expect(j.lost).toBe(1);
    expect(j.evidence).toContain('never drained');
  });

  it('takes a template its consent forbids as through once its error-log entry is written', () => {
    const blocked: FlowTrace = {
      ...at('b', 12_000, undefined),
      hops: [{ name: 'crm.errorlog', atMs: 12_050 }],
      completedAtMs: 12_050,
      outbound: { ...(good('b').outbound as NonNullable<FlowTrace['outbound']>), sendAllowed: false },
    };
    const j = judgeRecovery([at('a', 12_500, 9_000), blocked, at('c', 21_000, 300)], fault, 2_000);
    expect(j.lost).toBe(0);
    expect(j.recoveryMs).toBe(1_500);
    // Still pending, the same flow is lost: the backlog never drained.
    const pending = judgeRecovery([{ ...blocked, state: 'pending' }, at('c', 21_000, 300)], fault, 2_000);
    expect(pending.lost).toBe(1);
  });
});

describe('percentile', () => {
  it('uses nearest rank', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([], 95)).toBeNull();
  });
});
