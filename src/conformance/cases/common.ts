import type { CrmMessage } from '../../../mocks/crm/index.js';
import type { JournalEntry } from '../../../mocks/shared/journal.js';
import type { Customer } from '../customers.js';
import type { CaseContext } from '../types.js';

/** Where the rules come from (docs/conformance.md lists the same). */
export const SOURCES = {
  verify:
    'Meta: webhook verification requests — echo hub.challenge only for the right hub.verify_token (CONTRACT.md §3 Verification); seed: webhook verification must echo hub.challenge (DIGEST.md, Connecting the CRM)',
  signature:
    'Meta: X-Hub-Signature-256 = sha256 HMAC of the raw body with the app secret; the payload escapes unicode, so re-serialised JSON breaks the check (CONTRACT.md §3 Signature)',
  ack: 'seed: the message URL accepts POST and must answer within 200 ms (DIGEST.md, Connecting the CRM); Meta via 360dialog: status webhooks come at 3× the outbound rate (CONTRACT.md §3 Delivery)',
  duplicates:
    'Meta: failed deliveries are retried, so webhooks arrive more than once (CONTRACT.md §3 Ordering / duplicates, Delivery retry); seed: statuses written back 100 %; SPEC §6',
  ordering:
    'Meta: no ordering guarantee — delivered may come after read or failed, delivered may be skipped, one message may get delivered and failed (CONTRACT.md §3 Ordering / duplicates); SPEC §6',
  throughput:
    'Meta: 130429 "Cloud API throughput reached" until the sender is back under its rate (CONTRACT.md §4 codes, §5 Limits); SPEC §6 back-off',
  pairRate:
    'Meta (via BSP docs): 131056 pair rate limit, about 1 message per 6 s to one user, back off 4^X s (CONTRACT.md §5 Limits, marked UNCERTAIN); SPEC §6 back-off',
  retryAfter:
    'SPEC: CRM 429 rate_limited carries Retry-After (docs/crm-api.md, docs/design.md CRM ↔ connector contract); seed: rate limit by plan (DIGEST.md)',
  plan: 'seed: CRM rate limit by plan, 300 requests/min standard, 1,500 enterprise (DIGEST.md, Connecting the CRM); docs/crm-api.md (sliding minute)',
  window:
    'Meta: free-form messages only inside the 24 h customer-service window, outside it 131047 — send a template (CONTRACT.md §4 code 131047, §5 Limits); seed: errors go to an error log (DIGEST.md)',
  consent:
    'seed: consent is tiered — a first-time contact may receive transactional notifications only, marketing only after explicit agreement; flag customers who opted out (DIGEST.md, Preparation)',
  e164: 'seed: phone numbers must carry the international prefix (else 20–30 % of sends fail); normalise 09XX-XXX-XXX to +8869XXXXXXXX; a CRM holds ~35 % invalid numbers (DIGEST.md, Preparation)',
  timeout: 'seed: request timeout 3.5 s; past it the retry mechanism fires (DIGEST.md, Connecting the CRM)',
  retries:
    'seed: three-level retry — at once on the first failure (within 1 s), a second retry after a 30 s pause, then an error-log entry for a human (DIGEST.md, Connecting the CRM)',
  unknown:
    'Meta: webhooks carry other field values (account_update, message_template_status_update, …) and gain fields without notice (CONTRACT.md §3); receiver guidance: ignore unknown fields (research/mock-servers-and-fault-injection.md §4)',
} as const;

/** A neutral customer text: no keyword of the product's keyword table, so it triggers nothing but a record. */
export function probeText(label: string): string {
  return `Conformance probe ${label}: hello there, just checking in.`;
}

/** The CRM message with this wa_message_id, if stored. */
export function stored(ctx: CaseContext, wamid: string): CrmMessage | undefined {
  return ctx.crm.messageByWaId(wamid);
}

/** Every CRM message with this wa_message_id (the CRM keeps one per id; more would be a CRM bug). */
export function storedCount(ctx: CaseContext, wamid: string): number {
  let n = 0;
  for (const m of ctx.crm.messages()) if (m.wa_message_id === wamid) n++;
  return n;
}

/** `message.accepted` / `message.rejected` journal entries of sends to this customer. */
export function sendsTo(ctx: CaseContext, customer: Customer): JournalEntry[] {
  return ctx
    .waEntries(['message.accepted', 'message.rejected'])
    .filter(
      (e) =>
        e.data['phone'] === customer.waId || e.data['to'] === customer.e164 || e.data['to'] === customer.waId,
    );
}

/** Templates WhatsApp accepted for this customer. */
export function acceptedTo(ctx: CaseContext, customer: Customer): JournalEntry[] {
  return sendsTo(ctx, customer).filter((e) => e.kind === 'message.accepted');
}

/** Error-log entries the CRM holds that mention any of `needles` (ids, phones, codes). */
export function errorLogsMentioning(
  ctx: CaseContext,
  needles: readonly string[],
): Array<{ kind: string; text: string }> {
  const out: Array<{ kind: string; text: string }> = [];
  for (const e of ctx.crm.errorLogs()) {
    const text = JSON.stringify(e);
    if (needles.some((n) => n !== '' && text.includes(n))) out.push({ kind: e.kind, text });
  }
  return out;
}

/** Waits for the first template of a started flow to be accepted by WhatsApp; its wamid, if any. */
export async function acceptedWamid(
  ctx: CaseContext,
  customer: Customer,
  timeoutMs: number,
): Promise<string | undefined> {
  let wamid: string | undefined;
  await ctx.waitFor(() => {
    const e = acceptedTo(ctx, customer)[0];
    wamid = typeof e?.data['wamid'] === 'string' ? e.data['wamid'] : undefined;
    return wamid !== undefined;
  }, timeoutMs);
  return wamid;
}

/**
 * Starts a transactional template flow and waits until WhatsApp accepted it and the CRM holds
 * the outbound message: the setup of the status cases. Returns the wamid, or why it did not get there.
 */
export async function recordedOutbound(
  ctx: CaseContext,
  customer: Customer,
  timeoutMs = 15_000,
): Promise<{ ok: true; wamid: string } | { ok: false; why: string }> {
  ctx.startTemplateFlow(customer, 'utility');
  const wamid = await acceptedWamid(ctx, customer, timeoutMs);
  if (!wamid)
    return {
      ok: false,
      why: `setup: the connector did not send the template event to ${customer.e164} within ${timeoutMs / 1000} s`,
    };
  const ok = await ctx.waitFor(() => stored(ctx, wamid) !== undefined, timeoutMs);
  if (!ok)
    return {
      ok: false,
      why: `setup: the sent template ${wamid.slice(0, 18)}… was not recorded in the CRM within ${timeoutMs / 1000} s`,
    };
  return { ok: true, wamid };
}
