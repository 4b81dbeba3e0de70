import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../kernel/clock.js';
import { SpecError } from '../../../../kernel/distributions.js';
import { type FaultRule, parseFaultSpec } from '../../../../kernel/fault-spec.js';
import { createRng } from '../../../../kernel/random.js';
import { FaultController, type FaultResponder, registerFaults } from '../../../../mocks/shared/faults.js';
import { Journal } from '../../../../mocks/shared/journal.js';

describe('FaultController', () => {
  function setup(seed = 1) {
    const clock = new VirtualClock();
    const journal = new Journal('whatsapp', clock);
    const faults = new FaultController(clock, createRng(seed), journal);
    return { clock, journal, faults };
  }

  it('applies rules only inside their window and drops them when it ends', () => {
    const { clock, journal, faults } = setup();
    const rule = faults.add(parseFaultSpec('outage=unavailable@10s+30s', clock.nowMs()));
    expect(rule.id).toBe('fault-1');
    expect(faults.decide('/v23.0/1/messages')).toEqual({ latencyMs: 0 });
    expect(faults.list()).toEqual([{ ...rule, active: false }]);
    clock.advance(10_000);
    expect(faults.decide('/v23.0/1/messages').action).toEqual({
      type: 'outage',
      mode: 'unavailable',
      ruleId: 'fault-1',
    });
    expect(faults.list()[0]?.active).toBe(true);
    clock.advance(29_999);
    expect(faults.decide('/x').action?.type).toBe('outage');
    clock.advance(1);
    expect(faults.decide('/x')).toEqual({ latencyMs: 0 });
    expect(faults.list()).toEqual([]);
    expect(journal.query().map((e) => e.kind)).toEqual([
      'fault.set',
      'fault.applied',
      'fault.applied',
      'fault.cleared',
    ]);
    expect(journal.query({ kind: 'fault.set' })[0]?.data).toMatchObject({
      id: 'fault-1',
      spec: 'outage=unavailable@10s+30s',
      startMs: 10_000,
      endMs: 40_000,
    });
    expect(journal.query({ kind: 'fault.cleared' })[0]?.data).toMatchObject({
      reason: 'expired',
      endMs: 40_000,
    });
  });

  it('matches routes by substring', () => {
    const { faults } = setup();
    faults.add(parseFaultSpec('error=131000~/messages', 0));
    expect(faults.decide('/v23.0/123/messages').action).toMatchObject({ type: 'error', code: 131000 });
    expect(faults.decide('/v23.0/123/message_templates').action).toBeUndefined();
  });

  it('draws decisions from the seeded rng: same seed, same requests failed, at about the rate', () => {
    const run = (seed: number) => {
      const { faults } = setup(seed);
      faults.add(parseFaultSpec('error=131000:0.2', 0));
      return Array.from({ length: 2000 }, () => faults.decide('/m').action !== undefined);
    };
    const a = run(7);
    expect(run(7)).toEqual(a);
    expect(run(8)).not.toEqual(a);
    const hits = a.filter(Boolean).length;
    expect(hits).toBeGreaterThan(320);
    expect(hits).toBeLessThan(480);
  });

  it('outages win over errors and rate limits; latencies add up; webhook faults never answer requests', () => {
    const { faults, journal } = setup();
    faults.add(parseFaultSpec('error=131000', 0));
    faults.add(parseFaultSpec('latency=100ms', 0));
    faults.add(parseFaultSpec('latency=50ms', 0));
    faults.add(parseFaultSpec('webhook-delay=1s', 0));
    expect(faults.decide('/m')).toEqual({
      latencyMs: 150,
      action: { type: 'error', code: 131000, ruleId: 'fault-1' },
    });
    const outage = faults.add(parseFaultSpec('outage=reset', 0));
    expect(faults.decide('/m').action).toEqual({ type: 'outage', mode: 'reset', ruleId: outage.id });
    expect(faults.clear(outage.id)).toBe(1);
    faults.clear('fault-1');
    faults.add(parseFaultSpec('rate-limit=7s', 0));
    expect(faults.decide('/m').action).toEqual({ type: 'rate-limit', retryAfterS: 7, ruleId: 'fault-6' });
    const applied = journal.query({ kind: 'fault.applied' }).map((e) => e.data);
    expect(applied[0]).toMatchObject({ id: 'fault-2', kind: 'latency', latencyMs: 100, route: '/m' });
    expect(applied.at(-1)).toMatchObject({ id: 'fault-6', kind: 'rate-limit', retryAfterS: 7 });
  });

  it('answers the webhook questions from webhook rules only', () => {
    const { faults, clock } = setup();
    expect(faults.webhookDuplicate()).toBe(false);
    expect(faults.webhookReorder()).toBe(false);
    expect(faults.webhookDelayMs()).toBe(0);
    faults.add(parseFaultSpec('webhook-duplicate=1', 0));
    faults.add(parseFaultSpec('webhook-reorder=0.5', 0));
    faults.add(parseFaultSpec('webhook-delay=uniform(1s,3s)@0s+1m', 0));
    expect(faults.webhookDuplicate()).toBe(true);
    const reorders = Array.from({ length: 1000 }, () => faults.webhookReorder()).filter(Boolean).length;
    expect(reorders).toBeGreaterThan(430);
    expect(reorders).toBeLessThan(570);
    for (let i = 0; i < 100; i++) {
      const ms = faults.webhookDelayMs();
      expect(ms >= 1000 && ms <= 3000).toBe(true);
    }
    clock.advance(60_000);
    expect(faults.webhookDelayMs()).toBe(0);
    expect(faults.decide('/m')).toEqual({ latencyMs: 0 });
  });

  it('replaces a rule with the same id, clears all, and rejects bad rules built in code', () => {
    const { faults, journal } = setup();
    faults.add({ id: 'storm', kind: 'rate-limit', retryAfterS: 5 });
    faults.add({ id: 'storm', kind: 'rate-limit', retryAfterS: 9 });
    faults.add({ kind: 'latency', delay: { kind: 'fixed', ms: 10 } });
    expect(faults.list().map((r) => r.id)).toEqual(['storm', 'fault-1']);
    expect(faults.clear('nope')).toBe(0);
    expect(faults.clear()).toBe(2);
    expect(journal.query({ kind: 'fault.cleared' })).toHaveLength(2);
    const bad: unknown[] = [
      { kind: 'error', code: 1, rate: 2 },
      { kind: 'error', code: '', rate: 1 },
      { kind: 'latency', delay: { kind: 'uniform', minMs: 5, maxMs: 1 } },
      { kind: 'outage', mode: 'down' },
      { kind: 'rate-limit', retryAfterS: 1.5 },
      { kind: 'boom' },
      { kind: 'outage', mode: 'hang', startMs: 10, endMs: 5 },
    ];
    for (const rule of bad)
      expect(() => faults.add(rule as FaultRule), JSON.stringify(rule)).toThrow(SpecError);
  });
});

