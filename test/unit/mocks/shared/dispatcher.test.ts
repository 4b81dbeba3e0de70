import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../kernel/clock.js';
import { verifySignature } from '../../../../kernel/signing.js';
import {
  type AttemptOutcome,
  WebhookDispatcher,
  type WebhookDispatcherOptions,
  type WebhookTransport,
} from '../../../../mocks/shared/dispatcher.js';
import { Journal } from '../../../../mocks/shared/journal.js';

interface Sent {
  target: URL;
  headers: Record<string, string>;
  body: Buffer;
  done: (o: AttemptOutcome) => void;
  aborted: boolean;
}

/** A transport the test answers by hand (or automatically with `auto`). */
class FakeTransport implements WebhookTransport {
  sent: Sent[] = [];
  closed = false;
  auto: ((s: Sent) => AttemptOutcome | undefined) | undefined;
  send(
    target: URL,
    headers: Record<string, string>,
    body: Buffer,
    done: (o: AttemptOutcome) => void,
  ): () => void {
    const s: Sent = { target, headers, body, done, aborted: false };
    this.sent.push(s);
    const o = this.auto?.(s);
    if (o) done(o);
    return () => {
      s.aborted = true;
    };
  }
  close(): void {
    this.closed = true;
  }
  bodies(): string[] {
    return this.sent.map((s) => s.body.toString());
  }
}

function setup(extra: Partial<WebhookDispatcherOptions> = {}) {
  const clock = new VirtualClock();
  const journal = new Journal('whatsapp', clock);
  const transport = new FakeTransport();
  const d = new WebhookDispatcher({
    clock,
    journal,
    secret: 's3cret',
    url: 'http://127.0.0.1:9/webhook',
    transport,
    ...extra,
  });
  const kinds = () => journal.query().map((e) => e.kind);
  return { clock, journal, transport, d, kinds };
}

