import type { Customer } from '../customers.js';
import { at, busiestWindow, followUps, line, maxInWindow, ms, plural } from '../judge.js';
import type { CaseContext, CaseSettings, ConformanceCaseDef, SendAttempt } from '../types.js';
import { acceptedTo, probeText, SOURCES, stored } from './common.js';

/** Starts one transactional template flow per customer, all at once; the CRM event ids. */
function startAll(ctx: CaseContext, customers: readonly Customer[]): string[] {
  return customers.map((c) => ctx.startTemplateFlow(c, 'utility').eventId);
}

/** How many of these events the CRM error log already names (the connector gave up on them). */
function loggedEvents(ctx: CaseContext, eventIds: readonly string[]): number {
  const text = ctx.crm
    .errorLogs()
    .map((l) => `${l.event_id ?? ''} ${JSON.stringify(l.context ?? {})}`)
    .join('\n');
  return eventIds.filter((id) => text.includes(id)).length;
}

function allAccepted(ctx: CaseContext, customers: readonly Customer[]): number {
  return customers.filter((c) => acceptedTo(ctx, c).length > 0).length;
}

/** Why the rest did not go out: given up (error log) or still missing at the deadline. */
function gaveUp(logged: number, deadlineMs: number): string {
  return logged > 0
    ? `the connector wrote ${plural(logged, 'error-log entry', 'error-log entries')} instead`
    : `the rest not within ${ms(deadlineMs)}`;
}

/** How long a case waits for messages that are being retried: the second level plus room. */
function retryDeadlineMs(ctx: CaseContext): number {
  return ctx.settings.retryDelayMs + 20_000;
}

const backoff130429: ConformanceCaseDef = {
  id: 'backoff-130429',
  title: 'Slows down on 130429 and still sends',
  rule: 'While WhatsApp answers 130429 (throughput reached) for 2 s, the connector’s send rate falls to at most half its unthrottled peak (in any 250 ms after the first 130429), and every message still goes out afterwards.',
  source: SOURCES.throughput,
  slow: (s) => s.retryDelayMs > 10_000,
  async run(ctx) {
    const n = 12;
    const groupA = Array.from({ length: n }, () => ctx.customer());
    startAll(ctx, groupA);
    const okA = await ctx.waitFor(() => allAccepted(ctx, groupA) === n, 15_000, 100);
    if (!okA) {
      return {
        passed: false,
        evidence: `setup: only ${allAccepted(ctx, groupA)}/${n} templates went out without any fault within 15 s`,
      };
    }
    const peakA = maxInWindow(
      ctx.sendAttempts().map((a) => a.arrivedAtMs),
      250,
    );
    const stormStart = ctx.clock.nowMs();
    const stormEnd = stormStart + 2_000;
    ctx.waFault({
      kind: 'error',
      code: 130429,
      rate: 1,
      route: '/messages',
      startMs: stormStart,
      endMs: stormEnd,
    });
    const groupB = Array.from({ length: n }, () => ctx.customer());
    const eventsB = startAll(ctx, groupB);
    const all = [...groupA, ...groupB];
    // Done when all went out, or when the connector gave up (error log) on the rest.
    await ctx.waitFor(
      () => allAccepted(ctx, groupB) + loggedEvents(ctx, eventsB) >= n,
      retryDeadlineMs(ctx),
      100,
    );
    const okB = allAccepted(ctx, all) === 2 * n;
    const inB: SendAttempt[] = ctx.sendAttempts().filter((a) => a.arrivedAtMs >= stormStart);
    const throttled = inB.filter((a) => a.errorCode === 130429);
    const first = throttled[0];
    if (!first) {
      return {
        passed: false,
        evidence: `no send reached WhatsApp during the 2 s of 130429 (${inB.length} attempts after it): the case could not observe a back-off`,
      };
    }
    const after = inB.filter((a) => a.arrivedAtMs >= first.answeredAtMs + 250 && a.arrivedAtMs < stormEnd);
    const peakB = maxInWindow(
      after.map((a) => a.arrivedAtMs),
      250,
    );
    const limit = Math.max(1, Math.floor(peakA / 2));
    const lastAccepted = Math.max(...ctx.waEntries('message.accepted').map((e) => e.atMs));
    return {
      passed: okB && peakB <= limit,
      evidence: line(
        `unthrottled: ${n} templates, peak ${peakA} sends per 250 ms`,
        `130429 for 2 s: ${plural(throttled.length, 'refusal')}, then peak ${peakB} per 250 ms (limit ${limit}), ${plural(inB.filter((a) => a.arrivedAtMs < stormEnd).length, 'attempt')} inside the 2 s`,
        okB
          ? `all ${2 * n} templates went out, the last ${at(lastAccepted, stormStart)} after the storm began`
          : `only ${allAccepted(ctx, all)}/${2 * n} templates went out (${gaveUp(loggedEvents(ctx, eventsB), retryDeadlineMs(ctx))})`,
      ),
    };
  },
};

