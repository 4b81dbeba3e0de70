import { FaultSpecError, type Faults, parseFaults } from '../kernel/connector-faults.js';

/** Everything the connector runs with, parsed once at the boundary (units in the names). */
export interface ConnectorConfig {
  host: string;
  port: number;
  waBaseUrl: string;
  waApiVersion: string;
  waPhoneNumberId: string;
  waAccessToken: string;
  waAppSecret: string;
  waVerifyToken: string;
  crmBaseUrl: string;
  crmToken: string;
  crmWebhookSecret: string;
  crmPlan: 'standard' | 'enterprise';
  /** Which CRM API the connector speaks: wacrm's native one, or HubSpot's CRM v3. */
  crmDialect: 'native' | 'hubspot';
  /** HubSpot: calls per rolling ten seconds, per day, and search calls per second. */
  hubspotPerTenSeconds: number;
  hubspotPerDay: number;
  hubspotSearchPerSec: number;
  /** HubSpot: the ticket pipeline and stage of a handover, and the owner to assign (none: unassigned). */
  hubspotPipeline: string;
  hubspotStage: string;
  hubspotOwnerId?: string;
  /** HubSpot: the app's client secret, which signs webhook calls (`X-HubSpot-Signature-v3`). */
  hubspotClientSecret: string;
  /** The connector's URL as senders call it (the HubSpot signature covers the full URL); default: from the Host header. */
  publicUrl?: string;
  /** Client-side CRM request budget per sliding minute (from the plan, or `--crm-rate-per-min`). */
  crmRatePerMin: number;
  waRatePerSec: number;
  concurrency: number;
  queueLimit: number;
  requestTimeoutMs: number;
  retryDelayMs: number;
  drainTimeoutMs: number;
  /** Template sent when a free-form reply falls outside the 24 h window (none: error log instead). */
  fallbackTemplate: { name: string; language: string } | null;
  logLevel: LogLevel;
  faults: Faults;
}

/** How chatty stderr is. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** The plans' limits (requests per sliding minute) as the CRM enforces them. */
export const CRM_PLAN_LIMITS_PER_MIN = { standard: 300, enterprise: 1500 } as const;

/**
 * Share of the plan limit the connector allows itself: the CRM counts requests when they arrive,
 * the connector when it sends them, so a little headroom keeps jittered arrivals under the limit.
 */
export const CRM_PLAN_HEADROOM = 0.95;

type FlagKind = 'string' | 'url' | 'port' | 'int' | 'plan' | 'dialect' | 'list' | 'template' | 'log-level';

interface FlagDef {
  key: keyof ConnectorConfig | 'fault' | 'crmRateOverride';
  kind: FlagKind;
  default?: string;
  min?: number;
  help: string;
}

/**
 * Every flag; each also reads `WACRM_CONNECTOR_<NAME>` (flag name upper-cased, `-` → `_`) when the
 * flag is not given. Defaults match the mocks' CLI defaults, so `wacrm mock …` plus
 * `wacrm connector` work together without any flag.
 */
