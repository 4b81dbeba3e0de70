import { describe, expect, it } from 'vitest';
import { MOCK_CRM_CREDENTIAL_DEFAULTS } from '../../../src/cli/conformance.js';
import {
  credentialFromEnv,
  credentialsFor,
  credentialsFromFlags,
  renderEnvFile,
} from '../../../src/cli/credentials.js';
import { MOCK_WHATSAPP_DEFAULTS } from '../../../src/cli/mock-whatsapp.js';
import type { WacrmError } from '../../../src/errors.js';
import { MOCK_DEFAULT_CREDENTIALS } from '../../../src/run/stack.js';

describe('credential flags and WACRM_* variables', () => {
  it('takes a flag over its variable and leaves the rest to the stack', () => {
    const got = credentialsFromFlags(
      { appSecret: 'flag-secret' },
      { WACRM_APP_SECRET: 'env-secret', WACRM_CRM_TOKEN: 'env-token', WACRM_VERIFY_TOKEN: '' },
    );
    expect(got).toEqual({ appSecret: 'flag-secret', crmToken: 'env-token' });
  });

  it('refuses a value with spaces, naming where it came from', () => {
    expect(() => credentialsFromFlags({}, { WACRM_ACCESS_TOKEN: 'has space' })).toThrow(
      /--access-token \(from WACRM_ACCESS_TOKEN\)/,
    );
    try {
      credentialsFromFlags({ crmToken: '' }, {});
      expect.unreachable();
    } catch (err) {
      expect((err as WacrmError).code).toBe('WACRM_USAGE');
    }
  });

  it('lets a variable stand in for a mock command default', () => {
    expect(credentialFromEnv('crmToken', { WACRM_CRM_TOKEN: 'x1' }, 'dflt')).toBe('x1');
    expect(credentialFromEnv('crmToken', {}, 'dflt')).toBe('dflt');
  });

  it('keeps the mock commands and the external default on one set of credentials', () => {
    expect(MOCK_WHATSAPP_DEFAULTS.accessToken).toBe(MOCK_DEFAULT_CREDENTIALS.accessToken);
    expect(MOCK_WHATSAPP_DEFAULTS.wabaId).toBe(MOCK_DEFAULT_CREDENTIALS.wabaId);
    expect(MOCK_CRM_CREDENTIAL_DEFAULTS.token).toBe(MOCK_DEFAULT_CREDENTIALS.crmToken);
  });

  it('renders an .env a connector reads by copy', () => {
    const env = renderEnvFile({
      whatsappUrl: 'http://127.0.0.1:4010',
      crmUrl: 'http://127.0.0.1:4020',
      credentials: MOCK_DEFAULT_CREDENTIALS,
    });
    expect(env).toContain('WHATSAPP_BASE_URL=http://127.0.0.1:4010\n');
    expect(env).toContain('CRM_BASE_URL=http://127.0.0.1:4020/api/v1\n');
    expect(env).toContain(`WHATSAPP_APP_SECRET=${MOCK_DEFAULT_CREDENTIALS.appSecret}\n`);
    expect(env).toContain(`CRM_WEBHOOK_SECRET=${MOCK_DEFAULT_CREDENTIALS.crmWebhookSecret}\n`);
  });
});

describe('credential precedence', () => {
  it('takes flags over WACRM_* variables over the scenario section, leaving the rest to the defaults', () => {
    const got = credentialsFor(
      { accessToken: 'from-flag' },
      { WACRM_ACCESS_TOKEN: 'from-env', WACRM_APP_SECRET: 'env-secret' },
      { accessToken: 'scn-token', appSecret: 'scn-secret', crmToken: 'scn-crm' },
    );
    expect(got).toEqual({ accessToken: 'from-flag', appSecret: 'env-secret', crmToken: 'scn-crm' });
  });
});
