import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../../kernel/clock.js';
import { parseFaultSpec } from '../../kernel/fault-spec.js';
import { createRng } from '../../kernel/random.js';
import { FaultController, type FaultResponder, registerFaults } from '../../mocks/shared/faults.js';
import { Journal } from '../../mocks/shared/journal.js';

const responder: FaultResponder = {
  error: (reply, code) => reply.code(400).send({ error: { code } }),
  unavailable: (reply) => reply.code(503).send({ error: { code: 131016 } }),
  rateLimited: (reply, s) =>
    reply
      .code(429)
      .header('retry-after', String(s))
      .send({ error: { code: 130429 } }),
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start() {
  const clock = new RealClock();
  const journal = new Journal('whatsapp', clock);
  const faults = new FaultController(clock, createRng(1), journal);
  app = Fastify();
  registerFaults(app, faults, responder, (p) => !p.startsWith('/_mock/'));
  app.post('/v23.0/1/messages', async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return { faults, journal, port };
}

/** POSTs with a fresh connection; resolves with the status or the client-side error code. */
function post(
  port: number,
  path = '/v23.0/1/messages',
): Promise<{ status?: number; error?: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({ error: e.code ?? e.message, ms: performance.now() - t0 }),
    );
    req.end('{}');
  });
}

describe('registerFaults over real sockets', () => {
  it('outage=reset destroys the socket under the client', async () => {
    const { faults, port, journal } = await start();
    faults.add(parseFaultSpec('outage=reset', 0));
    const r = await post(port);
    expect(r.status).toBeUndefined();
    expect(r.error).toMatch(/ECONNRESET|socket hang up/);
    expect(journal.query({ kind: 'fault.applied' })[0]?.data).toMatchObject({
      kind: 'outage',
      mode: 'reset',
    });
    faults.clear();
    expect((await post(port)).status).toBe(200);
  });

  it('outage=hang never answers, and app.close() still finishes promptly', async () => {
    const { faults, port } = await start();
    faults.add(parseFaultSpec('outage=hang', 0));
    const pending = Array.from({ length: 5 }, () => post(port));
    let settled = 0;
    for (const p of pending) void p.then(() => settled++);
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(0);
    expect((await post(port, '/_mock/missing')).status).toBe(404); // admin routes are not faulted
    const t0 = performance.now();
    await app?.close();
    app = undefined;
    const closeMs = performance.now() - t0;
    const results = await Promise.all(pending);
    for (const r of results) expect(r.error).toMatch(/ECONNRESET|socket hang up/);
    expect(closeMs).toBeLessThan(5_000); // generous: without the preClose release this never returns
  });

  it('latency waits on the clock before handling', async () => {
    const { faults, port } = await start();
    faults.add(parseFaultSpec('latency=150ms', 0));
    const r = await post(port);
    expect(r.status).toBe(200);
    expect(r.ms).toBeGreaterThanOrEqual(140);
    faults.add(parseFaultSpec('outage=unavailable@0s+300ms', faults.clock.nowMs()));
    expect((await post(port)).status).toBe(503);
  });
});
