import { describe, expect, it } from 'vitest';
import { FlowTracer, type TraceEntry } from '../../../src/flows/tracer.js';
import type { FlowTrace } from '../../../src/flows/types.js';

const wa = (atMs: number, kind: string, data: Record<string, unknown>): TraceEntry => ({
  atMs,
  source: 'whatsapp',
  kind,
  data,
});
const crm = (atMs: number, kind: string, data: Record<string, unknown>): TraceEntry => ({
  atMs,
  source: 'crm',
  kind,
  data,
});

function outbound(tracer: FlowTracer, sendAllowed = true): FlowTrace {
  return tracer.startOutbound('f1', 'template-delivery', 1000, 1001, {
    eventId: 'evt_1',
    eventType: 'order.created',
    templateName: 'order_confirmation',
    templateLanguage: 'en_US',
    category: 'UTILITY',
    toE164: '+886912345678',
    expectedText: 'Hi Ana, order A-1 is confirmed.',
    sendAllowed,
  });
}

describe('FlowTracer, outbound flows', () => {
  it('completes when the send is accepted, recorded, and every scheduled status is stored', () => {
    const tracer = new FlowTracer();
    const completed: string[] = [];
    tracer.on('complete', (f: FlowTrace) => completed.push(f.flowId));
    const flow = outbound(tracer);
    tracer.ingest(crm(1010, 'event.delivered', { eventId: 'evt_1' }));
    tracer.ingest(wa(1200, 'message.accepted', { wamid: 'wamid.A', bizOpaque: 'evt_1', to: '886912345678' }));
    tracer.ingest(wa(1200, 'status.scheduled', { wamid: 'wamid.A', status: 'sent' }));
    tracer.ingest(wa(1200, 'status.scheduled', { wamid: 'wamid.A', status: 'delivered' }));
    tracer.ingest(
      crm(1300, 'message.created', { waMessageId: 'wamid.A', messageId: 'm1', direction: 'outbound' }),
    );
    expect(flow.syncLatencyMs).toBe(300);
    tracer.ingest(wa(1500, 'status.emitted', { wamid: 'wamid.A', status: 'sent' }));
    tracer.ingest(crm(1550, 'message.status', { waMessageId: 'wamid.A', status: 'sent' }));
    expect(flow.state).toBe('pending');
    tracer.ingest(wa(2500, 'status.emitted', { wamid: 'wamid.A', status: 'delivered' }));
    tracer.ingest(crm(2600, 'message.status', { waMessageId: 'wamid.A', status: 'delivered' }));
    expect(flow.state).toBe('pending');
    tracer.ingest(wa(2500, 'status.finished', { wamid: 'wamid.A' }));
    expect(flow.state).toBe('complete');
    expect(flow.completedAtMs).toBe(2600);
    expect(completed).toEqual(['f1']);
    expect(flow.hops.map((h) => h.name)).toContain('crm.event.acked');
  });

  it('stays pending when an emitted status is never written back', () => {
    const tracer = new FlowTracer();
    const flow = outbound(tracer);
    tracer.ingest(wa(1200, 'message.accepted', { wamid: 'wamid.A', bizOpaque: 'evt_1' }));
    tracer.ingest(crm(1300, 'message.created', { waMessageId: 'wamid.A', messageId: 'm1' }));
    tracer.ingest(wa(1400, 'status.emitted', { wamid: 'wamid.A', status: 'sent' }));
    tracer.ingest(crm(1550, 'message.status', { waMessageId: 'wamid.A', status: 'sent' }));
    tracer.ingest(wa(1600, 'status.emitted', { wamid: 'wamid.A', status: 'read' }));
    tracer.ingest(wa(1600, 'status.finished', { wamid: 'wamid.A' }));
    expect(flow.state).toBe('pending');
    expect(flow.statusesScheduled).toEqual(['sent', 'read']);
  });

  it('records a rejected send as evidence and still lets a retried send complete the flow', () => {
    const tracer = new FlowTracer();
    const flow = outbound(tracer);
    tracer.ingest(wa(1200, 'message.rejected', { bizOpaque: 'evt_1', errorCode: 130429 }));
    expect(flow.state).toBe('pending');
    expect(flow.failure).toContain('130429');
    tracer.ingest(wa(1300, 'message.accepted', { wamid: 'wamid.R', bizOpaque: 'evt_1' }));
    expect(flow.hops.map((h) => h.name)).toEqual(['wa.message.rejected', 'wa.message.accepted']);
  });

  it('treats a send the consent forbids as correct only when it is not sent and is logged', () => {
    const ok = new FlowTracer();
    const good = outbound(ok, false);
    ok.ingest(crm(1100, 'errorlog.created', { eventId: 'evt_1', kind: 'consent_blocked' }));
    expect(good.state).toBe('complete');

    const bad = new FlowTracer();
    const violated = outbound(bad, false);
    bad.ingest(wa(1200, 'message.accepted', { wamid: 'wamid.B', bizOpaque: 'evt_1' }));
    expect(violated.state).toBe('failed');
    expect(violated.failure).toContain('consent');
  });

  it('replays entries about a wamid that arrived before the flow knew it', () => {
    const tracer = new FlowTracer();
    tracer.ingest(crm(900, 'message.created', { waMessageId: 'wamid.IN', messageId: 'm9', contactId: 'c1' }));
    const flow = tracer.startInbound('i1', 'sync', 800, 800, 'wamid.IN', {
      fromWaId: '15550001111',
      conversationKey: 'k',
      text: 'hi',
      expectedTags: [],
      expectAutoReply: false,
    });
    expect(flow.state).toBe('complete');
    expect(flow.syncLatencyMs).toBe(100);
  });
});

