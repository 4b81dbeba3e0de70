import { z } from 'zod';
import { DELAY_FORMS, type DelaySpec, parseDelaySpec } from '../../kernel/distributions.js';
import { FAULT_KINDS } from '../../kernel/fault-spec.js';
import {
  type DayRangeMs,
  isKnownTimeZone,
  parseDayRange,
  parseRatePerMin,
  parseScenarioDurationMs,
  RATE_FORMS,
  UnitError,
} from '../../kernel/units.js';
import { connectorFaultProblem, mockFaultProblem } from './fault-specs.js';

/**
 * The scenario schema: the one source of the scenario's TypeScript types, its defaults, the editor
 * JSON Schema (`scenarios/scenario.schema.json`, generated from the input side) and the validation
 * that reports every error with its path. Objects are strict (an unknown key is an error, since a
 * typo would otherwise silently fall back to a default). Durations and rates are parsed here into
 * `…Ms` and `…PerMin` numbers, so the input key `deadline: 15s` becomes `deadlineMs: 15000`.
 */

// ---------------------------------------------------------------------------------------------
// Unit-bearing leaves

function unitLeaf<T>(parse: (text: string) => T, description: string, example: string) {
  return z
    .string({ error: `expected ${example}` })
    .transform((text, ctx) => {
      try {
        return parse(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
        return z.NEVER;
      }
    })
    .describe(description);
}

/** A duration with its unit ('30s', '250ms', '5m', '72h') → ms; must be above 0. */
const durationMs = () =>
  unitLeaf(
    (t) => parseScenarioDurationMs(t),
    'A duration with its unit: 250ms, 30s, 5m, 72h, 7d',
    'a duration with its unit, such as 15s',
  );
/** A duration that may be 0 ('0s'). */
const offsetMs = () =>
  unitLeaf(
    (t) => parseScenarioDurationMs(t, { allowZero: true }),
    'A duration with its unit, 0s allowed',
    'a duration with its unit, such as 10s',
  );
/** A rate with its unit ('500/min', '5000/h', '80/s') → per minute. */
const ratePerMin = () =>
  unitLeaf(parseRatePerMin, `A rate: ${RATE_FORMS}`, 'a rate with its unit, such as 500/min');
/** A delay distribution ('800ms', 'uniform(50ms,300ms)', 'lognormal(600ms,0.4)') → DelaySpec. */
const delaySpec = () =>
  unitLeaf<DelaySpec>(
    (t) => {
      try {
        return parseDelaySpec(t);
      } catch (err) {
        throw new UnitError(err instanceof Error ? err.message : String(err));
      }
    },
    `A delay distribution: ${DELAY_FORMS}`,
    'a delay such as 800ms or lognormal(600ms,0.4)',
  );
/** A probability from 0 to 1. */
const share = () => z.number().min(0).max(1);

// ---------------------------------------------------------------------------------------------
// Mocks, connector, harness

const statusTimingSchema = z
  .strictObject({
    sent: delaySpec().prefault('uniform(50ms,300ms)').describe('Delay from accepted to the `sent` status'),
    delivered: delaySpec().prefault('lognormal(600ms,0.4)').describe('Delay from `sent` to `delivered`'),
    read: delaySpec().prefault('lognormal(4s,0.6)').describe('Delay from `delivered` to `read`'),
    readProbability: share().default(0.7).describe('Share of delivered messages that are read'),
    failureRate: share()
      .default(0)
      .describe('Share of accepted messages that end `failed` instead of delivered'),
  })
  .describe('How the mock times the status webhooks of each accepted message');

const whatsappMockSchema = z
  .strictObject({
    throughputPerSec: z
      .int()
      .min(1)
      .max(1000)
      .default(80)
      .describe(
        'Per-number send throughput in messages/s (Meta: 80 by default, up to 1,000); above it → 130429',
      ),
    errorProfile: z
      .enum(['2026', 'legacy'])
      .default('2026')
      .describe('HTTP statuses for throttling errors: 2026 (429) or legacy (400)'),
    messagingTier: z
      .union([z.literal(250), z.literal(2000), z.literal(10000), z.literal(100000), z.literal('unlimited')])
      .default('unlimited')
      .describe('Business-initiated unique users per rolling 24 h: 250, 2000, 10000, 100000 or unlimited'),
    windowErrorMode: z
      .enum(['async', 'sync'])
      .default('async')
      .describe(
        'How a free-form send outside the 24 h window fails (131047): async (accepted, then a failed status) or sync (an error answer)',
      ),
    statusTiming: statusTimingSchema.prefault({}),
    reproducibleIds: z
      .boolean()
      .default(false)
      .describe(
        'Draw message, template and media ids from the seed too, so two runs give the same ids (default: fresh ids per run, as at Meta; content follows the seed either way)',
      ),
  })
  .describe('The mock WhatsApp Cloud API');

/** The CRM plans and their request limits per minute (the seed's figures). */
export const CRM_PLAN_LIMIT_PER_MIN = { standard: 300, enterprise: 1500 } as const;

/** The CRM APIs the CRM mock speaks (mocks/crm/dialects; a test keeps the two lists equal). */
export const CRM_DIALECT_NAMES = ['native', 'hubspot'] as const;

/**
 * HubSpot's API limits of privately distributed apps per account tier (docs/crm-hubspot.md): calls
 * per rolling 10 s per app, calls per day per account, CRM search calls per second.
 */
export const HUBSPOT_TIER_LIMITS = {
  free: { perTenSeconds: 100, perDay: 250_000, searchPerSecond: 5 },
  starter: { perTenSeconds: 100, perDay: 250_000, searchPerSecond: 5 },
  professional: { perTenSeconds: 190, perDay: 625_000, searchPerSecond: 5 },
  enterprise: { perTenSeconds: 190, perDay: 1_000_000, searchPerSecond: 5 },
  'limit-increase': { perTenSeconds: 250, perDay: 2_000_000, searchPerSecond: 5 },
} as const;

const hubspotSchema = z
  .strictObject({
    tier: z
      .enum(['free', 'starter', 'professional', 'enterprise', 'limit-increase'])
      .default('professional')
      .describe(
        'HubSpot account tier, which sets the API limits: free/starter (100 calls per 10 s, 250,000 a day), professional (190, 625,000), enterprise (190, 1,000,000), limit-increase (250, 2,000,000)',
      ),
    perTenSeconds: z
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'Calls per rolling 10 s per app; null = the tier limit. Raise it so HubSpot is not the bottleneck',
      ),
    searchPerSecond: z
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe("CRM search calls per second; null = HubSpot's 5. Raise it with perTenSeconds for a ramp"),
  })
  .transform((hs) => ({
    ...hs,
    perTenSeconds: hs.perTenSeconds ?? HUBSPOT_TIER_LIMITS[hs.tier].perTenSeconds,
    perDay: HUBSPOT_TIER_LIMITS[hs.tier].perDay,
    searchPerSecond: hs.searchPerSecond ?? HUBSPOT_TIER_LIMITS[hs.tier].searchPerSecond,
  }))
  .describe('The HubSpot account the CRM mock plays with dialect: hubspot');

