import type { FastifyReply } from 'fastify';
import { describe, expect, it } from 'vitest';
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
