import type { K6Plan } from './k6-plan.js';
import { K6_REQUEST_TIMEOUT_MS } from './k6-plan.js';

/** Where the exported script sends by default and the credentials it signs with (env vars override each). */
export interface K6Targets {
  connectorWhatsAppWebhookUrl: string;
  connectorCrmWebhookUrl: string;
  whatsappMockUrl: string;
  crmMockUrl: string;
  appSecret: string;
  crmWebhookSecret: string;
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
}

/** The k6 `options` object of a plan, as the script carries it (also what the golden tests read). */
export function k6Options(plan: K6Plan): Record<string, unknown> {
  return {
    scenarios: {
      [plan.suiteKind]: {
        executor: 'ramping-arrival-rate',
        startRate: plan.startRate,
        timeUnit: plan.timeUnit,
        preAllocatedVUs: plan.preAllocatedVUs,
        maxVUs: plan.maxVUs,
        stages: plan.stages,
        gracefulStop: `${K6_REQUEST_TIMEOUT_MS / 1000}s`,
      },
    },
    thresholds: plan.thresholds,
    setupTimeout: '10m',
    summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
  };
}

const lit = (v: unknown): string => JSON.stringify(v, null, 2);

/**
 * The TypeScript k6 script of a plan. It imports only k6 modules and `./wire.js` (kernel/wire.ts as
 * compiled, copied beside it): every body and signature comes from the functions the mocks use.
 * Per iteration: a CRM event to the connector's CRM webhook or a customer message to its WhatsApp
 * webhook (by the mix, spread evenly over iteration numbers), the flow's number in its wamid or
 * event id and the iteration's start (its intended time: the executor starts iterations on the
 * schedule or drops them) in Meta's `timestamp` or the event's `created_at`.
 */
