import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../../kernel/clock.js';
import { verifySignature } from '../../kernel/signing.js';
import { type AttemptOutcome, WebhookDispatcher } from '../../mocks/shared/dispatcher.js';
import { Journal } from '../../mocks/shared/journal.js';
import { WebhookSenderPool } from '../../mocks/shared/worker-transport.js';
import { listenOnLoopback } from './listen.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A receiver on 127.0.0.1:0 that records what it got and answers by path (`/status/503` → 503). */
async function receiver(opts: { hang?: boolean } = {}) {
  const got: Array<{ path: string; headers: http.IncomingHttpHeaders; body: Buffer }> = [];
  const closedEarly: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      if (opts.hang) {
        res.on('close', () => closedEarly.push(req.url ?? ''));
        return;
      }
      const m = /\/status\/(\d{3})/.exec(req.url ?? '');
      res.writeHead(m ? Number(m[1]) : 200, { 'content-type': 'text/plain' });
      res.end('answered');
    });
  });
  return { base: await listenOnLoopback(server, closers), got, closedEarly };
}

function pool(threads: number): WebhookSenderPool {
  const p = new WebhookSenderPool({ threads });
  closers.push(() => p.close());
  return p;
}

const send = (p: WebhookSenderPool, url: string, headers: Record<string, string>, body: string) =>
  new Promise<AttemptOutcome>((resolve) => {
    p.transport().send(new URL(url), headers, Buffer.from(body), resolve);
  });

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WebhookSenderPool (POSTs from worker threads)', () => {
  it('sends each body and header byte for byte and reports each answer to its own callback', async () => {
    const r = await receiver();
    const p = pool(2);
    const bodies = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ n: i, text: `héllo ${'x'.repeat(i * 7)}` }),
    );
    const outcomes = await Promise.all(
      bodies.map((b, i) =>
        send(
          p,
          `${r.base}/${i % 5 === 0 ? 'status/503' : 'ok'}?n=${i}`,
          { 'content-type': 'application/json', 'x-signature': `sig-${i}` },
          b,
        ),
      ),
    );
    expect(outcomes).toEqual(bodies.map((_, i) => ({ statusCode: i % 5 === 0 ? 503 : 200 })));
    expect(r.got).toHaveLength(40);
    for (const g of r.got) {
      const n = Number(new URL(g.path, r.base).searchParams.get('n'));
      expect(g.body.toString()).toBe(bodies[n]);
      expect(g.headers['x-signature']).toBe(`sig-${n}`);
      expect(g.headers['content-type']).toBe('application/json');
    }
  });

  it('reports a refused connection as the error code, like the in-process transport', async () => {
    const p = pool(1);
    // Port 1 on loopback has no listener here (and nothing leaves 127.0.0.1).
    expect(await send(p, 'http://127.0.0.1:1/hook', {}, '{}')).toEqual({ error: 'ECONNREFUSED' });
  });

  it('an abort destroys the request in its thread and its callback is never called', async () => {
    const r = await receiver({ hang: true });
    const p = pool(1);
    const outcomes: AttemptOutcome[] = [];
    const abort = p
      .transport()
      .send(new URL(`${r.base}/slow`), {}, Buffer.from('{}'), (o) => outcomes.push(o));
    await until(() => r.got.length === 1);
    abort();
    await until(() => r.closedEarly.length === 1);
    await new Promise((res) => setTimeout(res, 50));
    expect(outcomes).toEqual([]);
  });

  it('after close, a send fails at once instead of hanging', async () => {
    const p = new WebhookSenderPool({ threads: 1 });
    await p.close();
    expect(await send(p, 'http://127.0.0.1:1/hook', {}, '{}')).toEqual({ error: 'sender threads closed' });
  });

  it('refuses a thread count below 1', () => {
    expect(() => new WebhookSenderPool({ threads: 0 })).toThrow(RangeError);
  });

  it('carries a WebhookDispatcher: signed deliveries journalled as delivered, failures retried', async () => {
    const r = await receiver();
    const p = pool(2);
    const clock = new RealClock();
    const journal = new Journal('whatsapp', clock);
    const secret = 'worker-secret';
    const d = new WebhookDispatcher({
      clock,
      journal,
      secret,
      url: `${r.base}/hook`,
      transport: p.transport(),
      retry: { initialDelayMs: 20, factor: 1, maxDelayMs: 20, maxAgeMs: 60_000, maxAttempts: 2 },
    });
    closers.push(() => d.close());
    for (let i = 0; i < 20; i++) d.enqueue(`key-${i % 4}`, { n: i }, { wamids: [`wamid.${i}`] });
    await until(() => journal.query({ kind: ['webhook.delivered'] }).length === 20);
    expect(
      r.got.every((g) => verifySignature(secret, g.body, g.headers['x-hub-signature-256'] as string)),
    ).toBe(true);
    // Per key, the bodies arrived in the order they were enqueued (one attempt per key in flight).
    for (let k = 0; k < 4; k++) {
      const ns = r.got
        .map((g) => (JSON.parse(g.body.toString()) as { n: number }).n)
        .filter((n) => n % 4 === k);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
    d.setUrl(`${r.base}/status/500`);
    d.enqueue('key-x', { n: 99 });
    await until(() => journal.query({ kind: ['webhook.abandoned'] }).length === 1);
    const failed = journal.query({ kind: ['webhook.failed'] });
    expect(failed.map((e) => e.data['statusCode'])).toEqual([500, 500]);
  });
});

describe('WebhookSenderPool and the process lifetime', () => {
  it('keeps a process alive while an answer is pending, and lets it exit once idle', async () => {
    const r = await receiver();
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    // A process whose only pending work is the thread's answer: it must print the answer, then
    // exit by itself although the pool was never closed.
    const script = `
      import { WebhookSenderPool } from './mocks/shared/worker-transport.ts';
      const pool = new WebhookSenderPool({ threads: 1 });
      pool.transport().send(new URL('${r.base}/ok'), {}, Buffer.from('{}'), (o) => console.log(JSON.stringify(o)));
    `;
    // Asynchronous: the receiver answers from this process's loop.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(stdout.trim()).toBe('{"statusCode":200}');
  }, 30_000);
});
