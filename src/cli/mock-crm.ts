import type { Command } from 'commander';
import { RealClock } from '../../kernel/clock.js';
import { type FaultRule, parseFaultSpec } from '../../kernel/fault-spec.js';
import { buildCrmMock, type CrmMockOptions } from '../../mocks/crm/index.js';
import { CRM_DIALECT_NAMES, HUBSPOT_TIER_LIMITS } from '../config/schema.js';
import { WacrmError } from '../errors.js';
import { MOCK_DEFAULT_CREDENTIALS } from '../run/stack.js';
import { credentialFromEnv } from './credentials.js';
import type { Io } from './io.js';

/** A HubSpot account tier. */
type HubSpotTierName = keyof typeof HUBSPOT_TIER_LIMITS;

/** Raw flag values as commander hands them over. */
interface RawFlags {
  dialect: string;
  tier: string;
  host: string;
  port: string;
  token: string;
  plan: string;
  limitPerMin?: string;
  webhookUrl?: string;
  webhookSecret: string;
  store?: string;
  seed: string;
  contacts: string;
  dirtyShare: string;
  fault: string[];
  journalCapacity?: string;
}

/** `wacrm mock crm` flags, checked and converted. */
export interface MockCrmFlags {
  dialect: CrmDialectFlag;
  /** HubSpot account tier (dialect hubspot). */
  tier: HubSpotTierName;
  host: string;
  port: number;
  token: string;
  plan: 'standard' | 'enterprise';
  limitPerMin: number | undefined;
  webhookUrl: string | undefined;
  webhookSecret: string;
  store: string | undefined;
  seed: number;
  contacts: number;
  dirtyShare: number;
  faults: FaultRule[];
  /** Journal entries kept in memory (undefined: the mock's default). */
  journalCapacity?: number;
}

function usage(flag: string, message: string): WacrmError {
  return new WacrmError('WACRM_USAGE', `${flag}: ${message}`, 'run `wacrm mock crm --help` for the flags');
}

function intFlag(flag: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(n >= min && n <= max))
    throw usage(flag, `must be an integer ${min}-${max}, got ${JSON.stringify(text)}`);
  return n;
}

/** A CRM API the mock can speak, as the flags name it. */
export type CrmDialectFlag = (typeof CRM_DIALECT_NAMES)[number];

/** The help text of every flag that picks the CRM dialect (`mock crm --dialect`, `up|conformance --crm-dialect`). */
export const CRM_DIALECT_HELP = 'CRM API to speak: native (docs/crm-api.md) or hubspot (docs/crm-hubspot.md)';

/**
 * Checks a CRM dialect flag: `wacrm mock crm --dialect`, `wacrm up|conformance --crm-dialect`
 * take the same names with the same error.
 */
export function crmDialectFlag(flag: string, text: string, hint: string): CrmDialectFlag {
  if (!(CRM_DIALECT_NAMES as readonly string[]).includes(text)) {
    throw new WacrmError(
      'WACRM_USAGE',
      `${flag}: must be ${CRM_DIALECT_NAMES.join(' or ')}, got ${JSON.stringify(text)}`,
      hint,
    );
  }
  return text as CrmDialectFlag;
}