export function renderK6Script(plan: K6Plan, targets: K6Targets, source: string): string {
  const steps = plan.steps.map((s) => ({ index: s.index, fromMs: s.judgeFromMs, toMs: s.endMs }));
  return `// Written by \`wacrm export k6\` from ${source} (${plan.suiteKind} suite). Export again rather than edit:
// the stages, thresholds and flows.json come from the scenario; wire.js is the harness's own code.
// Run: k6 run script.ts   (env vars below override the defaults; docs/distributed.md)
import { fail } from 'k6';
import { hmac } from 'k6/crypto';
import exec from 'k6/execution';
import http from 'k6/http';
import type { Options } from 'k6/options';
import {
  type CrmEventBody,
  type CustomerText,
  crmEventSignedPost,
  type EnvelopeConfig,
  type HmacSha256Hex,
  inboundTextPost,
  isOutboundFlow,
  k6EventId,
  type StepWindow,
  stepAt,
} from './wire.js';

/** A customer the CRM events go to (created in the CRM mock by setup()). */
interface PlannedContact {
  name: string;
  phone: string;
  country: string;
  language: string;
  consent: string;
  opted_out: boolean;
}

/** The flows the harness's planners made for this scenario (flows.json). */
interface FlowPool {
  contacts: PlannedContact[];
  inbound: CustomerText[];
  outbound: Array<{
    contact: number;
    type: string;
    data: Record<string, unknown>;
    action: Record<string, unknown>;
  }>;
}

/** What setup() hands every iteration: the CRM's records of the contacts, as events carry them. */
interface SetupData {
  contacts: Array<Record<string, unknown>>;
}

const pool = JSON.parse(open('./flows.json')) as FlowPool;

function env(name: string, fallback: string): string {
  const v = __ENV[name];
  return v === undefined || v === '' ? fallback : v;
}

const WA_WEBHOOK_URL = env('WA_WEBHOOK_URL', ${lit(targets.connectorWhatsAppWebhookUrl)});
const CRM_WEBHOOK_URL = env('CRM_WEBHOOK_URL', ${lit(targets.connectorCrmWebhookUrl)});
const WHATSAPP_MOCK_URL = env('WHATSAPP_MOCK_URL', ${lit(targets.whatsappMockUrl)});
const CRM_MOCK_URL = env('CRM_MOCK_URL', ${lit(targets.crmMockUrl)});
const APP_SECRET = env('APP_SECRET', ${lit(targets.appSecret)});
const CRM_WEBHOOK_SECRET = env('CRM_WEBHOOK_SECRET', ${lit(targets.crmWebhookSecret)});
const ENVELOPE: EnvelopeConfig = {
  wabaId: env('WABA_ID', ${lit(targets.wabaId)}),
  phoneNumberId: env('PHONE_NUMBER_ID', ${lit(targets.phoneNumberId)}),
  displayPhoneNumber: env('DISPLAY_PHONE_NUMBER', ${lit(targets.displayPhoneNumber)}),
};

/** Share of iterations that are CRM events; the rest are customer messages. */
const OUTBOUND_SHARE = ${plan.outboundShare};

/** Judged window of each step after its warm-up, ms from the scenario's start (capacity only). */
const STEPS: readonly StepWindow[] = ${lit(steps)};

export const options: Options = ${lit(k6Options(plan))};

const sign: HmacSha256Hex = (secret, body) => hmac('sha256', secret, body, 'hex');

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * Outside the measured load, as \`wacrm run\` does before its suites: creates the contacts in the
 * CRM mock, and opens each customer's 24 h window in the WhatsApp mock with one message through its
 * admin API (k6 posts the measured messages to the connector itself, which the mock does not see).
 */
export function setup(): SetupData {
  const contacts: Array<Record<string, unknown>> = [];
  // Only what the mix uses: contacts for CRM events, windows for customer messages.
  const contactsNeeded = OUTBOUND_SHARE > 0 ? pool.contacts.length : 0;
  for (let i = 0; i < contactsNeeded; i += 50) {
    const chunk = pool.contacts.slice(i, i + 50);
    const answers = http.batch(
      chunk.map((c) => ({
        method: 'POST',
        url: \`\${CRM_MOCK_URL}/_mock/contacts\`,
        body: JSON.stringify(c),
        params: { headers: JSON_HEADERS, tags: { phase: 'setup' } },
      })),
    );
    for (const r of answers) {
      if (r.status !== 200 && r.status !== 201) fail(\`the CRM mock refused a contact: \${r.status} \${String(r.body)}\`);
      contacts.push(r.json() as Record<string, unknown>);
    }
  }
  const customers = new Map<string, string>();
  if (OUTBOUND_SHARE < 1) for (const m of pool.inbound) customers.set(m.from, m.name);
  const list = [...customers.entries()];
  for (let i = 0; i < list.length; i += 50) {
    const answers = http.batch(
      list.slice(i, i + 50).map(([from, name]) => ({
        method: 'POST',
        url: \`\${WHATSAPP_MOCK_URL}/_mock/inbound\`,
        body: JSON.stringify({ from, type: 'text', text: { body: 'Hello' }, profile: { name } }),
        params: { headers: JSON_HEADERS, tags: { phase: 'setup' } },
      })),
    );
    for (const r of answers) {
      if (r.status !== 200) fail(\`the WhatsApp mock refused a message: \${r.status} \${String(r.body)}\`);
    }
  }
  return { contacts };
}

export default function (data: SetupData): void {
  const n = exec.scenario.iterationInTest;
  const intendedMs = Date.now();
  // Tagged with its step only inside the step's judged window (after the warm-up), as wacrm judges it.
  const step = stepAt(STEPS, intendedMs - exec.scenario.startTime);
  const tags: Record<string, string> = { phase: 'load' };
  if (step !== undefined) tags['step'] = String(step);
  if (isOutboundFlow(n, OUTBOUND_SHARE) && pool.outbound.length > 0) {
    const o = pool.outbound[n % pool.outbound.length];
    const contact = o === undefined ? undefined : data.contacts[o.contact];
    if (o === undefined || contact === undefined) fail(\`flows.json has no outbound flow or contact for iteration \${n}\`);
    const event: CrmEventBody = {
      id: k6EventId(n, intendedMs),
      type: o.type,
      created_at: new Date(intendedMs).toISOString(),
      contact,
      data: o.data,
      action: o.action,
    };
    const post = crmEventSignedPost(event, CRM_WEBHOOK_SECRET, sign);
    tags['flow'] = 'outbound';
    http.post(CRM_WEBHOOK_URL, post.body, { headers: post.headers, tags, timeout: '${K6_REQUEST_TIMEOUT_MS / 1000}s' });
    return;
  }
  const m = pool.inbound[n % pool.inbound.length];
  if (m === undefined) fail(\`flows.json has no inbound flow for iteration \${n}\`);
  const post = inboundTextPost(ENVELOPE, m, n, intendedMs, APP_SECRET, sign);
  tags['flow'] = 'inbound';
  http.post(WA_WEBHOOK_URL, post.body, { headers: post.headers, tags, timeout: '${K6_REQUEST_TIMEOUT_MS / 1000}s' });
}
`;
}

/** The tsconfig written beside the script: \`npx tsc -p DIR\` type-checks it against @types/k6. */
export function k6Tsconfig(): string {
  return `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2020',
        module: 'ESNext',
        moduleResolution: 'bundler',
        lib: ['ES2020'],
        types: ['k6'],
        strict: true,
        noUncheckedIndexedAccess: true,
        noEmit: true,
        skipLibCheck: true,
      },
      include: ['script.ts', 'wire.d.ts'],
    },
    null,
    2,
  )}\n`;
}
