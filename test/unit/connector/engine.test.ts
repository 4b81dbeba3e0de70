import { describe, expect, it } from 'vitest';
import { type ConnectorConfig, defaultConfig } from '../../../connector/config.js';
import { Engine, STATUS_LOOKUP_DELAYS_MS } from '../../../connector/engine.js';
import { silentLogger } from '../../../connector/log.js';
import { IMMEDIATE_RETRY_MS } from '../../../connector/retry.js';
import { parseFaults } from '../../../kernel/connector-faults.js';
import { FakeCrm, FakeWa, inboundPayload, ManualClock, statusPayload } from './helpers.js';

function setup(overrides: Partial<ConnectorConfig> = {}, faults: string[] = [], random?: () => number) {
  const clock = new ManualClock();
  const crm = new FakeCrm(clock);
  const wa = new FakeWa(clock);
  const config = defaultConfig({
    concurrency: 4,
    retryDelayMs: 30_000,
    fallbackTemplate: null,
    ...overrides,
    faults: parseFaults(faults),
  });
  const engine = new Engine({ config, clock, log: silentLogger, crm, wa, ...(random ? { random } : {}) });
  engine.start();
  // The contact the CRM events below are about.
  crm.seedContact({ id: 'ctc_seed', phone: '0912-345-678', country: 'TW' });
  return { clock, crm, wa, engine };
}

const TW = '886912345678';
const byPhone = (crm: FakeCrm, phone = '+886912345678') =>
  [...crm.contacts.values()].find((c) => c['phone'] === phone);

function orderEvent(id: string, over: Record<string, unknown> = {}) {
  return {
    id,
    type: 'order.created',
    created_at: '2026-01-05T09:00:00.000Z',
    contact: {
      id: 'ctc_seed',
      name: 'Ana',
      phone: '0912-345-678',
      country: 'TW',
      consent: 'transactional',
      opted_out: false,
    },
    data: { order_id: 'A-1001', total: 42.5, currency: 'EUR', total_text: '€42.50' },
    action: {
      channel: 'whatsapp',
      template: 'order_confirmation',
      language: 'en_US',
      category: 'UTILITY',
      parameters: {
        body: [
          'contact.name',
          'data.order_id',
          { type: 'currency', amount: 'data.total', code: 'data.currency', fallback: 'data.total_text' },
        ],
      },
    },
    ...over,
  };
}

