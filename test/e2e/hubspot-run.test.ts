import { describe, expect, it } from 'vitest';
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
    expect(band(sheet, 'sync_latency_p95_s')).toBe('best');
    expect(band(sheet, 'record_completeness')).toBe('best');
    for (const key of ['tag_accuracy', 'handover_accuracy', 'consent_violations', 'content_accuracy'])
      expect(check(sheet, key), key).toBe(true);
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
    expect(check(noTags.sheet, 'handover_accuracy')).toBe(true);
    expect(noTags.sheet.exitCode).toBe(1);

    const noHandover = await run('hubspot-no-handover', ['no-handover'], sync);
    expect(noHandover.result.valid).toBe(true);
    expect(check(noHandover.sheet, 'handover_accuracy')).toBe(false);
    expect(check(noHandover.sheet, 'tag_accuracy')).toBe(true);
    expect(noHandover.sheet.exitCode).toBe(1);
  }, 150_000);
});
