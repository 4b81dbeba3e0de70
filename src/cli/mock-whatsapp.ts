import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { RealClock } from '../../kernel/clock.js';
import { SpecError } from '../../kernel/distributions.js';
import { type FaultRule, formatFaultSpec, parseFaultSpec } from '../../kernel/fault-spec.js';
import {
  AUTO_STATUS_BATCH,
  buildWhatsAppMock,
  DEFAULT_STATUS_BATCH_ABOVE_PER_SEC,
  type MessagingTier,
  type WhatsAppMockOptions,
} from '../../mocks/whatsapp/index.js';
import { WacrmError } from '../errors.js';
import { MOCK_DEFAULT_CREDENTIALS } from '../run/stack.js';
import { credentialFromEnv } from './credentials.js';
import type { Io } from './io.js';

/** Defaults of `wacrm mock whatsapp` (mock credentials: printing them is intended). */
export const MOCK_WHATSAPP_DEFAULTS = {
  host: '127.0.0.1',
  port: 4010,
  accessToken: MOCK_DEFAULT_CREDENTIALS.accessToken,
  appSecret: MOCK_DEFAULT_CREDENTIALS.appSecret,
  verifyToken: MOCK_DEFAULT_CREDENTIALS.verifyToken,
  phoneNumberId: MOCK_DEFAULT_CREDENTIALS.phoneNumberId,
  displayPhoneNumber: MOCK_DEFAULT_CREDENTIALS.displayPhoneNumber,
  wabaId: MOCK_DEFAULT_CREDENTIALS.wabaId,
  apiVersion: 'v23.0',
  errorProfile: '2026',
  throughput: 80,
  seed: 1,
  messagingTier: 'unlimited',
  windowErrorMode: 'async',
  statusBatch: 'auto',
} as const;

/** The 'auto' status batching threshold as the help and the banner print it. */
const AUTO_ABOVE = DEFAULT_STATUS_BATCH_ABOVE_PER_SEC.toLocaleString('en-US');

/** Raw flag values as commander hands them over. */
interface RawFlags {
  host: string;
  port: string;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  webhookUrl?: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  wabaId: string;
  apiVersion: string;
  fault: string[];
  faultsFile?: string;
  errorProfile: string;
  throughput: string;
  seed: string;
  messagingTier: string;
  windowErrorMode: string;
  statusBatch?: string;
  verifyWebhook?: boolean;
  reproducibleIds?: boolean;
  journalCapacity?: string;
}

/** Flags after checking: what the mock is built and started with. */
export interface MockWhatsAppSettings {
  host: string;
  port: number;
  options: WhatsAppMockOptions;
  /** The fault specs as given (for printing). */
  faultSpecs: string[];
  verifyWebhook: boolean;
}

function usage(message: string, hint?: string): WacrmError {
  return new WacrmError('WACRM_USAGE', message, hint);
}

function integerFlag(flag: string, text: string, min: number, max: number, shape?: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usage(
      `${flag} must be ${shape ?? `an integer from ${min} to ${max}`}, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

function nonEmpty(flag: string, text: string, pattern?: RegExp, shape?: string): string {
  if (text.trim() === '' || (pattern && !pattern.test(text))) {
    throw usage(`${flag} must be ${shape ?? 'a non-empty value'}, got ${JSON.stringify(text)}`);
  }
  return text;
}

/** Reads fault specs from a file: a YAML/JSON list, `{ faults: [...] }`, or one spec per line (# comments). */
export function readFaultsFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw usage(
      `--faults-file ${JSON.stringify(path)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    doc = undefined;
  }
  const list = Array.isArray(doc)
    ? doc
    : doc && typeof doc === 'object' && Array.isArray((doc as { faults?: unknown }).faults)
      ? (doc as { faults: unknown[] }).faults
      : text
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l !== '' && !l.startsWith('#'));
  return list.map((item, i) => {
    if (typeof item !== 'string') {
      throw usage(
        `--faults-file ${JSON.stringify(path)}: entry ${i + 1} must be a fault spec string such as "error=131000:0.05"`,
      );
    }
    return item;
  });
}