describe('WhatsApp → CRM', () => {
  it('writes an inbound message: contact upsert, conversation, message, tags, complaint handover', async () => {
    const { clock, crm, engine } = setup();
    const r = engine.acceptWhatsApp(
      inboundPayload([
        { id: 'wamid.in1', from: TW, text: 'This is terrible, where is my order?', name: '陳怡君' },
      ]),
    );
    expect(r).toEqual({ accepted: true, jobs: 1, duplicates: 0 });
    await clock.advance(10);
    const contact = byPhone(crm);
    expect(contact).toMatchObject({
      phone: '+886912345678',
      name: '陳怡君',
      tags: ['order_status', 'complaint'],
    });
    expect(crm.callsTo('POST', '/contacts')[0]?.body).toMatchObject({
      last_inbound_at: '2026-01-05T09:00:00.000Z',
    });
    const msg = crm.messages.get('wamid.in1');
    expect(msg).toMatchObject({
      direction: 'inbound',
      type: 'text',
      body: 'This is terrible, where is my order?',
      at: '2026-01-05T09:00:00.000Z',
    });
    expect(crm.handovers).toEqual([{ conversation_id: msg?.conversation_id, reason: 'complaint' }]);
    // Every POST carries an idempotency key.
    for (const c of crm.calls.filter((c) => c.method !== 'GET')) expect(c.key).toBeTruthy();
    expect(engine.counters.processed.inbound).toBe(1);
  });

  it('caches contact and conversation ids: the second message costs one CRM call', async () => {
    const { clock, crm, engine } = setup();
    engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.a', from: TW, text: 'hello' }]));
    await clock.advance(10);
    const before = crm.calls.length;
    engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.b', from: TW, text: 'thanks' }]));
    await clock.advance(10);
    expect(crm.calls.slice(before).map((c) => `${c.method} ${c.path.replace(/conv_\d+/, 'ID')}`)).toEqual([
      'POST /conversations/ID/messages',
    ]);
  });

  it('hands a conversation over once when it passes 6 customer messages', async () => {
    const { clock, crm, engine } = setup();
    for (let i = 1; i <= 9; i++) {
      engine.acceptWhatsApp(inboundPayload([{ id: `wamid.L${i}`, from: TW, text: `message ${i}` }]));
    }
    await clock.advance(50);
    expect(crm.messages.size).toBe(9);
    expect(crm.handovers.map((h) => h.reason)).toEqual(['long_conversation']);
    const seventh = crm.calls.findIndex(
      (c) => (c.body as { wa_message_id?: string })?.wa_message_id === 'wamid.L7',
    );
    const handover = crm.calls.findIndex((c) => c.path === '/handovers');
    const eighth = crm.calls.findIndex(
      (c) => (c.body as { wa_message_id?: string })?.wa_message_id === 'wamid.L8',
    );
    expect(seventh).toBeLessThan(handover);
    expect(handover).toBeLessThan(eighth);
  });

  it('answers an order confirmation automatically and records the reply', async () => {
    const { clock, crm, wa, engine } = setup();
    engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.c1', from: TW, text: '请帮我确认订单' }]));
    await clock.advance(10);
    expect(wa.sends).toEqual([
      { kind: 'text', to: '+886912345678', body: '谢谢！您的订单已确认。发货时我们会通知您。', atMs: 0 },
    ]);
    expect(crm.messages.get('wamid.T1')).toMatchObject({
      direction: 'outbound',
      type: 'text',
      body: wa.sends[0]?.body,
    });
    expect(crm.messages.get('wamid.T1')?.conversation_id).toBe(crm.messages.get('wamid.c1')?.conversation_id);
  });

  it('opts a contact out on an unsubscribe keyword', async () => {
    const { clock, crm, engine } = setup();
    engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.u1', from: TW, text: 'Quiero darme de baja' }]));
    await clock.advance(10);
    expect(byPhone(crm)).toMatchObject({ opted_out: true, tags: ['unsubscribe'] });
  });

  it('sends no free-form reply outside the 24 h window: error log, or the fallback template', async () => {
    const dayAgo = 1_767_603_600 - 25 * 3600;
    const a = setup();
    a.engine.acceptWhatsApp(
      inboundPayload([{ id: 'wamid.old', from: TW, text: 'confirm my order', timestamp: dayAgo }]),
    );
    await a.clock.advance(10);
    expect(a.wa.sends).toEqual([]);
    expect(a.crm.errorLogs).toEqual([
      expect.objectContaining({ kind: 'window_closed', wa_message_id: 'wamid.old' }),
    ]);

    const b = setup({ fallbackTemplate: { name: 'reengage', language: 'en_US' } });
    b.engine.acceptWhatsApp(
      inboundPayload([{ id: 'wamid.old', from: TW, text: 'confirm my order', timestamp: dayAgo }]),
    );
    await b.clock.advance(10);
    expect(b.wa.sends.map((s) => [s.kind, s.name])).toEqual([['template', 'reengage']]);
    expect(b.crm.messages.get('wamid.T1')).toMatchObject({ type: 'template', template_name: 'reengage' });
  });

  it('falls back to the template when WhatsApp answers 131047, and never retries it blindly', async () => {
    const a = setup();
    a.wa.failNext({ code: 131047, httpStatus: 400, retryable: false });
    a.engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.w', from: TW, text: 'confirm my order' }]));
    await a.clock.advance(60_000);
    expect(a.wa.sends).toHaveLength(1);
    expect(a.crm.errorLogs.map((e) => e.kind)).toEqual(['window_closed']);

    const b = setup({ fallbackTemplate: { name: 'reengage', language: 'en_US' } });
    b.wa.failNext({ code: 131047, httpStatus: 400, retryable: false });
    b.engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.w', from: TW, text: 'confirm my order' }]));
    await b.clock.advance(10);
    expect(b.wa.sends.map((s) => s.kind)).toEqual(['text', 'template']);
  });
});