describe('WebhookDispatcher', () => {
  it('signs the exact bytes it sends, with Meta-like headers', () => {
    const { d, transport } = setup();
    d.enqueue('k', { object: 'whatsapp_business_account', text: 'héllo ✓' });
    d.enqueue('j', '{"raw":"kept as is"}');
    d.enqueue('i', Buffer.from('{"buf":1}'));
    expect(transport.sent).toHaveLength(3);
    const [a, b, c] = transport.sent as [Sent, Sent, Sent];
    expect(a.body.toString()).toBe('{"object":"whatsapp_business_account","text":"héllo ✓"}');
    expect(verifySignature('s3cret', a.body, a.headers['x-hub-signature-256'])).toBe(true);
    expect(verifySignature('other', a.body, a.headers['x-hub-signature-256'])).toBe(false);
    expect(a.headers['content-type']).toBe('application/json');
    expect(a.headers['content-length']).toBe(String(a.body.length));
    expect(a.headers['user-agent']).toBe('facebookexternalua');
    expect(a.target.href).toBe('http://127.0.0.1:9/webhook');
    expect(b.body.toString()).toBe('{"raw":"kept as is"}');
    expect(c.body.toString()).toBe('{"buf":1}');
    expect(verifySignature('s3cret', c.body, c.headers['x-hub-signature-256'])).toBe(true);
  });

  it('uses a custom signature header and user agent', () => {
    const { d, transport } = setup({ signatureHeader: 'X-CRM-Signature', userAgent: 'crm-mock/1' });
    d.enqueue('k', { a: 1 });
    const s = transport.sent[0] as Sent;
    expect(verifySignature('s3cret', s.body, s.headers['x-crm-signature'])).toBe(true);
    expect(s.headers['user-agent']).toBe('crm-mock/1');
  });

  it('keeps enqueue order per key and runs different keys concurrently', () => {
    const { d, transport } = setup();
    d.enqueue('a', 'a1');
    d.enqueue('a', 'a2');
    d.enqueue('b', 'b1');
    d.enqueue('a', 'a3');
    expect(transport.bodies()).toEqual(['a1', 'b1']);
    expect(d.stats()).toMatchObject({ queued: 2, inFlight: 2 });
    transport.sent[1]?.done({ statusCode: 200 });
    expect(transport.bodies()).toEqual(['a1', 'b1']);
    transport.sent[0]?.done({ statusCode: 204 });
    expect(transport.bodies()).toEqual(['a1', 'b1', 'a2']);
    transport.sent[2]?.done({ statusCode: 200 });
    expect(transport.bodies()).toEqual(['a1', 'b1', 'a2', 'a3']);
    transport.sent[3]?.done({ statusCode: 200 });
    expect(d.stats()).toEqual({
      queued: 0,
      inFlight: 0,
      waitingRetry: 0,
      delivered: 4,
      failedAttempts: 0,
      retried: 0,
      abandoned: 0,
    });
  });

  it('bounds concurrency and serves ready keys first come first served', () => {
    const { d, transport } = setup({ concurrency: 2 });
    for (const k of ['k1', 'k2', 'k3', 'k4']) d.enqueue(k, k);
    expect(transport.bodies()).toEqual(['k1', 'k2']);
    expect(d.stats()).toMatchObject({ inFlight: 2, queued: 2 });
    transport.sent[1]?.done({ statusCode: 200 });
    expect(transport.bodies()).toEqual(['k1', 'k2', 'k3']);
    transport.sent[0]?.done({ error: 'ECONNRESET' });
    expect(transport.bodies()).toEqual(['k1', 'k2', 'k3', 'k4']);
  });

  it('retries with exponential backoff on the injected clock, capped at maxDelayMs', () => {
    const { d, transport, clock, journal } = setup({
      retry: { initialDelayMs: 1000, factor: 2, maxDelayMs: 4000 },
    });
    transport.auto = () => ({ statusCode: 500 });
    d.enqueue('k', { n: 1 }, { field: 'messages', wamids: ['wamid.A'] });
    const retryDelays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const last = journal.query({ kind: 'webhook.failed' }).at(-1);
      const next = last?.data['nextRetryInMs'] as number;
      retryDelays.push(next);
      clock.advance(next - 1);
      expect(transport.sent).toHaveLength(i + 1); // not one ms early
      clock.advance(1);
      expect(transport.sent).toHaveLength(i + 2);
    }
    expect(retryDelays).toEqual([1000, 2000, 4000, 4000, 4000]);
    const first = journal.query({ kind: 'webhook.failed' })[0];
    expect(first?.data).toMatchObject({
      deliveryId: 'webhook-1',
      orderKey: 'k',
      attempt: 1,
      statusCode: 500,
      error: 'HTTP 500',
      field: 'messages',
      wamids: ['wamid.A'],
      nextRetryInMs: 1000,
    });
    expect(d.stats()).toMatchObject({ failedAttempts: 6, retried: 5, waitingRetry: 1, queued: 0 });
    transport.auto = () => ({ statusCode: 200 });
    clock.advance(4000);
    expect(journal.query({ kind: 'webhook.delivered' })[0]?.data).toMatchObject({
      attempt: 7,
      statusCode: 200,
    });
    expect(d.stats()).toMatchObject({ delivered: 1, waitingRetry: 0, retried: 6 });
  });

  it('abandons after maxAgeMs since the first attempt, then lets the next delivery of the key go', () => {
    const { d, transport, clock, journal, kinds } = setup({
      retry: { initialDelayMs: 1000, factor: 2, maxAgeMs: 10_000 },
    });
    transport.auto = (s) =>
      s.body.toString() === 'doomed' ? { error: 'ECONNREFUSED' } : { statusCode: 200 };
    d.enqueue('k', 'doomed');
    d.enqueue('k', 'next');
    clock.advance(60_000);
    // Attempts at 0, 1 s, 3 s, 7 s; the next wait (8 s) would end at 15 s > 10 s, so it gives up at 7 s.
    expect(kinds()).toEqual([
      'webhook.failed',
      'webhook.failed',
      'webhook.failed',
      'webhook.failed',
      'webhook.abandoned',
      'webhook.delivered',
    ]);
    const abandoned = journal.query({ kind: 'webhook.abandoned' })[0];
    expect(abandoned?.atMs).toBe(7000);
    expect(abandoned?.data).toMatchObject({ attempt: 4, error: 'ECONNREFUSED', ageMs: 7000 });
    expect(journal.query({ kind: 'webhook.failed' }).at(-1)?.data['nextRetryInMs']).toBeUndefined();
    expect(journal.query({ kind: 'webhook.delivered' })[0]?.data['deliveryId']).toBe('webhook-2');
    expect(d.stats()).toMatchObject({ abandoned: 1, delivered: 1, failedAttempts: 4, queued: 0 });
  });

  it('times out an attempt that never answers, aborts it and ignores its late answer', () => {
    const { d, transport, clock, journal } = setup({ timeoutMs: 5000 });
    d.enqueue('k', 'x');
    clock.advance(4999);
    expect(journal.size()).toBe(0);
    clock.advance(1);
    const failed = journal.query({ kind: 'webhook.failed' })[0];
    expect(failed?.data).toMatchObject({ error: 'timeout', latencyMs: 5000, nextRetryInMs: 1000 });
    expect(transport.sent[0]?.aborted).toBe(true);
    transport.sent[0]?.done({ statusCode: 200 }); // too late: must not count
    expect(d.stats()).toMatchObject({ delivered: 0, waitingRetry: 1, inFlight: 0 });
    clock.advance(1000);
    transport.sent[1]?.done({ statusCode: 200 });
    transport.sent[1]?.done({ statusCode: 500 }); // a second answer is ignored too
    expect(d.stats()).toMatchObject({ delivered: 1, failedAttempts: 1, waitingRetry: 0 });
  });

  it('holds deliveries without a URL and sends them once one is set', () => {
    const { d, transport } = setup({ url: undefined });
    d.enqueue('a', '1');
    d.enqueue('b', '2');
    expect(transport.sent).toHaveLength(0);
    expect(d.stats().queued).toBe(2);
    d.setUrl('http://127.0.0.1:4010/hook');
    expect(transport.sent.map((s) => s.target.port)).toEqual(['4010', '4010']);
    expect(() => d.setUrl('not a url')).toThrow(/invalid webhook URL "not a url"/);
    expect(() => d.setUrl('ftp://x/')).toThrow(/only http: and https:/);
  });

  it('asks extraDelayMs before each first attempt only, and waits on the clock', () => {
    let asked = 0;
    const { d, transport, clock } = setup({
      extraDelayMs: () => {
        asked++;
        return 3000;
      },
      retry: { initialDelayMs: 100 },
    });
    d.enqueue('k', 'a');
    d.enqueue('k', 'b');
    expect(asked).toBe(1); // 'b' is asked when it becomes the head
    expect(d.stats().queued).toBe(2);
    clock.advance(2999);
    expect(transport.sent).toHaveLength(0);
    clock.advance(1);
    expect(transport.sent).toHaveLength(1);
    transport.sent[0]?.done({ statusCode: 503 });
    clock.advance(100); // the retry is not delayed again
    expect(transport.sent).toHaveLength(2);
    transport.sent[1]?.done({ statusCode: 200 });
    expect(asked).toBe(2);
    clock.advance(3000);
    expect(transport.bodies()).toEqual(['a', 'a', 'b']);
  });

  it('never throws into the caller: bad bodies, a throwing transport, hook or journal listener', () => {
    const { d, transport, journal, clock } = setup({
      extraDelayMs: () => {
        throw new Error('hook bug');
      },
    });
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(() => d.enqueue('k', circular)).not.toThrow();
    d.enqueue('k', 10n);
    d.enqueue('k', undefined);
    expect(journal.query({ kind: 'webhook.abandoned' }).map((e) => e.data['error'])).toEqual([
      expect.stringMatching(/^unserialisable body/),
      expect.stringMatching(/^unserialisable body/),
      expect.stringMatching(/^unserialisable body/),
    ]);
    transport.send = () => {
      throw new Error('socket exploded');
    };
    journal.on('entry', () => {
      throw new Error('listener bug');
    });
    expect(() => d.enqueue('k', 'x')).not.toThrow();
    expect(d.stats()).toMatchObject({ failedAttempts: 1, waitingRetry: 1, abandoned: 3 });
    expect(journal.query({ kind: 'webhook.failed' })[0]?.data['error']).toBe('socket exploded');
    journal.removeAllListeners('entry');
    transport.send = FakeTransport.prototype.send.bind(transport);
    transport.auto = () => ({ statusCode: 200 });
    clock.advance(1000);
    expect(d.stats()).toMatchObject({ delivered: 1, waitingRetry: 0, queued: 0 });
  });

  it('copes with a transport that answers synchronously, without recursion', () => {
    const { d, transport } = setup({ concurrency: 4 });
    transport.auto = () => ({ statusCode: 200 });
    for (let i = 0; i < 5000; i++) d.enqueue(`k${i % 7}`, String(i));
    expect(d.stats()).toMatchObject({ delivered: 5000, queued: 0, inFlight: 0 });
    const perKey = new Map<string, number[]>();
    for (const b of transport.bodies()) {
      const n = Number(b);
      const list = perKey.get(`k${n % 7}`) ?? [];
      list.push(n);
      perKey.set(`k${n % 7}`, list);
    }
    for (const list of perKey.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
  });

  it('idle() resolves when everything is done; close() cancels timers and sockets and keeps the counts', async () => {
    const { d, transport, clock } = setup();
    await d.idle(); // nothing pending
    d.enqueue('a', '1');
    d.enqueue('b', '2');
    let idle = false;
    const p = d.idle().then(() => {
      idle = true;
    });
    transport.sent[0]?.done({ statusCode: 200 });
    await Promise.resolve();
    expect(idle).toBe(false);
    transport.sent[1]?.done({ statusCode: 200 });
    await p;
    expect(idle).toBe(true);

    d.enqueue('c', '3');
    d.enqueue('d', '4');
    transport.sent[2]?.done({ statusCode: 500 }); // c waits for a retry, d in flight
    const before = d.stats();
    expect(before).toMatchObject({ inFlight: 1, waitingRetry: 1 });
    const stillWaiting = d.idle();
    await d.close();
    await stillWaiting; // released by close
    expect(transport.closed).toBe(true);
    expect(transport.sent[3]?.aborted).toBe(true);
    transport.sent[3]?.done({ statusCode: 200 }); // an answer after close changes nothing
    clock.advance(3_600_000);
    expect(transport.sent).toHaveLength(4); // the retry timer was cancelled
    expect(d.stats()).toEqual(before);
    expect(clock.pendingCount()).toBe(0);
    d.enqueue('e', '5');
    expect(d.stats().queued).toBe(before.queued + 1);
    await d.close();
  });

  it('validates its options', () => {
    const clock = new VirtualClock();
    const journal = new Journal('x', clock);
    const base = { clock, journal, secret: 's', transport: new FakeTransport() };
    expect(() => new WebhookDispatcher({ ...base, concurrency: 0 })).toThrow(/concurrency/);
    expect(() => new WebhookDispatcher({ ...base, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new WebhookDispatcher({ ...base, retry: { factor: 0.5 } })).toThrow(/retry policy/);
    expect(() => new WebhookDispatcher({ ...base, url: '::' })).toThrow(/invalid webhook URL/);
  });

  it('tells onRecord of every outcome with its journal data, and survives an onRecord that throws', () => {
    const seen: Array<[string, unknown, unknown]> = [];
    const { d, transport, clock, journal } = setup({
      retry: { initialDelayMs: 1000, factor: 2, maxAgeMs: 2_000 },
      onRecord: (what, data) => {
        seen.push([what, data['field'], data['attempt']]);
        if (what === 'failed') throw new Error('observer bug');
      },
    });
    transport.auto = (s) => (s.body.toString() === 'ok' ? { statusCode: 200 } : { statusCode: 503 });
    d.enqueue('a', 'ok', { field: 'messages' });
    d.enqueue('b', 'doomed', { field: 'statuses' });
    clock.advance(10_000);
    expect(seen).toEqual([
      ['delivered', 'messages', 1],
      ['failed', 'statuses', 1],
      // The last attempt is journalled as failed, then the delivery as abandoned.
      ['failed', 'statuses', 2],
      ['abandoned', 'statuses', 2],
    ]);
    // The same data objects the journal holds, one call per entry.
    expect(journal.query().map((e) => [e.kind.slice(8), e.data['field'], e.data['attempt']])).toEqual(seen);
    expect(d.stats()).toMatchObject({ delivered: 1, abandoned: 1, queued: 0, waitingRetry: 0 });
  });

  it('uses the journal prefix for its kinds', () => {
    const { d, transport, kinds } = setup({ journalPrefix: 'event' });
    d.enqueue('c1', { id: 'evt_1' }, { eventId: 'evt_1' });
    transport.sent[0]?.done({ statusCode: 200 });
    expect(kinds()).toEqual(['event.delivered']);
  });
});
