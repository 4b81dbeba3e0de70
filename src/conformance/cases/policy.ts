import type { Contact } from '../../../mocks/crm/index.js';
import type { JournalEntry } from '../../../mocks/shared/journal.js';
import { MARKETING_TEMPLATE, UTILITY_TEMPLATE } from '../context.js';
import { type Customer, digitsOf } from '../customers.js';
import { describeOutcome, isOk } from '../http.js';
import { line, plural } from '../judge.js';
import type { CaseContext, ConformanceCaseDef } from '../types.js';
import { acceptedTo, errorLogsMentioning, SOURCES, sendsTo, stored } from './common.js';

const DAY_S = 24 * 3600;

/** The order-confirmation keyword: the product answers it with an automatic free-form reply. */
const CONFIRM_TEXT = 'Hello, please confirm my order B-55120 when you can.';

function typeOf(e: JournalEntry): string {
  return String(e.data['type'] ?? '');
}

/** What the connector did about one automatic reply: free-form attempts, templates, error-log entries. */
function replyAftermath(ctx: CaseContext, customer: Customer, inboundWamid: string) {
  const sends = sendsTo(ctx, customer);
  const freeForm = sends.filter((e) => typeOf(e) !== 'template');
  const templates = sends.filter((e) => e.kind === 'message.accepted' && typeOf(e) === 'template');
  const needles = [
    inboundWamid,
    customer.e164,
    customer.waId,
    ...freeForm.map((e) => String(e.data['wamid'] ?? '')),
  ];
  const logs = errorLogsMentioning(ctx, needles).filter(
    (l) => l.text.includes('131047') || /window/i.test(l.text),
  );
  return { freeForm: freeForm.length, templates: templates.length, logs };
}

function aftermathLine(a: ReturnType<typeof replyAftermath>): string {
  return `free-form attempts ${a.freeForm}, templates ${a.templates}, ${a.logs.length > 0 ? `error log ${a.logs.map((l) => l.kind).join(', ')}` : 'no error-log entry about 131047 / the window'}`;
}

const windowCase: ConformanceCaseDef = {
  id: 'window-131047-not-retried',
  title: 'No free-form reply outside the 24 h window; 131047 recorded, not retried',
  rule: 'A reply to a customer message written 25 h ago (delivered late, as WhatsApp does after an outage) is not sent free-form: a template goes instead, or the error log records the closed window (131047). And when WhatsApp fails a free-form reply with 131047, the connector falls back to a template or records 131047 — it does not send the free-form reply again.',
  source: SOURCES.window,
  async run(ctx) {
    const late = ctx.customer();
    const fresh = ctx.customer();
    const writtenSec = ctx.wire.nowSec() - DAY_S - 3600;
    const old = ctx.wire.inboundText({
      waId: late.waId,
      name: late.name,
      text: CONFIRM_TEXT,
      timestampSec: writtenSec,
    });
    const now = ctx.wire.inboundText({ waId: fresh.waId, name: fresh.name, text: CONFIRM_TEXT });
    // The mock decides at send time that these customers' windows are closed (it never saw them
    // write) and plans 131047; WhatsApp reports that as a failed status, which the kit delivers.
    const timers: NodeJS.Timeout[] = [];
    const onEntry = (e: JournalEntry) => {
      if (e.kind !== 'message.accepted' || typeof e.data['plannedErrorCode'] !== 'number') return;
      const wamid = String(e.data['wamid']);
      const recipientId = String(e.data['phone']);
      const errorCode = e.data['plannedErrorCode'];
      timers.push(
        setTimeout(() => {
          void ctx.wire.post(
            ctx.wire.statuses([
              { wamid, status: 'failed', recipientId, timestampSec: ctx.wire.nowSec(), errorCode },
            ]),
          );
        }, 300),
      );
    };
    ctx.wa.journal.on('entry', onEntry);
    try {
      const [oOld, oNow] = await Promise.all([ctx.wire.post(old.raw), ctx.wire.post(now.raw)]);
      const handled = (c: Customer, w: string) => {
        const a = replyAftermath(ctx, c, w);
        return a.templates > 0 || a.logs.length > 0;
      };
      await ctx.waitFor(() => handled(late, old.wamid) && handled(fresh, now.wamid), 10_000, 100);
      // Room for a blind retry or a late fallback to show.
      await ctx.sleep(2_500);
      const a = replyAftermath(ctx, late, old.wamid);
      const b = replyAftermath(ctx, fresh, now.wamid);
      const okLate = a.freeForm === 0 && (a.templates > 0 || a.logs.length > 0);
      const okFresh = b.freeForm <= 1 && (b.templates > 0 || b.logs.length > 0);
      return {
        passed: isOk(oOld) && isOk(oNow) && okLate && okFresh,
        evidence: line(
          `"confirm my order" written ${Math.round((ctx.wire.nowSec() - writtenSec) / 3600)} h ago → ${describeOutcome(oOld)}: ${aftermathLine(a)}${a.freeForm > 0 ? ' (free-form sent outside the window)' : ''}`,
          `written now, free-form failed by WhatsApp with 131047 → ${describeOutcome(oNow)}: ${aftermathLine(b)}${b.freeForm > 1 ? ' (retried blindly)' : ''}`,
          stored(ctx, old.wamid) ? '' : 'the late message itself was not recorded',
        ),
      };
    } finally {
      ctx.wa.journal.off('entry', onEntry);
      for (const t of timers) clearTimeout(t);
    }
  },
};