describe('131047 after acceptance (the failed status)', () => {
  it('sends the fallback template for an automatic reply that failed with 131047, or logs window_closed', async () => {
    for (const fallback of [null, { name: 'hello_world', language: 'en_US' }]) {
      const { clock, crm, wa, engine } = setup({ fallbackTemplate: fallback });
      engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.q', from: TW, text: 'confirm my order' }]));
      await clock.advance(10);
      expect(wa.sends.map((s) => s.kind)).toEqual(['text']);
      engine.acceptWhatsApp(
        statusPayload([
          {
            id: 'wamid.T1',
            status: 'failed',
            to: TW,
            error: { code: 131047, title: 'Re-engagement message' },
          },
        ]),
      );
      await clock.advance(10);
      expect(crm.messages.get('wamid.T1')?.['status']).toBe('failed');
      if (fallback) {
        expect(wa.sends.map((s) => [s.kind, s.name ?? null])).toEqual([
          ['text', null],
          ['template', 'hello_world'],
        ]);
        expect(crm.messages.get('wamid.T2')).toMatchObject({
          type: 'template',
          template_name: 'hello_world',
        });
        expect(crm.errorLogs).toEqual([]);
      } else {
        expect(wa.sends).toHaveLength(1);
        expect(crm.errorLogs).toEqual([
          expect.objectContaining({ kind: 'window_closed', wa_message_id: 'wamid.T1' }),
        ]);
      }
    }
  });
});

describe('CRM → WhatsApp', () => {
  it('turns an event into a template send to the E.164 number and records it', async () => {
    const { clock, crm, wa, engine } = setup();
    const event = orderEvent('evt_1');
    expect(engine.acceptCrmEvent(event)).toEqual({ accepted: true, jobs: 1, duplicates: 0 });
    await clock.advance(10);
    expect(wa.sends).toHaveLength(1);
    expect(wa.sends[0]).toMatchObject({
      kind: 'template',
      to: '+886912345678',
      name: 'order_confirmation',
      language: 'en_US',
      bizOpaque: 'evt_1',
    });
    expect(wa.sends[0]?.components?.[0]?.parameters).toEqual([
      { type: 'text', text: 'Ana' },
      { type: 'text', text: 'A-1001' },
      { type: 'currency', currency: { fallback_value: '€42.50', code: 'EUR', amount_1000: 42500 } },
    ]);
    expect(crm.messages.get('wamid.T1')).toMatchObject({
      direction: 'outbound',
      type: 'template',
      template_name: 'order_confirmation',
      template_language: 'en_US',
      template_params: { body: ['Ana', 'A-1001', '€42.50'] },
      wa_message_id: 'wamid.T1',
    });
  });

  it('refuses an unnormalisable phone with an invalid_phone error log, never silently', async () => {
    const { clock, crm, wa, engine } = setup();
    engine.acceptCrmEvent(
      orderEvent('evt_bad', { contact: { id: 'c', phone: '12', country: 'TW', consent: 'marketing' } }),
    );
    await clock.advance(10);
    expect(wa.sends).toEqual([]);
    expect(crm.errorLogs).toEqual([expect.objectContaining({ kind: 'invalid_phone', event_id: 'evt_bad' })]);
  });

  it.each([
    ['MARKETING', 'none', false, 'blocked'],
    ['MARKETING', 'transactional', false, 'blocked'],
    ['MARKETING', 'marketing', true, 'blocked'],
    ['MARKETING', 'marketing', false, 'sent'],
    ['UTILITY', 'none', false, 'sent'],
    ['AUTHENTICATION', 'none', true, 'sent'],
    ['SOMETHING', 'transactional', false, 'blocked'],
  ])('consent: %s to consent %s (opted out %s) is %s', async (category, consent, optedOut, outcome) => {
    const { clock, crm, wa, engine } = setup();
    const base = orderEvent('evt_c');
    engine.acceptCrmEvent({
      ...base,
      contact: { ...base.contact, consent, opted_out: optedOut },
      action: { ...base.action, category },
    });
    await clock.advance(10);
    expect(wa.sends.length).toBe(outcome === 'sent' ? 1 : 0);
    expect(crm.errorLogs.map((e) => e.kind)).toEqual(outcome === 'sent' ? [] : ['consent_blocked']);
  });

  it('remembers a customer opting out by message, even if the event still says otherwise', async () => {
    const { clock, wa, engine } = setup();
    engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.stop', from: TW, text: 'stop messages' }]));
    await clock.advance(10);
    const base = orderEvent('evt_m');
    engine.acceptCrmEvent({
      ...base,
      contact: { ...base.contact, consent: 'marketing' },
      action: { ...base.action, category: 'MARKETING' },
    });
    await clock.advance(10);
    expect(wa.sends).toEqual([]);
  });

  it('rejects an event whose parameters cannot be filled, naming the path', async () => {
    const { clock, crm, engine } = setup();
    const base = orderEvent('evt_p');
    engine.acceptCrmEvent({ ...base, action: { ...base.action, parameters: { body: ['data.nope'] } } });
    await clock.advance(10);
    expect(crm.errorLogs).toEqual([
      expect.objectContaining({
        kind: 'event_rejected',
        event_id: 'evt_p',
        message: expect.stringContaining('action.parameters.body.0'),
      }),
    ]);
  });

  it('de-duplicates events by id', async () => {
    const { clock, wa, engine } = setup();
    engine.acceptCrmEvent(orderEvent('evt_d'));
    expect(engine.acceptCrmEvent(orderEvent('evt_d'))).toEqual({ accepted: true, jobs: 0, duplicates: 1 });
    await clock.advance(10);
    expect(wa.sends).toHaveLength(1);
  });

  it('does not send twice when only the CRM record failed', async () => {
    const { clock, crm, wa, engine } = setup();
    crm.failWhen((c) => c.path.endsWith('/messages'), { httpStatus: 503 }, 1);
    engine.acceptCrmEvent(orderEvent('evt_r'));
    await clock.advance(1000);
    expect(wa.sends).toHaveLength(1);
    expect(crm.messages.has('wamid.T1')).toBe(true);
    expect(engine.counters.retried).toBe(1);
  });
});

