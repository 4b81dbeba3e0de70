import { describe, expect, it } from 'vitest';
import { addMockCrmCommand } from '../../../src/cli/mock-crm.js';
import { registerUpCommand } from '../../../src/cli/up.js';
import { runCommand } from './run-command.js';

// `wacrm mock crm --dialect` and `wacrm up --crm-dialect` (like `wacrm conformance --crm-dialect`)
// take the same names and refuse the same way.

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

  it('refuses an unknown dialect in up and mock crm with the same usage error', async () => {
    const up = await runCommand(registerUpCommand, ['up', '--print-env', '--crm-dialect', 'salesforce']);
    expect(up.exitCode).toBe(2);
    expect(up.error?.message).toBe('--crm-dialect: must be native or hubspot, got "salesforce"');
    const mock = await runCommand(
      (p, io) => addMockCrmCommand(p.command('mock'), io),
      ['mock', 'crm', '--dialect', 'salesforce', '--port', '0'],
    );
    expect(mock.exitCode).toBe(2);
    expect(mock.error?.message).toBe('--dialect: must be native or hubspot, got "salesforce"');
    // wacrm conformance: test/unit/cli/conformance.test.ts.
  });
});
