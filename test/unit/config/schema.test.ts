import { describe, expect, it } from 'vitest';
import { formatIssue, parseScenarioText } from '../../../src/config/index.js';

function errors(text: string): string[] {
  const out = parseScenarioText(text, 's.yaml');
  if (out.ok) throw new Error('expected the scenario to be invalid');
  return out.issues.map(formatIssue);
}

function valid(text: string) {
  const out = parseScenarioText(text, 's.yaml');
  if (!out.ok) throw new Error(`expected a valid scenario, got:\n${out.issues.map(formatIssue).join('\n')}`);
  return out.value;
}

describe('scenario schema: defaults and unit parsing', () => {
  it('fills every default of a minimal scenario', () => {
    const s = valid('name: tiny\nsuites:\n  - kind: template-delivery\n');
    expect(s).toMatchObject({
      name: 'tiny',
      description: null,
      seed: 42,
      acceptance: 'acceptance.yaml',
      mocks: {
        whatsapp: {
          throughputPerSec: 80,
          errorProfile: '2026',
          messagingTier: 'unlimited',
          windowErrorMode: 'async',
          statusTiming: {
            sent: { kind: 'uniform', minMs: 50, maxMs: 300 },
            delivered: { kind: 'lognormal', medianMs: 600, sigma: 0.4 },
            read: { kind: 'lognormal', medianMs: 4000, sigma: 0.6 },
            readProbability: 0.7,
            failureRate: 0,
          },
        },
        crm: { plan: 'enterprise', ratePerMin: 1500, contacts: 300, dirtyShare: 0.2, persist: false },
      },
      connector: {
        url: null,
        whatsappWebhookPath: '/webhooks/whatsapp',
        crmWebhookPath: '/webhooks/crm',
        faults: [],
        args: [],
      },
      harness: { maxInFlight: 5000, lagBoundMs: 50 },
    });
    expect(s.suites).toEqual([
      {
        kind: 'template-delivery',
        templates: 20,
        sendsPerTemplate: 50,
        ratePerMin: 1500,
        deadlineMs: 15_000,
      },
    ]);
  });

  it('parses durations and rates into …Ms and …PerMin fields, once', () => {
    const s = valid(`name: x
suites:
  - kind: capacity
    start: 10/s
    step: 6000/h
    stepDuration: 2m
    warmup: 0s
    maxRate: 2000/min
    criteria: { p95Latency: 2500ms, errorRate: 0.02 }
  - kind: soak
    duration: 24h
    averageRate: 5000/h
    peaks: ['08:30-10:00']
    window: 2h
    timeScale: 1440
`);
    expect(s.suites[0]).toEqual({
      kind: 'capacity',
      startPerMin: 600,
      stepPerMin: 100,
      stepDurationMs: 120_000,
      warmupMs: 0,
      maxPerMin: 2000,
      deadlineMs: 30_000,
      mix: { outbound: 0.5, inbound: 0.5 },
      criteria: { p95LatencyMs: 2500, errorRate: 0.02 },
      refine: false,
      resolutionPerMin: 100,
    });
    expect(s.suites[1]).toMatchObject({
      kind: 'soak',
      durationMs: 86_400_000,
      peaks: [{ startMs: 30_600_000, endMs: 36_000_000 }],
      windowMs: 7_200_000,
      timeScale: 1440,
      volume: 'keep-rate',
      timezone: 'UTC',
    });
    expect((s.suites[1] as { averageRatePerMin: number }).averageRatePerMin).toBeCloseTo(83.333, 3);
  });

  it('resolves the CRM rate limit from the plan unless set', () => {
    expect(
      valid('name: x\nmocks: { crm: { plan: standard } }\nsuites: [{ kind: soak }]').mocks.crm.ratePerMin,
    ).toBe(300);
    expect(
      valid('name: x\nmocks: { crm: { plan: standard, ratePerMin: 9000 } }\nsuites: [{ kind: soak }]').mocks
        .crm.ratePerMin,
    ).toBe(9000);
  });

  it('turns fault windows into atMs/forMs', () => {
    const s = valid(`name: f
suites:
  - kind: fault-recovery
    duration: 60s
    faults:
      - { target: crm, spec: 'rate-limit=5s:1', at: 0s, for: 20s }
`);
    expect(s.suites[0]).toMatchObject({
      kind: 'fault-recovery',
      ratePerMin: 600,
      durationMs: 60_000,
      faults: [{ target: 'crm', spec: 'rate-limit=5s:1', atMs: 0, forMs: 20_000 }],
    });
  });

  it('reads JSON scenarios too (with a $schema hint)', () => {
    const s = valid(
      '{ "$schema": "./scenario.schema.json", "name": "j", "suites": [{ "kind": "consistency-audit" }] }',
    );
    expect(s.suites).toEqual([{ kind: 'consistency-audit', sample: 1000 }]);
    expect('$schema' in s).toBe(false);
  });
});

