/**
 * Status monotonicity. WhatsApp delivers statuses out of order and more than once; the CRM keeps
 * whatever was written last as the current status. So the connector writes a status only if it
 * moves the message forward: sent < delivered < read. `failed` is written once (it carries the
 * error a human needs) unless the message was already read, which a failure cannot undo.
 */

/** A WhatsApp message status the connector writes back. */
export type WaStatus = 'sent' | 'delivered' | 'read' | 'failed';

const RANK: Record<WaStatus, number> = { sent: 1, delivered: 2, read: 3, failed: 2.5 };

/** Whether `s` is one of the four statuses written to the CRM. */
export function isWaStatus(s: unknown): s is WaStatus {
  return s === 'sent' || s === 'delivered' || s === 'read' || s === 'failed';
}

/** What to do with an incoming status given the last one written for that message. */
export type StatusVerdict = 'write' | 'duplicate' | 'regression';

/**
 * `write` if `incoming` moves the message forward from `current` (undefined = nothing written yet),
 * `duplicate` if it is the same status again, `regression` if it would move it backwards.
 */
export function judgeStatus(current: WaStatus | undefined, incoming: WaStatus): StatusVerdict {
  if (current === undefined) return 'write';
  if (current === incoming) return 'duplicate';
  return RANK[incoming] > RANK[current] ? 'write' : 'regression';
}
