import type { Command } from 'commander';
import { RealClock } from '../../kernel/clock.js';
import { WacrmError } from '../errors.js';
import { MOCK_DEFAULT_CREDENTIALS, startStack } from '../run/stack.js';
import {
  addCredentialOptions,
  type CredentialFlags,
  credentialsFromFlags,
  renderEnvFile,
} from './credentials.js';
import type { Io } from './io.js';
import { CRM_DIALECT_HELP, crmDialectFlag } from './mock-crm.js';

interface UpFlags extends CredentialFlags {
  printEnv?: boolean;
  host: string;
  whatsappPort: string;
  crmPort: string;
  crmDialect: string;
  fault: string[];
  seed: string;
}

function port(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535)
    throw new WacrmError('WACRM_USAGE', `${flag} must be a port 0–65535, got ${JSON.stringify(text)}`);
  return n;
}

/** `wacrm up`: both mocks and the reference connector, wired together, for exploring by hand. */
export function registerUpCommand(program: Command, io: Io): void {
  const cmd = program
    .command('up')
    .description('start both mocks and the reference connector, wired together, until Ctrl-C')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--whatsapp-port <port>', 'port of the WhatsApp mock (0 = any free port)', '4010')
    .option('--crm-port <port>', 'port of the CRM mock (0 = any free port)', '4020')
    .option('--crm-dialect <name>', CRM_DIALECT_HELP, 'native')
    .option(
      '--fault <switch>',
      'reference connector fault switch (repeatable; for demos of a bad connector)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--seed <n>', 'seed of the mocks’ randomness', '1')
    .option(
      '--print-env',
      'print the .env an external connector is configured from (what `wacrm run|conformance --connector-url` use) and exit',
    );
  addCredentialOptions(cmd, 'default: fresh per start; with --print-env the mocks’ documented one');
  cmd
    .addHelpText(
      'after',
      '\nThe credentials are generated per start and printed so you can call the mocks yourself, e.g.\n' +
        '  curl -H "Authorization: Bearer <access token>" <whatsapp>/v23.0/<waba id>/message_templates\n' +
        '  curl -X POST <whatsapp>/_mock/inbound -d \'{"from":"16505551234","type":"text","text":{"body":"where is my order?"}}\' -H content-type:application/json',
    )
    .action(async (flags: UpFlags) => {
      const seed = Number(flags.seed);
      if (!Number.isSafeInteger(seed) || seed < 0)
        throw new WacrmError('WACRM_USAGE', `--seed must be a whole number, got ${flags.seed}`);
      const credentials = credentialsFromFlags(flags, io.env);
      const whatsappPort = port('--whatsapp-port', flags.whatsappPort);
      const crmPort = port('--crm-port', flags.crmPort);
      const crmDialect = crmDialectFlag(
        '--crm-dialect',
        flags.crmDialect,
        'run `wacrm up --help` for the flags',
      );
      if (flags.printEnv) {
        // The wiring of an external connector: documented defaults unless given, nothing started.
        const env = renderEnvFile({
          whatsappUrl: `http://${flags.host}:${whatsappPort}`,
          crmUrl: `http://${flags.host}:${crmPort}`,
          credentials: { ...MOCK_DEFAULT_CREDENTIALS, ...credentials },
          crmDialect,
        });
        for (const line of env.trimEnd().split('\n')) io.out(line);
        return;
      }
      const stack = await startStack({
        credentials,
        clock: new RealClock(),
        seed,
        host: flags.host,
        whatsappPort,
        crmPort,
        connector: { kind: 'reference', faults: flags.fault, args: [] },
        ...(crmDialect === 'hubspot' ? { crm: { dialect: 'hubspot' as const } } : {}),
      });
      const c = stack.credentials;
      io.out('wacrm up: mocks and reference connector are running');
      io.out(`  WhatsApp mock   ${stack.whatsappUrl}   (Graph API v23.0, admin under /_mock/, /metrics)`);
      io.out(
        stack.crmDialect === 'hubspot'
          ? `  CRM mock        ${stack.crmApiUrl}   (HubSpot CRM v3/v4 under /crm/, docs/crm-hubspot.md; admin under /_mock/, /metrics)`
          : `  CRM mock        ${stack.crmApiUrl}   (admin under /_mock/, /metrics)`,
      );
      io.out(
        `  connector       ${stack.connectorUrl}   (pid ${stack.connector?.pid ?? '?'}; /healthz, /stats)`,
      );
      io.out(
        `  webhook check   ${stack.handshake.ok ? 'ok' : `refused (HTTP ${stack.handshake.statusCode ?? '?'})`}`,
      );
      io.out('  mock credentials (generated for this start):');
      io.out(`    access token ${c.accessToken}`);
      io.out(`    phone number id ${c.phoneNumberId}, WABA id ${c.wabaId}`);
      io.out(
        stack.crmDialect === 'hubspot'
          ? `    HubSpot private-app token ${c.crmToken}, client secret ${c.crmWebhookSecret}`
          : `    CRM token ${c.crmToken}`,
      );
      io.out('Press Ctrl-C to stop all three.');
      await new Promise<void>((resolve) => {
        stack.connector?.onExit((code, signal) => {
          io.err(`the connector exited (code ${code}, signal ${signal}); stopping`);
          resolve();
        });
        io.onStop(() => resolve());
      });
      io.out('stopping…');
      await stack.close();
      io.out('stopped');
    });
}