describe('statuses', () => {
  async function sentOne() {
    const s = setup();
    s.engine.acceptCrmEvent(orderEvent('evt_s'));
    await s.clock.advance(10);
    return s;
  }
  const to = TW;

  it('writes every status, never backwards, duplicates once; failed carries code and title', async () => {
    const { clock, crm, engine } = await sentOne();
    engine.acceptWhatsApp(statusPayload([{ id: 'wamid.T1', status: 'sent', to }]));
    engine.acceptWhatsApp(statusPayload([{ id: 'wamid.T1', status: 'read', to }]));
    const dup = engine.acceptWhatsApp(statusPayload([{ id: 'wamid.T1', status: 'read', to }]));
    expect(dup).toEqual({ accepted: true, jobs: 0, duplicates: 1 });
    engine.acceptWhatsApp(statusPayload([{ id: 'wamid.T1', status: 'delivered', to }]));
    await clock.advance(10);
    expect(crm.messages.get('wamid.T1')?.status_history.map((h) => (h as { status: string }).status)).toEqual(
      ['sent', 'read'],
    );
    expect(crm.messages.get('wamid.T1')?.['status']).toBe('read');
    expect(engine.counters.statusRegressionsSkipped).toBe(1);
    expect(engine.counters.deduplicated).toBe(1);
  });

  it('writes a failure with its error and tells a human', async () => {
    const { clock, crm, engine } = await sentOne();
    engine.acceptWhatsApp(
      statusPayload([
        { id: 'wamid.T1', status: 'failed', to, error: { code: 131026, title: 'Message undeliverable' } },
      ]),
    );
    await clock.advance(10);
    expect(crm.messages.get('wamid.T1')?.status_history).toEqual([
      {
        status: 'failed',
        at: '2026-01-05T09:01:40.000Z',
        error: { code: 131026, title: 'Message undeliverable' },
      },
    ]);
    expect(crm.errorLogs).toEqual([
      expect.objectContaining({ kind: 'delivery_failed', wa_message_id: 'wamid.T1' }),
    ]);
  });

  it('waits briefly for a message the CRM does not have yet (race), then writes the status', async () => {
    const { clock, crm, engine } = setup();
    engine.acceptWhatsApp(statusPayload([{ id: 'wamid.X', status: 'delivered', to }]));
    await clock.advance(300);
    expect(crm.callsTo('GET', '/messages').length).toBe(2);
    // The record shows up (written by someone else, e.g. a slow path).
    const id = crm.seedContact({ phone: '+886912345678' });
    await crm.post('/conversations', { contact_id: id }, 'k');
    const conv = [...crm.conversations.values()][0]?.id as string;
    await crm.post(
      `/conversations/${conv}/messages`,
      { direction: 'outbound', type: 'text', body: 'x', wa_message_id: 'wamid.X' },
      'k2',
    );
    await clock.advance(1000);
    expect(crm.messages.get('wamid.X')?.status_history).toHaveLength(1);
    expect(crm.errorLogs).toEqual([]);
  });

  it('gives up on a status whose message never appears: lookups, three levels, then the error log', async () => {
    const { clock, crm, engine } = setup({ retryDelayMs: 1000 });
    engine.acceptWhatsApp(statusPayload([{ id: 'wamid.ghost', status: 'read', to }]));
    await clock.advance(60_000);
    expect(crm.errorLogs).toEqual([
      expect.objectContaining({ kind: 'crm_write_failed', wa_message_id: 'wamid.ghost' }),
    ]);
    // Lookups: the first, one after each brief wait, then one per retry level.
    expect(crm.callsTo('GET', '/messages').length).toBe(STATUS_LOOKUP_DELAYS_MS.length + 3);
  });
});

