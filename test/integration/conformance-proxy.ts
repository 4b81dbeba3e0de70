/**
 * A proxy in front of the reference connector that turns it into a subtly wrong "vendor"
 * connector, one defect per mode, for the conformance cases no fault switch of the reference
 * connector breaks. It is reached over HTTP as an external connector, so it also exercises the
 * kit's `--connector-url` path end to end.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The defect the proxy adds. */
export type ProxyMode =
  /** Forwards everything untouched (an honest external connector). */
  | 'pass'
  /** Answers every verification GET with 200 "OK" (forgets to echo hub.challenge). */
  | 'no-echo'
  /** Echoes hub.challenge whatever the verify token. */
  | 'any-token'
  /** Re-serialises WhatsApp webhook JSON before the signature check (breaks escaped unicode). */
  | 'reserialise'
  /** Refuses (400) a WhatsApp webhook with a field it does not know (`x_…`, `identity`, `user_id`). */
  | 'strict-fields'
  /** Fails (500) a WhatsApp webhook whose change field is not `messages`. */
  | 'messages-only';

const KNOWN_EXTRA = /"(x_[a-z_]+|identity|user_id)"\s*:/;

function hasOtherField(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { entry?: Array<{ changes?: Array<{ field?: unknown }> }> };
    return (parsed.entry ?? []).some((e) => (e.changes ?? []).some((c) => c.field !== 'messages'));
  } catch {
    return false;
  }
}

/** A running proxy; `close()` in teardown. */
export interface DefectProxy {
  url: string;
  mode: ProxyMode;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (any free port) in front of `targetUrl`. */
export async function startDefectProxy(targetUrl: string, mode: ProxyMode): Promise<DefectProxy> {
  const target = new URL(targetUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://proxy');
      const isWa = url.pathname === '/webhooks/whatsapp';
      if (isWa && req.method === 'GET') {
        const challenge = url.searchParams.get('hub.challenge');
        if (mode === 'no-echo') {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
          return;
        }
        if (mode === 'any-token' && challenge !== null) {
          res.writeHead(200, { 'content-type': 'text/plain' }).end(challenge);
          return;
        }
      }
      if (isWa && req.method === 'POST') {
        const text = body.toString('utf8');
        if (mode === 'strict-fields' && KNOWN_EXTRA.test(text)) {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"unknown field"}');
          return;
        }
        if (mode === 'messages-only' && hasOtherField(text)) {
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"unsupported field"}');
          return;
        }
        if (mode === 'reserialise') {
          try {
            body = Buffer.from(JSON.stringify(JSON.parse(text)), 'utf8');
          } catch {
            // Not JSON: forwarded as is.
          }
        }
      }
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      const fwd = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', () => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
      fwd.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    mode,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
