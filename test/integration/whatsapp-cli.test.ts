import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { WacrmError } from '../../src/errors.js';
import { captureIo } from './cli-io.js';

/** The captured Io with its lines, and the stop signal (SIGTERM unless told). */
function capture() {
  const io = captureIo();
  return { io, lines: io.lines, stop: (sig = 'SIGTERM') => io.stop(sig) };
}

async function until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('wacrm mock whatsapp', () => {
  it('starts on a free port, prints the URL and credentials, serves Graph and admin paths, stops on SIGTERM', async () => {
    const cap = capture();
    const run = buildProgram(cap.io, '0.0.0').parseAsync(
      ['mock', 'whatsapp', '--port', '0', '--access-token', 'cli-token', '--fault', 'latency=5ms'],
      { from: 'user' },
    );
    await until(() => cap.lines.some((l) => l.startsWith('Press Ctrl+C')));
    const base = /listening on (http:\/\/\S+)/.exec(cap.lines[0] ?? '')?.[1] as string;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cap.lines.join('\n')).toContain('access token:      cli-token');
    expect(cap.lines.join('\n')).toContain('app secret:        wacrm-mock-app-secret');
    expect(cap.lines.join('\n')).toContain('faults:            latency=5ms');
    const health = await fetch(`${base}/_mock/health`);
    expect(health.status).toBe(200);
    const send = await fetch(`${base}/v23.0/106540352242922/messages`, {
      method: 'POST',
      headers: { authorization: 'Bearer cli-token', 'content-type': 'application/json' },
      body: JSON.stringify({
        messaging_product: 'whatsapp',
        to: '+16505551234',
        type: 'template',
        template: { name: 'hello_world', language: { code: 'en_US' } },
      }),
    });
    expect(send.status).toBe(200);
    expect(((await send.json()) as { contacts: Array<{ wa_id: string }> }).contacts[0]?.wa_id).toBe(
      '16505551234',
    );
    cap.stop();
    await run;
    expect(cap.lines.at(-1)).toBe('wacrm mock whatsapp: SIGTERM, stopping');
    await expect(fetch(`${base}/_mock/health`)).rejects.toThrow();
  });

  it('rejects a bad flag with a usage error naming it (exit code 2)', async () => {
    const cap = capture();
    const run = buildProgram(cap.io, '0.0.0').parseAsync(['mock', 'whatsapp', '--throughput', 'fast'], {
      from: 'user',
    });
    await expect(run).rejects.toBeInstanceOf(WacrmError);
    await expect(run).rejects.toMatchObject({
      code: 'WACRM_USAGE',
      exitCode: 2,
      message: '--throughput must be an integer from 1 to 1000, got "fast"',
    });
  });

  it('reports a taken port as WACRM_PORT_IN_USE', async () => {
    const first = capture();
    const run1 = buildProgram(first.io, '0.0.0').parseAsync(['mock', 'whatsapp', '--port', '0'], {
      from: 'user',
    });
    await until(() => first.lines.some((l) => l.startsWith('Press Ctrl+C')));
    const port = /:(\d+)$/.exec(/listening on (\S+)/.exec(first.lines[0] ?? '')?.[1] ?? '')?.[1] as string;
    const second = capture();
    await expect(
      buildProgram(second.io, '0.0.0').parseAsync(['mock', 'whatsapp', '--port', port], { from: 'user' }),
    ).rejects.toMatchObject({
      code: 'WACRM_PORT_IN_USE',
      exitCode: 3,
    });
    first.stop();
    await run1;
  });
});