/** Checks the flags (pure); throws WacrmError('WACRM_USAGE') naming the first bad flag. */
export function parseMockCrmFlags(raw: RawFlags, nowMs: number): MockCrmFlags {
  if (!/^[A-Za-z0-9.:_-]+$/.test(raw.host))
    throw usage('--host', `not a host name or address: ${JSON.stringify(raw.host)}`);
  if (!/^\S{1,512}$/.test(raw.token)) throw usage('--token', 'must be 1-512 characters without spaces');
  const dialect = crmDialectFlag('--dialect', raw.dialect, 'run `wacrm mock crm --help` for the flags');
  if (!Object.hasOwn(HUBSPOT_TIER_LIMITS, raw.tier)) {
    throw usage(
      '--tier',
      `must be one of ${Object.keys(HUBSPOT_TIER_LIMITS).join(', ')}, got ${JSON.stringify(raw.tier)}`,
    );
  }
  if (raw.plan !== 'standard' && raw.plan !== 'enterprise') {
    throw usage('--plan', `must be standard or enterprise, got ${JSON.stringify(raw.plan)}`);
  }
  if (raw.webhookUrl !== undefined) {
    let ok = false;
    try {
      const u = new URL(raw.webhookUrl);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) throw usage('--webhook-url', `must be an http(s) URL, got ${JSON.stringify(raw.webhookUrl)}`);
  }
  if (raw.webhookSecret.length === 0) throw usage('--webhook-secret', 'must not be empty');
  if (raw.store !== undefined && raw.store.trim() === '') throw usage('--store', 'must be a file path');
  const dirtyShare = Number(raw.dirtyShare);
  if (raw.dirtyShare.trim() === '' || !(dirtyShare >= 0 && dirtyShare <= 1)) {
    throw usage('--dirty-share', `must be a number 0-1, got ${JSON.stringify(raw.dirtyShare)}`);
  }
  const faults: FaultRule[] = [];
  for (const spec of raw.fault) {
    try {
      faults.push(parseFaultSpec(spec, nowMs));
    } catch (err) {
      throw usage('--fault', err instanceof Error ? err.message : String(err));
    }
  }
  return {
    dialect,
    tier: raw.tier as HubSpotTierName,
    host: raw.host,
    port: intFlag('--port', raw.port, 0, 65535),
    token: raw.token,
    plan: raw.plan,
    limitPerMin:
      raw.limitPerMin === undefined ? undefined : intFlag('--limit-per-min', raw.limitPerMin, 1, 1_000_000),
    webhookUrl: raw.webhookUrl,
    webhookSecret: raw.webhookSecret,
    store: raw.store,
    seed: intFlag('--seed', raw.seed, 0, 2 ** 31 - 1),
    contacts: intFlag('--contacts', raw.contacts, 0, 1_000_000),
    dirtyShare,
    faults,
    ...(raw.journalCapacity === undefined
      ? {}
      : { journalCapacity: intFlag('--journal-capacity', raw.journalCapacity, 1000, 50_000_000) }),
  };
}

