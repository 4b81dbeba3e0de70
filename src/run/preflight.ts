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
  /**
   * The CRM's state is kept across runs (`mocks.crm.persist`): it is not wiped afterwards, so the
   * preflight's reserved customer stays in it; only the WhatsApp mock and the tallies are reset.
   */
  keepCrm?: boolean;
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
 * Waits until the mock on `side` saw the connector's first call after a reset: authorised (`ok`),
 * refused as unauthorised (`refused 401 190`), or on a path it does not serve (`unknown /x`).
 */
async function sawAuthorisedCall(
  stack: Stack,
  side: 'crm' | 'whatsapp',
  timeoutMs: number,
  pollMs: number,
): Promise<{ seen: 'ok' } | { seen: 'refused' | 'unknown'; detail: string } | undefined> {
  return waitFor(
    () => {
      const t = stack.calls()[side];
      if (t.ok > 0) return { seen: 'ok' as const };
      const refused = authRefusal(t);
      if (refused) return { seen: 'refused' as const, detail: refused };
      const path = t.unknownPaths[0];
      if (path !== undefined) return { seen: 'unknown' as const, detail: path };
      return undefined;
    },
    timeoutMs,
    pollMs,
  );
}

/**
 * The one line for a correctly signed delivery (a customer message or a CRM event) the connector
 * refused: 401/403 means it checks the signature with another secret, anything else is named as is.
 */
function refusedSigned(
  what: string,
  secret: { name: string; variable: string },
  outcome: { statusCode?: number; error?: string },
): string {
  if (outcome.statusCode === 401 || outcome.statusCode === 403) {
    return `wrong ${secret.name}: the connector refused a correctly signed ${what} with HTTP ${outcome.statusCode} (set ${secret.variable} to the one wacrm prints)`;
  }
  return `the connector refused a signed ${what}: ${outcome.statusCode !== undefined ? `HTTP ${outcome.statusCode}` : (outcome.error ?? 'no answer')}`;
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
      return fail(
        refusedSigned('test webhook', { name: 'app secret', variable: 'WHATSAPP_APP_SECRET' }, inbound),
      );
    }
    steps.push('signed test webhook accepted');
    const crmSeen = await sawAuthorisedCall(stack, 'crm', stepMs, pollMs);
    if (crmSeen === undefined) {
      return fail(
        `the connector never called the CRM mock after a customer message (check CRM_BASE_URL: ${stack.crmApiUrl})`,
      );
    }
    if (crmSeen.seen === 'refused') {
      return fail(
        `CRM token refused: the CRM mock answered the connector's call with ${crmSeen.detail} (set CRM_TOKEN to the one wacrm prints)`,
      );
    }
    if (crmSeen.seen === 'unknown') {
      return fail(
        `wrong CRM base URL: the connector called ${crmSeen.detail}, which the CRM mock does not serve (CRM_BASE_URL is ${stack.crmApiUrl})`,
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
      return fail(
        refusedSigned('CRM event', { name: 'CRM webhook secret', variable: 'CRM_WEBHOOK_SECRET' }, event),
      );
    }
    steps.push('signed CRM event accepted');
    const waSeen = await sawAuthorisedCall(stack, 'whatsapp', stepMs, pollMs);
    if (waSeen === undefined) {
      return fail(
        `the connector never called the WhatsApp mock after a CRM event (check WHATSAPP_BASE_URL: ${stack.whatsappUrl}, version v23.0)`,
      );
    }
    if (waSeen.seen === 'refused') {
      return fail(
        `access token refused: the WhatsApp mock answered the connector's send with ${waSeen.detail} (set WHATSAPP_ACCESS_TOKEN to the one wacrm prints)`,
      );
    }
    if (waSeen.seen === 'unknown') {
      return fail(
        `wrong WhatsApp base URL or version: the connector called ${waSeen.detail}, which the WhatsApp mock does not serve (expected ${stack.whatsappUrl}/v23.0/…)`,
      );
    }
    steps.push('the WhatsApp mock saw an authorised call');
    return { ok: true, steps };
  } finally {
    // Nothing of the preflight may count in the grades: the connector's in-flight retries are dropped too.
    stack.whatsapp.reset();
    if (!opts.keepCrm) stack.crm.reset();
    stack.resetCalls();
  }
}