export const FLAGS: Record<string, FlagDef> = {
  host: { key: 'host', kind: 'string', default: '127.0.0.1', help: 'address to listen on' },
  port: { key: 'port', kind: 'port', default: '4030', help: 'port to listen on (0 = any free port)' },
  'wa-base-url': {
    key: 'waBaseUrl',
    kind: 'url',
    default: 'http://127.0.0.1:4010',
    help: 'WhatsApp Cloud API base URL (https://graph.facebook.com for the real one)',
  },
  'wa-api-version': { key: 'waApiVersion', kind: 'string', default: 'v23.0', help: 'Graph API version' },
  'wa-phone-number-id': {
    key: 'waPhoneNumberId',
    kind: 'string',
    default: '106540352242922',
    help: 'business phone number id to send from',
  },
  'wa-access-token': {
    key: 'waAccessToken',
    kind: 'string',
    default: 'wacrm-mock-access-token',
    help: 'WhatsApp bearer token',
  },
  'wa-app-secret': {
    key: 'waAppSecret',
    kind: 'string',
    default: 'wacrm-mock-app-secret',
    help: 'Meta app secret (checks X-Hub-Signature-256)',
  },
  'wa-verify-token': {
    key: 'waVerifyToken',
    kind: 'string',
    default: 'wacrm-mock-verify-token',
    help: 'token of the webhook verification handshake',
  },
  'crm-base-url': {
    key: 'crmBaseUrl',
    kind: 'url',
    default: 'http://127.0.0.1:4020/api/v1',
    help: 'CRM API base URL',
  },
  'crm-token': { key: 'crmToken', kind: 'string', default: 'wacrm-crm-token', help: 'CRM bearer token' },
  'crm-webhook-secret': {
    key: 'crmWebhookSecret',
    kind: 'string',
    default: 'wacrm-crm-secret',
    help: 'CRM webhook secret (checks X-CRM-Signature)',
  },
  'crm-plan': {
    key: 'crmPlan',
    kind: 'plan',
    default: 'standard',
    help: 'CRM plan: standard (300 req/min) or enterprise (1,500 req/min)',
  },
  'crm-dialect': {
    key: 'crmDialect',
    kind: 'dialect',
    default: 'native',
    help: 'CRM API to speak: native (wacrm CRM API) or hubspot (HubSpot CRM v3; --crm-base-url without /api/v1)',
  },
  'hubspot-per-10s': {
    key: 'hubspotPerTenSeconds',
    kind: 'int',
    min: 1,
    default: '100',
    help: 'HubSpot calls per rolling 10 s (100 free/starter private apps, 190 professional/enterprise)',
  },
  'hubspot-per-day': {
    key: 'hubspotPerDay',
    kind: 'int',
    min: 1,
    default: '250000',
    help: 'HubSpot calls per day (UTC) (250,000 free/starter, 625,000 professional, 1,000,000 enterprise)',
  },
  'hubspot-search-per-sec': {
    key: 'hubspotSearchPerSec',
    kind: 'int',
    min: 1,
    default: '5',
    help: 'HubSpot CRM search calls per second',
  },
  'hubspot-pipeline': {
    key: 'hubspotPipeline',
    kind: 'string',
    default: '0',
    help: 'HubSpot ticket pipeline id of a handover',
  },
  'hubspot-stage': {
    key: 'hubspotStage',
    kind: 'string',
    default: '1',
    help: 'HubSpot ticket stage id of a new handover',
  },
  'hubspot-owner': {
    key: 'hubspotOwnerId',
    kind: 'string',
    help: 'HubSpot owner id a handover ticket is assigned to (default: unassigned)',
  },
  'hubspot-client-secret': {
    key: 'hubspotClientSecret',
    kind: 'string',
    default: 'wacrm-hubspot-client-secret',
    help: 'HubSpot app client secret (checks X-HubSpot-Signature-v3 on /webhooks/hubspot)',
  },
  'public-url': {
    key: 'publicUrl',
    kind: 'url',
    help: "the connector's URL as webhook senders call it (default: from the Host header)",
  },
  'crm-rate-per-min': {
    key: 'crmRateOverride',
    kind: 'int',
    min: 1,
    help: 'CRM request budget per minute, overriding the plan (capacity runs)',
  },
  'wa-rate-per-sec': {
    key: 'waRatePerSec',
    kind: 'int',
    min: 1,
    default: '80',
    help: 'WhatsApp sends per second',
  },
  concurrency: { key: 'concurrency', kind: 'int', min: 1, default: '32', help: 'workers' },
  'queue-limit': {
    key: 'queueLimit',
    kind: 'int',
    min: 1,
    default: '10000',
    help: 'pending jobs above which webhooks get 503 (the sender retries)',
  },
  'request-timeout-ms': {
    key: 'requestTimeoutMs',
    kind: 'int',
    min: 1,
    default: '3500',
    help: 'timeout of each HTTP request to WhatsApp or the CRM',
  },
  'retry-delay-ms': {
    key: 'retryDelayMs',
    kind: 'int',
    min: 0,
    default: '30000',
    help: 'pause before the second retry',
  },
  'drain-timeout-ms': {
    key: 'drainTimeoutMs',
    kind: 'int',
    min: 0,
    default: '10000',
    help: 'on SIGTERM/SIGINT, how long to drain the queue before exiting',
  },
  'fallback-template': {
    key: 'fallbackTemplate',
    kind: 'template',
    default: 'hello_world:en_US',
    help: "NAME[:LANG] template without parameters sent when a reply falls outside the 24 h window; 'none' = error log instead",
  },
  'log-level': { key: 'logLevel', kind: 'log-level', default: 'info', help: 'error, warn, info or debug' },
  fault: { key: 'fault', kind: 'list', help: 'fault switch NAME[=VALUE], repeatable (tests only)' },
};

/** A flag or env var that cannot be used; `message` is one line naming it. Exit code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The result of parsing the command line: run with a config, or print help. */
export type ParsedArgs = { help: true } | { help: false; config: ConnectorConfig };

/** `WACRM_CONNECTOR_WA_BASE_URL` for `wa-base-url`. */
export function envName(flag: string): string {
  return 'WACRM_CONNECTOR_' + flag.toUpperCase().replaceAll('-', '_');
}