/** Sends of one template name to a customer (attempted: accepted or refused). */
function templateSends(ctx: CaseContext, customer: Customer, name: string): JournalEntry[] {
  return sendsTo(ctx, customer).filter((e) => e.data['templateName'] === name);
}

const noMarketingToOptedOut: ConformanceCaseDef = {
  id: 'consent-no-marketing-to-opted-out',
  title: 'No marketing template to a contact who opted out',
  rule: 'A CRM event whose workflow sends a MARKETING template to a contact with opted_out = true sends nothing, while the same event for a consenting contact is sent.',
  source: SOURCES.consent,
  async run(ctx) {
    const control = ctx.customer();
    const optedOut = ctx.customer();
    ctx.startTemplateFlow(control, 'marketing', { consent: 'marketing', opted_out: false });
    const blocked = ctx.startTemplateFlow(optedOut, 'marketing', { consent: 'marketing', opted_out: true });
    const controlSent = await ctx.waitFor(
      () => templateSends(ctx, control, MARKETING_TEMPLATE.name).length > 0,
      10_000,
    );
    await ctx.sleep(1_500);
    const leaked = sendsTo(ctx, optedOut);
    const logs = errorLogsMentioning(ctx, [blocked.eventId, blocked.contact.id]);
    return {
      passed: controlSent && leaked.length === 0,
      evidence: line(
        `${MARKETING_TEMPLATE.name} (MARKETING) to a consenting contact → ${controlSent ? 'sent' : 'NOT sent within 10 s (the case cannot tell blocking from not sending at all)'}`,
        `to an opted-out contact → ${leaked.length === 0 ? 'nothing sent' : `${plural(leaked.length, 'send')} (${leaked.map((e) => e.data['templateName'] ?? typeOf(e)).join(', ')})`}`,
        logs.length > 0 ? `error log: ${logs.map((l) => l.kind).join(', ')}` : '',
      ),
    };
  },
};

const firstContactTransactionalOnly: ConformanceCaseDef = {
  id: 'consent-first-contact-transactional-only',
  title: 'A first-time contact gets transactional templates only',
  rule: 'A contact without marketing consent (consent none or transactional) receives UTILITY templates but no MARKETING template; a contact with marketing consent receives both.',
  source: SOURCES.consent,
  async run(ctx) {
    const consenting = ctx.customer();
    const first = ctx.customer();
    const transactional = ctx.customer();
    ctx.startTemplateFlow(consenting, 'marketing', { consent: 'marketing' });
    const f = ctx.startTemplateFlow(first, 'utility', { consent: 'none' });
    ctx.emitTemplateEvent(f.contact as Contact, 'marketing');
    ctx.startTemplateFlow(transactional, 'marketing', { consent: 'transactional' });
    const done = () =>
      templateSends(ctx, consenting, MARKETING_TEMPLATE.name).length > 0 &&
      templateSends(ctx, first, UTILITY_TEMPLATE.name).length > 0;
    const ok = await ctx.waitFor(done, 10_000);
    await ctx.sleep(1_500);
    const mConsenting = templateSends(ctx, consenting, MARKETING_TEMPLATE.name).length;
    const uFirst = templateSends(ctx, first, UTILITY_TEMPLATE.name).length;
    const mFirst = templateSends(ctx, first, MARKETING_TEMPLATE.name).length;
    const mTransactional = templateSends(ctx, transactional, MARKETING_TEMPLATE.name).length;
    return {
      passed: ok && mConsenting > 0 && uFirst > 0 && mFirst === 0 && mTransactional === 0,
      evidence: line(
        `consent none (first contact): ${UTILITY_TEMPLATE.name} ${uFirst > 0 ? 'sent' : 'NOT sent'}, ${MARKETING_TEMPLATE.name} ${mFirst === 0 ? 'not sent' : 'SENT'}`,
        `consent transactional: marketing ${mTransactional === 0 ? 'not sent' : 'SENT'}`,
        `consent marketing (control): marketing ${mConsenting > 0 ? 'sent' : 'NOT sent within 10 s'}`,
      ),
    };
  },
};

/** A send whose `to` carries this customer's national number, in whatever form the connector wrote it. */
function sendForNumber(ctx: CaseContext, customer: Customer): JournalEntry | undefined {
  const nsn = customer.waId.slice(3);
  return ctx
    .waEntries(['message.accepted', 'message.rejected'])
    .find((e) => digitsOf(String(e.data['to'] ?? '')).endsWith(nsn));
}

