import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inbound, makeMock, orderConfirmation, T, VALID_BODIES } from './helpers.js';

// Garbage at every route: whatever comes in, the mock answers with a well-formed error of the
// right shape (Graph envelope on Graph paths, admin shape under /_mock/) and never a 5xx or a crash.

let app: FastifyInstance;
beforeAll(() => {
  ({ app } = makeMock({ throughputPerSec: 1e9, pairRate: { perSec: 1e9, burst: 1e9 } }));
  inbound(app);
});
afterAll(async () => {
  await app.close();
});

const auth = { authorization: `Bearer ${T.token}` };
const RUNS = { numRuns: 150, seed: 20260105 };

function expectGraphShape(r: LightMyRequestResponse): void {
  expect(r.statusCode, r.body).toBeLessThan(500);
  const body = r.json() as Record<string, unknown>;
  if (r.statusCode >= 400) {
    const err = body['error'] as Record<string, unknown>;
    expect(typeof err['message']).toBe('string');
    expect(typeof err['type']).toBe('string');
    expect(Number.isInteger(err['code'])).toBe(true);
    expect(err['code']).not.toBe(1);
    expect(typeof err['fbtrace_id']).toBe('string');
  }
}

function expectAdminShape(r: LightMyRequestResponse): void {
  expect(r.statusCode, r.body).toBeLessThan(500);
  const body = r.json() as Record<string, unknown>;
  if (r.statusCode >= 400) {
    const err = body['error'] as Record<string, unknown>;
    expect(typeof err['code']).toBe('string');
    expect(typeof err['message']).toBe('string');
  }
}

/** Every path to a leaf or object inside a JSON value (as key lists). */
function paths(v: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) out.push(...paths(v[i], [...prefix, i]));
  } else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function setAt(root: unknown, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[path[path.length - 1] as string | number] = value;
  return copy;
}

const validBodies = [...Object.values(VALID_BODIES), orderConfirmation()];