const backoff131056: ConformanceCaseDef = {
  id: 'backoff-131056',
  title: 'Backs off a customer on 131056 and still sends',
  rule: 'After a 131056 (pair rate limit) the connector waits at least 1 s (the first step of the 4^X s back-off) before sending to that customer again, and all three messages to them still go out.',
  source: SOURCES.pairRate,
  slow: (s) => s.retryDelayMs > 10_000,
  async run(ctx) {
    const customer = ctx.customer();
    const t0 = ctx.clock.nowMs();
    ctx.waFault({ kind: 'error', code: 131056, rate: 1, route: '/messages', startMs: t0, endMs: t0 + 1_500 });
    const flow = ctx.startTemplateFlow(customer, 'utility');
    const events = [
      flow.eventId,
      ctx.emitTemplateEvent(flow.contact, 'utility'),
      ctx.emitTemplateEvent(flow.contact, 'utility'),
    ];
    await ctx.waitFor(
      () => acceptedTo(ctx, customer).length + loggedEvents(ctx, events) >= 3,
      retryDeadlineMs(ctx),
      100,
    );
    const ok = acceptedTo(ctx, customer).length >= 3;
    const attempts = ctx.sendAttempts();
    const hits = attempts.filter((a) => a.errorCode === 131056);
    const next = followUps(
      hits.map((h) => h.answeredAtMs),
      attempts.map((a) => a.arrivedAtMs),
    );
    const tooSoon = next.filter((g) => g.gapMs < 950);
    return {
      passed: ok && hits.length > 0 && tooSoon.length === 0,
      evidence: line(
        `3 templates to one customer while WhatsApp answers 131056 for 1.5 s: ${plural(hits.length, 'refusal')}`,
        next.length > 0
          ? `next attempt after each: ${next.map((g) => ms(g.gapMs)).join(', ')} (at least 1 s)`
          : '',
        hits.length === 0
          ? 'no send reached WhatsApp during the 1.5 s: the case could not observe a back-off'
          : '',
        ok
          ? `all 3 went out by ${at(Math.max(...acceptedTo(ctx, customer).map((e) => e.atMs)), t0)}`
          : `only ${acceptedTo(ctx, customer).length}/3 went out (${gaveUp(loggedEvents(ctx, events), retryDeadlineMs(ctx))})`,
      ),
    };
  },
};

const crmRetryAfter: ConformanceCaseDef = {
  id: 'crm-retry-after-honoured',
  title: 'Honours the CRM’s Retry-After on 429',
  rule: 'After the CRM answers 429 with Retry-After: 2, the connector sends no CRM request for 2 s, and the work is done once the CRM takes requests again.',
  source: SOURCES.retryAfter,
  async run(ctx) {
    const retryAfterS = 2;
    const t0 = ctx.clock.nowMs();
    ctx.crmFault({ kind: 'rate-limit', retryAfterS, rate: 1, startMs: t0, endMs: t0 + 1_500 });
    const customer = ctx.customer();
    const msg = ctx.wire.inboundText({
      waId: customer.waId,
      name: customer.name,
      text: probeText('retry-after'),
    });
    await ctx.wire.post(msg.raw);
    const ok = await ctx.waitFor(() => stored(ctx, msg.wamid) !== undefined, 20_000, 100);
    const reqs = ctx.crmRequests();
    const limited = reqs.filter((r) => r.statusCode === 429);
    const next = followUps(
      limited.map((r) => r.answeredAtMs),
      reqs.map((r) => r.arrivedAtMs),
    );
    const early = next.filter((g) => g.gapMs < retryAfterS * 1000 - 100);
    return {
      passed: ok && limited.length > 0 && early.length === 0,
      evidence: line(
        `CRM answers 429 Retry-After: ${retryAfterS} for 1.5 s; one inbound message: ${plural(limited.length, 'request')} refused with 429`,
        next.length > 0 ? `next CRM request after each: ${next.map((g) => ms(g.gapMs)).join(', ')}` : '',
        early.length > 0 ? `${early.length} came before the ${retryAfterS} s were up` : '',
        limited.length === 0 ? 'no CRM request arrived during the 1.5 s: the case could not observe it' : '',
        ok ? 'message stored afterwards' : 'message not stored within 20 s',
      ),
    };
  },
};

/**
 * The limit `crm-plan-rate-respected` holds the connector to: the native plan's sliding minute, or
 * HubSpot's rolling ten seconds (its per-app burst limit; the daily limit is out of reach of a case).
 */
