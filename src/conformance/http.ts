import http from 'node:http';
import https from 'node:https';
import type { Clock } from '../../kernel/clock.js';

/** What one request to the connector came to: its status and body, or why there was none. */
export interface HttpOutcome {
  /** Absent when no HTTP answer came (refused, reset, timed out). */
  status?: number;
  /** The answer's body (the first `maxTextChars`, default 2,000). */
  text: string;
  /** From the request being sent to the last byte of the answer (or to the failure). */
  latencyMs: number;
  /** Harness-clock time the request was sent at. */
  sentAtMs: number;
  error?: string;
}

/** Options of one request. */
export interface HttpRequestOptions {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  /** Characters of the answer kept in `text` (default 2,000). */
  maxTextChars?: number;
}

/**
 * A small HTTP client with keep-alive sockets, as a webhook sender has: node:http rather than
 * fetch, because the kit times each acknowledgement and fetch adds its own queueing on top.
 */
export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(
    private readonly clock: Clock,
    maxSockets = 64,
  ) {
    const opts = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
    this.httpAgent = new http.Agent(opts);
    this.httpsAgent = new https.Agent(opts);
  }

  /** Sends one request; never rejects (a failure is an outcome without `status`). */
  request(opts: HttpRequestOptions): Promise<HttpOutcome> {
    const sentAtMs = this.clock.nowMs();
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const maxText = opts.maxTextChars ?? 2_000;
    return new Promise<HttpOutcome>((resolve) => {
      let settled = false;
      const finish = (o: Omit<HttpOutcome, 'sentAtMs' | 'latencyMs'>) => {
        if (settled) return;
        settled = true;
        resolve({ ...o, sentAtMs, latencyMs: this.clock.nowMs() - sentAtMs });
      };
      let target: URL;
      try {
        target = new URL(opts.url);
      } catch {
        finish({ text: '', error: `not a URL: ${opts.url}` });
        return;
      }
      const lib = target.protocol === 'https:' ? https : http;
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
      const req = lib.request(
        target,
        {
          method: opts.method,
          headers,
          agent: target.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < maxText * 4) chunks.push(c);
            size += c.length;
          });
          res.on('end', () =>
            finish({
              status: res.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8').slice(0, maxText),
            }),
          );
          res.on('error', (err) => finish({ status: res.statusCode ?? 0, text: '', error: err.message }));
        },
      );
      req.setTimeout(timeoutMs, () => {
        req.destroy(new Error(`no answer within ${timeoutMs} ms`));
      });
      req.on('error', (err: NodeJS.ErrnoException) => finish({ text: '', error: err.code ?? err.message }));
      if (opts.body !== undefined) req.write(opts.body);
      req.end();
    });
  }

  /** Closes the idle sockets. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** `HTTP 200 in 3 ms`, or `no answer (ECONNREFUSED) after 2 ms`. */
export function describeOutcome(o: HttpOutcome): string {
  const ms = Math.round(o.latencyMs);
  return o.status === undefined
    ? `no answer (${o.error ?? 'unknown error'}) after ${ms} ms`
    : `HTTP ${o.status} in ${ms} ms`;
}

/** True for a 2xx answer. */
export function isOk(o: HttpOutcome): boolean {
  return o.status !== undefined && o.status >= 200 && o.status < 300;
}
