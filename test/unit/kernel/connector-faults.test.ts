import { describe, expect, it } from 'vitest';
import {
  activeFaults,
  FAULT_SWITCHES,
  FaultSpecError,
  faultWarnings,
  parseFaults,
} from '../../../kernel/connector-faults.js';

describe('fault switches', () => {
  it('parses every switch with its value type', () => {
    const f = parseFaults([
      'drop-inbound=0.5',
      'drop-outbound=1',
      'drop-status=0',
      'slow-crm=250ms',
      'slow-ack=1s',
      'cap=60',
      'skip-signature-check',
      'no-retry,no-dedupe',
      'status-regress',
      'no-normalize',
      'ignore-consent',
      'no-handover',
      'no-tags',
      'ignore-retry-after',
      'no-window-check',
      'wrong-params',
    ]);
    expect(f).toEqual({
      dropInbound: 0.5,
      dropOutbound: 1,
      dropStatus: 0,
      slowCrmMs: 250,
      slowAckMs: 1000,
      capPerMin: 60,
      skipSignatureCheck: true,
      noRetry: true,
      noDedupe: true,
      statusRegress: true,
      noNormalize: true,
      ignoreConsent: true,
      noHandover: true,
      noTags: true,
      ignoreRetryAfter: true,
      noWindowCheck: true,
      wrongParams: true,
    });
    expect(activeFaults(f)).toHaveLength(Object.keys(FAULT_SWITCHES).length);
  });

  it('is off by default', () => {
    expect(parseFaults([])).toEqual({});
    expect(faultWarnings({})).toEqual([]);
  });

  it.each([
    ['bogus', /unknown fault 'bogus'; known faults: drop-inbound, .*wrong-params/],
    ['drop-inbound', /needs a value/],
    ['drop-inbound=1.5', /between 0 and 1/],
    ['drop-inbound=-0.1', /between 0 and 1/],
    ['slow-crm=fast', /not a duration/],
    ['cap=0', /whole number >= 1/],
    ['cap=2.5', /whole number/],
    ['no-tags=1', /takes no value/],
  ])('refuses %j', (spec, message) => {
    expect(() => parseFaults([spec])).toThrow(FaultSpecError);
    expect(() => parseFaults([spec])).toThrow(message);
  });

  it('prints one warning per switch saying what it breaks', () => {
    const lines = faultWarnings(parseFaults(['no-tags', 'slow-ack=300ms']));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/slow-ack=300ms.*acknowledges webhooks DURATION late/);
    expect(lines[1]).toMatch(/no-tags.*never tags/);
  });

  it('reads durations with the kernel duration grammar, in whole ms', () => {
    expect(parseFaults(['slow-crm=250ms']).slowCrmMs).toBe(250);
    expect(parseFaults(['slow-crm=1.5s']).slowCrmMs).toBe(1500);
    expect(parseFaults(['slow-crm=2m']).slowCrmMs).toBe(120_000);
    expect(parseFaults(['slow-crm=40']).slowCrmMs).toBe(40);
    expect(parseFaults(['slow-crm=0.4ms']).slowCrmMs).toBe(0);
    expect(() => parseFaults(['slow-crm=soon'])).toThrow(/'soon' is not a duration/);
  });
});
