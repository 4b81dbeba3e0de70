import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CrmContext } from '../context.js';
import { ApiError, sendApiError } from '../errors.js';
import type { Page } from '../store.js';
import { decodeCursor, encodeCursor, queryInt, queryString, rejectUnknownQuery } from '../validate.js';

/** The base path of the CRM API. */
export const API = '/api/v1';

/** What a route handler returns: the status and the JSON body. */
export interface RouteResult {
  statusCode: number;
  body: unknown;
}

const KEY_RE = /^[\x21-\x7e]{1,255}$/;
const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
// Bounded memory on a long soak: the newest keys are the ones a retry can still carry.
const IDEMPOTENCY_MAX_KEYS = 100_000;
let putsSincePrune = 0;

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` fingerprint the same. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * Runs a handler with the CRM's idempotency rules and error shape. Synchronous from the key
 * lookup to the stored answer, so two requests with the same key cannot both execute.
 */
export function handle(
  ctx: CrmContext,
  req: FastifyRequest,
  reply: FastifyReply,
  fn: () => RouteResult,
): FastifyReply {
  try {
    let storeKey: string | undefined;
    let fingerprint = '';
    const raw = req.headers['idempotency-key'];
    if (raw !== undefined && (req.method === 'POST' || req.method === 'PATCH')) {
      if (typeof raw !== 'string' || !KEY_RE.test(raw)) {
        throw new ApiError(400, 'validation_failed', 'Idempotency-Key is malformed', [
          { path: 'Idempotency-Key', message: 'must be 1-255 printable ASCII characters, given once' },
        ]);
      }
      storeKey = `${ctx.idempotencyScope}:${raw}`;
      fingerprint = createHash('sha256')
        .update(`${req.method} ${req.url}\n${stableStringify(req.body ?? null)}`)
        .digest('base64url');
      const rec = ctx.store.idempotency.get(storeKey);
      if (rec && rec.epochMs >= ctx.clock.epochMs() - IDEMPOTENCY_TTL_MS) {
        if (rec.fingerprint !== fingerprint) {
          throw new ApiError(409, 'conflict', 'Idempotency-Key was already used for a different request', [
            { path: 'Idempotency-Key', message: 'reused with another method, path or body' },
          ]);
        }
        ctx.countReplay();
        return reply
          .code(rec.statusCode)
          .header('idempotent-replayed', 'true')
          .type('application/json; charset=utf-8')
          .send(rec.body);
      }
    }
    const result = fn();
    const payload = JSON.stringify(result.body);
    if (storeKey !== undefined && result.statusCode >= 200 && result.statusCode < 300) {
      ctx.store.idempotency.put({
        key: storeKey,
        fingerprint,
        statusCode: result.statusCode,
        body: payload,
        epochMs: ctx.clock.epochMs(),
      });
      if (++putsSincePrune >= 1000) {
        putsSincePrune = 0;
        ctx.store.idempotency.prune(ctx.clock.epochMs() - IDEMPOTENCY_TTL_MS, IDEMPOTENCY_MAX_KEYS);
      }
    }
    return reply.code(result.statusCode).type('application/json; charset=utf-8').send(payload);
  } catch (err) {
    if (err instanceof ApiError) return sendApiError(reply, err);
    throw err;
  }
}

/** Reads `limit`/`cursor` (and rejects unknown query parameters other than `extra`). */
export function pageQuery(
  query: unknown,
  extra: readonly string[] = [],
): { limit: number; afterSeq: number; q: Record<string, unknown> } {
  const q = (query ?? {}) as Record<string, unknown>;
  rejectUnknownQuery(q, ['limit', 'cursor', ...extra]);
  return { limit: queryInt(q, 'limit', 1, 200, 50), afterSeq: decodeCursor(queryString(q, 'cursor', 64)), q };
}

/** The list envelope: `{ data, next_cursor }`. */
export function listBody<T>(page: Page<T>): { data: T[]; next_cursor: string | null } {
  return { data: page.items, next_cursor: page.more ? encodeCursor(page.lastSeq) : null };
}

/** The `:id` route parameter. */
export function idParam(req: FastifyRequest, name = 'id'): string {
  return String((req.params as Record<string, unknown>)[name] ?? '');
}
