import type { Command } from 'commander';
import { WacrmError } from '../errors.js';
import { MOCK_DEFAULT_CREDENTIALS, type Stack, type StackCredentials } from '../run/stack.js';

/** The secrets a connector is wired with, as flags and WACRM_* variables (one table for every command). */
export const CREDENTIAL_FLAGS = [
  {
    key: 'accessToken',
    flag: '--access-token',
    env: 'WACRM_ACCESS_TOKEN',
    what: 'Graph bearer token the connector sends',
  },
  {
    key: 'appSecret',
    flag: '--app-secret',
    env: 'WACRM_APP_SECRET',
    what: 'app secret that signs WhatsApp webhooks (X-Hub-Signature-256)',
  },
  {
    key: 'verifyToken',
    flag: '--verify-token',
    env: 'WACRM_VERIFY_TOKEN',
    what: 'hub.verify_token of the webhook handshake',
  },
  {
    key: 'crmToken',
    flag: '--crm-token',
    env: 'WACRM_CRM_TOKEN',
    what: 'CRM bearer token the connector sends',
  },
  {
    key: 'crmWebhookSecret',
    flag: '--crm-webhook-secret',
    env: 'WACRM_CRM_WEBHOOK_SECRET',
    what: 'secret that signs CRM events (X-CRM-Signature)',
  },
] as const satisfies ReadonlyArray<{
  key: keyof StackCredentials;
  flag: string;
  env: string;
  what: string;
}>;

/** The raw credential flags as commander hands them over. */
export type CredentialFlags = Partial<Record<(typeof CREDENTIAL_FLAGS)[number]['key'], string>>;

/** Adds the five credential flags to a command (`wacrm run`, `up`, `conformance`, `certify`). */
export function addCredentialOptions(cmd: Command, note: string): Command {
  for (const c of CREDENTIAL_FLAGS) {
    const value = /secret/i.test(c.key) ? '<secret>' : '<token>';
    cmd.option(`${c.flag} ${value}`, `${c.what} (env ${c.env}; ${note})`);
  }
  return cmd;
}

function checked(flag: string, source: string, text: string): string {
  if (!/^\S{1,512}$/.test(text)) {
    throw new WacrmError(
      'WACRM_USAGE',
      `${flag} (from ${source}) must be 1-512 characters without spaces`,
      'docs/testing-your-connector.md lists the credentials and their defaults',
    );
  }
  return text;
}

/**
 * The credentials given on the command line or in WACRM_* variables (a flag beats its variable);
 * the ones not given are left out so the stack's defaults apply.
 */
export function credentialsFromFlags(
  raw: CredentialFlags,
  env: Readonly<Record<string, string | undefined>>,
): Partial<StackCredentials> {
  const given: Partial<StackCredentials> = {};
  for (const c of CREDENTIAL_FLAGS) {
    const flagValue = raw[c.key];
    const envValue = env[c.env];
    if (flagValue !== undefined) given[c.key] = checked(c.flag, 'the flag', flagValue);
    else if (envValue !== undefined && envValue !== '') given[c.key] = checked(c.flag, c.env, envValue);
  }
  return given;
}

/**
 * The credentials a run is wired with, by precedence: a flag, then its WACRM_* variable, then the
 * scenario's `connector.credentials` (already read from the variables it names); the ones still
 * missing are left to the stack's defaults (documented for an external connector, random for the
 * reference one).
 */
export function credentialsFor(
  raw: CredentialFlags,
  env: Readonly<Record<string, string | undefined>>,
  fromScenario: Partial<StackCredentials>,
): Partial<StackCredentials> {
  return { ...fromScenario, ...credentialsFromFlags(raw, env) };
}

/** A credential's value from its WACRM_* variable, else `fallback` (the mock CLIs' defaults). */
export function credentialFromEnv(
  key: (typeof CREDENTIAL_FLAGS)[number]['key'],
  env: Readonly<Record<string, string | undefined>>,
  fallback: string,
): string {
  const c = CREDENTIAL_FLAGS.find((f) => f.key === key);
  const v = c ? env[c.env] : undefined;
  return v !== undefined && v !== '' ? checked(c?.flag ?? key, c?.env ?? key, v) : fallback;
}

/** The documented defaults an external connector is configured with once (docs/testing-your-connector.md). */
export const EXTERNAL_DEFAULTS: StackCredentials = MOCK_DEFAULT_CREDENTIALS;

/**
 * The `.env` a connector is configured from by copy: the mocks' base URLs, the credentials and the
 * connector's own webhook URLs. Secrets are printed on purpose: they are mock credentials. With the
 * HubSpot dialect the CRM lines are the ones a HubSpot integration reads (docs/crm-hubspot.md).
 */
export function renderEnvFile(
  stack: Pick<Stack, 'whatsappUrl' | 'crmUrl' | 'credentials'> & Partial<Pick<Stack, 'crmDialect'>>,
): string {
  const c = stack.credentials;
  const lines = [
    '# wacrm mocks: configure your connector with these (docs/testing-your-connector.md)',
    `WHATSAPP_BASE_URL=${stack.whatsappUrl}`,
    'WHATSAPP_API_VERSION=v23.0',
    `WHATSAPP_PHONE_NUMBER_ID=${c.phoneNumberId}`,
    `WHATSAPP_WABA_ID=${c.wabaId}`,
    `WHATSAPP_ACCESS_TOKEN=${c.accessToken}`,
    `WHATSAPP_APP_SECRET=${c.appSecret}`,
    `WHATSAPP_VERIFY_TOKEN=${c.verifyToken}`,
  ];
  if (stack.crmDialect === 'hubspot') {
    lines.push(
      '# HubSpot dialect: the SDK basePath (no path), a private-app token, the app client secret (X-HubSpot-Signature-v3)',
      `HUBSPOT_BASE_URL=${stack.crmUrl}`,
      `HUBSPOT_ACCESS_TOKEN=${c.crmToken}`,
      `HUBSPOT_CLIENT_SECRET=${c.crmWebhookSecret}`,
    );
  } else {
    lines.push(
      `CRM_BASE_URL=${stack.crmUrl}/api/v1`,
      `CRM_TOKEN=${c.crmToken}`,
      `CRM_WEBHOOK_SECRET=${c.crmWebhookSecret}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
