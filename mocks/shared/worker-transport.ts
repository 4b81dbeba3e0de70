import { Worker } from 'node:worker_threads';
import type { AttemptOutcome, WebhookTransport } from './dispatcher.js';

/**
 * The sender threads' code, self-contained (it is started with `eval`, so the same source works
 * from `dist/` and under tsx/vitest, where no compiled worker file sits beside this module). It
 * does what the default in-process transport does — node:http(s) with a keep-alive agent, outcome
 * on the response headers, body drained with a timeout — and answers in batches: one message per
 * loop turn with typed arrays of ids and codes (a status ≥ 0, or −1−i for the i-th error text).
 */
function senderThread(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const http = require('node:http') as typeof import('node:http');
  const https = require('node:https') as typeof import('node:https');
  const port = parentPort;
  if (!port) return;
  const { maxSockets, drainTimeoutMs } = workerData as { maxSockets: number; drainTimeoutMs: number };
  const agentOpts = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  const httpAgent = new http.Agent(agentOpts);
  const httpsAgent = new https.Agent(agentOpts);
  const inFlight = new Map<number, import('node:http').ClientRequest>();
  let ids: number[] = [];
  let codes: number[] = [];
  let errors: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const idArr = Int32Array.from(ids);
    const codeArr = Int32Array.from(codes);
    port.postMessage({ ids: idArr, codes: codeArr, errors }, [idArr.buffer, codeArr.buffer]);
    ids = [];
    codes = [];
    errors = [];
  };
  const report = (id: number, code: number, error?: string): void => {
    ids.push(id);
    if (error === undefined) codes.push(code);
    else {
      codes.push(-1 - errors.length);
      errors.push(error);
    }
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const errorCode = (err: unknown): string => {
    const e = err as { code?: unknown; message?: unknown } | null;
    if (e && typeof e.code === 'string' && e.code) return e.code;
    if (e && typeof e.message === 'string' && e.message) return e.message.slice(0, 200);
    return 'unknown error';
  };
  const send = (id: number, target: URL, headers: Record<string, string>, body: Buffer): void => {
    let finished = false;
    const finish = (code: number, error?: string): void => {
      if (finished) return;
      finished = true;
      inFlight.delete(id);
      report(id, code, error);
    };
    const isHttps = target.protocol === 'https:';
    let req: import('node:http').ClientRequest;
    try {
      req = (isHttps ? https : http).request({
        protocol: target.protocol,
        hostname: target.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: target.port || undefined,
        path: target.pathname + target.search,
        method: 'POST',
        headers,
        agent: isHttps ? httpsAgent : httpAgent,
      });
    } catch (err) {
      finish(0, errorCode(err));
      return;
    }
    inFlight.set(id, req);
    req.on('response', (res) => {
      res.on('error', () => {});
      res.setTimeout(drainTimeoutMs, () => req.destroy());
      res.resume();
      finish(res.statusCode ?? 0);
    });
    req.on('error', (err) => finish(0, errorCode(err)));
    req.on('close', () => finish(0, 'closed without a response'));
    req.end(body);
  };
  port.on('message', (m: SendBatch | { t: 'close' }) => {
    if (m.t === 'close') {
      for (const req of inFlight.values()) req.destroy();
      httpAgent.destroy();
      httpsAgent.destroy();
      port.close();
      return;
    }
    for (const id of m.aborts) {
      const req = inFlight.get(id);
      inFlight.delete(id);
      req?.destroy();
    }
    const blob = Buffer.from(m.blob.buffer, m.blob.byteOffset, m.blob.byteLength);
    let offset = 0;
    const targets = m.urls.map((u) => new URL(u));
    for (let i = 0; i < m.ids.length; i++) {
      const len = m.lens[i] as number;
      const flat = (m.heads[i] as string).split('\n');
      const headers: Record<string, string> = {};
      for (let h = 0; h + 1 < flat.length; h += 2) headers[flat[h] as string] = flat[h + 1] as string;
      send(
        m.ids[i] as number,
        targets[m.urlIx[i] as number] as URL,
        headers,
        blob.subarray(offset, offset + len),
      );
      offset += len;
    }
  });
}