describe('scenario schema: every error, with its position', () => {
  it('reports all errors of a file at once, each at its line and column', () => {
    const text = `name: broken
seed: -1
mocks:
  whatsapp:
    throughputPerSec: 5000
    errorProfil: '2026'
  crm: { plan: gold }
suites:
  - kind: template-delivery
    rate: 500
    deadline: 15
  - kind: warp-speed
  - kind: capacity
    warmup: 90s
    stepDuration: 60s
`;
    expect(errors(text)).toEqual([
      's.yaml:2:7 seed: must be ≥ 0, got -1',
      's.yaml:5:23 mocks.whatsapp.throughputPerSec: must be ≤ 1000, got 5000',
      expect.stringMatching(
        /^s\.yaml:6:5 mocks\.whatsapp\.errorProfil: unknown key "errorProfil" \(did you mean "errorProfile"\?\); allowed here: throughputPerSec, /,
      ),
      's.yaml:7:16 mocks.crm.plan: expected one of "standard", "enterprise", got "gold"',
      's.yaml:10:11 suites[0].rate: expected a rate with its unit, such as 500/min, got 500',
      's.yaml:11:15 suites[0].deadline: expected a duration with its unit, such as 15s, got 15',
      expect.stringMatching(
        /^s\.yaml:12:11 suites\[1\]\.kind: unknown kind "warp-speed": expected one of "template-delivery", /,
      ),
      's.yaml:14:13 suites[2].warmup: the warm-up (90s) must be shorter than the step (60s)',
    ]);
  });

  it('points a missing required key at the mapping that lacks it', () => {
    expect(errors('description: no name\nsuites: [{ kind: soak }]\n')).toEqual([
      's.yaml:1:1 name: required: expected text',
    ]);
    expect(errors('name: x\nsuites:\n  - kind: fault-recovery\n    rate: 60/min\n')).toEqual([
      's.yaml:3:5 suites[0].faults: required: expected a list',
    ]);
  });

  it('checks cross-field rules', () => {
    const text = `name: x
suites:
  - kind: conversation-sync
    messages: 10
    conversations: 20
  - kind: fault-recovery
    duration: 30s
    faults:
      - { target: whatsapp, spec: outage=unavailable, at: 20s, for: 10s }
  - kind: soak
    peaks: ['09:00-11:00', '10:00-12:00']
  - kind: capacity
    start: 2000/min
    maxRate: 1000/min
    mix: { outbound: 0.7 }
`;
    const messages = errors(text);
    expect(messages).toContain(
      's.yaml:5:20 suites[0].conversations: 20 conversations need at least as many messages, got 10',
    );
    expect(messages).toContain(
      's.yaml:9:69 suites[1].faults[0].for: the fault ends at 30s, not before the suite ends (30s): recovery could not be measured',
    );
    expect(messages).toContain('s.yaml:11:28 suites[2].peaks[1]: overlaps peak 0');
    expect(messages).toContain(
      's.yaml:14:14 suites[3].maxRate: maxRate (1000/min) is below start (2000/min)',
    );
    expect(messages).toContain(
      's.yaml:15:10 suites[3].mix: outbound + inbound must be 1, got 0.7 + 0.5 = 1.2',
    );
  });

  it('refuses a suite kind twice and reports it even beside other errors', () => {
    const messages = errors('name: x\nsuites:\n  - kind: soak\n    peakFactor: 0\n  - kind: soak\n');
    expect(messages).toEqual([
      's.yaml:4:17 suites[0].peakFactor: must be ≥ 1, got 0',
      's.yaml:5:11 suites[1].kind: suite soak already runs as suites[0]; each kind runs once per scenario (their metrics would collide)',
    ]);
  });

  it('validates delay specs, fault specs, URLs and time zones with the accepted forms in the message', () => {
    const messages = errors(`name: x
mocks: { whatsapp: { statusTiming: { delivered: 'normal(1s)' } } }
connector: { url: 'ftp://example', faults: ['drop=0.1'] }
suites:
  - kind: fault-recovery
    faults:
      - { target: whatsapp, spec: explode, at: 1s, for: 1s }
      - { target: crm, spec: 'outage=reset@5s+10s', at: 1s, for: 1s }
  - kind: soak
    timezone: Europe/Atlantis
`);
    expect(messages.join('\n')).toMatch(
      /statusTiming\.delivered: invalid delay "normal\(1s\)": unknown distribution/,
    );
    expect(messages.join('\n')).toMatch(/connector\.url: not an http\(s\) URL/);
    expect(messages.join('\n')).toMatch(
      /connector\.faults: faults and args apply to the reference connector only/,
    );
    expect(messages.join('\n')).toMatch(
      /faults\[0\]\.spec: unknown fault "explode": expected one of error, latency, outage/,
    );
    expect(messages.join('\n')).toMatch(/faults\[1\]\.spec: write the window with `at` and `for`/);
    expect(messages.join('\n')).toMatch(/suites\[1\]\.timezone: unknown time zone/);
  });

  it('reports YAML syntax errors with their position and nothing else', () => {
    const out = parseScenarioText('name: x\nsuites:\n  - kind: soak\n   bad: [1, 2\n', 's.yaml');
    expect(out.ok).toBe(false);
    expect(out.issues.length).toBeGreaterThan(0);
    for (const i of out.issues) {
      expect(i.message).toMatch(/^YAML syntax: /);
      expect(i.line).toBeGreaterThanOrEqual(1);
    }
  });

  it('treats duplicate keys as an error (a silent override hides typos)', () => {
    const out = parseScenarioText('name: a\nname: b\nsuites: [{ kind: soak }]\n', 's.yaml');
    expect(out.ok).toBe(false);
    expect(out.issues.map(formatIssue)).toEqual([
      's.yaml:2:1 name: duplicate key "name" (first at line 1); a second value would silently replace the first',
    ]);
  });

  it('explains an empty file and a file that is not a mapping', () => {
    expect(errors('')).toEqual(['s.yaml:1:1 (document): the file is empty']);
    expect(errors('- just\n- a list\n')).toEqual([
      's.yaml:1:1 (document): expected a mapping (key: value), got a list',
    ]);
  });

  it('survives alias bombs with a clear error instead of hanging', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n');
    const out = parseScenarioText(bomb, 's.yaml');
    expect(out.ok).toBe(false);
    expect(out.issues[0]?.message).toMatch(/alias/i);
  });
});
