import { describe, expect, it } from 'vitest';
import { checkHubSpotSignature } from '../../../../../connector/hubspot/signature.js';
import { VirtualClock } from '../../../../../kernel/clock.js';
import { createRng } from '../../../../../kernel/random.js';
import {
  createHubSpotEvents,
  HUBSPOT_WEBHOOK_RETRY,
  hubspotSignatureV3,
} from '../../../../../mocks/crm/dialects/hubspot/events.js';
import type { CrmEventPayload } from '../../../../../mocks/crm/types.js';
import {
  type AttemptOutcome,
  WebhookDispatcher,
  type WebhookTransport,
} from '../../../../../mocks/shared/dispatcher.js';
import { Journal } from '../../../../../mocks/shared/journal.js';

interface Sent {
  target: URL;
  headers: Record<string, string>;
  body: Buffer;
  done: (o: AttemptOutcome) => void;
}

function setup(batchWindowMs = 20, batchMax?: number, timeoutMs?: number) {
  const clock = new VirtualClock({ epochMs: 1_700_000_000_000 });
  const journal = new Journal('crm', clock);
  const sent: Sent[] = [];
  const transport: WebhookTransport = {
    send(target, headers, body, done) {
      sent.push({ target, headers, body, done });
      return () => {};
    },
    close() {},
  };
  const events = createHubSpotEvents({
    clock,
    journal,
    clientSecret: 'client-secret',
    rng: createRng(7),
    portalId: 48151623,
    appId: 1160452,
    subscriptionId: 25,
    batchWindowMs,
    ...(batchMax !== undefined ? { batchMax } : {}),
  });
  const dispatcher = new WebhookDispatcher({
    clock,
    journal,
    secret: 'unused',
    url: 'http://127.0.0.1:7000/webhooks/hubspot',
    transport,
    ...events.dispatcher,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  return { clock, journal, sent, events, dispatcher };
}

/** How the connector's check of HubSpot's v3 signature judges a call the mock sent (now, on `clock`). */
function signatureCheck(call: Sent, clock: VirtualClock, secret = 'client-secret') {
  return checkHubSpotSignature(
    secret,
    {
      method: 'POST',
      uri: call.target.href,
      rawBody: call.body,
      signature: call.headers['x-hubspot-signature-v3'],
      timestamp: call.headers['x-hubspot-request-timestamp'],
    },
    clock.epochMs(),
  );
}

function payload(n: number): CrmEventPayload {
  return {
    id: `evt_${n}`,
    type: 'order.created',
    created_at: '2026-12-03T09:00:00.000Z',
    contact: { id: '52000000097', phone: '+34612345678', consent: 'marketing' } as never,
    data: { order_id: `o-${n}` },
    action: { channel: 'whatsapp', template: 'order_confirmation', language: 'en_US' } as never,
  };
}

describe('HubSpot v3 signature', () => {
  it('matches the worked example (POST, full URL, body, timestamp)', () => {
    expect(
      hubspotSignatureV3(
        'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy',
        'POST',
        'https://www.example.com/webhook_uri',
        '{"example_field":"example_value"}',
        '1700000000000',
      ),
    ).toBe('rQEKkaNUiu+1qGF//O/pw4BCzstSqO1PyUnGICmf+7o=');
  });

  it('decodes only the escapes HubSpot lists before signing', () => {
    const a = hubspotSignatureV3('s', 'post', 'https://h/p%3Aq?x=%40%20', 'b', '1');
    expect(a).toBe(hubspotSignatureV3('s', 'POST', 'https://h/p:q?x=@%20', 'b', '1'));
    expect(a).not.toBe(hubspotSignatureV3('s', 'POST', 'https://h/p:q?x=@ ', 'b', '1'));
  });
});

describe('HubSpot app webhook deliveries', () => {
  it('batches events of one window into one signed JSON array the connector accepts', () => {
    const { clock, sent, events, dispatcher } = setup();
    events.enqueue(payload(1), dispatcher, false);
    events.enqueue(payload(2), dispatcher, false);
    expect(sent).toHaveLength(0);
    clock.advance(20);
    expect(sent).toHaveLength(1);
    const call = sent[0] as Sent;
    const body = JSON.parse(call.body.toString()) as Array<Record<string, unknown>>;
    expect(body).toHaveLength(2);
    expect(body[0]).toMatchObject({
      portalId: 48151623,
      appId: 1160452,
      subscriptionId: 25,
      subscriptionType: 'object.propertyChange',
      attemptNumber: 0,
      objectId: 52000000097,
      occurredAt: Date.parse('2026-12-03T09:00:00.000Z'),
      id: 'evt_1',
      action: { template: 'order_confirmation' },
      contact: { id: '52000000097' },
    });
    expect(typeof body[0]?.['eventId']).toBe('number');
    expect(call.headers['x-hubspot-request-timestamp']).toBe(String(clock.epochMs()));
    expect(signatureCheck(call, clock)).toBe('ok');
    expect(signatureCheck(call, clock, 'other-secret')).toBe('mismatch');
  });

  it('a full batch goes at once; at most 100 events per call', () => {
    const { sent, events, dispatcher } = setup(1000, 3);
    for (let i = 0; i < 7; i++) events.enqueue(payload(i), dispatcher, false);
    expect(sent.map((s) => (JSON.parse(s.body.toString()) as unknown[]).length)).toEqual([3, 3]);
    const base = {
      clock: new VirtualClock(),
      journal: new Journal('crm', new VirtualClock()),
      clientSecret: 's',
      rng: createRng(1),
      portalId: 1,
      appId: 2,
      subscriptionId: 3,
    };
    expect(() => createHubSpotEvents({ ...base, batchMax: 101 })).toThrow(/batchMax/);
    expect(() => createHubSpotEvents({ ...base, batchWindowMs: -1 })).toThrow(/batchWindowMs/);
  });

  it('retries re-sign with a fresh timestamp and count attemptNumber; each event is journalled', () => {
    const { clock, sent, events, dispatcher, journal } = setup();
    events.enqueue(payload(1), dispatcher, false);
    events.enqueue(payload(2), dispatcher, false);
    clock.advance(20);
    sent[0]?.done({ statusCode: 500 });
    // The first retry waits 1 s × a jitter of 0.75–1.25.
    clock.advance(749);
    expect(sent).toHaveLength(1);
    clock.advance(501);
    expect(sent).toHaveLength(2);
    const retry = sent[1] as Sent;
    const body = JSON.parse(retry.body.toString()) as Array<Record<string, unknown>>;
    expect(body.map((e) => e['attemptNumber'])).toEqual([1, 1]);
    expect(body.map((e) => e['eventId'])).toEqual(
      (JSON.parse((sent[0] as Sent).body.toString()) as Array<Record<string, unknown>>).map(
        (e) => e['eventId'],
      ),
    );
    expect(retry.headers['x-hubspot-request-timestamp']).not.toBe(
      sent[0]?.headers['x-hubspot-request-timestamp'],
    );
    expect(signatureCheck(retry, clock)).toBe('ok');
    retry.done({ statusCode: 200 });
    const perEvent = journal.query().filter((e) => e.kind.startsWith('event.'));
    expect(perEvent.map((e) => [e.kind, e.data['eventId']])).toEqual([
      ['event.failed', 'evt_1'],
      ['event.failed', 'evt_2'],
      ['event.delivered', 'evt_1'],
      ['event.delivered', 'evt_2'],
    ]);
    expect(journal.query().filter((e) => e.kind === 'hubspot.webhook.delivered')).toHaveLength(1);
  });

  it('gives up after 11 attempts (10 retries), all within 24 h', () => {
    // No attempt times out here: each is refused by hand, then the clock runs to the next one.
    const { clock, sent, events, dispatcher, journal } = setup(20, undefined, 1e12);
    events.enqueue(payload(1), dispatcher, false);
    clock.advance(20);
    const startedMs = clock.nowMs();
    let lastAttemptAtMs = startedMs;
    for (let i = 0; i < 11; i++) {
      expect(sent).toHaveLength(i + 1);
      lastAttemptAtMs = clock.nowMs();
      sent[i]?.done({ error: 'ECONNREFUSED' });
      // Second by second to the next attempt (or a day, when there is none).
      for (let s = 0; s < 86_400 && sent.length === i + 1; s++) clock.advance(1000);
    }
    expect(sent).toHaveLength(HUBSPOT_WEBHOOK_RETRY.maxAttempts);
    expect(lastAttemptAtMs - startedMs).toBeLessThan(HUBSPOT_WEBHOOK_RETRY.maxAgeMs);
    expect(journal.query().filter((e) => e.kind === 'event.abandoned')).toHaveLength(1);
    const lastAttempt = JSON.parse((sent[10] as Sent).body.toString()) as Array<Record<string, unknown>>;
    expect(lastAttempt[0]?.['attemptNumber']).toBe(10);
  });

  it('an injected duplicate sends the same call twice', () => {
    const { clock, sent, events, dispatcher } = setup();
    events.enqueue(payload(1), dispatcher, true);
    clock.advance(20);
    expect(sent).toHaveLength(2);
    expect(sent[0]?.body.toString()).toBe(sent[1]?.body.toString());
  });
});