const crmMockSchema = z
  .strictObject({
    dialect: z
      .enum(CRM_DIALECT_NAMES)
      .default('native')
      .describe(
        "The CRM API the mock speaks and the connector is graded against: native (wacrm's CRM API, docs/crm-api.md) or hubspot (HubSpot's CRM v3, docs/crm-hubspot.md)",
      ),
    hubspot: hubspotSchema.optional(),
    plan: z
      .enum(['standard', 'enterprise'])
      .default('enterprise')
      .describe(
        'CRM plan of the native dialect: standard (300 requests/min) or enterprise (1,500 requests/min)',
      ),
    ratePerMin: z
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'Requests per minute per token; null = the plan limit. Raise it so the CRM is not the bottleneck',
      ),
    contacts: z.int().min(1).max(1_000_000).default(300).describe('Seeded contacts'),
    dirtyShare: share()
      .default(0.2)
      .describe('Share of seeded contacts with dirty data (local phone formats, duplicates, opted out)'),
    persist: z
      .union([z.boolean(), z.string().min(1)])
      .default(false)
      .describe(
        'false: a freshly seeded CRM per run; true: its state in SQLite in the run directory (a resumed soak keeps it); a file path (relative to the scenario): one SQLite CRM kept across runs',
      ),
  })
  .superRefine((crm, ctx) => {
    // A HubSpot account for a mock that does not speak HubSpot would be a key nobody reads.
    if (crm.hubspot !== undefined && crm.dialect !== 'hubspot') {
      ctx.addIssue({
        code: 'custom',
        path: ['hubspot'],
        message: `applies only with dialect: hubspot (the dialect is ${crm.dialect})`,
      });
    }
  })
  .transform((crm) => ({
    ...crm,
    hubspot: crm.hubspot ?? hubspotSchema.parse({}),
    ratePerMin: crm.ratePerMin ?? CRM_PLAN_LIMIT_PER_MIN[crm.plan],
  }))
  .describe('The mock CRM');