function crmRateLimit(s: CaseSettings): {
  limit: number;
  windowMs: number;
  observeMs: number;
  flows: number;
  name: string;
  per: string;
  callsPerFlow: number;
} {
  if (s.crmDialect === 'hubspot') {
    const limit = s.hubspotPerTenSeconds;
    // Each send needs at least one call (the communication, its contact association inline):
    // 4 × limit flows are four windows' work, more than the 30 s watched can take.
    return {
      limit,
      windowMs: 10_000,
      observeMs: 30_000,
      flows: limit * 4,
      name: 'HubSpot app',
      per: '10 s',
      callsPerFlow: 1,
    };
  }
  const limit = s.crmLimitPerMin;
  return {
    limit,
    windowMs: 60_000,
    observeMs: 70_000,
    flows: Math.ceil((limit * 55) / 100),
    name: `${s.crmPlan} plan`,
    per: 'minute',
    // Each send needs a conversation and a message write.
    callsPerFlow: 2,
  };
}

const crmPlanRate: ConformanceCaseDef = {
  id: 'crm-plan-rate-respected',
  title: 'Keeps within the CRM plan’s rate limit',
  rule: 'Given more work than the plan allows (outbound flows needing ≥ 1.1× the limit in CRM requests), the connector never exceeds the plan limit in any sliding window (a minute for the native plan, 10 s for HubSpot), gets no 429, and uses at least half of it.',
  source: SOURCES.plan,
  slow: true,
  async run(ctx) {
    const { limit, windowMs, observeMs, flows, name, per, callsPerFlow } = crmRateLimit(ctx.settings);
    const customers: Customer[] = [];
    for (let i = 0; i < flows; i++) {
      const c = ctx.customer();
      customers.push(c);
      ctx.startTemplateFlow(c, 'utility');
      // Let the event loop breathe between batches of events.
      if (i % 100 === 99) await ctx.sleep(0);
    }
    ctx.progress(
      `${flows} template events queued (at least ${flows * callsPerFlow} CRM requests of work, limit ${limit} per ${per})`,
    );
    const t0 = ctx.clock.nowMs();
    let firstReqMs: number | undefined;
    let lastProgress = t0;
    let violation = '';
    for (;;) {
      await ctx.sleep(1_000);
      const now = ctx.clock.nowMs();
      const reqs = ctx.crmRequests();
      firstReqMs ??= reqs[0]?.arrivedAtMs;
      const n429 = reqs.filter((r) => r.statusCode === 429).length;
      const peak = maxInWindow(
        reqs.map((r) => r.arrivedAtMs),
        windowMs,
      );
      if (n429 > 0) violation = `the CRM refused ${plural(n429, 'request')} with 429`;
      else if (peak > limit) violation = `${peak} requests in one ${per}`;
      if (violation) break;
      if (now - lastProgress >= 10_000) {
        lastProgress = now;
        ctx.progress(
          `${Math.round((now - t0) / 1000)} s: ${reqs.length} CRM requests, busiest ${per} ${peak}/${limit}`,
        );
      }
      if (firstReqMs !== undefined && now - firstReqMs >= observeMs) break;
      if (firstReqMs === undefined && now - t0 >= 30_000) break;
    }
    const reqs = ctx.crmRequests();
    const busiest = busiestWindow(
      reqs.map((r) => r.arrivedAtMs),
      windowMs,
    );
    const count = busiest?.count ?? 0;
    const recorded = ctx.crm.messages().filter((m) => m.direction === 'outbound').length;
    const n429 = reqs.filter((r) => r.statusCode === 429).length;
    const used = count >= limit * 0.5;
    return {
      passed: !violation && n429 === 0 && count <= limit && used,
      evidence: line(
        `${flows} template events at once (${name}, ${limit} requests per ${per})`,
        `busiest ${per} ${count} requests${count > limit ? ' (OVER the limit)' : ''}; ${n429 === 0 ? 'no 429' : `${plural(n429, 'request')} refused with 429`}`,
        `${reqs.length} requests in ${ms(ctx.clock.nowMs() - (firstReqMs ?? t0))}; ${recorded}/${flows} sends recorded so far`,
        used
          ? ''
          : `under half the limit in its busiest ${per}: configure the connector for the ${name}'s limit (or it is too slow to judge)`,
      ),
    };
  },
};

