import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../../kernel/distributions.js';
import { formatFaultSpec, parseFaultSpec } from '../../../kernel/fault-spec.js';

describe('parseFaultSpec', () => {
  const now = 5_000;
  it('reads every documented form', () => {
    expect(parseFaultSpec('error=131000:0.05', now)).toEqual({ kind: 'error', code: 131000, rate: 0.05 });
    expect(parseFaultSpec('error=unavailable:5%', now)).toEqual({
      kind: 'error',
      code: 'unavailable',
      rate: 0.05,
    });
    expect(parseFaultSpec('error=130429', now)).toEqual({ kind: 'error', code: 130429, rate: 1 });
    expect(parseFaultSpec('latency=lognormal(200ms,0.5)', now)).toEqual({
      kind: 'latency',
      delay: { kind: 'lognormal', medianMs: 200, sigma: 0.5 },
    });
    expect(parseFaultSpec('latency=800ms:0.5', now)).toEqual({
      kind: 'latency',
      delay: { kind: 'fixed', ms: 800 },
      rate: 0.5,
    });
    expect(parseFaultSpec('outage=unavailable', now)).toEqual({ kind: 'outage', mode: 'unavailable' });
    expect(parseFaultSpec('outage=reset', now)).toEqual({ kind: 'outage', mode: 'reset' });
    expect(parseFaultSpec('outage=hang', now)).toEqual({ kind: 'outage', mode: 'hang' });
    expect(parseFaultSpec('rate-limit=5s:0.5', now)).toEqual({
      kind: 'rate-limit',
      retryAfterS: 5,
      rate: 0.5,
    });
    expect(parseFaultSpec('rate-limit=1500ms', now)).toEqual({ kind: 'rate-limit', retryAfterS: 2 });
    expect(parseFaultSpec('webhook-duplicate=0.1', now)).toEqual({ kind: 'webhook-duplicate', rate: 0.1 });
    expect(parseFaultSpec('webhook-reorder=0.2', now)).toEqual({ kind: 'webhook-reorder', rate: 0.2 });
    expect(parseFaultSpec('webhook-delay=uniform(1s,3s)', now)).toEqual({
      kind: 'webhook-delay',
      delay: { kind: 'uniform', minMs: 1000, maxMs: 3000 },
    });
    expect(parseFaultSpec('media-download=hang', now)).toEqual({ kind: 'media-download', mode: 'hang' });
    expect(parseFaultSpec('media-download=fail:0.25~/attachments', now)).toEqual({
      kind: 'media-download',
      mode: 'fail',
      rate: 0.25,
      route: '/attachments',
    });
    expect(() => parseFaultSpec('media-download=slow', now)).toThrow(
      /media-download mode "slow" is not one of fail, reset, hang/,
    );
  });

  it('reads window and route suffixes in either order', () => {
    const expected = {
      kind: 'outage',
      mode: 'unavailable',
      startMs: 15_000,
      endMs: 45_000,
      route: '/messages',
    };
    expect(parseFaultSpec('outage=unavailable@10s+30s~/messages', now)).toEqual(expected);
    expect(parseFaultSpec('outage=unavailable~/messages@10s+30s', now)).toEqual(expected);
    expect(parseFaultSpec('error=131016:1@2m', now)).toEqual({
      kind: 'error',
      code: 131016,
      rate: 1,
      startMs: 125_000,
    });
    expect(parseFaultSpec('error=131016@+30s', now)).toMatchObject({ startMs: 5_000, endMs: 35_000 });
  });

  it('names the bad part and lists the accepted forms', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty fault/],
      ['error', /missing '=' after "error"/],
      ['errors=1', /unknown fault kind "errors"/],
      ['error=', /error needs a value/],
      ['error=1:2', /error rate: invalid rate "2"/],
      ['error=a b', /error code "a b"/],
      ['error=1:0.5:0.5', /too many ':'/],
      ['latency=soon', /latency delay: invalid delay "soon"/],
      ['outage=down', /outage mode "down" is not one of unavailable, reset, hang/],
      ['rate-limit=5x', /rate-limit Retry-After: invalid duration "5x"/],
      ['webhook-delay=uniform(3s,1s)', /min 3s is above max 1s/],
      ['error=1@10s+0s', /window duration must be above 0/],
      ['error=1@', /window '@' needs START/],
      ['error=1@10s@20s', /more than one '@'/],
      ['error=1~', /route "" must be/],
      ['error=1@x+1s', /window start: invalid duration "x"/],
    ];
    for (const [text, re] of cases) {
      try {
        parseFaultSpec(text, 0);
        expect.unreachable(text);
      } catch (e) {
        expect(e, text).toBeInstanceOf(SpecError);
        expect((e as SpecError).input).toBe(text);
        expect((e as Error).message, text).toMatch(re);
        expect((e as Error).message, text).toContain('accepted forms: error=CODE[:RATE]');
      }
    }
  });

  it('property: garbage gives a SpecError, never another exception', () => {
    const alphabet = fc.constantFrom(
      ...'errorlatencyoutageratelimitwebhookduplicatedelayhang=:@~+()%,.0123456789msdh/- '.split(''),
    );
    const kinds = fc.constantFrom(
      'error=',
      'latency=',
      'outage=',
      'rate-limit=',
      'webhook-delay=',
      'webhook-reorder=',
      'media-download=',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 50 }),
          fc.string({ unit: alphabet, maxLength: 50 }),
          fc.tuple(kinds, fc.string({ unit: alphabet, maxLength: 30 })).map(([k, s]) => k + s),
        ),
        (s) => {
          try {
            parseFaultSpec(s, 0);
          } catch (e) {
            expect(e).toBeInstanceOf(SpecError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: valid specs round-trip through formatFaultSpec', () => {
    const rate = fc.integer({ min: 0, max: 1000 }).map((n) => String(n / 1000));
    const dur = fc.integer({ min: 1, max: 100_000 }).map((n) => `${n}ms`);
    const delay = fc.oneof(
      dur,
      fc
        .tuple(dur, dur)
        .map(([a, b]) => (parseInt(a, 10) <= parseInt(b, 10) ? `uniform(${a},${b})` : `uniform(${b},${a})`)),
      fc.tuple(dur, fc.integer({ min: 0, max: 3000 })).map(([m, s]) => `lognormal(${m},${s / 1000})`),
    );
    const body = fc.oneof(
      fc
        .tuple(fc.oneof(fc.nat(200_000).map(String), fc.constantFrom('unavailable', 'bad_token')), rate)
        .map(([c, r]) => `error=${c}:${r}`),
      fc.tuple(delay, fc.option(rate)).map(([d, r]) => `latency=${d}${r === null ? '' : `:${r}`}`),
      fc.constantFrom('outage=unavailable', 'outage=reset', 'outage=hang'),
      fc
        .tuple(fc.integer({ min: 0, max: 600 }), fc.option(rate))
        .map(([s, r]) => `rate-limit=${s}s${r === null ? '' : `:${r}`}`),
      rate.map((r) => `webhook-duplicate=${r}`),
      rate.map((r) => `webhook-reorder=${r}`),
      delay.map((d) => `webhook-delay=${d}`),
      fc
        .tuple(fc.constantFrom('fail', 'reset', 'hang'), fc.option(rate))
        .map(([m, r]) => `media-download=${m}${r === null ? '' : `:${r}`}`),
    );
    const windowSuffix = fc.option(
      fc.tuple(dur, fc.option(dur)).map(([s, d]) => `@${s}${d === null ? '' : `+${d}`}`),
    );
    const route = fc.option(fc.constantFrom('/messages', 'v23.0', '/api/v1/contacts'));
    fc.assert(
      fc.property(body, windowSuffix, route, fc.nat(1_000_000), (b, w, r, nowMs) => {
        const text = b + (w ?? '') + (r === null ? '' : `~${r}`);
        const rule = parseFaultSpec(text, nowMs);
        expect(parseFaultSpec(formatFaultSpec(rule, nowMs), nowMs)).toEqual(rule);
      }),
      { numRuns: 1000 },
    );
  });
});