describe('fuzzing the WhatsApp mock', () => {
  it('POST messages: arbitrary JSON values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (v) => {
        const r = await app.inject({
          method: 'POST',
          url: `/v23.0/${T.phoneId}/messages`,
          headers: { ...auth, 'content-type': 'application/json' },
          payload: JSON.stringify(v),
        });
        expectGraphShape(r);
      }),
      RUNS,
    );
  });

  it('POST messages: valid bodies with one field replaced by garbage', async () => {
    const garbage = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.string({ maxLength: 5000 }),
      fc.constantFrom(
        null,
        '',
        ' ',
        0,
        -1,
        1e308,
        true,
        [],
        {},
        '\n\t',
        '{{1}}',
        '__proto__',
        'x'.repeat(70_000),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...validBodies), fc.nat(), garbage, async (body, pick, value) => {
        const ps = paths(body);
        const mutated = setAt(body, ps[pick % ps.length] as Array<string | number>, value);
        const r = await app.inject({
          method: 'POST',
          url: `/v23.0/${T.phoneId}/messages`,
          headers: { ...auth, 'content-type': 'application/json' },
          payload: JSON.stringify(mutated),
        });
        expectGraphShape(r);
      }),
      RUNS,
    );
  });

  it('POST messages: raw bytes under any content type', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 2000 }),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
          'application/json; charset=latin1',
          'multipart/form-data',
        ),
        async (raw, type) => {
          const r = await app.inject({
            method: 'POST',
            url: `/v23.0/${T.phoneId}/messages`,
            headers: { ...auth, 'content-type': type },
            payload: raw,
          });
          expectGraphShape(r);
        },
      ),
      RUNS,
    );
  });

  it('template management: arbitrary query strings and creation bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('limit', 'after', 'before', 'name', 'status', 'fields', 'hsm_id', 'x'),
          fc.string({ maxLength: 40 }),
        ),
        fc.jsonValue({ maxDepth: 4 }),
        async (query, body) => {
          const qs = new URLSearchParams(query).toString();
          const url = `/v23.0/${T.waba}/message_templates?${qs}`;
          expectGraphShape(await app.inject({ method: 'GET', url, headers: auth }));
          expectGraphShape(await app.inject({ method: 'DELETE', url: `${url}&name=zz_nope`, headers: auth }));
          expectGraphShape(
            await app.inject({
              method: 'POST',
              url,
              headers: { ...auth, 'content-type': 'application/json' },
              payload: JSON.stringify(body),
            }),
          );
        },
      ),
      RUNS,
    );
  });

  it('Graph paths: arbitrary path segments and methods', async () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~%-]{0,20}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { maxLength: 4 }),
        fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH'),
        async (segs, method) => {
          const url = `/${segs.join('/')}`;
          if (url.startsWith('/_mock') || url === '/metrics') return;
          const r = await app.inject({ method, url, headers: auth });
          expectGraphShape(r);
        },
      ),
      RUNS,
    );
  });

  it('admin API: garbage bodies and queries', async () => {
    const routes: Array<['GET' | 'POST' | 'PUT' | 'DELETE', string]> = [
      ['POST', '/_mock/inbound'],
      ['POST', '/_mock/faults'],
      ['PUT', '/_mock/webhook'],
      ['POST', '/_mock/templates/123/status'],
      ['GET', '/_mock/journal'],
      ['GET', '/_mock/rendered'],
      ['DELETE', '/_mock/faults/xyz'],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.jsonValue({ maxDepth: 3 }),
        fc.dictionary(
          fc.constantFrom('kind', 'wamid', 'phone', 'sinceMs', 'untilMs', 'afterSeq', 'limit', 'name'),
          fc.string({ maxLength: 20 }),
        ),
        async ([method, path], body, query) => {
          const url = `${path}?${new URLSearchParams(query).toString()}`;
          const r = await app.inject(
            method === 'GET' || method === 'DELETE'
              ? { method, url }
              : {
                  method,
                  url,
                  headers: { 'content-type': 'application/json' },
                  payload: JSON.stringify(body),
                },
          );
          expectAdminShape(r);
        },
      ),
      RUNS,
    );
    // A fuzzed fault spec must not have left a fault behind that breaks the checks after it.
    await app.inject({ method: 'DELETE', url: '/_mock/faults' });
  });

  it('inbound: realistic shapes with garbage inside', async () => {
    const type = fc.constantFrom(
      'text',
      'image',
      'location',
      'contacts',
      'reaction',
      'button',
      'interactive',
      'order',
      'system',
      'unsupported',
      'video',
    );
    await fc.assert(
      fc.asyncProperty(
        type,
        fc.jsonValue({ maxDepth: 3 }),
        fc.oneof(fc.constant(T.user), fc.string({ maxLength: 20 })),
        async (t, payload, from) => {
          const r = await app.inject({
            method: 'POST',
            url: '/_mock/inbound',
            payload: { from, type: t, [t]: payload },
          });
          expectAdminShape(r);
        },
      ),
      RUNS,
    );
  });

  it('refuses a body over the limit with the Graph envelope, and stays healthy', async () => {
    const r = await app.inject({
      method: 'POST',
      url: `/v23.0/${T.phoneId}/messages`,
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({
        messaging_product: 'whatsapp',
        to: T.user,
        type: 'text',
        text: { body: 'x'.repeat(300_000) },
      }),
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.error_data.details).toMatch(/larger than 262144 bytes/);
    const health = await app.inject({ method: 'GET', url: '/_mock/health' });
    expect(health.statusCode).toBe(200);
    const ok = await app.inject({
      method: 'POST',
      url: `/v23.0/${T.phoneId}/messages`,
      headers: auth,
      payload: VALID_BODIES['text'] as Record<string, unknown>,
    });
    expect(ok.statusCode).toBe(200);
  });
});