describe('registerFaults (inject)', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  const responder: FaultResponder = {
    error: (reply, code) => reply.code(400).send({ error: { code, message: 'injected' } }),
    unavailable: (reply) => reply.code(503).send({ error: { code: 131016 } }),
    rateLimited: (reply, retryAfterS) =>
      reply
        .code(429)
        .header('retry-after', String(retryAfterS))
        .send({ error: { code: 130429 } }),
  };

  async function setup() {
    const clock = new VirtualClock();
    const faults = new FaultController(clock, createRng(1));
    const app = Fastify();
    let handled = 0;
    registerFaults(app, faults, responder, (path) => !path.startsWith('/_mock/') && path !== '/metrics');
    app.post('/v23.0/:phone/messages', async () => {
      handled++;
      return { messages: [{ id: 'wamid.X' }] };
    });
    app.get('/_mock/health', async () => ({ ok: true }));
    await app.ready();
    apps.push(app);
    return { clock, faults, app, handled: () => handled };
  }

  it('answers errors, outages and rate limits with the mock responder, and spares excluded routes', async () => {
    const { faults, app, handled } = await setup();
    faults.add(parseFaultSpec('error=131000', 0));
    const err = await app.inject({ method: 'POST', url: '/v23.0/1/messages?x=1', payload: {} });
    expect(err.statusCode).toBe(400);
    expect(err.json()).toEqual({ error: { code: 131000, message: 'injected' } });
    expect((await app.inject('/_mock/health')).statusCode).toBe(200);
    faults.clear();
    faults.add(parseFaultSpec('rate-limit=5s', 0));
    const limited = await app.inject({ method: 'POST', url: '/v23.0/1/messages', payload: {} });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('5');
    faults.add(parseFaultSpec('outage=unavailable', 0));
    expect((await app.inject({ method: 'POST', url: '/v23.0/1/messages', payload: {} })).statusCode).toBe(
      503,
    );
    expect(handled()).toBe(0);
    faults.clear();
    expect((await app.inject({ method: 'POST', url: '/v23.0/1/messages', payload: {} })).statusCode).toBe(
      200,
    );
    expect(handled()).toBe(1);
  });

  it('waits latency on the mock clock before handling', async () => {
    const { faults, app, clock, handled } = await setup();
    faults.add(parseFaultSpec('latency=800ms', 0));
    let done = false;
    const res = app.inject({ method: 'POST', url: '/v23.0/1/messages', payload: {} }).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    clock.advance(799);
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    clock.advance(1);
    expect((await res).statusCode).toBe(200);
    expect(handled()).toBe(1);
  });

  it('reset destroys the connection and hang is released by app.close()', async () => {
    const { faults, app } = await setup();
    faults.add(parseFaultSpec('outage=reset', 0));
    await expect(app.inject({ method: 'POST', url: '/v23.0/1/messages', payload: {} })).rejects.toThrow();
    faults.clear();
    faults.add(parseFaultSpec('outage=hang', 0));
    let settled = false;
    const hung = app.inject({ method: 'POST', url: '/v23.0/1/messages', payload: {} }).then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 30));
    expect(settled).toBe(false);
    await app.close();
    await hung;
    expect(settled).toBe(true);
  });

  it('a pending latency wait does not hold app.close() either', async () => {
    const { faults, app } = await setup();
    faults.add(parseFaultSpec('latency=1h', 0));
    const pending = app.inject({ method: 'POST', url: '/v23.0/1/messages', payload: {} });
    await new Promise((r) => setTimeout(r, 20));
    await app.close();
    expect((await pending).statusCode).toBeGreaterThan(0);
  });
});