const urlPathSchema = z.string().regex(/^\/\S*$/, 'a URL path starting with /');

/** The secrets `connector.credentials` may name, in the CLI's order (src/cli/credentials.ts). */
export const CREDENTIAL_KEYS = [
  'accessToken',
  'appSecret',
  'verifyToken',
  'crmToken',
  'crmWebhookSecret',
] as const;

/**
 * A secret named by its environment variable. The value itself is refused: scenario files are
 * committed and copied into the run journal, where a secret must never land.
 */
const secretRefSchema = z
  .unknown()
  .superRefine((v, ctx) => {
    if (typeof v === 'string') {
      ctx.addIssue({
        code: 'custom',
        message:
          'a secret is never written in a scenario file: name its environment variable as { env: NAME }',
      });
    }
  })
  .pipe(
    z.strictObject({
      env: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as CONNECTOR_APP_SECRET'),
    }),
  );

const credentialsSchema = z
  .strictObject(
    Object.fromEntries(CREDENTIAL_KEYS.map((k) => [k, secretRefSchema.optional()])) as Record<
      (typeof CREDENTIAL_KEYS)[number],
      z.ZodOptional<typeof secretRefSchema>
    >,
  )
  .default({})
  .describe(
    'Secrets an external connector was configured with, each as { env: NAME }; flags and WACRM_* variables win, the documented defaults fill the rest',
  );

const connectorSchema = z
  .strictObject({
    url: z
      .string()
      .nullable()
      .default(null)
      .superRefine((url, ctx) => {
        if (url === null) return;
        let parsed: URL | undefined;
        try {
          parsed = new URL(url);
        } catch {
          // reported below
        }
        if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
          ctx.addIssue({ code: 'custom', message: `not an http(s) URL: ${JSON.stringify(url)}` });
        }
      })
      .describe("An external connector's base URL; null = start the reference connector"),
    whatsappWebhookPath: urlPathSchema
      .default('/webhooks/whatsapp')
      .describe("Path of the connector's WhatsApp webhook"),
    crmWebhookPath: urlPathSchema
      .default('/webhooks/crm')
      .describe("Path of the connector's CRM event webhook"),
    faults: z
      .array(
        z
          .string()
          .regex(/^[a-z][a-z0-9-]*(=\S+)?$/, 'a fault switch like drop-inbound=0.02')
          .superRefine((spec, ctx) => {
            // The connector's own switch parser: a bad switch fails validation, not the connector's start.
            const problem = connectorFaultProblem(spec);
            if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
          }),
      )
      .default([])
      .describe(
        'Reference connector --fault switches (tests use them to prove the graders fail a bad connector)',
      ),
    args: z.array(z.string()).default([]).describe('Extra command-line flags for the reference connector'),
    credentials: credentialsSchema,
  })
  .superRefine((c, ctx) => {
    if (c.url !== null && (c.faults.length > 0 || c.args.length > 0)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.faults.length > 0 ? 'faults' : 'args'],
        message: 'faults and args apply to the reference connector only; remove them or set url: null',
      });
    }
  })
  .describe('The connector under test');

