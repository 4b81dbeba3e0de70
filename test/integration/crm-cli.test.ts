import { describe, expect, it } from 'vitest';
import { parseMockCrmFlags } from '../../src/cli/mock-crm.js';
import { WacrmError } from '../../src/errors.js';
import { startMockCrm } from './cli-io.js';

const DEFAULTS = {
  dialect: 'native',
  tier: 'professional',
  host: '127.0.0.1',
  port: '4020',
  token: 'wacrm-crm-token',
  plan: 'standard',
  webhookSecret: 'wacrm-crm-secret',
  seed: '1',
  contacts: '200',
  dirtyShare: '0.2',
  fault: [] as string[],
};

describe('wacrm mock crm', () => {
  it('starts on a free port, prints URL and credentials, serves the API, and stops on a signal', async () => {
    const { io, base, running } = await startMockCrm([
      '--port',
      '0',
      '--token',
      'cli-token',
      '--plan',
      'enterprise',
      '--contacts',
      '7',
      '--fault',
      'error=503:1~/handovers',
    ]);
    expect(base, io.lines.join('\n')).toBeDefined();
    expect(io.lines.join('\n')).toContain('cli-token');
    expect(io.lines.join('\n')).toContain('enterprise, 1500 requests/min');
    const list = await fetch(`${base}/api/v1/contacts?limit=200`, {
      headers: { authorization: 'Bearer cli-token' },
    });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(7);
    const faulted = await fetch(`${base}/api/v1/handovers`, {
      headers: { authorization: 'Bearer cli-token' },
    });
    expect(faulted.status).toBe(503);
    io.stop('SIGTERM');
    await running;
    expect(io.lines.at(-1)).toContain('stopping');
    await expect(fetch(`${base}/_mock/health`)).rejects.toThrow();
  });

  it('--dialect hubspot serves HubSpot’s API with the tier’s limits and prints the HubSpot wiring', async () => {
    const { io, base, running } = await startMockCrm([
      '--dialect',
      'hubspot',
      '--tier',
      'enterprise',
      '--port',
      '0',
      '--token',
      'pat-cli',
      '--contacts',
      '3',
    ]);
    expect(base, io.lines.join('\n')).toBeDefined();
    const banner = io.lines.join('\n');
    expect(banner).toContain('dialect:        hubspot');
    expect(banner).toContain('enterprise, 190 calls per 10 s, 1000000 a day, search 5/s');
    const list = await fetch(`${base}/crm/v3/objects/contacts?limit=10`, {
      headers: { authorization: 'Bearer pat-cli' },
    });
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toBe('application/json;charset=utf-8');
    expect(list.headers.get('x-hubspot-ratelimit-max')).toBe('190');
    expect(((await list.json()) as { results: unknown[] }).results).toHaveLength(3);
    // The native API is not there: a HubSpot 404, not the native error shape.
    const native = await fetch(`${base}/api/v1/contacts`, { headers: { authorization: 'Bearer pat-cli' } });
    expect(native.status).toBe(404);
    io.stop('SIGTERM');
    await running;
  });

  it('names the bad flag', () => {
    const cases: Array<[Partial<typeof DEFAULTS>, string]> = [
      [{ port: '70000' }, '--port'],
      [{ port: 'abc' }, '--port'],
      [{ plan: 'gold' }, '--plan'],
      [{ contacts: '-1' }, '--contacts'],
      [{ dirtyShare: '1.5' }, '--dirty-share'],
      [{ seed: 'x' }, '--seed'],
      [{ fault: ['explode=1'] }, '--fault'],
      [{ token: 'has space' }, '--token'],
      [{ host: 'bad host' }, '--host'],
      [{ dialect: 'salesforce' }, '--dialect'],
      [{ tier: 'gold' }, '--tier'],
    ];
    for (const [override, flag] of cases) {
      let caught: unknown;
      try {
        parseMockCrmFlags({ ...DEFAULTS, ...override }, 0);
      } catch (err) {
        caught = err;
      }
      expect(caught, flag).toBeInstanceOf(WacrmError);
      expect((caught as WacrmError).code).toBe('WACRM_USAGE');
      expect((caught as WacrmError).message.startsWith(flag), (caught as Error).message).toBe(true);
    }
    const bad = () => parseMockCrmFlags({ ...DEFAULTS, webhookUrl: 'not a url' } as never, 0);
    expect(bad).toThrow(/--webhook-url/);
    const ok = parseMockCrmFlags(
      { ...DEFAULTS, limitPerMin: '5000', fault: ['latency=800ms:0.5'] } as never,
      0,
    );
    expect(ok).toMatchObject({
      port: 4020,
      plan: 'standard',
      limitPerMin: 5000,
      contacts: 200,
      dirtyShare: 0.2,
    });
    expect(ok.faults).toHaveLength(1);
  });

  it('reports a taken port as WACRM_PORT_IN_USE', async () => {
    const { io: io1, running } = await startMockCrm(['--port', '0', '--contacts', '0']);
    const port = /:(\d+)$/.exec(io1.lines[0] ?? '')?.[1] as string;
    const second = await startMockCrm(['--port', port, '--contacts', '0']);
    await expect(second.running).rejects.toMatchObject({ code: 'WACRM_PORT_IN_USE' });
    io1.stop('SIGINT');
    await running;
  });
});
