import type { JournalEntry } from '../../mocks/shared/journal.js';
import type { CallTally, Stack } from './stack.js';

/** The outcome of {@link preflight}: ok, or the one missing piece of wiring in one line. */
export type PreflightResult = { ok: true; steps: string[] } | { ok: false; reason: string; steps: string[] };

/** Options of {@link preflight}. */
export interface PreflightOptions {
  /** How long each step waits for the connector (real time). */
  stepTimeoutMs?: number;
  /** Polling interval while waiting. */
  pollMs?: number;
}

/** The customer preflight plays: a reserved US test number nobody's traffic uses. */
const PREFLIGHT_WA_ID = '15550100999';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function lastSeq(entries: JournalEntry[]): number {
  return entries.at(-1)?.seq ?? 0;
}

async function waitFor<T>(
  probe: () => T | undefined,
  timeoutMs: number,
  pollMs: number,
): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() >= until) return undefined;
    await sleep(pollMs);
  }
}

/** The first refusal whose status says "who are you" (401/403), as `401 190`. */
function authRefusal(t: CallTally): string | undefined {
  return Object.keys(t.refused).find((k) => k.startsWith('401') || k.startsWith('403'));
}

/** A webhook delivery outcome from the journal after `afterSeq`: delivered or the status it failed with. */
function deliveryAfter(
  journal: Stack['whatsapp']['journal'],
  prefix: string,
  afterSeq: number,
): { delivered: boolean; statusCode?: number; error?: string } | undefined {
  const e = journal.query({ kind: [`${prefix}.delivered`, `${prefix}.failed`], afterSeq }).at(0);
  if (!e) return undefined;
  const out: { delivered: boolean; statusCode?: number; error?: string } = {
    delivered: e.kind.endsWith('.delivered'),
  };
  if (typeof e.data['statusCode'] === 'number') out.statusCode = e.data['statusCode'];
  if (typeof e.data['error'] === 'string') out.error = e.data['error'];
  return out;
}

/**
 * Checks that an external connector is wired before any load: the verification handshake, a signed
 * customer message accepted and forwarded to the CRM with the right token, and a signed CRM event
 * accepted and turned into an authorised WhatsApp send. Resets both mocks and the call tallies
 * afterwards so nothing of it counts in the grades. Each failure names the one missing piece.
 */
