import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, envName, FLAGS, parseArgs, usage } from '../../../connector/config.js';

const run = (argv: string[], env: Record<string, string> = {}) => {
  const r = parseArgs(argv, env);
  if (r.help) throw new Error('unexpected help');
  return r.config;
};

describe('connector flags and env', () => {
  it('has defaults that match the mocks', () => {
    const c = defaultConfig();
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 4030,
      waBaseUrl: 'http://127.0.0.1:4010',
      waApiVersion: 'v23.0',
      waPhoneNumberId: '106540352242922',
      waAccessToken: 'wacrm-mock-access-token',
      waAppSecret: 'wacrm-mock-app-secret',
      waVerifyToken: 'wacrm-mock-verify-token',
      crmBaseUrl: 'http://127.0.0.1:4020/api/v1',
      crmToken: 'wacrm-crm-token',
      crmWebhookSecret: 'wacrm-crm-secret',
      crmPlan: 'standard',
      waRatePerSec: 80,
      requestTimeoutMs: 3500,
      retryDelayMs: 30_000,
      fallbackTemplate: { name: 'hello_world', language: 'en_US' },
      faults: {},
    });
    expect(c.crmRatePerMin).toBeLessThanOrEqual(300);
    expect(c.crmRatePerMin).toBeGreaterThanOrEqual(280);
  });

  it('reads --flag value and --flag=value; flags beat env, env beats defaults', () => {
    const c = run(['--port', '0', '--crm-plan=enterprise', '--retry-delay-ms', '50'], {
      WACRM_CONNECTOR_PORT: '9999',
      WACRM_CONNECTOR_CONCURRENCY: '4',
    });
    expect(c.port).toBe(0);
    expect(c.crmPlan).toBe('enterprise');
    expect(c.crmRatePerMin).toBeGreaterThan(1400);
    expect(c.retryDelayMs).toBe(50);
    expect(c.concurrency).toBe(4);
  });

  it('lets --crm-rate-per-min override the plan budget exactly', () => {
    expect(run(['--crm-rate-per-min', '6000']).crmRatePerMin).toBe(6000);
  });

  it('repeats --fault and splits its env var on commas', () => {
    expect(run(['--fault', 'no-tags', '--fault=cap=5']).faults).toEqual({ noTags: true, capPerMin: 5 });
    expect(run([], { WACRM_CONNECTOR_FAULT: 'no-retry,drop-status=0.5' }).faults).toEqual({
      noRetry: true,
      dropStatus: 0.5,
    });
  });

  it('parses the fallback template', () => {
    expect(run(['--fallback-template', 'hello_world']).fallbackTemplate).toEqual({
      name: 'hello_world',
      language: 'en_US',
    });
    expect(run(['--fallback-template', 'reengage:es']).fallbackTemplate).toEqual({
      name: 'reengage',
      language: 'es',
    });
  });

  it.each([
    [['--port', 'abc'], /--port: 'abc' is not a port/],
    [['--port', '70000'], /--port/],
    [['--wa-base-url', 'ftp://x'], /--wa-base-url: .* http\(s\) URL/],
    [['--crm-plan', 'gold'], /--crm-plan/],
    [['--concurrency', '0'], /--concurrency: '0' is not a whole number >= 1/],
    [['--nope'], /unknown flag --nope/],
    [['--port'], /--port needs a value/],
    [['--port', '1', '--port', '2'], /--port is given more than once/],
    [['stray'], /unexpected argument 'stray'/],
    [['--fault', 'bogus'], /--fault: unknown fault 'bogus'/],
    [['--log-level', 'loud'], /--log-level/],
  ])('refuses %j with one line naming the flag', (argv, message) => {
    expect(() => parseArgs(argv, {})).toThrow(ConfigError);
    expect(() => parseArgs(argv, {})).toThrow(message);
  });

  it('names the env var when an env value is bad', () => {
    expect(() => parseArgs([], { WACRM_CONNECTOR_QUEUE_LIMIT: 'lots' })).toThrow(
      /WACRM_CONNECTOR_QUEUE_LIMIT \(for --queue-limit\)/,
    );
  });

  it('offers help listing every flag with its env var convention', () => {
    expect(parseArgs(['--help'], {})).toEqual({ help: true });
    const text = usage();
    for (const flag of Object.keys(FLAGS)) expect(text).toContain(`--${flag}`);
    expect(envName('wa-base-url')).toBe('WACRM_CONNECTOR_WA_BASE_URL');
  });
});