/**
 * The thread's source. tsx and vitest compile with esbuild's keep-names, which wraps inner
 * functions in a `__name(fn, "name")` helper defined at the module's top: the stand-in below gives
 * the evaluated copy that helper, so the same text runs compiled by tsc or by esbuild.
 */
const SENDER_SOURCE = `var __name = (fn) => fn;\n(${senderThread.toString()})();`;

/** One loop turn's POSTs for one thread: parallel arrays, the bodies back to back in one transferred buffer. */
interface SendBatch {
  t: 'send';
  ids: Int32Array;
  /** Index into `urls` per POST (a batch nearly always has one URL). */
  urlIx: Int32Array;
  urls: string[];
  /** Headers per POST as `name\nvalue\nname\nvalue`. */
  heads: string[];
  lens: Int32Array;
  blob: Uint8Array;
  /** Ids whose attempt the dispatcher gave up on (timeout, close). */
  aborts: number[];
}

interface Pending {
  ids: number[];
  urlIx: number[];
  urls: string[];
  urlIndex: Map<string, number>;
  heads: string[];
  bodies: Buffer[];
  bytes: number;
  aborts: number[];
}

interface Thread {
  worker: Worker;
  pending: Pending | undefined;
  /** Set once the thread is gone: later sends fail at once with this error. */
  dead?: string;
}

function emptyPending(): Pending {
  return { ids: [], urlIx: [], urls: [], urlIndex: new Map(), heads: [], bodies: [], bytes: 0, aborts: [] };
}

/** Options of {@link WebhookSenderPool}. */
export interface WebhookSenderPoolOptions {
  /** Sender threads (≥ 1). */
  threads: number;
  /** Keep-alive sockets per thread and protocol (default 64). */
  maxSockets?: number;
  /** Real time a response body may take to drain before its socket is destroyed (default 10 s). */
  drainTimeoutMs?: number;
}

/**
 * Webhook POSTs sent from worker threads, each with its own event loop and sockets, so the mocks'
 * outgoing webhooks (status and message webhooks, CRM events) stop competing with the scheduler,
 * the mocks' routes and the tracer for the harness's main loop. POSTs leave in one message per
 * thread and loop turn (bodies back to back in one transferred buffer); outcomes come back the
 * same way. The dispatcher keeps everything else (ordering, retries, timeouts, journal), so
 * {@link transport} is a drop-in {@link WebhookTransport}. Round-robin over the threads: the
 * dispatcher never has two attempts of one order key in flight, so no ordering is lost.
 */
export class WebhookSenderPool {
  private readonly threads: Thread[] = [];
  private readonly callbacks = new Map<number, { thread: Thread; done: (o: AttemptOutcome) => void }>();
  private seq = 0;
  private flushQueued = false;
  /** Whether the threads are referenced (some attempt is in flight). */
  private held = false;
  private closed = false;