describe('FlowTracer, inbound flows', () => {
  it('waits for the expected tags, handover and automatic reply', () => {
    const tracer = new FlowTracer();
    const flow = tracer.startInbound('i1', 'sync', 0, 0, 'wamid.I', {
      fromWaId: '15550001111',
      conversationKey: 'k',
      text: 'terrible service, please confirm my order',
      expectedTags: ['complaint', 'order_confirmation'],
      expectedHandover: 'complaint',
      expectAutoReply: true,
    });
    tracer.ingest(wa(5, 'webhook.delivered', { wamids: ['wamid.I'], field: 'messages' }));
    tracer.ingest(crm(120, 'message.created', { waMessageId: 'wamid.I', messageId: 'm1', contactId: 'c1' }));
    tracer.ingest(crm(150, 'tags.added', { contactId: 'c1', tags: ['complaint'] }));
    expect(flow.state).toBe('pending');
    tracer.ingest(crm(160, 'tags.added', { contactId: 'c1', tags: ['order_confirmation'] }));
    tracer.ingest(crm(400, 'handover.created', { contactId: 'c1', reason: 'complaint' }));
    expect(flow.state).toBe('pending');
    tracer.ingest(wa(500, 'message.accepted', { wamid: 'wamid.R', to: '+1 555 000 1111', type: 'text' }));
    expect(flow.state).toBe('complete');
    expect(flow.completedAtMs).toBe(500);
    expect(flow.hops.map((h) => h.name)).toContain('wa.webhook.acked');
  });

  it('pins a tag to the message that should have caused it, and an unexpected one to the newest', () => {
    const tracer = new FlowTracer();
    const exp = (tags: string[]) => ({
      fromWaId: '1555',
      conversationKey: 'k',
      text: 'x',
      expectedTags: tags,
      expectAutoReply: false,
    });
    const a = tracer.startInbound('a', 's', 0, 0, 'w.a', exp(['refund']));
    const b = tracer.startInbound('b', 's', 0, 0, 'w.b', exp([]));
    tracer.ingest(crm(10, 'message.created', { waMessageId: 'w.a', messageId: 'm1', contactId: 'c' }));
    tracer.ingest(crm(11, 'message.created', { waMessageId: 'w.b', messageId: 'm2', contactId: 'c' }));
    expect(b.state).toBe('complete');
    tracer.ingest(crm(20, 'tags.added', { contactId: 'c', tags: ['pricing'] }));
    tracer.ingest(crm(21, 'tags.added', { contactId: 'c', tags: ['refund'] }));
    expect(a.state).toBe('complete');
    expect([...tracer.tagsOf(b)]).toEqual(['pricing']);
  });

  it('forgets released flows and their indexes', () => {
    const tracer = new FlowTracer();
    outbound(tracer);
    tracer.release('f1');
    expect(tracer.size()).toBe(0);
    tracer.ingest(wa(1, 'message.accepted', { wamid: 'w', bizOpaque: 'evt_1' }));
    expect(tracer.unmatched.get('whatsapp:message.accepted')).toBe(1);
  });
});
