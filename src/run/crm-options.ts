import type { CrmMockOptions } from '../../mocks/crm/index.js';
import type { Scenario } from '../config/schema.js';

/** A scenario's `mocks.crm`, as checked and resolved by the schema. */
type CrmScenario = Scenario['mocks']['crm'];

/** The CRM mock's options for a scenario's `mocks.crm`: its dialect and that dialect's limits, the seed. */
export function crmMockOptions(crm: CrmScenario): Partial<CrmMockOptions> {
  const seedContacts = { count: crm.contacts, dirtyShare: crm.dirtyShare };
  if (crm.dialect === 'hubspot') {
    return {
      dialect: 'hubspot',
      dialectOptions: {
        hubspot: {
          tier: crm.hubspot.tier,
          limits: { perTenSeconds: crm.hubspot.perTenSeconds, searchPerSecond: crm.hubspot.searchPerSecond },
        },
      },
      seedContacts,
    };
  }
  return { plan: crm.plan, planLimits: { [crm.plan]: crm.ratePerMin }, seedContacts };
}

/** The reference connector's CRM budget flags for the scenario's CRM limits (it paces itself below them). */
export function crmBudgetArgs(crm: CrmScenario): string[] {
  if (crm.dialect === 'hubspot') {
    return [
      '--hubspot-per-10s',
      String(crm.hubspot.perTenSeconds),
      '--hubspot-per-day',
      String(crm.hubspot.perDay),
      '--hubspot-search-per-sec',
      String(crm.hubspot.searchPerSecond),
    ];
  }
  return ['--crm-rate-per-min', String(crm.ratePerMin)];
}