const timeoutRetry: ConformanceCaseDef = {
  id: 'timeout-retry-3500ms',
  title: 'A WhatsApp API that hangs past 3.5 s triggers a retry',
  rule: 'When a send gets no answer, the connector gives up after 3.5 s and retries (within 1 s): the message goes out no later than 5.25 s after the hung attempt (3.5 s + 1 s + 0.75 s slack).',
  source: SOURCES.timeout,
  async run(ctx) {
    const customer = ctx.customer();
    const t0 = ctx.clock.nowMs();
    ctx.waFault({ kind: 'outage', mode: 'hang', route: '/messages', startMs: t0, endMs: t0 + 3_000 });
    const flow = ctx.startTemplateFlow(customer, 'utility');
    await ctx.waitFor(
      () => acceptedTo(ctx, customer).length > 0 || loggedEvents(ctx, [flow.eventId]) > 0,
      15_000,
      50,
    );
    const ok = acceptedTo(ctx, customer).length > 0;
    const hung = ctx
      .waEntries('fault.applied')
      .filter((e) => e.data['kind'] === 'outage' && e.data['mode'] === 'hang');
    const firstHung = hung[0];
    if (!firstHung) {
      return {
        passed: false,
        evidence: `no send arrived while the WhatsApp API hung (first 3 s); ${ok ? 'the template went out after it' : 'nothing went out'}: the case could not test the timeout`,
      };
    }
    const acceptedAt = acceptedTo(ctx, customer)[0]?.atMs;
    const limitMs = 3_500 + 1_000 + 750;
    const delay = acceptedAt === undefined ? undefined : acceptedAt - firstHung.atMs;
    return {
      passed: delay !== undefined && delay <= limitMs,
      evidence: line(
        `the WhatsApp API hung for 3 s: ${plural(hung.length, 'send attempt')} got no answer (first ${at(firstHung.atMs, t0)})`,
        delay === undefined
          ? `the template did not go out (${loggedEvents(ctx, [flow.eventId]) > 0 ? 'error log written instead of a retry' : 'no retry within 15 s'})`
          : `template accepted ${ms(delay)} after the first hung attempt (limit ${ms(limitMs)})`,
      ),
    };
  },
};

const threeLevel: ConformanceCaseDef = {
  id: 'three-level-retry-policy',
  title: 'Three-level retry: at once, after the pause, then the error log',
  rule: 'A send that keeps failing (131000) is retried within 1 s, then again after the configured pause (30 s by default; ±25 %), and after that third failure an error-log entry is written and nothing more is sent.',
  source: SOURCES.retries,
  slow: (s) => s.retryDelayMs > 10_000,
  async run(ctx) {
    const pauseMs = ctx.settings.retryDelayMs;
    const customer = ctx.customer();
    const t0 = ctx.clock.nowMs();
    ctx.waFault({ kind: 'error', code: 131000, rate: 1, route: '/messages' });
    if (pauseMs > 10_000)
      ctx.progress(`waiting for the second retry (about ${Math.round(pauseMs / 1000)} s)`);
    ctx.startTemplateFlow(customer, 'utility');
    const logged = () => ctx.crmEntries('errorlog.created');
    await ctx.waitFor(() => logged().length > 0, 1_000 + pauseMs * 1.25 + 15_000, 100);
    // Room for a fourth attempt to show.
    await ctx.sleep(Math.max(2_000, pauseMs * 0.5));
    const attempts = ctx.sendAttempts();
    const log = logged()[0];
    const times = attempts.map((a) => a.arrivedAtMs);
    const [a1, a2, a3] = times;
    const g1 = a1 !== undefined && a2 !== undefined ? a2 - a1 : undefined;
    const g2 = a2 !== undefined && a3 !== undefined ? a3 - a2 : undefined;
    const ok1 = g1 !== undefined && g1 <= 1_300;
    const ok2 = g2 !== undefined && g2 >= pauseMs * 0.75 && g2 <= pauseMs * 1.25 + 1_000;
    const lastAnswer = attempts[2]?.answeredAtMs;
    const okLog = log !== undefined && lastAnswer !== undefined && log.atMs >= lastAnswer - 5;
    const okCount = attempts.length === 3;
    const kind = ctx.crm.errorLogs()[0]?.kind;
    return {
      passed: ok1 && ok2 && okLog && okCount,
      evidence: line(
        `send refused with 131000 every time: ${plural(attempts.length, 'attempt')} at ${times.map((t) => at(t, t0)).join(', ') || '(none)'}`,
        g1 !== undefined ? `1st retry after ${ms(g1)}${ok1 ? '' : ' (expected ≤ 1 s)'}` : 'no 1st retry',
        g2 !== undefined
          ? `2nd retry after ${ms(g2)}${ok2 ? '' : ` (expected ${ms(pauseMs)} ± 25 %)`}`
          : 'no 2nd retry',
        log
          ? `error log ${kind ?? ''} at ${at(log.atMs, t0)}${okLog ? '' : ' (before the third attempt)'}`
          : 'no error-log entry',
        attempts.length > 3 ? `${attempts.length - 3} more attempts after that` : '',
      ),
    };
  },
};

/** Back-off, rate-limit, timeout and retry cases. */
export const RESILIENCE_CASES: readonly ConformanceCaseDef[] = [
  backoff130429,
  backoff131056,
  crmRetryAfter,
  crmPlanRate,
];

/** Timeout and retry-policy cases. */
export const RETRY_CASES: readonly ConformanceCaseDef[] = [timeoutRetry, threeLevel];