const harnessSchema = z
  .strictObject({
    maxInFlight: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(5000)
      .describe('Flows in flight at once; an arrival beyond it is dropped (counted), never delayed'),
    lagBound: durationMs()
      .prefault('50ms')
      .describe('An arrival started later than this after its intended time counts as harness lag'),
  })
  .transform((h) => ({ maxInFlight: h.maxInFlight, lagBoundMs: h.lagBound }))
  .describe('Limits of the load generator itself');

// ---------------------------------------------------------------------------------------------
// Suites

const mixSchema = z
  .strictObject({
    outbound: share().default(0.5).describe('Share of CRM event → template flows'),
    inbound: share().default(0.5).describe('Share of customer message → CRM flows'),
  })
  .superRefine((mix, ctx) => {
    if (Math.abs(mix.outbound + mix.inbound - 1) > 1e-9) {
      ctx.addIssue({
        code: 'custom',
        message: `outbound + inbound must be 1, got ${mix.outbound} + ${mix.inbound} = ${mix.outbound + mix.inbound}`,
      });
    }
  })
  .describe('Traffic mix');

const templateDeliverySchema = z
  .strictObject({
    kind: z.literal('template-delivery'),
    templates: z
      .int()
      .min(1)
      .max(250)
      .default(20)
      .describe('Distinct approved templates (the seed asks ≥ 20)'),
    sendsPerTemplate: z
      .int()
      .min(1)
      .max(100_000)
      .default(50)
      .describe('Sends of each template (the seed asks ≥ 50)'),
    rate: ratePerMin().prefault('1500/min').describe('Arrival rate of the sends'),
    deadline: durationMs()
      .prefault('15s')
      .describe('A flow not complete (delivered, written back) within this is counted late'),
  })
  .transform((s) => ({
    kind: s.kind,
    templates: s.templates,
    sendsPerTemplate: s.sendsPerTemplate,
    ratePerMin: s.rate,
    deadlineMs: s.deadline,
  }))
  .describe(
    'Template delivery: templates × sends, delivery rate, display latency, content accuracy, write-back',
  );

const conversationSyncSchema = z
  .strictObject({
    kind: z.literal('conversation-sync'),
    messages: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(400)
      .describe('Customer messages (the seed asks 300–500)'),
    conversations: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(200)
      .describe('Conversations they spread over (≥ 200)'),
    rate: ratePerMin().prefault('900/min').describe('Arrival rate of the messages'),
    deadline: durationMs()
      .prefault('25s')
      .describe('A message not recorded in the CRM within this is counted late'),
  })
  .superRefine((s, ctx) => {
    if (s.conversations > s.messages) {
      ctx.addIssue({
        code: 'custom',
        path: ['conversations'],
        message: `${s.conversations} conversations need at least as many messages, got ${s.messages}`,
      });
    }
  })
  .transform((s) => ({
    kind: s.kind,
    messages: s.messages,
    conversations: s.conversations,
    ratePerMin: s.rate,
    deadlineMs: s.deadline,
  }))
  .describe(
    'Conversation sync: record completeness, tag accuracy, handover accuracy, sync latency both ways',
  );

/** Fault kinds the mocks understand (the kernel's grammar), for a helpful error before the run starts. */
export const MOCK_FAULT_KINDS: readonly string[] = FAULT_KINDS;