const e164Normalised: ConformanceCaseDef = {
  id: 'e164-normalised',
  title: 'Local phone formats are normalised to E.164 before sending',
  rule: 'Contacts stored as 0912-345-678, 886 912 345 679, 00886 912 345 680 or +886 912-345-681 (country TW) are sent to as +886912345678 … (E.164, or its digits as wa_id), never as typed.',
  source: SOURCES.e164,
  async run(ctx) {
    const forms: Array<[string, (c: Customer) => string]> = [
      ['national with dashes', (c) => c.national],
      [
        'country code without +',
        (c) => `${c.waId.slice(0, 3)} ${c.waId.slice(3, 6)} ${c.waId.slice(6, 9)} ${c.waId.slice(9)}`,
      ],
      ['00 international prefix', (c) => `00${c.waId.slice(0, 3)} ${c.waId.slice(3)}`],
      [
        '+ with spaces and dashes',
        (c) => `+${c.waId.slice(0, 3)} ${c.waId.slice(3, 6)}-${c.waId.slice(6, 9)}-${c.waId.slice(9)}`,
      ],
    ];
    const flows = forms.map(([what, fmt]) => {
      const c = ctx.customer();
      const typed = fmt(c);
      ctx.startTemplateFlow(c, 'utility', { phone: typed, country: 'TW' });
      return { what, c, typed };
    });
    await ctx.waitFor(() => flows.every((f) => sendForNumber(ctx, f.c) !== undefined), 10_000);
    const parts: string[] = [];
    let passed = true;
    for (const f of flows) {
      const send = sendForNumber(ctx, f.c);
      const to = send ? String(send.data['to'] ?? '') : undefined;
      const ok = to === f.c.e164 || to === f.c.waId;
      if (!ok) passed = false;
      parts.push(
        `${JSON.stringify(f.typed)} → ${to === undefined ? 'not sent within 10 s' : `to ${JSON.stringify(to)}${ok ? '' : ` (expected ${f.c.e164})`}`}`,
      );
    }
    return { passed, evidence: parts.join('; ') };
  },
};

const e164Unfixable: ConformanceCaseDef = {
  id: 'e164-unfixable-reported',
  title: 'Unfixable phone numbers are reported, not sent',
  rule: 'A contact whose phone cannot be made a valid E.164 number (too short for its country, or no country code at all) gets no send; the CRM error log names the event or the contact. A valid contact in the same run is sent to.',
  source: SOURCES.e164,
  async run(ctx) {
    const control = ctx.customer();
    const a = ctx.customer();
    const b = ctx.customer();
    const tooShort = a.national.slice(0, 8); // 0912-345: seven digits, not a Taiwanese number
    const bare = b.waId.slice(-5); // five digits, no country code, no country
    const cFlow = ctx.startTemplateFlow(control, 'utility');
    const aFlow = ctx.startTemplateFlow(a, 'utility', { phone: tooShort, country: 'TW' });
    const bFlow = ctx.startTemplateFlow(b, 'utility', { phone: bare, country: null });
    const reported = (flow: { eventId: string; contact: Contact }, phone: string) =>
      errorLogsMentioning(ctx, [flow.eventId, flow.contact.id, phone]);
    const sentTo = (phone: string) =>
      ctx
        .waEntries(['message.accepted', 'message.rejected'])
        .filter(
          (e) =>
            e.data['phone'] !== cFlow.customer.waId &&
            digitsOf(String(e.data['to'] ?? '')) === digitsOf(phone),
        );
    // Done when the control went out and each bad number was either reported or (wrongly) sent to.
    await ctx.waitFor(
      () =>
        acceptedTo(ctx, control).length > 0 &&
        (reported(aFlow, tooShort).length > 0 || sentTo(tooShort).length > 0) &&
        (reported(bFlow, bare).length > 0 || sentTo(bare).length > 0),
      10_000,
      100,
    );
    await ctx.sleep(1_000);
    const controlSent = acceptedTo(ctx, control).length > 0;
    const others = ctx
      .waEntries(['message.accepted', 'message.rejected'])
      .filter((e) => e.data['phone'] !== cFlow.customer.waId);
    const ra = reported(aFlow, tooShort);
    const rb = reported(bFlow, bare);
    return {
      passed: controlSent && others.length === 0 && ra.length > 0 && rb.length > 0,
      evidence: line(
        `valid control → ${controlSent ? 'sent' : 'NOT sent within 10 s'}`,
        `${JSON.stringify(tooShort)} (TW) → ${ra.length > 0 ? `error log ${ra.map((l) => l.kind).join(', ')}` : 'no error-log entry'}`,
        `${JSON.stringify(bare)} (no country) → ${rb.length > 0 ? `error log ${rb.map((l) => l.kind).join(', ')}` : 'no error-log entry'}`,
        others.length === 0
          ? 'nothing sent to either'
          : `${plural(others.length, 'send')} to them anyway (to ${others.map((e) => JSON.stringify(e.data['to'])).join(', ')})`,
      ),
    };
  },
};

/** Window, consent and phone-number cases. */
export const POLICY_CASES: readonly ConformanceCaseDef[] = [
  windowCase,
  noMarketingToOptedOut,
  firstContactTransactionalOnly,
  e164Normalised,
  e164Unfixable,
];
