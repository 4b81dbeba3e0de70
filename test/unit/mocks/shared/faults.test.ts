import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../mocks/shared/clock.js';
import { SpecError } from '../../../../mocks/shared/distributions.js';
import {
  FaultController,
  type FaultResponder,
  type FaultRule,
  formatFaultSpec,
  parseFaultSpec,
  registerFaults,
} from '../../../../mocks/shared/faults.js';
import { Journal } from '../../../../mocks/shared/journal.js';
import { createRng } from '../../../../mocks/shared/random.js';

describe('parseFaultSpec', () => {
  const now = 5_000;
  it('reads every documented form', () => {
    expect(parseFaultSpec('error=131000:0.05', now)).toEqual({ kind: 'error', code: 131000, rate: 0.05 });
    expect(parseFaultSpec('error=unavailable:5%', now)).toEqual({
      kind: 'error',
      code: 'unavailable',
      rate: 0.05,
    });
    expect(parseFaultSpec('error=130429', now)).toEqual({ kind: 'error', code: 130429, rate: 1 });
    expect(parseFaultSpec('latency=lognormal(200ms,0.5)', now)).toEqual({
      kind: 'latency',
      delay: { kind: 'lognormal', medianMs: 200, sigma: 0.5 },
    });
    expect(parseFaultSpec('latency=800ms:0.5', now)).toEqual({
      kind: 'latency',
      delay: { kind: 'fixed', ms: 800 },
      rate: 0.5,
    });
    expect(parseFaultSpec('outage=unavailable', now)).toEqual({ kind: 'outage', mode: 'unavailable' });
    expect(parseFaultSpec('outage=reset', now)).toEqual({ kind: 'outage', mode: 'reset' });
    expect(parseFaultSpec('outage=hang', now)).toEqual({ kind: 'outage', mode: 'hang' });
    expect(parseFaultSpec('rate-limit=5s:0.5', now)).toEqual({
      kind: 'rate-limit',
      retryAfterS: 5,
      rate: 0.5,
    });
    expect(parseFaultSpec('rate-limit=1500ms', now)).toEqual({ kind: 'rate-limit', retryAfterS: 2 });
    expect(parseFaultSpec('webhook-duplicate=0.1', now)).toEqual({ kind: 'webhook-duplicate', rate: 0.1 });
    expect(parseFaultSpec('webhook-reorder=0.2', now)).toEqual({ kind: 'webhook-reorder', rate: 0.2 });
    expect(parseFaultSpec('webhook-delay=uniform(1s,3s)', now)).toEqual({
      kind: 'webhook-delay',
      delay: { kind: 'uniform', minMs: 1000, maxMs: 3000 },
    });
    expect(parseFaultSpec('media-download=hang', now)).toEqual({ kind: 'media-download', mode: 'hang' });
    expect(parseFaultSpec('media-download=fail:0.25~/attachments', now)).toEqual({
      kind: 'media-download',
      mode: 'fail',
      rate: 0.25,
      route: '/attachments',
    });
    expect(() => parseFaultSpec('media-download=slow', now)).toThrow(
      /media-download mode "slow" is not one of fail, reset, hang/,
    );
  });

  it('reads window and route suffixes in either order', () => {
    const expected = {
      kind: 'outage',
      mode: 'unavailable',
      startMs: 15_000,
      endMs: 45_000,
      route: '/messages',
    };
    expect(parseFaultSpec('outage=unavailable@10s+30s~/messages', now)).toEqual(expected);
    expect(parseFaultSpec('outage=unavailable~/messages@10s+30s', now)).toEqual(expected);
    expect(parseFaultSpec('error=131016:1@2m', now)).toEqual({
      kind: 'error',
      code: 131016,
      rate: 1,
      startMs: 125_000,
    });
    expect(parseFaultSpec('error=131016@+30s', now)).toMatchObject({ startMs: 5_000, endMs: 35_000 });
  });

  it('names the bad part and lists the accepted forms', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty fault/],
      ['error', /missing '=' after "error"/],
      ['errors=1', /unknown fault kind "errors"/],
      ['error=', /error needs a value/],
      ['error=1:2', /error rate: invalid rate "2"/],
      ['error=a b', /error code "a b"/],
      ['error=1:0.5:0.5', /too many ':'/],
      ['latency=soon', /latency delay: invalid delay "soon"/],
      ['outage=down', /outage mode "down" is not one of unavailable, reset, hang/],
      ['rate-limit=5x', /rate-limit Retry-After: invalid duration "5x"/],
      ['webhook-delay=uniform(3s,1s)', /min 3s is above max 1s/],
      ['error=1@10s+0s', /window duration must be above 0/],
      ['error=1@', /window '@' needs START/],
      ['error=1@10s@20s', /more than one '@'/],
      ['error=1~', /route "" must be/],
      ['error=1@x+1s', /window start: invalid duration "x"/],
    ];
    for (const [text, re] of cases) {
      try {
        parseFaultSpec(text, 0);
        expect.unreachable(text);
      } catch (e) {
        expect(e, text).toBeInstanceOf(SpecError);
        expect((e as SpecError).input).toBe(text);
        expect((e as Error).message, text).toMatch(re);
        expect((e as Error).message, text).toContain('accepted forms: error=CODE[:RATE]');
      }
    }
  });

  it('property: garbage gives a SpecError, never another exception', () => {
    const alphabet = fc.constantFrom(
      ...'errorlatencyoutageratelimitwebhookduplicatedelayhang=:@~+()%,.0123456789msdh/- '.split(''),
    );
    const kinds = fc.constantFrom(
      'error=',
      'latency=',
      'outage=',
      'rate-limit=',
      'webhook-delay=',
      'webhook-reorder=',
      'media-download=',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 50 }),
          fc.string({ unit: alphabet, maxLength: 50 }),
          fc.tuple(kinds, fc.string({ unit: alphabet, maxLength: 30 })).map(([k, s]) => k + s),
        ),
        (s) => {
          try {
            parseFaultSpec(s, 0);
          } catch (e) {
            expect(e).toBeInstanceOf(SpecError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: valid specs round-trip through formatFaultSpec', () => {
    const rate = fc.integer({ min: 0, max: 1000 }).map((n) => String(n / 1000));
    const dur = fc.integer({ min: 1, max: 100_000 }).map((n) => `${n}ms`);
    const delay = fc.oneof(
      dur,
      fc
        .tuple(dur, dur)
        .map(([a, b]) => (parseInt(a, 10) <= parseInt(b, 10) ? `uniform(${a},${b})` : `uniform(${b},${a})`)),
      fc.tuple(dur, fc.integer({ min: 0, max: 3000 })).map(([m, s]) => `lognormal(${m},${s / 1000})`),
    );
    const body = fc.oneof(
      fc
        .tuple(fc.oneof(fc.nat(200_000).map(String), fc.constantFrom('unavailable', 'bad_token')), rate)
        .map(([c, r]) => `error=${c}:${r}`),
      fc.tuple(delay, fc.option(rate)).map(([d, r]) => `latency=${d}${r === null ? '' : `:${r}`}`),
      fc.constantFrom('outage=unavailable', 'outage=reset', 'outage=hang'),
      fc
        .tuple(fc.integer({ min: 0, max: 600 }), fc.option(rate))
        .map(([s, r]) => `rate-limit=${s}s${r === null ? '' : `:${r}`}`),
      rate.map((r) => `webhook-duplicate=${r}`),
      rate.map((r) => `webhook-reorder=${r}`),
      delay.map((d) => `webhook-delay=${d}`),
      fc
        .tuple(fc.constantFrom('fail', 'reset', 'hang'), fc.option(rate))
        .map(([m, r]) => `media-download=${m}${r === null ? '' : `:${r}`}`),
    );
    const windowSuffix = fc.option(
      fc.tuple(dur, fc.option(dur)).map(([s, d]) => `@${s}${d === null ? '' : `+${d}`}`),
    );
    const route = fc.option(fc.constantFrom('/messages', 'v23.0', '/api/v1/contacts'));
    fc.assert(
      fc.property(body, windowSuffix, route, fc.nat(1_000_000), (b, w, r, nowMs) => {
        const text = b + (w ?? '') + (r === null ? '' : `~${r}`);
        const rule = parseFaultSpec(text, nowMs);
        expect(parseFaultSpec(formatFaultSpec(rule, nowMs), nowMs)).toEqual(rule);
      }),
      { numRuns: 1000 },
    );
  });
});

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
