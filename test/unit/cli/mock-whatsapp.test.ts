import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MOCK_WHATSAPP_DEFAULTS,
  readFaultsFile,
  resolveMockWhatsAppFlags,
} from '../../../src/cli/mock-whatsapp.js';
import { WacrmError } from '../../../src/errors.js';
import { rawWhatsAppFlags } from './mock-whatsapp-flags.js';

const d = MOCK_WHATSAPP_DEFAULTS;
const raw = rawWhatsAppFlags;

function usageError(over: Record<string, unknown>): string {
  try {
    resolveMockWhatsAppFlags(raw(over) as Parameters<typeof resolveMockWhatsAppFlags>[0], 0);
  } catch (e) {
    expect(e).toBeInstanceOf(WacrmError);
    expect((e as WacrmError).code).toBe('WACRM_USAGE');
    expect((e as WacrmError).exitCode).toBe(2);
    return (e as WacrmError).message;
  }
  throw new Error('expected a usage error');
}

describe('wacrm mock whatsapp flags', () => {
  it('turns the defaults into mock options', () => {
    const s = resolveMockWhatsAppFlags(raw() as Parameters<typeof resolveMockWhatsAppFlags>[0], 0);
    expect(s).toMatchObject({ host: '127.0.0.1', port: 4010, verifyWebhook: false, faultSpecs: [] });
    expect(s.options).toMatchObject({
      accessToken: d.accessToken,
      phoneNumberId: d.phoneNumberId,
      throughputPerSec: 80,
      errorProfile: '2026',
      messagingTier: 'unlimited',
      windowErrorMode: 'async',
      seed: 1,
    });
    expect(s.options.webhookUrl).toBeUndefined();
    expect(s.options.webhook).toBeUndefined();
    expect(
      resolveMockWhatsAppFlags(
        raw({ statusBatch: '50' }) as Parameters<typeof resolveMockWhatsAppFlags>[0],
        0,
      ).options.webhook,
    ).toEqual({ statusBatch: 50 });
    expect(
      resolveMockWhatsAppFlags(
        raw({ statusBatch: 'auto' }) as Parameters<typeof resolveMockWhatsAppFlags>[0],
        0,
      ).options.webhook,
    ).toBeUndefined();
  });

  it('keeps ids fresh per start unless --reproducible-ids', () => {
    const flags = (over: Record<string, unknown>) =>
      resolveMockWhatsAppFlags(raw(over) as Parameters<typeof resolveMockWhatsAppFlags>[0], 0).options;
    expect(flags({}).reproducibleIds).toBe(false);
    expect(flags({ reproducibleIds: true })).toMatchObject({ reproducibleIds: true, seed: 1 });
    expect(flags({ reproducibleIds: true, seed: '9' })).toMatchObject({ reproducibleIds: true, seed: 9 });
  });

  it('parses faults, tiers and a webhook URL', () => {
    const s = resolveMockWhatsAppFlags(
      raw({
        fault: ['error=131000:0.05', 'outage=unavailable@10s+30s'],
        messagingTier: '250',
        webhookUrl: 'http://127.0.0.1:9/wa',
        port: '0',
      }) as Parameters<typeof resolveMockWhatsAppFlags>[0],
      1000,
    );
    expect(s.port).toBe(0);
    expect(s.options.messagingTier).toBe(250);
    expect(s.options.webhookUrl).toBe('http://127.0.0.1:9/wa');
    expect(s.options.faults?.[1]).toMatchObject({ kind: 'outage', startMs: 11_000, endMs: 41_000 });
    expect(s.faultSpecs).toEqual(['error=131000:0.05', 'outage=unavailable@10s+30s']);
  });

  it('names the bad flag in a one-line usage error', () => {
    expect(usageError({ port: 'abc' })).toBe('--port must be an integer from 0 to 65535, got "abc"');
    expect(usageError({ port: '70000' })).toMatch(/^--port /);
    expect(usageError({ throughput: '5000' })).toMatch(/^--throughput must be an integer from 1 to 1000/);
    expect(usageError({ errorProfile: '2025' })).toMatch(/^--error-profile /);
    expect(usageError({ messagingTier: '500' })).toMatch(/^--messaging-tier /);
    expect(usageError({ windowErrorMode: 'later' })).toMatch(/^--window-error-mode /);
    expect(usageError({ webhookUrl: 'ftp://x' })).toMatch(/^--webhook-url /);
    expect(usageError({ apiVersion: '23' })).toMatch(/^--api-version /);
    expect(usageError({ phoneNumberId: 'abc' })).toMatch(/^--phone-number-id /);
    expect(usageError({ accessToken: 'has space' })).toMatch(/^--access-token /);
    expect(usageError({ statusBatch: '0' })).toMatch(
      /^--status-batch must be auto or an integer from 1 to 1000/,
    );
    expect(usageError({ statusBatch: 'lots' })).toMatch(/^--status-batch must be auto or an integer/);
    expect(usageError({ fault: ['explode=1'] })).toMatch(/^--fault: invalid fault "explode=1"/);
    for (const m of [usageError({ port: 'x' }), usageError({ fault: ['latency=soon'] })])
      expect(m).not.toContain('\n');
  });

  it('reads faults files as YAML lists, {faults: [...]}, or lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wacrm-faults-'));
    const yamlList = join(dir, 'a.yaml');
    writeFileSync(yamlList, '- error=131000:0.05\n- webhook-delay=uniform(1s,3s)\n');
    expect(readFaultsFile(yamlList)).toEqual(['error=131000:0.05', 'webhook-delay=uniform(1s,3s)']);
    const json = join(dir, 'b.json');
    writeFileSync(json, JSON.stringify({ faults: ['outage=reset'] }));
    expect(readFaultsFile(json)).toEqual(['outage=reset']);
    const lines = join(dir, 'c.txt');
    writeFileSync(lines, '# storms\nrate-limit=5s:0.5\n\nwebhook-duplicate=0.1\n');
    expect(readFaultsFile(lines)).toEqual(['rate-limit=5s:0.5', 'webhook-duplicate=0.1']);
    const bad = join(dir, 'd.yaml');
    writeFileSync(bad, '- 42\n');
    expect(() => readFaultsFile(bad)).toThrow(/entry 1 must be a fault spec string/);
    expect(() => readFaultsFile(join(dir, 'missing.yaml'))).toThrow(/cannot be read: ENOENT/);
  });
});