/** Checks the flags of `wacrm mock whatsapp`; throws WacrmError('WACRM_USAGE') naming the bad flag. */
export function resolveMockWhatsAppFlags(raw: RawFlags, nowMs: number): MockWhatsAppSettings {
  const host = nonEmpty('--host', raw.host);
  const port = integerFlag('--port', raw.port, 0, 65535);
  const throughput = integerFlag('--throughput', raw.throughput, 1, 1000);
  const seed = integerFlag('--seed', raw.seed, 0, 2 ** 32 - 1);
  const statusBatch =
    (raw.statusBatch ?? 'auto') === 'auto'
      ? 'auto'
      : integerFlag('--status-batch', raw.statusBatch ?? '', 1, 1000, 'auto or an integer from 1 to 1000');
  if (raw.errorProfile !== '2026' && raw.errorProfile !== 'legacy') {
    throw usage(`--error-profile must be 2026 or legacy, got ${JSON.stringify(raw.errorProfile)}`);
  }
  if (raw.windowErrorMode !== 'sync' && raw.windowErrorMode !== 'async') {
    throw usage(`--window-error-mode must be sync or async, got ${JSON.stringify(raw.windowErrorMode)}`);
  }
  const tiers: Record<string, MessagingTier> = {
    '250': 250,
    '2000': 2000,
    '10000': 10000,
    '100000': 100000,
    unlimited: 'unlimited',
  };
  const tier = tiers[raw.messagingTier];
  if (tier === undefined) {
    throw usage(
      `--messaging-tier must be 250, 2000, 10000, 100000 or unlimited, got ${JSON.stringify(raw.messagingTier)}`,
    );
  }
  const apiVersion = nonEmpty(
    '--api-version',
    raw.apiVersion,
    /^v\d{1,3}\.0$/,
    'a Graph version such as v23.0',
  );
  const phoneNumberId = nonEmpty('--phone-number-id', raw.phoneNumberId, /^\d{1,32}$/, 'a numeric id');
  const wabaId = nonEmpty('--waba-id', raw.wabaId, /^\d{1,32}$/, 'a numeric id');
  const displayPhoneNumber = nonEmpty(
    '--display-phone-number',
    raw.displayPhoneNumber,
    /^\+?\d{6,20}$/,
    'an international number in digits',
  ).replace(/^\+/, '');
  const options: WhatsAppMockOptions = {
    accessToken: nonEmpty('--access-token', raw.accessToken, /^\S+$/, 'a token without spaces'),
    appSecret: nonEmpty('--app-secret', raw.appSecret),
    verifyToken: nonEmpty('--verify-token', raw.verifyToken),
    phoneNumberId,
    displayPhoneNumber,
    wabaId,
    apiVersion,
    errorProfile: raw.errorProfile,
    throughputPerSec: throughput,
    seed,
    messagingTier: tier,
    windowErrorMode: raw.windowErrorMode,
    reproducibleIds: raw.reproducibleIds === true,
  };
  if (statusBatch !== 'auto') options.webhook = { statusBatch };
  // `wacrm collect` reads the journal after the run: a run that outgrows the ring cannot be collected whole.
  if (raw.journalCapacity !== undefined)
    options.journalCapacity = integerFlag('--journal-capacity', raw.journalCapacity, 1000, 50_000_000);
  if (raw.webhookUrl !== undefined) {
    let ok = false;
    try {
      const u = new URL(raw.webhookUrl);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) throw usage(`--webhook-url must be an http(s) URL, got ${JSON.stringify(raw.webhookUrl)}`);
    options.webhookUrl = raw.webhookUrl;
  }
  const specs = [...(raw.faultsFile === undefined ? [] : readFaultsFile(raw.faultsFile)), ...raw.fault];
  const faults: FaultRule[] = specs.map((spec) => {
    try {
      return parseFaultSpec(spec, nowMs);
    } catch (err) {
      if (err instanceof SpecError) throw usage(`--fault: ${err.message}`);
      throw err;
    }
  });
  options.faults = faults;
  return {
    host,
    port,
    options,
    faultSpecs: faults.map((f) => formatFaultSpec(f, nowMs)),
    verifyWebhook: raw.verifyWebhook === true,
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `wacrm mock whatsapp`: the WhatsApp Cloud API mock on its own, until SIGINT/SIGTERM. */
export function addMockWhatsAppCommand(mock: Command, io: Io): void {
  const d = MOCK_WHATSAPP_DEFAULTS;
  mock
    .command('whatsapp')
    .description(
      "start the mock of Meta's WhatsApp Cloud API (Graph paths, signed webhooks, admin API under /_mock/)",
    )
    .option('--host <host>', 'address to listen on', d.host)
    .option('--port <port>', 'port to listen on (0 picks a free port and prints it)', String(d.port))
    .option('--access-token <token>', 'bearer token the Graph paths accept', d.accessToken)
    .option('--app-secret <secret>', 'app secret that signs webhooks (X-Hub-Signature-256)', d.appSecret)
    .option('--verify-token <token>', 'verify token sent in the hub.challenge handshake', d.verifyToken)
    .option('--webhook-url <url>', "the connector's WhatsApp webhook (without it webhooks are held)")
    .option('--phone-number-id <id>', 'business phone number id in the Graph paths', d.phoneNumberId)
    .option(
      '--display-phone-number <number>',
      'business display number (webhook metadata)',
      d.displayPhoneNumber,
    )
    .option('--waba-id <id>', 'WhatsApp Business Account id (templates, webhook entry id)', d.wabaId)
    .option(
      '--api-version <version>',
      'default Graph version: calls without one are served at it, and webhooks and docs use it (requests may use v21.0 to v26.0)',
      d.apiVersion,
    )
    .option(
      '--fault <spec>',
      'fault from the start, repeatable (e.g. error=131000:0.05, outage=unavailable@10s+30s)',
      collect,
      [],
    )
    .option('--faults-file <path>', 'fault specs from a file (YAML/JSON list or one spec per line)')
    .option('--error-profile <profile>', 'HTTP status per error code: 2026 or legacy', d.errorProfile)
    .option(
      '--throughput <perSec>',
      'messages per second per number before 130429 (1-1000)',
      String(d.throughput),
    )
    .option(
      '--messaging-tier <tier>',
      'unique business-initiated users per 24 h: 250, 2000, 10000, 100000, unlimited',
      d.messagingTier,
    )
    .option(
      '--window-error-mode <mode>',
      '131047 outside the 24 h window: sync (error) or async (failed status)',
      d.windowErrorMode,
    )
    .option(
      '--seed <n>',
      'seed of the content (status delays, template reviews, inbound content); ids stay fresh per start',
      String(d.seed),
    )
    .option(
      '--reproducible-ids',
      'draw message, template and media ids from --seed too (same ids every start)',
    )
    .option(
      '--status-batch <n|auto>',
      `statuses per webhook: 1 = always one (as Meta usually sends), n = up to n collected for 50 ms, auto = one each up to ${AUTO_ABOVE} statuses/s, up to ${AUTO_STATUS_BATCH} above`,
      String(d.statusBatch),
    )
    .option('--verify-webhook', 'run the hub.challenge handshake against --webhook-url after starting')
    .option(
      '--journal-capacity <n>',
      'journal entries kept in memory (default 200000; a k6 run `wacrm collect` grades needs some 3–5 per flow)',
    )
    .action(async (raw: RawFlags, cmd: Command) => {
      // WACRM_* variables stand in for a flag left at its default (the same names as `wacrm run`).
      for (const key of ['accessToken', 'appSecret', 'verifyToken'] as const) {
        if (cmd.getOptionValueSource(key) === 'default') raw[key] = credentialFromEnv(key, io.env, raw[key]);
      }
      const clock = new RealClock();
      const settings = resolveMockWhatsAppFlags(raw, clock.nowMs());
      const app = buildWhatsAppMock({ ...settings.options, clock });
      let address: string;
      try {
        address = await app.listen({ host: settings.host, port: settings.port });
      } catch (err) {
        await app.close().catch(() => undefined);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') {
          throw new WacrmError(
            'WACRM_PORT_IN_USE',
            `port ${settings.port} on ${settings.host} is already in use`,
            'pick another with --port, or --port 0 for a free one',
          );
        }
        throw usage(`cannot listen on ${settings.host}:${settings.port}: ${code ?? String(err)}`);
      }
      const o = settings.options;
      const base = address.replace('://[::1]', '://localhost');
      io.out(`wacrm mock whatsapp listening on ${base}`);
      io.out(`  send endpoint:     ${base}/${o.apiVersion}/${o.phoneNumberId}/messages`);
      io.out(`  templates:         ${base}/${o.apiVersion}/${o.wabaId}/message_templates`);
      io.out(`  access token:      ${o.accessToken}`);
      io.out(`  app secret:        ${o.appSecret}`);
      io.out(`  verify token:      ${o.verifyToken}`);
      io.out(`  phone number id:   ${o.phoneNumberId} (display ${o.displayPhoneNumber})`);
      io.out(`  WABA id:           ${o.wabaId}`);
      io.out(
        `  webhook URL:       ${o.webhookUrl ?? '(none: webhooks are held until PUT /_mock/webhook sets one)'}`,
      );
      io.out(`  error profile:     ${o.errorProfile}`);
      io.out(
        `  throughput:        ${o.throughputPerSec} msg/s; messaging tier ${o.messagingTier}; 131047 ${o.windowErrorMode}`,
      );
      const batch = o.webhook?.statusBatch ?? 'auto';
      io.out(
        `  seed:              ${o.seed} (ids ${o.reproducibleIds ? 'from the seed' : 'fresh per start'}); statuses per webhook: ${batch === 'auto' ? `one each, batched above ${AUTO_ABOVE}/s` : `up to ${batch}`}`,
      );
      io.out(
        `  faults:            ${settings.faultSpecs.length === 0 ? '(none)' : settings.faultSpecs.join(', ')}`,
      );
      io.out(`  admin API:         ${base}/_mock/health   metrics: ${base}/metrics`);
      if (settings.verifyWebhook) {
        const r = await app.whatsapp.verifyWebhook();
        io.out(
          r.ok
            ? '  webhook verify:    ok (hub.challenge echoed)'
            : `  webhook verify:    FAILED: ${r.error ?? 'unknown'}${r.statusCode === undefined ? '' : ` (HTTP ${r.statusCode})`}`,
        );
      }
      io.out('Press Ctrl+C to stop.');
      await new Promise<void>((resolve) => {
        io.onStop((signal) => {
          io.out(`wacrm mock whatsapp: ${signal}, stopping`);
          app
            .close()
            .catch(() => undefined)
            .finally(resolve);
        });
      });
    });
}
