import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerUpCommand } from '../../src/cli/up.js';
import { captureIo } from './cli-io.js';

// `wacrm up --crm-dialect hubspot`: the CRM mock speaks HubSpot and the reference connector is
// wired to it as a HubSpot integration (it defines its own contact properties at start). A reset
// of the mock between explorations keeps those properties, as a HubSpot account would.

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('wacrm up --crm-dialect hubspot', () => {
  it('starts the HubSpot CRM mock with the reference connector speaking HubSpot to it', async () => {
    const io = captureIo();
    const program = new Command('wacrm').exitOverride();
    registerUpCommand(program, io);
    const done = program.parseAsync(
      [
        'up',
        '--whatsapp-port',
        '0',
        '--crm-port',
        '0',
        '--crm-dialect',
        'hubspot',
        '--crm-token',
        'pat-na1-up-test',
      ],
      { from: 'user' },
    );
    try {
      await until('the banner', () =>
        io.lines.some((l) => l.startsWith('Press Ctrl-C')) ? true : undefined,
      );
      const crmLine = io.lines.find((l) => l.includes('CRM mock')) ?? '';
      expect(crmLine).toContain('HubSpot CRM v3/v4');
      const base = /(http:\/\/\S+)/.exec(crmLine)?.[1] ?? '';
      expect(base).not.toMatch(/\/api\/v1$/);
      expect(io.lines.join('\n')).toContain('HubSpot private-app token pat-na1-up-test');
      const auth = { authorization: 'Bearer pat-na1-up-test' };
      const tags = async () => {
        const r = await fetch(`${base}/crm/v3/properties/contacts/wa_tags`, { headers: auth });
        return r.status === 200 ? ((await r.json()) as { type: string }) : undefined;
      };
      // The connector bootstraps its multi-value tags property through the properties API.
      expect((await until('the connector’s wa_tags property', tags)).type).toBe('enumeration');
      const reset = await fetch(`${base}/_mock/reset`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reseed: false }),
      });
      expect(reset.status).toBe(200);
      expect(await tags()).toBeDefined();
    } finally {
      io.stop?.('SIGINT');
      await done;
    }
    expect(io.lines).toContain('stopped');
  }, 30_000);
});
