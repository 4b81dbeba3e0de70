import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, contactWithConversation, TOKEN, testCrm } from './helpers.js';

let app: FastifyInstance;
let ids: { contactId: string; conversationId: string; messageId: string; handoverId: string };

beforeAll(async () => {
  ({ app } = testCrm({ planLimits: { standard: 1_000_000 } }));
  const { contactId, conversationId } = await contactWithConversation(app);
  const m = await api(app, 'POST', `/conversations/${conversationId}/messages`, {
    direction: 'outbound',
    type: 'text',
    body: 'x',
    wa_message_id: 'wamid.V',
  });
  const h = await api(app, 'POST', '/handovers', { conversation_id: conversationId, reason: 'complaint' });
  ids = { contactId, conversationId, messageId: m.json().id, handoverId: h.json().id };
});
afterAll(async () => {
  await app.close();
});

function expectCleanError(res: { statusCode: number; body: string }, what: string): void {
  expect(res.statusCode, what).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, what).toBeLessThan(500);
  const body = JSON.parse(res.body) as { error: { code: string; message: string; details: unknown[] } };
  expect(typeof body.error.code, what).toBe('string');
  expect(body.error.message.length, what).toBeGreaterThan(0);
  expect(Array.isArray(body.error.details), what).toBe(true);
  expect(res.body, what).not.toMatch(/\n\s+at /);
}

describe('bad input gets a clear 4xx naming the field', () => {
  it('garbage and non-object bodies → 400', async () => {
    for (const payload of ['{', 'null', '[1,2]', '"text"', '42', '{"__proto__":{"x":1}}']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/contacts',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        payload,
      });
      expectCleanError(res, payload);
      expect(res.statusCode, payload).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
  });

  it('wrong types and unknown fields → 422 listing every field', async () => {
    const res = await api(app, 'POST', '/contacts', {
      phone: 12345,
      opted_out: 'yes',
      tags: 'vip',
      country: 'Taiwan',
      custom_fields: { 'bad key': 1, ok: { nested: true } },
      colour: 'blue',
    });
    expect(res.statusCode).toBe(422);
    const paths = res.json().error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'phone',
        'opted_out',
        'tags',
        'country',
        'custom_fields.bad key',
        'custom_fields.ok',
        'colour',
      ]),
    );
    expect(res.json().error.message).toMatch(/fields are invalid/);
  });

  it('missing required fields → 422 "is required"', async () => {
    const res = await api(app, 'POST', `/conversations/${ids.conversationId}/messages`, {});
    expect(res.json().error.details).toEqual(
      expect.arrayContaining([
        { path: 'direction', message: 'is required' },
        { path: 'type', message: 'is required' },
        { path: 'wa_message_id', message: 'is required' },
      ]),
    );
  });

  it('a body over 256 KiB → 413 payload_too_large', async () => {
    const res = await api(app, 'POST', '/contacts', { phone: '+34612345678', name: 'x'.repeat(300_000) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
  });

  it('long strings and deep JSON are refused by name', async () => {
    const long = await api(app, 'POST', '/contacts', { phone: '+34612345678', name: 'x'.repeat(201) });
    expect(long.json().error.details[0]).toEqual({
      path: 'name',
      message: 'must be 0-200 characters long, got 201',
    });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 20; i++) deep = { d: deep };
    const res = await api(app, 'POST', '/error-logs', { kind: 'x', message: 'y', context: deep });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details[0].path).toBe('context');
  });

  it('non-JSON content types → 415', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'phone=1',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('unsupported_media_type');
  });

  it('unknown query parameters and repeated ones → 400 naming them', async () => {
    const res = await api(app, 'GET', '/contacts?colour=blue');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('colour');
    const twice = await api(app, 'GET', '/contacts?phone=1234567&phone=7654321');
    expect(twice.statusCode).toBe(400);
    expect(twice.json().error.details[0].path).toBe('phone');
  });
});

describe('property: garbage at every route never crashes the mock', () => {
  const routes = (): Array<[string, string]> => [
    ['POST', '/contacts'],
    ['PATCH', `/contacts/${ids.contactId}`],
    ['POST', `/contacts/${ids.contactId}/tags`],
    ['POST', '/conversations'],
    ['POST', `/conversations/${ids.conversationId}/messages`],
    ['POST', `/messages/${ids.messageId}/statuses`],
    ['POST', '/handovers'],
    ['POST', '/error-logs'],
  ];
  const fieldNames = fc.constantFrom(
    'phone',
    'name',
    'tags',
    'consent',
    'custom_fields',
    'direction',
    'type',
    'body',
    'wa_message_id',
    'status',
    'at',
    'error',
    'contact_id',
    'conversation_id',
    'reason',
    'kind',
    'message',
    'context',
    'template_params',
    'last_inbound_at',
    'timezone',
    '__proto__',
    'constructor',
  );
  const objects = fc.dictionary(
    fc.oneof(fieldNames, fc.string({ maxLength: 8 })),
    fc.jsonValue({ maxDepth: 3 }),
    {
      maxKeys: 6,
    },
  );

  it('JSON values of any shape get a 2xx or a clean 4xx error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(routes().length - 1),
        fc.oneof(objects, fc.jsonValue({ maxDepth: 3 })),
        async (i, body) => {
          const [method, path] = routes()[i] as [string, string];
          const res = await app.inject({
            method: method as 'POST',
            url: `/api/v1${path}`,
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          });
          if (res.statusCode >= 300)
            expectCleanError(res, `${method} ${path} ${JSON.stringify(body).slice(0, 200)}`);
          else expect(() => JSON.parse(res.body)).not.toThrow();
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  }, 30_000);

  it('raw bytes of any kind get a clean 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(routes().length - 1), fc.string({ maxLength: 200 }), async (i, raw) => {
        const [method, path] = routes()[i] as [string, string];
        const res = await app.inject({
          method: method as 'POST',
          url: `/api/v1${path}`,
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          payload: raw,
        });
        if (res.statusCode >= 300) expectCleanError(res, `${method} ${path} ${JSON.stringify(raw)}`);
      }),
      { numRuns: 200, seed: 7 },
    );
  }, 30_000);

  it('garbage paths, ids and query strings get a clean 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), async (seg, query) => {
        const url = `/api/v1/contacts/${encodeURIComponent(seg)}?${encodeURIComponent(query)}=${encodeURIComponent(seg)}`;
        const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
        if (res.statusCode >= 300) expectCleanError(res, url);
        const list = await app.inject({
          method: 'GET',
          url: `/api/v1/contacts?phone=${encodeURIComponent(seg)}&limit=${encodeURIComponent(query)}`,
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        if (list.statusCode >= 300) expectCleanError(list, list.body);
      }),
      { numRuns: 200, seed: 3 },
    );
  }, 30_000);
});
