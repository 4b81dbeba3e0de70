import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrmStandIn, inbound, postWhatsApp, until, WhatsAppStandIn } from './connector-standins.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'connector', 'main.js');

/** Whether dist/ holds a connector at least as new as every connector source file. */
function builtUpToDate(): boolean {
  const newestSource = Math.max(
    ...readdirSync(join(ROOT, 'connector')).map((f) => statSync(join(ROOT, 'connector', f)).mtimeMs),
  );
  return existsSync(MAIN) && statSync(MAIN).mtimeMs >= newestSource;
}

/**
 * Builds with the project's tsc only when dist/ is stale: `npm test` builds first (pretest), and a
 * second whole-project tsc here cost about 13 s of the suite's wall clock on 2 cores. Errors in other
 * parts of the tree do not stop the emit of ours.
 */
beforeAll(async () => {
  if (builtUpToDate()) return;
  await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT }).catch(() => undefined);
  if (!builtUpToDate()) throw new Error(`tsc did not produce an up-to-date ${MAIN}`);
}, 180_000);

interface Started {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Started = {
    child,
    stdout: [],
    stderr: [],
    exited: new Promise((r) => child.once('exit', (code) => r(code))),
  };
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    out.stdout.push(...lines);
  });
  child.stderr?.on('data', (d: Buffer) => out.stderr.push(...d.toString('utf8').split('\n').filter(Boolean)));
  return out;
}

describe('the connector as a process', () => {
  let wa: WhatsAppStandIn;
  let crm: CrmStandIn;
  beforeAll(async () => {
    wa = await new WhatsAppStandIn().start();
    crm = await new CrmStandIn().start();
  });
  afterAll(async () => {
    await wa.close();
    await crm.close();
  });

  /** Where the connector finds the stand-ins (credentials come separately). */
  const standInFlags = () => [
    '--port',
    '0',
    '--wa-base-url',
    wa.url,
    '--wa-phone-number-id',
    'PNID',
    '--crm-base-url',
    `${crm.url}/api/v1`,
  ];

  it('prints exactly one listening line, serves, and drains and exits 0 on SIGTERM', async () => {
    const p = run([...standInFlags(), '--fault', 'no-tags'], {
      WACRM_CONNECTOR_WA_ACCESS_TOKEN: 'wa-token',
      WACRM_CONNECTOR_CRM_TOKEN: 'crm-token',
      WACRM_CONNECTOR_WA_APP_SECRET: 'app-secret',
    });
    try {
      await until(() => p.stdout.length > 0, 15_000, 'the listening line');
      const line = JSON.parse(p.stdout[0] as string) as { event: string; url: string; pid: number };
      expect(line).toEqual({
        event: 'listening',
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        pid: p.child.pid,
      });
      expect((await fetch(line.url + '/healthz')).status).toBe(200);
      expect(
        (await postWhatsApp(line.url, inbound('wamid.p1', '886912345678', 'refund please'))).status,
      ).toBe(200);
      await until(() => crm.messages.has('wamid.p1'), 10_000, 'the message in the CRM');
      expect(p.stderr.some((l) => l.includes("fault switch 'no-tags' is on"))).toBe(true);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.stdout.filter(Boolean)).toHaveLength(1);
      const logs = p.stderr.join('\n');
      for (const secret of ['wa-token', 'crm-token', 'app-secret']) expect(logs).not.toContain(secret);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  }, 60_000);

  it('started by the harness, it drains and exits when the harness is killed with SIGKILL', async () => {
    // A stand-in harness: starts the connector the way `wacrm run` does, prints its pid, waits.
    const harnessSource = `
      const { spawnConnector } = await import(${JSON.stringify(join(ROOT, 'dist', 'src', 'run', 'connector-process.js'))});
      const c = await spawnConnector(${JSON.stringify([
        ...standInFlags(),
        '--wa-access-token',
        'wa-token',
        '--wa-app-secret',
        'app-secret',
        '--crm-token',
        'crm-token',
      ])});
      process.stdout.write(JSON.stringify({ pid: c.pid }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const harness = spawn(process.execPath, ['--input-type=module', '-e', harnessSource], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    harness.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    let connectorPid: number | undefined;
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      await until(() => out.includes('\n'), 20_000, 'the connector pid from the stand-in harness');
      connectorPid = (JSON.parse(out.split('\n')[0] as string) as { pid: number }).pid;
      expect(alive(connectorPid)).toBe(true);
      harness.kill('SIGKILL');
      await until(() => !alive(connectorPid as number), 15_000, 'the orphaned connector to exit');
    } finally {
      if (harness.exitCode === null) harness.kill('SIGKILL');
      if (connectorPid !== undefined && alive(connectorPid)) process.kill(connectorPid, 'SIGKILL');
    }
  }, 60_000);

  it.each([
    [['--port', 'nope'], /--port: 'nope' is not a port number/],
    [['--fault', 'explode'], /unknown fault 'explode'; known faults: drop-inbound, .*wrong-params/],
    [['--frobnicate'], /unknown flag --frobnicate/],
  ])(
    'exits 2 with one line naming the problem for %j',
    async (args, message) => {
      const p = run(args);
      expect(await p.exited).toBe(2);
      expect(p.stderr).toHaveLength(1);
      expect(p.stderr[0]).toMatch(message);
      expect(p.stdout.filter(Boolean)).toEqual([]);
    },
    30_000,
  );
});
