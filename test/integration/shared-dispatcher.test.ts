import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealClock, VirtualClock } from '../../kernel/clock.js';
import { verifySignature } from '../../kernel/signing.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../../mocks/shared/dispatcher.js';
import { Journal } from '../../mocks/shared/journal.js';
import { listenOnLoopback } from './listen.js';

const SECRET = 'integration-secret';
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => {
  unhandled.push(e);
};
const closers: Array<() => Promise<void>> = [];

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  expect(unhandled).toEqual([]);
});

/** Starts a server on 127.0.0.1:0, closed (with its sockets) after the test; its webhook URL. */
async function listen(server: http.Server | net.Server): Promise<string> {
  return `${await listenOnLoopback(server, closers)}/webhook`;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function dispatcher(url: string | undefined, extra: Partial<WebhookDispatcherOptions> = {}) {
  const clock = extra.clock ?? new RealClock();
  const journal = new Journal('whatsapp', clock);
  const d = new WebhookDispatcher({ clock, journal, secret: SECRET, url, ...extra });
  closers.push(() => d.close());
  return { d, journal, clock };
}

/** Retries fast and gives up fast, so a receiver that never recovers costs a fraction of a second. */
const fastRetry = { initialDelayMs: 20, factor: 1.5, maxDelayMs: 100, maxAgeMs: 150 };

describe('WebhookDispatcher over real sockets', () => {
  it('delivers signed bodies in per-key order to a receiver that answers in random order', async () => {
    const received: Array<{ key: string; n: number }> = [];
    let badSignatures = 0;
    const url = await listen(
      http.createServer(async (req, res) => {
        const body = await readBody(req);
        if (!verifySignature(SECRET, body, req.headers['x-hub-signature-256'] as string | undefined)) {
          badSignatures++;
        }
        const parsed = JSON.parse(body.toString()) as { key: string; n: number };
        received.push(parsed);
        // Random answer delay shuffles completion order across keys.
        setTimeout(() => res.writeHead(200).end('ok'), Math.floor(Math.random() * 4));
      }),
    );
    const { d, journal } = dispatcher(url, { concurrency: 8 });
    for (let n = 0; n < 300; n++) d.enqueue(`k${n % 10}`, { key: `k${n % 10}`, n, text: 'Grüße ✓ مرحبا' });
    await d.idle();
    expect(badSignatures).toBe(0);
    expect(received).toHaveLength(300);
    for (let k = 0; k < 10; k++) {
      const ns = received.filter((r) => r.key === `k${k}`).map((r) => r.n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
      expect(ns).toHaveLength(30);
    }
    expect(d.stats()).toMatchObject({ delivered: 300, failedAttempts: 0, queued: 0, inFlight: 0 });
    expect(journal.query({ kind: 'webhook.delivered' })).toHaveLength(300);
  });

  it('retries a receiver that answers 500 until it answers 200', async () => {
    const attemptsById = new Map<string, number>();
    const url = await listen(
      http.createServer(async (req, res) => {
        const body = (await readBody(req)).toString();
        const n = (attemptsById.get(body) ?? 0) + 1;
        attemptsById.set(body, n);
        res.writeHead(n < 3 ? 500 : 200).end();
      }),
    );
    const { d, journal } = dispatcher(url, { retry: { initialDelayMs: 20, factor: 2 } });
    d.enqueue('a', { id: 1 });
    d.enqueue('a', { id: 2 });
    await d.idle();
    expect(d.stats()).toMatchObject({ delivered: 2, failedAttempts: 4, retried: 4 });
    const kinds = journal.query().map((e) => `${e.kind}:${e.data['attempt']}`);
    expect(kinds).toEqual([
      'webhook.failed:1',
      'webhook.failed:2',
      'webhook.delivered:3',
      'webhook.failed:1',
      'webhook.failed:2',
      'webhook.delivered:3',
    ]);
  });

  it('survives a refused connection, a reset, a hang, garbage and a body that never ends', async () => {
    // refused: a port that was just closed
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const refusedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/`;
    await new Promise<void>((r) => probe.close(() => r()));

    const resetUrl = await listen(http.createServer((req) => req.socket.destroy()));
    const hangUrl = await listen(http.createServer(() => {}));
    const garbageUrl = await listen(
      net.createServer((s) => {
        s.on('error', () => {});
        s.once('data', () => s.end('this is not HTTP at all\r\n\r\n'));
      }),
    );
    const endlessUrl = await listen(
      http.createServer((_req, res) => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial');
      }),
    );

    const cases = [
      { name: 'refused', url: refusedUrl, expectError: /ECONNREFUSED/ },
      { name: 'reset', url: resetUrl, expectError: /ECONNRESET|socket hang up|closed without/ },
      { name: 'hang', url: hangUrl, expectError: /^timeout$/ },
      { name: 'garbage', url: garbageUrl, expectError: /HPE_|Parse Error/ },
    ];
    for (const c of cases) {
      const { d, journal } = dispatcher(c.url, { timeoutMs: 100, retry: fastRetry });
      d.enqueue('k', { case: c.name });
      d.enqueue('k', { case: `${c.name}-2` });
      await d.idle();
      const failed = journal.query({ kind: 'webhook.failed' });
      expect(failed.length, c.name).toBeGreaterThanOrEqual(4); // ≥ 2 attempts for each of the 2 deliveries
      for (const f of failed) expect(String(f.data['error']), c.name).toMatch(c.expectError);
      expect(d.stats(), c.name).toMatchObject({ abandoned: 2, delivered: 0, queued: 0, inFlight: 0 });
      await d.close();
    }

    // Headers say 200 and then the body stalls: delivered, and the socket is reclaimed later.
    const { d, journal } = dispatcher(endlessUrl, { timeoutMs: 150, concurrency: 1 });
    d.enqueue('k', { case: 'endless' });
    d.enqueue('k', { case: 'endless-2' });
    await d.idle();
    expect(journal.query({ kind: 'webhook.delivered' })).toHaveLength(2);
  });

  it('backs off on a VirtualClock even with a real receiver', async () => {
    let hits = 0;
    const url = await listen(
      http.createServer((_req, res) => {
        hits++;
        res.writeHead(hits === 1 ? 503 : 200).end();
      }),
    );
    const clock = new VirtualClock();
    const { d, journal } = dispatcher(url, { clock, retry: { initialDelayMs: 60_000 } });
    d.enqueue('k', { x: 1 });
    for (let i = 0; i < 100 && journal.size() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(journal.query()[0]?.data).toMatchObject({ statusCode: 503, nextRetryInMs: 60_000 });
    await new Promise((r) => setTimeout(r, 100)); // real time passes; virtual time does not
    expect(hits).toBe(1);
    clock.advance(60_000);
    await d.idle();
    expect(hits).toBe(2);
    expect(journal.query({ kind: 'webhook.delivered' })[0]?.atMs).toBe(60_000);
  });

  it('holds deliveries until a URL is set, and close() releases a hung request', async () => {
    const got: string[] = [];
    const url = await listen(
      http.createServer(async (req, res) => {
        got.push((await readBody(req)).toString());
        res.writeHead(200).end();
      }),
    );
    const { d } = dispatcher(undefined);
    d.enqueue('k', 'held');
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toEqual([]);
    d.setUrl(url);
    await d.idle();
    expect(got).toEqual(['held']);

    const hangUrl = await listen(http.createServer(() => {}));
    const hung = dispatcher(hangUrl, { timeoutMs: 60_000 });
    hung.d.enqueue('k', 'never answered');
    await new Promise((r) => setTimeout(r, 50));
    expect(hung.d.stats().inFlight).toBe(1);
    const t0 = Date.now();
    await hung.d.close();
    await hung.d.idle();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(hung.d.stats().inFlight).toBe(1);
  });
});