/** Starts the CRM mock from checked flags, prints where it is, and resolves once it stopped (SIGINT/SIGTERM). */
export async function runMockCrm(flags: MockCrmFlags, io: Io, clock = new RealClock()): Promise<void> {
  const opts: CrmMockOptions = {
    clock,
    seed: flags.seed,
    token: flags.token,
    plan: flags.plan,
    webhookSecret: flags.webhookSecret,
    seedContacts: { count: flags.contacts, dirtyShare: flags.dirtyShare },
    faults: flags.faults,
  };
  if (flags.dialect === 'hubspot') {
    opts.dialect = 'hubspot';
    opts.dialectOptions = { hubspot: { tier: flags.tier } };
  }
  if (flags.limitPerMin !== undefined) opts.planLimits = { [flags.plan]: flags.limitPerMin };
  if (flags.webhookUrl !== undefined) opts.webhookUrl = flags.webhookUrl;
  if (flags.store !== undefined) opts.store = { file: flags.store };
  if (flags.journalCapacity !== undefined) opts.journalCapacity = flags.journalCapacity;
  let app: ReturnType<typeof buildCrmMock>;
  try {
    app = buildCrmMock(opts);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw usage(
      flags.store !== undefined && /store|SQLite|database/i.test(message) ? '--store' : '--fault',
      message,
    );
  }
  let address: string;
  try {
    address = await app.listen({ host: flags.host, port: flags.port });
  } catch (err) {
    await app.close();
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE') {
      throw new WacrmError(
        'WACRM_PORT_IN_USE',
        `port ${flags.port} on ${flags.host} is already in use`,
        'pick another with --port, or --port 0 for a free one',
      );
    }
    throw usage(
      '--host',
      `cannot listen on ${flags.host}:${flags.port}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const stats = app.crm.stats();
  io.out(`wacrm mock crm listening on ${address}`);
  if (flags.dialect === 'hubspot') {
    const lim = HUBSPOT_TIER_LIMITS[flags.tier];
    io.out(`  dialect:        hubspot (HubSpot CRM v3/v4; docs/crm-hubspot.md)`);
    io.out(`  base URL:       ${address}   (the HubSpot SDK's basePath; paths /crm/v3/…)`);
    io.out(`  token:          ${flags.token}   (private-app token, every scope; a mock credential)`);
    io.out(
      `  tier:           ${flags.tier}, ${lim.perTenSeconds} calls per 10 s, ${lim.perDay} a day, search ${lim.searchPerSecond}/s`,
    );
    io.out(`  client secret:  ${flags.webhookSecret}   (X-HubSpot-Signature-v3 on webhook calls)`);
  } else {
    io.out(`  API:            ${address}/api/v1`);
    io.out(`  token:          ${flags.token}   (Authorization: Bearer <token>; a mock credential)`);
    io.out(
      `  plan:           ${flags.plan}, ${flags.limitPerMin ?? (flags.plan === 'standard' ? 300 : 1500)} requests/min`,
    );
    io.out(`  webhook secret: ${flags.webhookSecret}   (X-CRM-Signature: sha256=HMAC of the raw body)`);
  }
  io.out(`  events go to:   ${flags.webhookUrl ?? '(nowhere yet: PUT /_mock/webhook {"url": …})'}`);
  io.out(`  store:          ${flags.store ?? 'memory'} (${stats['contacts']} contacts)`);
  io.out(`  admin:          ${address}/_mock/health · metrics: ${address}/metrics`);
  io.out('  stop with Ctrl-C');
  await new Promise<void>((resolve) => {
    io.onStop((signal) => {
      io.out(`received ${signal}, stopping the CRM mock`);
      app.close().then(
        () => resolve(),
        () => resolve(),
      );
    });
  });
}

/** Registers `wacrm mock crm` under `wacrm mock`. */
export function addMockCrmCommand(mock: Command, io: Io): void {
  mock
    .command('crm')
    .description(
      'start the mock CRM on its own (API in docs/crm-api.md; --dialect hubspot: docs/crm-hubspot.md)',
    )
    .option('--dialect <name>', CRM_DIALECT_HELP, 'native')
    .option(
      '--tier <tier>',
      'HubSpot account tier for its API limits: free, starter, professional, enterprise, limit-increase',
      'professional',
    )
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free port and prints it)', '4020')
    .option(
      '--token <token>',
      'bearer token the connector must send (env WACRM_CRM_TOKEN)',
      MOCK_DEFAULT_CREDENTIALS.crmToken,
    )
    .option('--plan <plan>', 'rate-limit plan: standard (300/min) or enterprise (1500/min)', 'standard')
    .option('--limit-per-min <n>', "a custom limit for the token's plan (requests per sliding minute)")
    .option('--webhook-url <url>', "the connector's CRM webhook, where events are POSTed")
    .option(
      '--webhook-secret <secret>',
      'HMAC key for X-CRM-Signature (env WACRM_CRM_WEBHOOK_SECRET)',
      MOCK_DEFAULT_CREDENTIALS.crmWebhookSecret,
    )
    .option('--store <file>', 'persist state in this SQLite file (survives a restart)')
    .option('--seed <n>', 'seed for the generated contacts and ids', '1')
    .option('--contacts <n>', 'contacts to seed into an empty store', '200')
    .option('--dirty-share <ratio>', 'share of seeded contacts with dirty data, 0-1', '0.2')
    .option(
      '--fault <spec>',
      'a fault rule, e.g. error=503:0.1@10s+30s (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option(
      '--journal-capacity <n>',
      'journal entries kept in memory (default 200000; a k6 run `wacrm collect` grades needs some 5–10 per flow)',
    )
    .action(async (raw: RawFlags, cmd: Command) => {
      // WACRM_CRM_TOKEN / WACRM_CRM_WEBHOOK_SECRET stand in for a flag left at its default.
      if (cmd.getOptionValueSource('token') === 'default')
        raw.token = credentialFromEnv('crmToken', io.env, raw.token);
      if (cmd.getOptionValueSource('webhookSecret') === 'default')
        raw.webhookSecret = credentialFromEnv('crmWebhookSecret', io.env, raw.webhookSecret);
      // Fault windows (@10s+30s) count from now on the clock the mock will run on.
      const clock = new RealClock();
      await runMockCrm(parseMockCrmFlags(raw, clock.nowMs()), io, clock);
    });
}