const faultSchema = z
  .strictObject({
    target: z.enum(['whatsapp', 'crm']).describe('Which mock misbehaves'),
    spec: z
      .string()
      .min(1)
      .superRefine((spec, ctx) => {
        const kind = spec.split('=')[0] ?? '';
        if (!MOCK_FAULT_KINDS.includes(kind)) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown fault ${JSON.stringify(kind)}: expected one of ${MOCK_FAULT_KINDS.join(', ')} (e.g. outage=unavailable, error=131000:0.05, rate-limit=5s:1)`,
          });
        } else if (!spec.includes('=')) {
          ctx.addIssue({
            code: 'custom',
            message: `fault ${JSON.stringify(spec)} needs a value, e.g. ${kind}=…`,
          });
        } else if (spec.includes('@')) {
          ctx.addIssue({
            code: 'custom',
            message: 'write the window with `at` and `for`, not an @ suffix in the spec',
          });
        } else {
          // The mocks' own parser: a spec that passes here cannot be refused when the fault is armed.
          const problem = mockFaultProblem(spec);
          if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
        }
      })
      .describe(
        "A mock fault spec (docs/faults.md) without its window: 'outage=unavailable', 'rate-limit=5s:1'",
      ),
    at: offsetMs().describe('When the fault starts, from the start of the suite'),
    for: durationMs().describe('How long it lasts'),
  })
  .superRefine((f, ctx) => {
    // Only the WhatsApp mock serves media: on the CRM the fault would never fire.
    if (f.target === 'crm' && f.spec.startsWith('media-download=')) {
      ctx.addIssue({
        code: 'custom',
        path: ['spec'],
        message: 'media-download faults apply to target whatsapp only',
      });
    }
  })
  .transform((f) => ({ target: f.target, spec: f.spec, atMs: f.at, forMs: f.for }));

const faultRecoverySchema = z
  .strictObject({
    kind: z.literal('fault-recovery'),
    rate: ratePerMin().prefault('600/min').describe('Steady arrival rate while faults come and go'),
    duration: durationMs().prefault('60s').describe('Length of the suite'),
    deadline: durationMs()
      .prefault('120s')
      .describe('A flow not complete within this (retries included) is counted lost'),
    mix: mixSchema.prefault({}),
    faults: z.array(faultSchema).min(1).describe('The faults, on the suite timeline'),
  })
  .superRefine((s, ctx) => {
    s.faults.forEach((f, i) => {
      if (f.atMs + f.forMs >= s.duration) {
        ctx.addIssue({
          code: 'custom',
          path: ['faults', i, 'for'],
          message: `the fault ends at ${(f.atMs + f.forMs) / 1000}s, not before the suite ends (${s.duration / 1000}s): recovery could not be measured`,
        });
      }
    });
  })
  .transform((s) => ({
    kind: s.kind,
    ratePerMin: s.rate,
    durationMs: s.duration,
    deadlineMs: s.deadline,
    mix: s.mix,
    faults: s.faults,
  }))
  .describe('Fault recovery: recovery time after each fault, messages lost, retry timing');

const capacitySchema = z
  .strictObject({
    kind: z.literal('capacity'),
    start: ratePerMin().prefault('500/min').describe('Rate of the first step'),
    step: ratePerMin().prefault('200/min').describe('Added per step'),
    stepDuration: durationMs().prefault('60s').describe('Length of each step'),
    warmup: offsetMs().prefault('10s').describe('Start of each step left out of its judgement'),
    maxRate: ratePerMin().prefault('10000/min').describe('The ramp stops after the step at this rate'),
    deadline: durationMs()
      .prefault('30s')
      .describe('A flow not complete within this counts as an error of its step'),
    mix: mixSchema.prefault({}),
    criteria: z
      .strictObject({
        p95Latency: durationMs()
          .prefault('5s')
          .describe('A step fails when its p95 end-to-end latency exceeds this'),
        errorRate: share().default(0.01).describe('A step fails when its error rate exceeds this'),
      })
      .prefault({})
      .transform((c) => ({ p95LatencyMs: c.p95Latency, errorRate: c.errorRate })),
    refine: z
      .boolean()
      .default(false)
      .describe('After the first failing step, bisect between the last passing and the first failing rate'),
    resolution: ratePerMin()
      .prefault('100/min')
      .describe('Refinement stops when the passing and failing rates are at most this far apart'),
  })
  .superRefine((s, ctx) => {
    if (s.warmup >= s.stepDuration) {
      ctx.addIssue({
        code: 'custom',
        path: ['warmup'],
        message: `the warm-up (${s.warmup / 1000}s) must be shorter than the step (${s.stepDuration / 1000}s)`,
      });
    }
    if (s.maxRate < s.start) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxRate'],
        message: `maxRate (${s.maxRate}/min) is below start (${s.start}/min)`,
      });
    }
    const steps = Math.floor((s.maxRate - s.start) / s.step) + 1;
    if (steps > 1000) {
      ctx.addIssue({
        code: 'custom',
        path: ['step'],
        message: `the ramp would have ${steps} steps (at most 1000): raise step or lower maxRate`,
      });
    }
  })
  .transform((s) => ({
    kind: s.kind,
    startPerMin: s.start,
    stepPerMin: s.step,
    stepDurationMs: s.stepDuration,
    warmupMs: s.warmup,
    maxPerMin: s.maxRate,
    deadlineMs: s.deadline,
    mix: s.mix,
    criteria: s.criteria,
    refine: s.refine,
    resolutionPerMin: s.resolution,
  }))
  .describe('Capacity: the step ramp; peak capacity is the last passing step (or the refined rate)');

const soakSchema = z
  .strictObject({
    kind: z.literal('soak'),
    duration: durationMs()
      .prefault('72h')
      .describe('Length of the soak timeline (virtual time when compressed)'),
    averageRate: ratePerMin().prefault('5000/h').describe('Average arrival rate over the day'),
    peaks: z
      .array(
        unitLeaf<DayRangeMs>(
          parseDayRange,
          'A local time range HH:MM-HH:MM',
          'a time range such as 09:00-11:00',
        ),
      )
      .prefault(['09:00-11:00', '19:00-21:00'])
      .describe('Daily peak windows, local time'),
    peakFactor: z.number().min(1).max(100).default(2).describe('Peak rate ÷ off-peak rate'),
    timezone: z
      .string()
      .default('UTC')
      .refine(isKnownTimeZone, { message: 'unknown time zone: use an IANA name such as UTC or Asia/Taipei' })
      .describe('Time zone of the peaks (IANA name)'),
    profileFile: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe('An hourly table or points file for another shape, relative to the scenario; null = diurnal'),
    timeScale: z
      .number()
      .min(1)
      .max(100_000)
      .default(1)
      .describe('Compression: 1 = real time, 1440 = a day per minute (`--time-scale` overrides)'),
    volume: z
      .enum(['keep-rate', 'keep-total'])
      .default('keep-rate')
      .describe(
        'When compressed: keep-rate sends at the written rate on the real clock (fewer messages); keep-total sends every message (rate × timeScale)',
      ),
    window: durationMs().prefault('4h').describe('Length of a reporting window (load snapshot)'),
    deadline: durationMs().prefault('30s').describe('A flow not complete within this counts as an error'),
    mix: mixSchema.prefault({}),
  })
  .superRefine((s, ctx) => {
    const sorted = s.peaks.map((p, i) => ({ ...p, i })).sort((a, b) => a.startMs - b.startMs);
    for (let k = 1; k < sorted.length; k++) {
      const prev = sorted[k - 1]!;
      const cur = sorted[k]!;
      if (cur.startMs < prev.endMs) {
        ctx.addIssue({ code: 'custom', path: ['peaks', cur.i], message: `overlaps peak ${prev.i}` });
      }
    }
    if (s.window > s.duration) {
      ctx.addIssue({ code: 'custom', path: ['window'], message: 'the window is longer than the soak' });
    } else if (s.duration / s.window > 10_000) {
      ctx.addIssue({
        code: 'custom',
        path: ['window'],
        message: 'more than 10,000 windows: use a longer window',
      });
    }
  })
  .transform((s) => ({
    kind: s.kind,
    durationMs: s.duration,
    averageRatePerMin: s.averageRate,
    peaks: s.peaks,
    peakFactor: s.peakFactor,
    timezone: s.timezone,
    profileFile: s.profileFile,
    timeScale: s.timeScale,
    volume: s.volume,
    windowMs: s.window,
    deadlineMs: s.deadline,
    mix: s.mix,
  }))
  .describe('Soak: a long diurnal profile with peaks, per-window results, drift and memory growth');

const consistencyAuditSchema = z
  .strictObject({
    kind: z.literal('consistency-audit'),
    sample: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(1000)
      .describe('Conversation records sampled (all of them when fewer exist)'),
  })
  .describe('Consistency audit: what the WhatsApp mock saw vs what the CRM holds, on a random sample');

const conformanceSchema = z
  .strictObject({
    kind: z.literal('conformance'),
    only: z
      .array(z.string().min(1))
      .default([])
      .describe('Case ids to run (docs/conformance.md); empty = every case'),
  })
  .describe(
    'Conformance kit: handshake, signatures, ack time, idempotency, ordering, back-off, consent, E.164 …',
  );

/** Every suite kind, in the order a scenario usually lists them. */
export const SUITE_KINDS = [
  'template-delivery',
  'conversation-sync',
  'fault-recovery',
  'capacity',
  'soak',
  'consistency-audit',
  'conformance',
] as const;

/** One of {@link SUITE_KINDS}. */
export type SuiteKind = (typeof SUITE_KINDS)[number];

const suiteSchema = z.discriminatedUnion('kind', [
  templateDeliverySchema,
  conversationSyncSchema,
  faultRecoverySchema,
  capacitySchema,
  soakSchema,
  consistencyAuditSchema,
  conformanceSchema,
]);

// ---------------------------------------------------------------------------------------------
// The scenario

/** Schema of a scenario file (input: what is written; output: the resolved scenario). */
export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Editor hint: path to scenario.schema.json (ignored)'),
    name: z
      .string()
      .min(1)
      .max(120)
      .refine((name) => [...name].every((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f), {
        message: 'no control characters (tabs, newlines …) in a name',
      })
      .describe('Name of the scenario, shown in reports'),
    description: z.string().max(2000).nullable().default(null).describe('What the scenario is for'),
    seed: z.int().min(0).max(0xffffffff).default(42).describe('Seed of all randomness (`--seed` overrides)'),
    acceptance: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'The acceptance table, relative to this file; absent = the built-in table (scenarios/acceptance.yaml shipped with wacrm)',
      ),
    mocks: z
      .strictObject({ whatsapp: whatsappMockSchema.prefault({}), crm: crmMockSchema.prefault({}) })
      .prefault({})
      .describe('Settings of the two mocks'),
    connector: connectorSchema.prefault({}),
    harness: harnessSchema.prefault({}),
    suites: z
      .array(suiteSchema)
      .min(1)
      .superRefine(
        (suites, ctx) => {
          const seen = new Map<string, number>();
          suites.forEach((s, i) => {
            // Runs even when other suites have errors (`when` below), so items may be anything here.
            const kind: unknown = (s as { kind?: unknown } | null)?.kind;
            if (typeof kind !== 'string') return;
            const first = seen.get(kind);
            if (first !== undefined) {
              ctx.addIssue({
                code: 'custom',
                path: [i, 'kind'],
                message: `suite ${kind} already runs as suites[${first}]; each kind runs once per scenario (their metrics would collide)`,
              });
            } else seen.set(kind, i);
          });
        },
        { when: () => true },
      )
      .describe('The suites, run in this order'),
  })
  .transform(({ $schema: _ignored, ...rest }) => rest);

/** A scenario as written in the file (before defaults and unit parsing). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A resolved scenario: defaults applied, durations in ms, rates per minute. */
export type Scenario = z.output<typeof scenarioSchema>;
/** One resolved suite. */
export type Suite = Scenario['suites'][number];
/** The resolved suite of one kind. */
export type SuiteOf<K extends SuiteKind> = Extract<Suite, { kind: K }>;
/** The resolved step-ramp suite (its fields match the load engine's StepRampPlan). */
export type CapacitySuite = SuiteOf<'capacity'>;
/** The resolved soak suite. */
export type SoakSuite = SuiteOf<'soak'>;
/** A scheduled fault of the fault-recovery suite. */
export type ScheduledFault = SuiteOf<'fault-recovery'>['faults'][number];
