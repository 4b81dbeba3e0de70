import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DelaySpec,
  formatDelaySpec,
  formatDurationMs,
  parseDelaySpec,
  parseDurationMs,
  parseRate,
  SpecError,
  sampleDelayMs,
} from '../../../kernel/distributions.js';
import { createRng } from '../../../kernel/random.js';

/** Runs `fn`; passes if it returns or throws a SpecError, fails on any other exception. */
function onlySpecErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    expect((e as SpecError).message.length).toBeGreaterThan(10);
  }
}

const durationText = fc
  .tuple(
    fc.oneof(
      fc.nat({ max: 100_000 }).map(String),
      fc.tuple(fc.nat(999), fc.nat(999)).map(([a, b]) => `${a}.${b}`),
    ),
    fc.constantFrom('', 'ms', 's', 'm', 'h', 'd'),
  )
  .map(([n, u]) => n + u);

describe('parseDurationMs', () => {
  it('reads each unit', () => {
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('1.1s')).toBe(1100);
    expect(parseDurationMs('5m')).toBe(300_000);
    expect(parseDurationMs('72h')).toBe(259_200_000);
    expect(parseDurationMs('7d')).toBe(604_800_000);
    expect(parseDurationMs('40')).toBe(40);
    expect(parseDurationMs(' .5s ')).toBe(500);
    expect(parseDurationMs('0')).toBe(0);
  });

  it('rejects garbage with a message naming the input and the forms', () => {
    for (const bad of ['', 's', '-1s', '1e3', '5 m', '5M', '1.s', 'abc', '10sec', '1d2h']) {
      expect(() => parseDurationMs(bad), bad).toThrow(SpecError);
    }
    try {
      parseDurationMs('10sec');
      expect.unreachable();
    } catch (e) {
      expect((e as SpecError).input).toBe('10sec');
      expect((e as Error).message).toContain('"10sec"');
      expect((e as Error).message).toContain('72h');
    }
    expect(() => parseDurationMs('9'.repeat(30) + 'd')).toThrow(/too long/);
  });

  it('property: arbitrary text gives a number or a SpecError, nothing else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => onlySpecErrors(() => parseDurationMs(s))),
      {
        numRuns: 500,
      },
    );
  });

  it('property: valid durations are finite, ≥ 0 and round-trip through formatDurationMs', () => {
    fc.assert(
      fc.property(durationText, (t) => {
        const ms = parseDurationMs(t);
        expect(Number.isFinite(ms) && ms >= 0).toBe(true);
        expect(parseDurationMs(formatDurationMs(ms))).toBe(ms);
      }),
      { numRuns: 500 },
    );
  });

  it('formatDurationMs picks the largest exact unit', () => {
    expect(formatDurationMs(0)).toBe('0ms');
    expect(formatDurationMs(1500)).toBe('1500ms');
    expect(formatDurationMs(90_000)).toBe('90s');
    expect(formatDurationMs(7_200_000)).toBe('2h');
    expect(formatDurationMs(172_800_000)).toBe('2d');
    expect(formatDurationMs(0.5)).toBe('0.5ms');
  });
});

describe('parseRate', () => {
  it('reads fractions and percentages in [0,1]', () => {
    expect(parseRate('0.05')).toBe(0.05);
    expect(parseRate('5%')).toBe(0.05);
    expect(parseRate('1')).toBe(1);
    expect(parseRate('0')).toBe(0);
    for (const bad of ['1.5', '-0.1', '', 'x', '150%', '%']) expect(() => parseRate(bad)).toThrow(SpecError);
  });
});

