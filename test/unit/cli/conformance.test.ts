import { describe, expect, it } from 'vitest';
import { parseConformanceFlags } from '../../../src/cli/conformance.js';
import { WacrmError } from '../../../src/errors.js';

const base = {
  whatsappWebhookPath: '/webhooks/whatsapp',
  crmWebhookPath: '/webhooks/crm',
  crmPlan: 'enterprise',
  only: [] as string[],
  skip: [] as string[],
  fault: [] as string[],
  seed: '1',
};

function usageError(fn: () => unknown): WacrmError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WacrmError);
    expect((err as WacrmError).exitCode).toBe(2);
    return err as WacrmError;
  }
  throw new Error('expected a usage error');
}

describe('parseConformanceFlags', () => {
  it('tests the reference connector on free ports with fresh secrets by default', () => {
    const s = parseConformanceFlags({ ...base, fault: ['no-dedupe'] });
    expect(s.connector).toEqual({ kind: 'reference', faults: ['no-dedupe'] });
    expect(s.whatsappPort).toBe(0);
    expect(s.crmPort).toBe(0);
    expect(s.credentials).toEqual({});
    expect(s.crmPlan).toBe('enterprise');
  });

  it('gives an external connector the mock CLIs’ ports and credentials unless told otherwise', () => {
    const s = parseConformanceFlags({ ...base, connectorUrl: 'http://127.0.0.1:4030', appSecret: 'mine' });
    expect(s.connector).toEqual({
      kind: 'external',
      url: 'http://127.0.0.1:4030',
      whatsappWebhookPath: '/webhooks/whatsapp',
      crmWebhookPath: '/webhooks/crm',
    });
    expect(s.whatsappPort).toBe(4010);
    expect(s.crmPort).toBe(4020);
    // Only what was given: the stack fills the rest with the mocks' documented defaults.
    expect(s.credentials).toEqual({ appSecret: 'mine' });
  });

  it('splits --only and --skip lists and checks the ids', () => {
    const s = parseConformanceFlags({
      ...base,
      only: ['verify-handshake, signature-missing', 'ack-within-200ms'],
      skip: ['ack-within-200ms'],
    });
    expect(s.only).toEqual(['verify-handshake', 'signature-missing', 'ack-within-200ms']);
    expect(s.skip).toEqual(['ack-within-200ms']);
    expect(
      usageError(() => parseConformanceFlags({ ...base, only: ['verify-handshake,typo-case'] })).message,
    ).toContain('typo-case');
  });

  it('refuses bad values with a usage error naming the flag', () => {
    expect(usageError(() => parseConformanceFlags({ ...base, connectorUrl: 'not a url' })).message).toContain(
      '--connector-url',
    );
    expect(
      usageError(() => parseConformanceFlags({ ...base, connectorUrl: 'http://x', fault: ['no-retry'] }))
        .message,
    ).toContain('--fault');
    expect(usageError(() => parseConformanceFlags({ ...base, crmPlan: 'gold' })).message).toContain(
      '--crm-plan',
    );
    expect(usageError(() => parseConformanceFlags({ ...base, seed: '-1' })).message).toContain('--seed');
    expect(usageError(() => parseConformanceFlags({ ...base, crmPort: '99999' })).message).toContain(
      '--crm-port',
    );
    expect(usageError(() => parseConformanceFlags({ ...base, appSecret: 'has space' })).message).toContain(
      '--app-secret',
    );
    expect(
      usageError(() =>
        parseConformanceFlags({ ...base, connectorUrl: 'http://x', whatsappWebhookPath: 'no-slash' }),
      ).message,
    ).toContain('--whatsapp-webhook-path');
    expect(
      usageError(() =>
        parseConformanceFlags({ ...base, only: ['verify-handshake'], skip: ['verify-handshake'] }),
      ).message,
    ).toMatch(/no case/);
  });

  it('wacrm conformance --crm-dialect hubspot runs every case against HubSpot', () => {
    const s = parseConformanceFlags({ ...base, crmDialect: 'hubspot' });
    expect(s.crmDialect).toBe('hubspot');
    // The plan-rate case runs too, against HubSpot's rolling 10 s limit.
    expect(s.skip).toEqual([]);
    expect(usageError(() => parseConformanceFlags({ ...base, crmDialect: 'salesforce' })).message).toBe(
      '--crm-dialect: must be native or hubspot, got "salesforce"',
    );
    const native = parseConformanceFlags(base);
    expect(native.crmDialect).toBe('native');
    expect(native.skip).toEqual([]);
  });
});
