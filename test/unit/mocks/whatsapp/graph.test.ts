import Fastify, { type FastifyReply } from 'fastify';
import { describe, expect, it } from 'vitest';
import { setReplyHeaders } from '../../../../mocks/whatsapp/app.js';
import { ReplyBatch } from '../../../../mocks/whatsapp/graph.js';

/** A stand-in reply that records what it was sent and when. */
function fakeReply(log: string[], name: string, fail = false): FastifyReply {
  return {
    send(body: string) {
      if (fail) throw new Error('socket gone');
      log.push(`${name}:${body}`);
      return this;
    },
  } as unknown as FastifyReply;
}

describe('ReplyBatch', () => {
  it('answers every queued request together once the current I/O batch is done, in order', async () => {
    const batch = new ReplyBatch();
    const log: string[] = [];
    batch.send(fakeReply(log, 'a'), '1');
    batch.send(fakeReply(log, 'b'), '2');
    log.push('handlers done');
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['handlers done', 'a:1', 'b:2']);
    // A later request starts a new batch.
    batch.send(fakeReply(log, 'c'), '3');
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.at(-1)).toBe('c:3');
  });

  it('a reply that cannot be sent (client gone) does not keep the others from theirs', async () => {
    const batch = new ReplyBatch();
    const log: string[] = [];
    batch.send(fakeReply(log, 'a'), '1');
    batch.send(fakeReply(log, 'gone', true), '2');
    batch.send(fakeReply(log, 'c'), '3');
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['a:1', 'c:3']);
  });
});

describe('setReplyHeaders', () => {
  it('hands the installed fastify all headers in one object, and falls back to reply.headers once a header is set', async () => {
    const app = Fastify();
    const taken: boolean[] = [];
    app.get('/fresh', (_req, reply) => {
      taken.push(setReplyHeaders(reply, { 'x-one': '1', 'x-two': '2' }));
      reply.type('text/plain').send('ok');
    });
    app.get('/set-before', (_req, reply) => {
      reply.header('x-zero', '0');
      taken.push(setReplyHeaders(reply, { 'x-one': '1' }));
      reply.send('ok');
    });
    const fresh = await app.inject({ method: 'GET', url: '/fresh' });
    expect(fresh.headers).toMatchObject({ 'x-one': '1', 'x-two': '2', 'content-type': 'text/plain' });
    expect(fresh.headers['content-length']).toBe('2');
    const before = await app.inject({ method: 'GET', url: '/set-before' });
    expect(before.headers).toMatchObject({ 'x-zero': '0', 'x-one': '1' });
    // With the installed fastify the first reply takes the fast path; if an upgrade changes how
    // fastify keeps headers, this says so (the headers above are right either way).
    expect(taken).toEqual([true, false]);
    await app.close();
  });
});
