import { describe, expect, it } from 'vitest';
import { runConformanceSuite } from '../../src/conformance/index.js';
import { band, check, FAST_WHATSAPP, gradedRun } from './grading-runs.js';

// The HubSpot dialect end to end: the reference connector speaks HubSpot's CRM v3/v4 API to the
// CRM mock and takes its events as HubSpot app webhooks (v3-signed batched arrays). A correct
// connector grades best; each fault switch turns its graders to fail, as in the native dialect.

/** HubSpot enterprise with limits raised so HubSpot is not what a small fast run measures. */
const HUBSPOT = `
mocks:${FAST_WHATSAPP}
  crm:
    dialect: hubspot
    hubspot: { tier: enterprise, perTenSeconds: 20000, searchPerSecond: 500 }
    contacts: 50
`;

/** A check's evidence, for the message of a failed expectation. */
function evidence(result: { checks: Array<{ key: string; evidence?: string }> }, key: string): string {
  return `${key}: ${result.checks.find((c) => c.key === key)?.evidence ?? 'not measured'}`;
}

const run = (name: string, faults: string[], suites: string) => gradedRun(name, faults, suites, HUBSPOT);

describe('wacrm run against the HubSpot dialect', () => {
  it('grades the reference connector best on delivery, latency and completeness', async () => {
    const { result, sheet } = await run(
      'hubspot-good',
      [],
      `
  - { kind: template-delivery, templates: 5, sendsPerTemplate: 20, rate: 3000/min, deadline: 8s }
  - { kind: conversation-sync, messages: 100, conversations: 40, rate: 3000/min, deadline: 8s }
`,
    );
    expect(result.valid).toBe(true);
    expect(band(sheet, 'template_delivery_rate')).toBe('best');
    // Latency is graded best on an idle machine (0.03–0.7 s); under a shared CI load it may be one band lower.
    expect(['best', 'average']).toContain(band(sheet, 'sync_latency_p95_s'));
    expect(band(sheet, 'record_completeness')).toBe('best');
    for (const key of ['tag_accuracy', 'handover_accuracy', 'consent_violations', 'content_accuracy'])
      expect(check(sheet, key), evidence(result, key)).toBe(true);
    expect(sheet.exitCode).toBe(0);
  }, 90_000);

  it('drop, no-tags and no-handover each fail their graders', async () => {
    const { sheet, result } = await run(
      'hubspot-drops',
      ['drop-outbound=0.05', 'drop-inbound=0.05'],
      `
  - { kind: template-delivery, templates: 5, sendsPerTemplate: 30, rate: 3000/min, deadline: 8s }
  - { kind: conversation-sync, messages: 150, conversations: 60, rate: 3000/min, deadline: 8s }
`,
    );
    expect(result.valid).toBe(true);
    expect(band(sheet, 'template_delivery_rate')).toBe('fail');
    expect(band(sheet, 'record_completeness')).toBe('fail');
    expect(sheet.exitCode).toBe(1);

    const sync = `
  - { kind: conversation-sync, messages: 80, conversations: 40, rate: 3000/min, deadline: 3s }
`;
    const noTags = await run('hubspot-no-tags', ['no-tags'], sync);
    expect(noTags.result.valid).toBe(true);
    expect(check(noTags.sheet, 'tag_accuracy')).toBe(false);
    expect(check(noTags.sheet, 'handover_accuracy'), evidence(noTags.result, 'handover_accuracy')).toBe(true);
    expect(noTags.sheet.exitCode).toBe(1);

    const noHandover = await run('hubspot-no-handover', ['no-handover'], sync);
    expect(noHandover.result.valid).toBe(true);
    expect(check(noHandover.sheet, 'handover_accuracy')).toBe(false);
    expect(check(noHandover.sheet, 'tag_accuracy'), evidence(noHandover.result, 'tag_accuracy')).toBe(true);
    expect(noHandover.sheet.exitCode).toBe(1);
  }, 150_000);

  it('ignore-consent fails the consent check: HubSpot events carry the consent the connector must read', async () => {
    // The same plan as the native grader test: 16 of the 32 marketing sends go to contacts whose
    // consent (hs_legal_basis / wa_opt_out in HubSpot's terms) forbids them.
    const { sheet, result } = await run(
      'hubspot-ignore-consent',
      ['ignore-consent'],
      `
  - { kind: template-delivery, templates: 5, sendsPerTemplate: 16, rate: 3000/min, deadline: 8s }
`,
    );
    expect(result.valid, result.invalidReasons.join('; ')).toBe(true);
    const consent = result.checks.find((c) => c.key === 'consent_violations');
    expect(consent?.value, evidence(result, 'consent_violations')).toBe(16);
    expect(check(sheet, 'consent_violations')).toBe(false);
    expect(check(sheet, 'content_accuracy'), evidence(result, 'content_accuracy')).toBe(true);
    expect(sheet.exitCode).toBe(1);
  }, 60_000);

  it('ignore-retry-after fails the 429 case against HubSpot 429s, which the correct connector passes', async () => {
    // HubSpot's 429 carries no Retry-After: TEN_SECONDLY_ROLLING in the body and an exhausted
    // X-HubSpot-RateLimit-Remaining say to wait; the correct connector waits, the faulty one does not.
    const only = ['crm-retry-after-honoured'];
    const good = await runConformanceSuite({ connector: { kind: 'reference' }, only, crmDialect: 'hubspot' });
    expect(good.valid).toBe(true);
    expect(good.cases[0]?.passed, good.cases[0]?.evidence).toBe(true);
    const bad = await runConformanceSuite({
      connector: { kind: 'reference', faults: ['ignore-retry-after'] },
      only,
      crmDialect: 'hubspot',
    });
    expect(bad.valid).toBe(true);
    expect(bad.cases[0]?.passed, bad.cases[0]?.evidence).toBe(false);
    expect(bad.cases[0]?.evidence).toMatch(/came before/);
  }, 90_000);

  it("crm-plan-rate-respected holds the connector to HubSpot's 10 s limit: paced passes, over-budget fails", async () => {
    const only = ['crm-plan-rate-respected'];
    const good = await runConformanceSuite({ connector: { kind: 'reference' }, only, crmDialect: 'hubspot' });
    expect(good.valid).toBe(true);
    expect(good.cases[0]?.passed, good.cases[0]?.evidence).toBe(true);
    expect(good.cases[0]?.evidence).toMatch(/HubSpot app, 100 requests per 10 s/);
    // Paced for three times the tier's budget, and deaf to HubSpot's rate-limit headers and 429s,
    // the connector runs into the limit. (Paced too fast alone, it still stops at
    // X-HubSpot-RateLimit-Remaining: 0, as a correct client does.)
    const bad = await runConformanceSuite({
      connector: { kind: 'reference', faults: ['ignore-retry-after'], args: ['--hubspot-per-10s', '300'] },
      only,
      crmDialect: 'hubspot',
    });
    expect(bad.valid).toBe(true);
    expect(bad.cases[0]?.passed, bad.cases[0]?.evidence).toBe(false);
  }, 120_000);
});
