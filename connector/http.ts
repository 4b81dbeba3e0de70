import type { Failure } from './retry.js';

/** An HTTP answer with its JSON body parsed (undefined when the body is not JSON). */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  json: unknown;
}

/** A call that got no HTTP answer at all. */
export class TransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/**
 * One JSON request with a hard timeout (the seed's 3.5 s: past it the retry mechanism takes over).
 * Throws {@link TransportError} when no answer came; any HTTP status is an answer.
 */
export async function requestJson(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: unknown; timeoutMs: number },
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers,
      body,
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (err) {
    throw toTransportError(err, init.timeoutMs);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw toTransportError(err, init.timeoutMs);
  }
  let json: unknown;
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: res.status, headers: res.headers, json };
}

function toTransportError(err: unknown, timeoutMs: number): TransportError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new TransportError('timeout', `no answer within ${timeoutMs} ms`);
  }
  const detail = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new TransportError('network', `network error: ${detail}`);
}

/** A {@link Failure} for a call that got no answer. */
export function transportFailure(side: Failure['side'], err: TransportError): Failure {
  return { side, kind: err.kind, message: err.message, retryable: true };
}