describe('retries', () => {
  it('retries at once, again after retryDelayMs, then writes the error log', async () => {
    const { clock, crm, engine } = setup();
    crm.failWhen((c) => c.path.endsWith('/messages'), { httpStatus: 503, message: 'unavailable' }, 3);
    engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.r', from: TW, text: 'hi' }]));
    await clock.advance(31_000);
    const attempts = crm.callsTo('POST', /\/messages$/).map((c) => c.atMs);
    expect(attempts).toEqual([0, IMMEDIATE_RETRY_MS, IMMEDIATE_RETRY_MS + 30_000]);
    expect(crm.errorLogs).toEqual([
      expect.objectContaining({
        kind: 'crm_write_failed',
        wa_message_id: 'wamid.r',
        context: expect.objectContaining({ attempts: 3 }),
      }),
    ]);
    expect(engine.counters.retriedByLevel).toEqual({ level1: 1, level2: 1 });
  });

  it('recovers on the second level without an error log', async () => {
    const { clock, crm, engine } = setup();
    crm.failWhen((c) => c.path.endsWith('/messages'), { kind: 'timeout', message: 'no answer' }, 2);
    engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.r2', from: TW, text: 'hi' }]));
    await clock.advance(31_000);
    expect(crm.messages.has('wamid.r2')).toBe(true);
    expect(crm.errorLogs).toEqual([]);
  });

  it('honours Retry-After on the first level', async () => {
    const { clock, crm, engine } = setup();
    crm.failWhen((c) => c.path === '/contacts', { httpStatus: 429, retryAfterMs: 7000 }, 1);
    engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.ra', from: TW, text: 'hi' }]));
    await clock.advance(8000);
    expect(crm.callsTo('POST', '/contacts').map((c) => c.atMs)).toEqual([0, 7000]);
  });

  it('sends non-retryable WhatsApp errors to the error log at once', async () => {
    const { clock, crm, wa, engine } = setup();
    wa.failNext({ code: 132001, httpStatus: 404, retryable: false, message: 'template does not exist' });
    engine.acceptCrmEvent(orderEvent('evt_nr'));
    await clock.advance(60_000);
    expect(wa.sends).toHaveLength(1);
    expect(crm.errorLogs).toEqual([expect.objectContaining({ kind: 'delivery_failed', event_id: 'evt_nr' })]);
  });

  it('backs off 4^X s per recipient on 131056 and slows the global rate on 130429', async () => {
    const { clock, wa, engine } = setup();
    wa.failNext({ code: 131056, httpStatus: 429 }, { code: 131056, httpStatus: 429 });
    engine.acceptCrmEvent(orderEvent('evt_pair'));
    await clock.advance(40_000);
    expect(wa.sends.map((s) => s.atMs)).toEqual([0, 1000, 1000 + 30_000]);
    const before = engine.waLimiter.currentRatePerSec();
    wa.failNext({ code: 130429, httpStatus: 429 });
    engine.acceptCrmEvent(orderEvent('evt_tp'));
    await clock.advance(1);
    expect(engine.waLimiter.currentRatePerSec()).toBe(before / 2);
  });

  it('keeps retrying the error-log write while the CRM is down', async () => {
    const { clock, crm, engine } = setup();
    crm.failWhen((c) => c.path === '/error-logs', { httpStatus: 503 }, 4);
    engine.acceptCrmEvent(orderEvent('evt_e', { contact: { id: 'c', phone: '12', country: 'TW' } }));
    await clock.advance(60_000);
    expect(crm.callsTo('POST', '/error-logs')).toHaveLength(5);
    expect(crm.errorLogs).toHaveLength(1);
  });
});