function convert(flag: string, def: FlagDef, raw: string, source: string): unknown {
  const bad = (what: string) => new ConfigError(`${source}: '${raw}' is not ${what}`);
  switch (def.kind) {
    case 'string':
      if (raw.trim() === '') throw bad('a non-empty value');
      return raw;
    case 'url': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw bad('a URL (e.g. http://127.0.0.1:4010)');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('an http(s) URL');
      return raw.replace(/\/+$/, '');
    }
    case 'port': {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n > 65535) throw bad('a port number (0-65535)');
      return n;
    }
    case 'int': {
      const n = Number(raw);
      const min = def.min ?? 0;
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min) throw bad(`a whole number >= ${min}`);
      return n;
    }
    case 'plan':
      if (raw !== 'standard' && raw !== 'enterprise') throw bad('a plan (standard or enterprise)');
      return raw;
    case 'dialect':
      if (raw !== 'native' && raw !== 'hubspot') throw bad('a CRM dialect (native or hubspot)');
      return raw;
    case 'log-level':
      if (!['error', 'warn', 'info', 'debug'].includes(raw))
        throw bad('a log level (error, warn, info, debug)');
      return raw;
    case 'template': {
      if (raw === 'none') return null;
      const m = /^([a-z0-9_]{1,512})(?::([A-Za-z_]{2,10}))?$/.exec(raw);
      if (!m) throw bad('a template NAME[:LANG] (e.g. hello_world:en_US)');
      return { name: m[1], language: m[2] ?? 'en_US' };
    }
    case 'list':
      return raw;
    default:
      throw new ConfigError(`--${flag}: unsupported flag kind`);
  }
}

/** The usage text for `--help`. */
export function usage(): string {
  const lines = [
    'Usage: node dist/connector/main.js [options]   (or: wacrm connector [options])',
    '',
    'The wacrm reference connector: WhatsApp Cloud API webhooks <-> CRM API, over HTTP only.',
    '',
    'Options (each also read from WACRM_CONNECTOR_<NAME>):',
  ];
  for (const [flag, def] of Object.entries(FLAGS)) {
    const dflt = def.default !== undefined ? ` (default ${def.default})` : '';
    lines.push(`  --${flag.padEnd(20)} ${def.help}${dflt}`);
  }
  lines.push('  --help                 show this help');
  return lines.join('\n');
}

/**
 * Parses argv (without node and the script) and the environment into a config. Flags win over
 * env vars, env vars over defaults. `--flag value` and `--flag=value` are both accepted; `--fault`
 * repeats (its env var takes a comma-separated list). Throws {@link ConfigError} naming the flag.
 */
export function parseArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedArgs {
  const given = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return { help: true };
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument '${arg}' (flags start with --)`);
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const def = FLAGS[flag];
    if (!def || !Object.hasOwn(FLAGS, flag)) {
      throw new ConfigError(`unknown flag --${flag} (run with --help for the list)`);
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) {
        throw new ConfigError(`--${flag} needs a value`);
      }
      i++;
    }
    const list = given.get(flag) ?? [];
    if (list.length > 0 && def.kind !== 'list') throw new ConfigError(`--${flag} is given more than once`);
    list.push(value);
    given.set(flag, list);
  }

  const values: Record<string, unknown> = {};
  let faultSpecs: string[] = [];
  let crmRateOverride: number | undefined;
  for (const [flag, def] of Object.entries(FLAGS)) {
    const fromFlag = given.get(flag);
    const fromEnv = env[envName(flag)];
    let raws: string[];
    let source: string;
    if (fromFlag) {
      raws = fromFlag;
      source = `--${flag}`;
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raws = def.kind === 'list' ? fromEnv.split(',') : [fromEnv];
      source = `${envName(flag)} (for --${flag})`;
    } else if (def.default !== undefined) {
      raws = [def.default];
      source = `default of --${flag}`;
    } else {
      continue;
    }
    const converted = raws.map((raw) => convert(flag, def, raw, source));
    if (def.key === 'fault') faultSpecs = converted as string[];
    else if (def.key === 'crmRateOverride') crmRateOverride = converted[0] as number;
    else values[def.key] = converted[0];
  }

  let faults: Faults;
  try {
    faults = parseFaults(faultSpecs);
  } catch (err) {
    if (err instanceof FaultSpecError) throw new ConfigError(`--fault: ${err.message}`);
    throw err;
  }
  const plan = values['crmPlan'] as ConnectorConfig['crmPlan'];
  const config = {
    ...values,
    fallbackTemplate: values['fallbackTemplate'] ?? null,
    crmRatePerMin: crmRateOverride ?? Math.floor(CRM_PLAN_LIMITS_PER_MIN[plan] * CRM_PLAN_HEADROOM),
    faults,
  } as ConnectorConfig;
  return { help: false, config };
}

/** The defaults with some fields replaced: for tests and embedding. */
export function defaultConfig(overrides: Partial<ConnectorConfig> = {}): ConnectorConfig {
  const parsed = parseArgs([], {});
  if (parsed.help) throw new Error('unreachable');
  return { ...parsed.config, ...overrides };
}
