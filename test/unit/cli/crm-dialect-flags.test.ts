import { describe, expect, it } from 'vitest';
import { parseConformanceFlags } from '../../../src/cli/conformance.js';
import { addMockCrmCommand } from '../../../src/cli/mock-crm.js';
import { registerUpCommand } from '../../../src/cli/up.js';
import { runCommand } from './run-command.js';

// `wacrm mock crm --dialect`, `wacrm up --crm-dialect` and `wacrm conformance --crm-dialect` take
// the same names and refuse the same way.

const conformance = {
  whatsappWebhookPath: '/webhooks/whatsapp',
  crmWebhookPath: '/webhooks/crm',
  crmPlan: 'enterprise',
  only: [] as string[],
  skip: [] as string[],
  fault: [] as string[],
  seed: '1',
};

describe('choosing the CRM dialect on the command line', () => {
  it('wacrm up --print-env --crm-dialect hubspot prints the HubSpot wiring (base URL without a path, token, client secret)', async () => {
    const r = await runCommand(registerUpCommand, ['up', '--print-env', '--crm-dialect', 'hubspot']);
    expect(r.exitCode).toBe(0);
    expect(r.out).toContain('HUBSPOT_BASE_URL=http://127.0.0.1:4020');
    expect(r.out).toContain('HUBSPOT_ACCESS_TOKEN=wacrm-crm-token');
    expect(r.out).toContain('HUBSPOT_CLIENT_SECRET=wacrm-crm-secret');
    expect(r.out.some((l) => l.startsWith('CRM_BASE_URL='))).toBe(false);
    const native = await runCommand(registerUpCommand, ['up', '--print-env']);
    expect(native.out).toContain('CRM_BASE_URL=http://127.0.0.1:4020/api/v1');
  });

  it('refuses an unknown dialect in up, conformance and mock crm with the same usage error', async () => {
    const up = await runCommand(registerUpCommand, ['up', '--print-env', '--crm-dialect', 'salesforce']);
    expect(up.exitCode).toBe(2);
    expect(up.error?.message).toBe('--crm-dialect: must be native or hubspot, got "salesforce"');
    const mock = await runCommand(
      (p, io) => addMockCrmCommand(p.command('mock'), io),
      ['mock', 'crm', '--dialect', 'salesforce', '--port', '0'],
    );
    expect(mock.exitCode).toBe(2);
    expect(mock.error?.message).toBe('--dialect: must be native or hubspot, got "salesforce"');
    expect(() => parseConformanceFlags({ ...conformance, crmDialect: 'salesforce' })).toThrow(
      '--crm-dialect: must be native or hubspot, got "salesforce"',
    );
  });

  it('wacrm conformance --crm-dialect hubspot runs against HubSpot and leaves out the native plan case', () => {
    const s = parseConformanceFlags({ ...conformance, crmDialect: 'hubspot' });
    expect(s.crmDialect).toBe('hubspot');
    expect(s.skip).toEqual(['crm-plan-rate-respected']);
    // Asked for by name, it stays asked for (and the runner refuses it with a usage error).
    const asked = parseConformanceFlags({
      ...conformance,
      crmDialect: 'hubspot',
      only: ['crm-plan-rate-respected'],
    });
    expect(asked.skip).toEqual([]);
    const native = parseConformanceFlags(conformance);
    expect(native.crmDialect).toBe('native');
    expect(native.skip).toEqual([]);
  });
});