describe('acceptance: de-duplication and back-pressure', () => {
  it('acknowledges a duplicate message webhook without queueing it again', async () => {
    const { clock, crm, engine } = setup();
    const body = inboundPayload([{ id: 'wamid.d', from: TW, text: 'confirm my order' }]);
    engine.acceptWhatsApp(body);
    expect(engine.acceptWhatsApp(body)).toEqual({ accepted: true, jobs: 0, duplicates: 1 });
    await clock.advance(10);
    expect(crm.callsTo('POST', /\/messages$/)).toHaveLength(2); // the inbound and the one reply
  });

  it('refuses a whole webhook with nothing queued when it would pass the limit', () => {
    const { engine } = setup({ queueLimit: 2, concurrency: 1 });
    expect(
      engine.acceptWhatsApp(
        inboundPayload([
          { id: 'a', from: TW, text: 'x' },
          { id: 'b', from: TW, text: 'y' },
        ]),
      ).accepted,
    ).toBe(true);
    expect(engine.acceptWhatsApp(inboundPayload([{ id: 'c', from: TW, text: 'z' }]))).toEqual({
      accepted: false,
      reason: 'full',
    });
    // Refused ids are not remembered: the redelivery is taken once there is room.
    expect(engine.counters.rejectedFull).toBe(1);
    expect(engine.queue.pending).toBe(2);
  });
});