  constructor(opts: WebhookSenderPoolOptions) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1) {
      throw new RangeError(`threads must be an integer ≥ 1, got ${String(opts.threads)}`);
    }
    const workerData = { maxSockets: opts.maxSockets ?? 64, drainTimeoutMs: opts.drainTimeoutMs ?? 10_000 };
    for (let i = 0; i < opts.threads; i++) {
      // No inherited flags: `--input-type=module` would make the evaluated source an ES module (no
      // `require`), and loaders such as tsx have nothing to do in plain JavaScript.
      const worker = new Worker(SENDER_SOURCE, { eval: true, workerData, execArgv: [] });
      // Referenced only while attempts are in flight (see `held`): a forgotten idle pool must not
      // keep the process alive, and a process waiting on nothing but a thread's answer must not exit.
      worker.unref();
      const thread: Thread = { worker, pending: undefined };
      worker.on('message', (m: { ids: Int32Array; codes: Int32Array; errors: string[] }) => this.settle(m));
      const gone = (why: string) => {
        if (thread.dead) return;
        thread.dead = why;
        for (const [id, cb] of this.callbacks) {
          if (cb.thread !== thread) continue;
          this.callbacks.delete(id);
          cb.done({ error: why });
        }
        this.hold();
      };
      worker.on('error', (err) => gone(`sender thread failed: ${err.message}`));
      worker.on('exit', () => gone('sender thread exited'));
      this.threads.push(thread);
    }
  }

  /** Number of sender threads. */
  get size(): number {
    return this.threads.length;
  }

  /** A transport for one dispatcher; its `close` leaves the pool's threads to {@link close}. */
  transport(): WebhookTransport {
    return {
      send: (target, headers, body, done) => this.send(target, headers, body, done),
      close: () => {},
    };
  }

  /** Ends every thread; attempts still in flight fail with a transport error. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hold();
    this.flush();
    await Promise.all(
      this.threads.map(async (t) => {
        if (!t.dead) t.worker.postMessage({ t: 'close' });
        await t.worker.terminate();
      }),
    );
  }

  private send(
    target: URL,
    headers: Record<string, string>,
    body: Buffer,
    done: (o: AttemptOutcome) => void,
  ): () => void {
    const id = ++this.seq;
    const thread = this.threads[id % this.threads.length] as Thread;
    if (this.closed || thread.dead) {
      done({ error: this.closed ? 'sender threads closed' : (thread.dead as string) });
      return () => {};
    }
    this.callbacks.set(id, { thread, done });
    this.hold();
    const p = thread.pending ?? emptyPending();
    thread.pending = p;
    const href = target.href;
    let ix = p.urlIndex.get(href);
    if (ix === undefined) {
      ix = p.urls.length;
      p.urls.push(href);
      p.urlIndex.set(href, ix);
    }
    let heads = '';
    for (const name in headers) heads += `${name}\n${headers[name]}\n`;
    p.ids.push(id);
    p.urlIx.push(ix);
    p.heads.push(heads);
    p.bodies.push(body);
    p.bytes += body.length;
    this.queueFlush();
    return () => {
      if (!this.callbacks.delete(id)) return;
      this.hold();
      const q = thread.pending ?? emptyPending();
      thread.pending = q;
      q.aborts.push(id);
      this.queueFlush();
    };
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    // A microtask, not a timer: POSTs started in one synchronous burst (a dispatcher pump) share a
    // message, and none waits for the next loop turn.
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    for (const t of this.threads) {
      const p = t.pending;
      if (!p || t.dead) continue;
      t.pending = undefined;
      const blob = new Uint8Array(p.bytes);
      let offset = 0;
      for (const b of p.bodies) {
        blob.set(b, offset);
        offset += b.length;
      }
      const batch: SendBatch = {
        t: 'send',
        ids: Int32Array.from(p.ids),
        urlIx: Int32Array.from(p.urlIx),
        urls: p.urls,
        heads: p.heads,
        lens: Int32Array.from(p.bodies, (b) => b.length),
        blob,
        aborts: p.aborts,
      };
      const moved = [batch.ids.buffer, batch.urlIx.buffer, batch.lens.buffer, blob.buffer] as ArrayBuffer[];
      t.worker.postMessage(batch, moved);
    }
  }

  /** Refs the threads while attempts are in flight and unrefs them once none is (only on a change). */
  private hold(): void {
    const busy = this.callbacks.size > 0 && !this.closed;
    if (busy === this.held) return;
    this.held = busy;
    for (const t of this.threads) {
      if (busy) t.worker.ref();
      else t.worker.unref();
    }
  }

  private settle(m: { ids: Int32Array; codes: Int32Array; errors: string[] }): void {
    for (let i = 0; i < m.ids.length; i++) {
      const id = m.ids[i] as number;
      const cb = this.callbacks.get(id);
      if (!cb) continue;
      this.callbacks.delete(id);
      const code = m.codes[i] as number;
      cb.done(code >= 0 ? { statusCode: code } : { error: m.errors[-1 - code] ?? 'unknown error' });
    }
    this.hold();
  }
}
