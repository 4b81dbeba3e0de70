import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { api, testCrm } from './helpers.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function burst(a: FastifyInstance, n: number): Promise<number[]> {
  const codes: number[] = [];
  for (let i = 0; i < n; i++) codes.push((await api(a, 'GET', '/contacts?limit=1')).statusCode);
  return codes;
}

describe('plan rate limits', () => {
  it('standard: 300 requests per sliding minute, then 429 naming the plan with Retry-After', async () => {
    const t = testCrm();
    app = t.app;
    const codes = await burst(app, 300);
    expect(codes.every((c) => c === 200)).toBe(true);
    t.clock.advance(20_000);
    const res = await api(app, 'GET', '/contacts');
    expect(res.statusCode).toBe(429);
    // The oldest of the 300 hits (at t=0) leaves the window at t=60 s: 40 s from now.
    expect(res.headers['retry-after']).toBe('40');
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
    const err = res.json().error;
    expect(err.code).toBe('rate_limited');
    expect(err.message).toContain('standard plan allows 300 requests per minute');
    expect(err.details).toEqual([
      { path: 'plan', message: 'standard' },
      { path: 'limit_per_min', message: '300' },
    ]);
    expect(err.limit).toEqual({
      source: 'plan',
      plan: 'standard',
      limit_per_min: 300,
      window_s: 60,
      retry_after_s: 40,
    });
    expect(app.crm.journal.query({ kind: 'api.request' }).at(-1)?.data).toMatchObject({
      statusCode: 429,
      errorCode: 'rate_limited',
    });
    // The window slides: at t=60 s the first hits leave it and requests go through again.
    t.clock.advance(40_000);
    expect((await api(app, 'GET', '/contacts')).statusCode).toBe(200);
    expect(app.crm.stats()['rateLimited']).toBe(1);
  });

  it('does not count 401s against the limit', async () => {
    const t = testCrm({ planLimits: { standard: 2 } });
    app = t.app;
    for (let i = 0; i < 5; i++) {
      expect((await app.inject({ method: 'GET', url: '/api/v1/contacts' })).statusCode).toBe(401);
    }
    expect(await burst(app, 3)).toEqual([200, 200, 429]);
  });

  it('enterprise: 1,500 per minute', async () => {
    const t = testCrm({ plan: 'enterprise' });
    app = t.app;
    const codes = await burst(app, 1501);
    expect(codes.filter((c) => c === 200)).toHaveLength(1500);
    expect(codes.at(-1)).toBe(429);
  }, 30_000);

  it('takes custom plan limits and can change plan at run time', async () => {
    const t = testCrm({ planLimits: { standard: 3, enterprise: 5 } });
    app = t.app;
    expect(await burst(app, 4)).toEqual([200, 200, 200, 429]);
    app.crm.setPlan('enterprise');
    expect(await burst(app, 6)).toEqual([200, 200, 200, 200, 200, 429]);
    const res = await app.inject({ method: 'PUT', url: '/_mock/plan', payload: { limit_per_min: 2 } });
    expect(res.json()).toEqual({ plan: 'enterprise', limit_per_min: 2 });
    expect(await burst(app, 3)).toEqual([200, 200, 429]);
    const health = (await app.inject({ method: 'GET', url: '/_mock/health' })).json();
    expect(health).toMatchObject({ plan: 'enterprise', limit_per_min: 2 });
    const bad = await app.inject({ method: 'PUT', url: '/_mock/plan', payload: { plan: 'gold' } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details[0].path).toBe('plan');
  });

  it('never limits the admin API or /metrics', async () => {
    const t = testCrm({ planLimits: { standard: 1 } });
    app = t.app;
    await burst(app, 2);
    for (let i = 0; i < 5; i++) {
      expect((await app.inject({ method: 'GET', url: '/_mock/health' })).statusCode).toBe(200);
    }
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('crm_rate_limited_total{source="plan"} 1');
  });
});
