import type { ConformanceCaseDef } from '../types.js';
import { ACK_CASES } from './ack.js';
import { POLICY_CASES } from './policy.js';
import { RESILIENCE_CASES, RETRY_CASES } from './resilience.js';
import { STATUS_CASES } from './statuses.js';
import { UNKNOWN_CASES, WEBHOOK_CASES } from './webhooks.js';

const byId = new Map(
  [
    ...WEBHOOK_CASES,
    ...ACK_CASES,
    ...STATUS_CASES,
    ...RESILIENCE_CASES,
    ...POLICY_CASES,
    ...RETRY_CASES,
    ...UNKNOWN_CASES,
  ].map((c) => [c.id, c]),
);

/**
 * The order cases run in (docs/conformance.md lists them the same way). The plan-rate case
 * comes last: it fills the connector's CRM budget for a minute, which would slow the cases after it.
 */
const ORDER = [
  'verify-handshake',
  'verify-rejects-wrong-token',
  'signature-missing',
  'signature-malformed',
  'signature-wrong-secret',
  'signature-body-tampered',
  'signature-escaped-unicode-accepted',
  'ack-within-200ms',
  'ack-under-status-burst',
  'idempotent-duplicate-message',
  'idempotent-duplicate-status',
  'idempotent-after-retry',
  'status-order-read-before-delivered',
  'status-failed-after-delivered',
  'backoff-130429',
  'backoff-131056',
  'crm-retry-after-honoured',
  'window-131047-not-retried',
  'consent-no-marketing-to-opted-out',
  'consent-first-contact-transactional-only',
  'e164-normalised',
  'e164-unfixable-reported',
  'timeout-retry-3500ms',
  'three-level-retry-policy',
  'unknown-fields-ignored',
  'unknown-webhook-field-ignored',
  'crm-plan-rate-respected',
] as const;

/** Every conformance case, in run order. */
export const CONFORMANCE_CASES: readonly ConformanceCaseDef[] = ORDER.map((id) => {
  const c = byId.get(id);
  if (!c) throw new Error(`conformance case ${id} is listed but not defined`);
  return c;
});

if (byId.size !== CONFORMANCE_CASES.length) {
  const missing = [...byId.keys()].filter((id) => !(ORDER as readonly string[]).includes(id));
  throw new Error(`conformance cases defined but not in the run order: ${missing.join(', ')}`);
}

/** The ids of every case, in run order. */
export const CONFORMANCE_CASE_IDS: readonly string[] = ORDER;