describe('parseDelaySpec', () => {
  it('reads every form', () => {
    expect(parseDelaySpec('800ms')).toEqual({ kind: 'fixed', ms: 800 });
    expect(parseDelaySpec('fixed(800ms)')).toEqual({ kind: 'fixed', ms: 800 });
    expect(parseDelaySpec('uniform(200ms, 1s)')).toEqual({ kind: 'uniform', minMs: 200, maxMs: 1000 });
    expect(parseDelaySpec('lognormal(800ms,0.5)')).toEqual({ kind: 'lognormal', medianMs: 800, sigma: 0.5 });
    expect(parseDelaySpec('lognormal(800ms,0.5,10s)')).toEqual({
      kind: 'lognormal',
      medianMs: 800,
      sigma: 0.5,
      maxMs: 10_000,
    });
  });

  it('names the bad part and lists the accepted forms', () => {
    const cases: Array<[string, RegExp]> = [
      ['gauss(1s)', /unknown distribution "gauss"/],
      ['uniform(1s)', /uniform takes 2 arguments/],
      ['uniform(2s,1s)', /min 2s is above max 1s/],
      ['uniform(1s,xx)', /uniform max "xx" is not a duration/],
      ['lognormal(800ms,abc)', /sigma "abc"/],
      ['lognormal(800ms,9)', /sigma "9"/],
      ['lognormal(0ms,0.5)', /median must be above 0/],
      ['lognormal(1s,0.5,500ms)', /cap 500ms is below the median 1s/],
      ['fixed(1s', /unbalanced/],
      ['soon', /not a duration/],
    ];
    for (const [text, re] of cases) {
      try {
        parseDelaySpec(text);
        expect.unreachable(text);
      } catch (e) {
        expect(e, text).toBeInstanceOf(SpecError);
        expect((e as Error).message, text).toMatch(re);
        expect((e as Error).message, text).toContain('lognormal(800ms,0.5,10s)');
      }
    }
  });

  it('property: garbage gives a SpecError, never another exception', () => {
    const alphabet = fc.constantFrom(...'0123456789.,()msdhfixeduniformlognormal -%'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: alphabet, maxLength: 40 })), (s) =>
        onlySpecErrors(() => parseDelaySpec(s)),
      ),
      { numRuns: 1000 },
    );
  });

  it('property: valid specs round-trip through formatDelaySpec', () => {
    const ms = fc.integer({ min: 1, max: 10_000_000 });
    const spec: fc.Arbitrary<DelaySpec> = fc.oneof(
      ms.map((v) => ({ kind: 'fixed' as const, ms: v })),
      fc
        .tuple(ms, ms)
        .map(([a, b]) => ({ kind: 'uniform' as const, minMs: Math.min(a, b), maxMs: Math.max(a, b) })),
      fc
        .tuple(ms, fc.integer({ min: 0, max: 5_000_000 }), fc.option(fc.nat(1_000_000)))
        .map(([m, s, extra]) => {
          const d: DelaySpec = { kind: 'lognormal', medianMs: m, sigma: s / 1e6 };
          if (extra !== null) d.maxMs = m + extra;
          return d;
        }),
    );
    fc.assert(
      fc.property(spec, (d) => {
        expect(parseDelaySpec(formatDelaySpec(d))).toEqual(d);
      }),
      { numRuns: 500 },
    );
  });
});

describe('sampleDelayMs', () => {
  it('fixed and uniform stay in range', () => {
    const rng = createRng(5);
    expect(sampleDelayMs({ kind: 'fixed', ms: 800 }, rng)).toBe(800);
    for (let i = 0; i < 1000; i++) {
      const v = sampleDelayMs({ kind: 'uniform', minMs: 200, maxMs: 1000 }, rng);
      expect(v >= 200 && v <= 1000).toBe(true);
    }
  });

  it('lognormal has the given median and spread, and respects the cap', () => {
    const rng = createRng(11);
    const spec = parseDelaySpec('lognormal(800ms,0.5)');
    const samples = Array.from({ length: 20_000 }, () => sampleDelayMs(spec, rng)).sort((a, b) => a - b);
    const median = samples[10_000] as number;
    expect(median).toBeGreaterThan(760);
    expect(median).toBeLessThan(840);
    const logs = samples.map(Math.log);
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length);
    expect(sd).toBeGreaterThan(0.47);
    expect(sd).toBeLessThan(0.53);
    const capped = parseDelaySpec('lognormal(800ms,2,1s)');
    let atCap = 0;
    for (let i = 0; i < 2000; i++) {
      const v = sampleDelayMs(capped, rng);
      expect(v).toBeLessThanOrEqual(1000);
      if (v === 1000) atCap++;
    }
    expect(atCap).toBeGreaterThan(500);
  });

  it('is reproducible for a seed', () => {
    const spec = parseDelaySpec('lognormal(200ms,1)');
    const a = createRng(9);
    const b = createRng(9);
    for (let i = 0; i < 50; i++) expect(sampleDelayMs(spec, a)).toBe(sampleDelayMs(spec, b));
  });
});