describe('fault switches change behaviour', () => {
  it('drop-inbound=1 acks and drops every message; drop-status and drop-outbound likewise', async () => {
    const { clock, crm, wa, engine } = setup({}, ['drop-inbound=1', 'drop-outbound=1', 'drop-status=1']);
    expect(engine.acceptWhatsApp(inboundPayload([{ id: 'a', from: TW, text: 'x' }]))).toMatchObject({
      accepted: true,
      jobs: 0,
    });
    engine.acceptCrmEvent(orderEvent('evt_x'));
    engine.acceptWhatsApp(statusPayload([{ id: 'w', status: 'read', to: TW }]));
    await clock.advance(10);
    expect(crm.calls).toEqual([]);
    expect(wa.sends).toEqual([]);
    expect(engine.counters.faultHits).toMatchObject({
      'drop-inbound': 1,
      'drop-outbound': 1,
      'drop-status': 1,
    });
  });

  it('drop-inbound=P drops about share P (seeded randomness)', () => {
    let i = 0;
    const { engine } = setup({}, ['drop-inbound=0.5'], () => [0.1, 0.7, 0.4, 0.9][i++ % 4] as number);
    for (let i = 0; i < 10; i++)
      engine.acceptWhatsApp(inboundPayload([{ id: `m${i}`, from: `1555000000${i}`, text: 'x' }]));
    expect(engine.counters.faultHits['drop-inbound']).toBe(5);
  });

  it('no-tags and no-handover skip tags and handovers', async () => {
    const { clock, crm, engine } = setup({}, ['no-tags', 'no-handover']);
    engine.acceptWhatsApp(inboundPayload([{ id: 'a', from: TW, text: 'terrible refund' }]));
    await clock.advance(10);
    expect(byPhone(crm)?.tags).toEqual([]);
    expect(crm.handovers).toEqual([]);
  });

  it('ignore-consent sends marketing to a contact without consent', async () => {
    const { clock, wa, engine } = setup({}, ['ignore-consent']);
    const base = orderEvent('evt_ic');
    engine.acceptCrmEvent({
      ...base,
      contact: { ...base.contact, consent: 'none' },
      action: { ...base.action, category: 'MARKETING' },
    });
    await clock.advance(10);
    expect(wa.sends).toHaveLength(1);
  });

  it('no-normalize sends the CRM phone as stored', async () => {
    const { clock, wa, engine } = setup({}, ['no-normalize']);
    engine.acceptCrmEvent(orderEvent('evt_nn'));
    await clock.advance(10);
    expect(wa.sends[0]?.to).toBe('0912-345-678');
  });

  it('wrong-params mangles what WhatsApp gets, not what the CRM records', async () => {
    const { clock, crm, wa, engine } = setup({}, ['wrong-params']);
    engine.acceptCrmEvent(orderEvent('evt_wp'));
    await clock.advance(10);
    expect(wa.sends[0]?.components?.[0]?.parameters[0]).not.toEqual({ type: 'text', text: 'Ana' });
    expect(crm.messages.get('wamid.T1')?.['template_params']).toEqual({ body: ['Ana', 'A-1001', '€42.50'] });
  });

  it('status-regress writes a late delivered after read; no-dedupe writes duplicates', async () => {
    const a = setup({}, ['status-regress']);
    a.engine.acceptCrmEvent(orderEvent('evt_sr'));
    await a.clock.advance(10);
    a.engine.acceptWhatsApp(statusPayload([{ id: 'wamid.T1', status: 'read', to: TW }]));
    a.engine.acceptWhatsApp(statusPayload([{ id: 'wamid.T1', status: 'delivered', to: TW }]));
    await a.clock.advance(10);
    expect(a.crm.messages.get('wamid.T1')?.['status']).toBe('delivered');

    const b = setup({}, ['no-dedupe']);
    b.engine.acceptCrmEvent(orderEvent('evt_nd'));
    b.engine.acceptCrmEvent(orderEvent('evt_nd'));
    await b.clock.advance(10);
    expect(b.wa.sends).toHaveLength(2);
    b.engine.acceptWhatsApp(statusPayload([{ id: 'wamid.T1', status: 'read', to: TW }]));
    b.engine.acceptWhatsApp(statusPayload([{ id: 'wamid.T1', status: 'read', to: TW }]));
    await b.clock.advance(10);
    expect(b.crm.messages.get('wamid.T1')?.status_history).toHaveLength(2);
  });

  it('no-retry writes the error log on the first retryable failure', async () => {
    const { clock, crm, engine } = setup({}, ['no-retry']);
    crm.failWhen((c) => c.path.endsWith('/messages'), { httpStatus: 503 }, 1);
    engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.nr', from: TW, text: 'hi' }]));
    await clock.advance(31_000);
    expect(crm.callsTo('POST', /\/messages$/)).toHaveLength(1);
    expect(crm.errorLogs.map((e) => e.kind)).toEqual(['crm_write_failed']);
  });

  it('ignore-retry-after retries a 429 at once', async () => {
    const { clock, crm, engine } = setup({}, ['ignore-retry-after']);
    crm.failWhen((c) => c.path === '/contacts', { httpStatus: 429, retryAfterMs: 7000 }, 1);
    engine.acceptWhatsApp(inboundPayload([{ id: 'wamid.ira', from: TW, text: 'hi' }]));
    await clock.advance(8000);
    expect(crm.callsTo('POST', '/contacts').map((c) => c.atMs)).toEqual([0, IMMEDIATE_RETRY_MS]);
  });

  it('no-window-check sends a free-form reply outside the window', async () => {
    const { clock, wa, engine } = setup({}, ['no-window-check']);
    engine.acceptWhatsApp(
      inboundPayload([
        { id: 'wamid.o', from: TW, text: 'confirm my order', timestamp: 1_767_603_600 - 30 * 3600 },
      ]),
    );
    await clock.advance(10);
    expect(wa.sends.map((s) => s.kind)).toEqual(['text']);
  });

  it('cap=N processes at most N flows a minute, evenly spaced', async () => {
    const { clock, crm, engine } = setup({}, ['cap=2']);
    for (let i = 0; i < 5; i++)
      engine.acceptWhatsApp(inboundPayload([{ id: `wamid.cap${i}`, from: `1555000000${i}`, text: 'x' }]));
    // One every 30 s: at 0, 30, 60, 90 and 120 s.
    await clock.advance(1000);
    expect(crm.messages.size).toBe(1);
    await clock.advance(60_000);
    expect(crm.messages.size).toBe(3);
    await clock.advance(60_000);
    expect(crm.messages.size).toBe(5);
  });
});
