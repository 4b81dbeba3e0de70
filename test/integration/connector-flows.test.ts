import { afterEach, describe, expect, it } from 'vitest';
import {
  inbound,
  orderEvent,
  postEvent,
  postWhatsApp,
  type Rig,
  sign,
  startRig,
  statuses,
  until,
} from './connector-standins.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const CUSTOMER = '886912345678';

describe('connector webhooks', () => {
  it('answers the verification handshake with the raw challenge, 403 otherwise', async () => {
    rig = await startRig();
    const ok = await fetch(
      `${rig.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const bad = await fetch(
      `${rig.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1`,
    );
    expect(bad.status).toBe(403);
    const noMode = await fetch(`${rig.url}/webhooks/whatsapp?hub.verify_token=verify-me&hub.challenge=1`);
    expect(noMode.status).toBe(403);
  });

  it('refuses missing (401) and wrong (403) signatures on both webhooks, and does nothing', async () => {
    rig = await startRig();
    const body = inbound('wamid.sig', CUSTOMER, 'refund');
    expect((await postWhatsApp(rig.url, body, { signature: null })).status).toBe(401);
    expect(
      (await postWhatsApp(rig.url, body, { signature: sign('wrong', JSON.stringify(body)) })).status,
    ).toBe(403);
    expect((await postEvent(rig.url, orderEvent('evt_sig'), { signature: null })).status).toBe(401);
    expect((await postEvent(rig.url, orderEvent('evt_sig'), { signature: 'sha256=00' })).status).toBe(403);
    await new Promise((r) => setTimeout(r, 100));
    expect(rig.crm.seen).toEqual([]);
    expect(rig.wa.seen).toEqual([]);
  });

  it('verifies over the raw bytes: escaped unicode is accepted as sent', async () => {
    rig = await startRig();
    const raw = JSON.stringify(inbound('wamid.esc', CUSTOMER, 'PLACEHOLDER')).replace(
      'PLACEHOLDER',
      '\\u6211\\u8981\\u6295\\u8bc9',
    );
    const r = await postWhatsApp(rig.url, undefined, { raw });
    expect(r.status).toBe(200);
    await until(() => rig?.crm.handovers.length === 1, 5000, 'the complaint handover');
    expect(rig.crm.messages.get('wamid.esc')?.['body']).toBe('我要投诉');
  });

  it('acknowledges unknown fields and field values with 200, and bad JSON with 400', async () => {
    rig = await startRig();
    const odd = {
      object: 'whatsapp_business_account',
      future: 1,
      entry: [{ id: 'W', changes: [{ field: 'account_update', value: { x: 1 } }] }],
    };
    expect((await postWhatsApp(rig.url, odd)).status).toBe(200);
    expect((await postWhatsApp(rig.url, undefined, { raw: '{not json' })).status).toBe(400);
    expect((await postEvent(rig.url, { no: 'id' })).status).toBe(400);
    const stats = (await (await fetch(`${rig.url}/stats`)).json()) as { received: { ignored: number } };
    expect(stats.received.ignored).toBe(1);
  });
});

describe('WhatsApp → CRM', () => {
  it('writes the contact, conversation, message, tags and complaint handover', async () => {
    rig = await startRig();
    const r = await postWhatsApp(
      rig.url,
      inbound('wamid.in1', CUSTOMER, 'This is terrible, where is my order?'),
    );
    expect(r.status).toBe(200);
    await until(() => rig?.crm.handovers.length === 1, 5000, 'the complaint handover');
    await until(() => (rig?.crm.byPhone('+886912345678')?.tags.length ?? 0) === 2, 5000, 'tags');
    const contact = rig.crm.byPhone('+886912345678');
    expect(contact).toMatchObject({ name: 'Olivia', tags: ['order_status', 'complaint'] });
    const msg = rig.crm.messages.get('wamid.in1');
    expect(msg).toMatchObject({
      direction: 'inbound',
      type: 'text',
      body: 'This is terrible, where is my order?',
    });
    expect(rig.crm.handovers[0]).toEqual({ conversation_id: msg?.['conversation_id'], reason: 'complaint' });
    for (const s of rig.crm.seen.filter((x) => x.method === 'POST'))
      expect(s.headers['idempotency-key']).toBeTruthy();
  });

  it('answers an order confirmation with a free-form reply, recorded as outbound', async () => {
    rig = await startRig();
    await postWhatsApp(rig.url, inbound('wamid.c', CUSTOMER, 'Could you confirm my order please?'));
    await until(() => rig?.crm.messages.has('wamid.S1') === true, 5000, 'the recorded reply');
    const send = rig.wa.sends()[0];
    expect(send?.body).toMatchObject({
      messaging_product: 'whatsapp',
      to: '+886912345678',
      type: 'text',
      context: { message_id: 'wamid.c' },
    });
    expect(rig.crm.messages.get('wamid.S1')).toMatchObject({ direction: 'outbound', type: 'text' });
  });
});

describe('CRM → WhatsApp and statuses', () => {
  it('sends the template to the E.164 number with the event id, records it, and writes statuses back', async () => {
    rig = await startRig();
    expect((await postEvent(rig.url, orderEvent('evt_1'))).status).toBe(200);
    await until(() => rig?.crm.messages.has('wamid.S1') === true, 5000, 'the recorded template');
    expect(rig.wa.sends()[0]?.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+886912345678',
      type: 'template',
      template: {
        name: 'order_confirmation',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana', parameter_name: 'customer_name' },
              { type: 'text', text: 'A-1001', parameter_name: 'order_id' },
            ],
          },
        ],
      },
      biz_opaque_callback_data: 'evt_1',
    });
    expect(rig.crm.messages.get('wamid.S1')).toMatchObject({
      direction: 'outbound',
      type: 'template',
      template_name: 'order_confirmation',
      template_language: 'en_US',
      template_params: { body: { customer_name: 'Ana', order_id: 'A-1001' } },
    });
    // Statuses, out of order and duplicated.
    await postWhatsApp(rig.url, statuses([{ id: 'wamid.S1', status: 'sent', to: CUSTOMER }]));
    await postWhatsApp(rig.url, statuses([{ id: 'wamid.S1', status: 'read', to: CUSTOMER }]));
    await postWhatsApp(
      rig.url,
      statuses([
        { id: 'wamid.S1', status: 'delivered', to: CUSTOMER },
        { id: 'wamid.S1', status: 'read', to: CUSTOMER },
      ]),
    );
    await until(() => (rig?.crm.messages.get('wamid.S1')?.status_history.length ?? 0) >= 2, 5000, 'statuses');
    await new Promise((r) => setTimeout(r, 200));
    expect(rig.crm.messages.get('wamid.S1')?.status_history.map((h) => h['status'])).toEqual([
      'sent',
      'read',
    ]);
    // Three status jobs ran (sent, read, the late delivered); the repeated read never got queued.
    const stats = (await (await fetch(`${rig.url}/stats`)).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({
      deduplicated: 1,
      statusRegressionsSkipped: 1,
      processed: { events: 1, statuses: 3 },
    });
  });

  it('writes a failed status with its code and title', async () => {
    rig = await startRig();
    await postEvent(rig.url, orderEvent('evt_f'));
    await until(() => rig?.crm.messages.has('wamid.S1') === true, 5000, 'the recorded template');
    await postWhatsApp(
      rig.url,
      statuses([
        {
          id: 'wamid.S1',
          status: 'failed',
          to: CUSTOMER,
          error: { code: 131026, title: 'Message undeliverable' },
        },
      ]),
    );
    await until(() => rig?.crm.messages.get('wamid.S1')?.['status'] === 'failed', 5000, 'failed status');
    expect(rig.crm.messages.get('wamid.S1')?.status_history[0]).toMatchObject({
      status: 'failed',
      error: { code: 131026, title: 'Message undeliverable' },
    });
  });

  it('logs an invalid phone and a consent block instead of sending', async () => {
    rig = await startRig();
    await postEvent(
      rig.url,
      orderEvent('evt_ph', { contact: { id: 'ctc_seed', phone: '12', country: 'TW', consent: 'marketing' } }),
    );
    const marketing = orderEvent('evt_mk');
    await postEvent(rig.url, {
      ...marketing,
      action: { ...(marketing['action'] as object), category: 'MARKETING' },
    });
    await until(() => rig?.crm.errorLogs.length === 2, 5000, 'two error logs');
    expect(rig.crm.errorLogs.map((e) => [e['kind'], e['event_id']]).sort()).toEqual([
      ['consent_blocked', 'evt_mk'],
      ['invalid_phone', 'evt_ph'],
    ]);
    expect(rig.wa.sends()).toEqual([]);
  });
});

describe('/stats and /healthz', () => {
  it('reports queue gauges, counters and recent acknowledgement times', async () => {
    rig = await startRig();
    expect(await (await fetch(`${rig.url}/healthz`)).json()).toEqual({ status: 'ok' });
    for (let i = 0; i < 5; i++) await postWhatsApp(rig.url, inbound(`wamid.st${i}`, CUSTOMER, 'hello'));
    await until(() => rig?.crm.messages.size === 5, 5000, 'five messages');
    const stats = (await (await fetch(`${rig.url}/stats`)).json()) as {
      queue: Record<string, number>;
      received: { messages: number };
      processed: { inbound: number };
      webhooks: { whatsapp: number; recentAckP99Ms: number; recentAckP50Ms: number };
      faults: { active: string[] };
    };
    expect(stats.queue).toMatchObject({ queued: 0, delayed: 0, inFlight: 0, limit: 10_000 });
    expect(stats.received.messages).toBe(5);
    expect(stats.processed.inbound).toBe(5);
    expect(stats.webhooks.whatsapp).toBe(5);
    expect(stats.webhooks.recentAckP99Ms).toBeGreaterThan(0);
    expect(stats.webhooks.recentAckP99Ms).toBeGreaterThanOrEqual(stats.webhooks.recentAckP50Ms);
    expect(stats.faults.active).toEqual([]);
  });
});
