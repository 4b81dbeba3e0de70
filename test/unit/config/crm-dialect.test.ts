import { describe, expect, it } from 'vitest';
import { CRM_DIALECTS } from '../../../mocks/crm/dialects/types.js';
import { formatIssue, parseScenarioText } from '../../../src/config/index.js';
import { CRM_DIALECT_NAMES } from '../../../src/config/schema.js';
import { crmBudgetArgs, crmMockOptions } from '../../../src/run/crm-options.js';

const SUITE = 'suites:\n  - kind: template-delivery\n';

function parse(crm: string) {
  return parseScenarioText(`name: t\nmocks:\n  crm:\n${crm}\n${SUITE}`, 's.yaml');
}

describe('mocks.crm.dialect', () => {
  it('names the dialects the CRM mock has', () => {
    expect([...CRM_DIALECT_NAMES]).toEqual([...CRM_DIALECTS]);
  });

  it('defaults to native, and native keeps the plan limit and --crm-rate-per-min', () => {
    const out = parseScenarioText(`name: t\n${SUITE}`, 's.yaml');
    if (!out.ok) throw new Error(out.issues.map(formatIssue).join('\n'));
    expect(out.value.mocks.crm.dialect).toBe('native');
    expect(crmMockOptions(out.value.mocks.crm)).toMatchObject({ plan: 'enterprise' });
    expect(crmMockOptions(out.value.mocks.crm).dialect).toBeUndefined();
    expect(crmBudgetArgs(out.value.mocks.crm)).toEqual(['--crm-rate-per-min', '1500']);
  });

  it('hubspot: the tier sets the limits the mock enforces and the connector paces to', () => {
    const out = parse('    dialect: hubspot\n    hubspot: { tier: starter }');
    if (!out.ok) throw new Error(out.issues.map(formatIssue).join('\n'));
    const crm = out.value.mocks.crm;
    expect(crm.hubspot).toEqual({ tier: 'starter', perTenSeconds: 100, perDay: 250_000, searchPerSecond: 5 });
    expect(crmMockOptions(crm)).toMatchObject({
      dialect: 'hubspot',
      dialectOptions: { hubspot: { tier: 'starter', limits: { perTenSeconds: 100, searchPerSecond: 5 } } },
    });
    expect(crmBudgetArgs(crm)).toEqual([
      '--hubspot-per-10s',
      '100',
      '--hubspot-per-day',
      '250000',
      '--hubspot-search-per-sec',
      '5',
    ]);
    const raised = parse('    dialect: hubspot\n    hubspot: { perTenSeconds: 5000 }');
    if (!raised.ok) throw new Error('expected valid');
    expect(raised.value.mocks.crm.hubspot).toMatchObject({ tier: 'professional', perTenSeconds: 5000 });
  });

  it('refuses a HubSpot account for a native mock, and an unknown dialect or tier, with positions', () => {
    const a = parse('    hubspot: { tier: starter }');
    expect(a.ok).toBe(false);
    if (!a.ok)
      expect(a.issues.map(formatIssue).join('\n')).toMatch(
        /s\.yaml:4:\d+ .*hubspot.*only with dialect: hubspot/,
      );
    const b = parse('    dialect: salesforce');
    expect(b.ok).toBe(false);
    if (!b.ok) expect(b.issues.map(formatIssue).join('\n')).toMatch(/s\.yaml:4:\d+ .*dialect/);
    const c = parse('    dialect: hubspot\n    hubspot: { tier: gold }');
    expect(c.ok).toBe(false);
  });
});