export async function preflight(stack: Stack, opts: PreflightOptions = {}): Promise<PreflightResult> {
  const stepMs = opts.stepTimeoutMs ?? 8000;
  const pollMs = opts.pollMs ?? 25;
  const steps: string[] = [];
  const fail = (reason: string): PreflightResult => ({ ok: false, reason, steps });
  try {
    // 1. The hub.challenge handshake (startStack already played it).
    if (!stack.handshake.ok) {
      return fail(
        `wrong verify token: the connector answered the webhook verification with HTTP ${stack.handshake.statusCode ?? '?'} instead of echoing hub.challenge (set WHATSAPP_VERIFY_TOKEN to the one wacrm prints)`,
      );
    }
    steps.push('verification handshake answered');

    // 2. A signed customer message: accepted, then forwarded to the CRM with the right token.
    stack.resetCalls();
    const waSeq = lastSeq(stack.whatsapp.journal.query({}));
    stack.whatsapp.sendInbound({
      from: PREFLIGHT_WA_ID,
      type: 'text',
      text: { body: 'wiring check: hello' },
      profile: { name: 'Wiring Check' },
    } as Parameters<Stack['whatsapp']['sendInbound']>[0]);
    const inbound = await waitFor(
      () => deliveryAfter(stack.whatsapp.journal, 'webhook', waSeq),
      stepMs,
      pollMs,
    );
    if (!inbound)
      return fail(
        'the connector did not answer a signed test webhook in time (check the WhatsApp webhook path)',
      );
    if (!inbound.delivered) {
      if (inbound.statusCode === 401 || inbound.statusCode === 403) {
        return fail(
          `wrong app secret: the connector refused a correctly signed test webhook with HTTP ${inbound.statusCode} (set WHATSAPP_APP_SECRET to the one wacrm prints)`,
        );
      }
      return fail(
        `the connector refused a signed test webhook: ${inbound.statusCode !== undefined ? `HTTP ${inbound.statusCode}` : (inbound.error ?? 'no answer')}`,
      );
    }
    steps.push('signed test webhook accepted');
    const crmSeen = await waitFor(
      () => {
        const t = stack.calls().crm;
        if (t.ok > 0) return 'ok';
        const refused = authRefusal(t);
        if (refused) return `refused ${refused}`;
        if (t.unknownPaths.length > 0) return `unknown ${t.unknownPaths[0]}`;
        return undefined;
      },
      stepMs,
      pollMs,
    );
    if (crmSeen === undefined) {
      return fail(
        `the connector never called the CRM mock after a customer message (check CRM_BASE_URL: ${stack.crmApiUrl})`,
      );
    }
    if (crmSeen.startsWith('refused')) {
      return fail(
        `CRM token refused: the CRM mock answered the connector's call with ${crmSeen.slice(8)} (set CRM_TOKEN to the one wacrm prints)`,
      );
    }
    if (crmSeen.startsWith('unknown')) {
      return fail(
        `wrong CRM base URL: the connector called ${crmSeen.slice(8)}, which the CRM mock does not serve (CRM_BASE_URL is ${stack.crmApiUrl})`,
      );
    }
    steps.push('the CRM mock saw an authorised call');

    // 3. A signed CRM event: accepted, then an authorised WhatsApp send.
    const contact =
      stack.crm.contacts().find((c) => c.phone === `+${PREFLIGHT_WA_ID}`) ??
      stack.crm.createContact({
        phone: `+${PREFLIGHT_WA_ID}`,
        name: 'Wiring Check',
        country: 'US',
        language: 'en',
        consent: 'transactional',
        opted_out: false,
      });
    const crmSeq = lastSeq(stack.crm.journal.query({}));
    stack.crm.emitEvent({
      type: 'account.created',
      contact_id: contact.id,
      data: { source: 'preflight' },
      action: {
        channel: 'whatsapp',
        template: 'hello_world',
        language: 'en_US',
        category: 'UTILITY',
        parameters: {},
      },
    });
    const event = await waitFor(() => deliveryAfter(stack.crm.journal, 'event', crmSeq), stepMs, pollMs);
    if (!event)
      return fail('the connector did not answer a signed CRM event in time (check the CRM webhook path)');
    if (!event.delivered) {
      if (event.statusCode === 401 || event.statusCode === 403) {
        return fail(
          `wrong CRM webhook secret: the connector refused a correctly signed CRM event with HTTP ${event.statusCode} (set CRM_WEBHOOK_SECRET to the one wacrm prints)`,
        );
      }
      return fail(
        `the connector refused a signed CRM event: ${event.statusCode !== undefined ? `HTTP ${event.statusCode}` : (event.error ?? 'no answer')}`,
      );
    }
    steps.push('signed CRM event accepted');
    const waSeen = await waitFor(
      () => {
        const t = stack.calls().whatsapp;
        if (t.ok > 0) return 'ok';
        const refused = authRefusal(t);
        if (refused) return `refused ${refused}`;
        if (t.unknownPaths.length > 0) return `unknown ${t.unknownPaths[0]}`;
        return undefined;
      },
      stepMs,
      pollMs,
    );
    if (waSeen === undefined) {
      return fail(
        `the connector never called the WhatsApp mock after a CRM event (check WHATSAPP_BASE_URL: ${stack.whatsappUrl}, version v23.0)`,
      );
    }
    if (waSeen.startsWith('refused')) {
      return fail(
        `access token refused: the WhatsApp mock answered the connector's send with ${waSeen.slice(8)} (set WHATSAPP_ACCESS_TOKEN to the one wacrm prints)`,
      );
    }
    if (waSeen.startsWith('unknown')) {
      return fail(
        `wrong WhatsApp base URL or version: the connector called ${waSeen.slice(8)}, which the WhatsApp mock does not serve (expected ${stack.whatsappUrl}/v23.0/…)`,
      );
    }
    steps.push('the WhatsApp mock saw an authorised call');
    return { ok: true, steps };
  } finally {
    // Nothing of the preflight may count in the grades: the connector's in-flight retries are dropped too.
    stack.whatsapp.reset();
    stack.crm.reset();
    stack.resetCalls();
  }
}
