import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/report/summary.js';

// Full `wacrm run`s against connectors that go wrong the ways vendors' connectors do: killed
// mid-run, hung after the handshake (a connector refusing every webhook after the preflight is
// in connector-refuses.test.ts). Each must be named in the terminal,
// summary.json and report.html, and none may grade its latency BEST (lost flows count at the
// deadline). Each run is about 20 s.

const dir = mkdtempSync(join(tmpdir(), 'wacrm-dies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCENARIO = join(dir, 'sync.yaml');
writeFileSync(
  SCENARIO,
  `name: connector-dies
seed: 7
acceptance: ${resolve('scenarios/acceptance.yaml')}
mocks:
  whatsapp: { throughputPerSec: 1000 }
  crm: { plan: enterprise, ratePerMin: 120000, contacts: 50 }
suites:
  - { kind: conversation-sync, messages: 240, conversations: 60, rate: 1200/min, deadline: 5s }
`,
);

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: Summary;
  html: string;
}

function run(
  out: string,
  extra: string[],
  whileRunning?: (child: ChildProcess, stderr: () => string) => void,
  scenario = SCENARIO,
) {
  return new Promise<Ran>((done, fail) => {
    const child = spawn(process.execPath, ['dist/src/cli/main.js', 'run', scenario, '--out', out, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    whileRunning?.(child, () => stderr);
    child.on('error', fail);
    child.on('close', (code) => {
      try {
        done({
          code,
          stdout,
          stderr,
          summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')),
          html: readFileSync(join(out, 'report.html'), 'utf8'),
        });
      } catch (err) {
        fail(new Error(`no reports (exit ${code}): ${(err as Error).message}\n${stderr}`));
      }
    });
  });
}

/** The run's own child processes (the reference connector): the only processes these tests signal. */
function childrenOf(child: ChildProcess): number[] {
  return execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' })
    .split('\n')
    .map((x) => Number(x.trim()))
    .filter((n) => n > 0);
}

function expectNoBestLatency(r: Ran) {
  const m = r.summary.metrics.sync_latency_p95_s;
  expect(m.band, JSON.stringify({ valid: r.summary.valid, why: r.summary.invalidReasons, m })).toBe('fail');
  expect(m.atLeast).toBe(true);
  expect(m.shown).toBe('> 5 s');
  expect(r.stdout).toContain('> 5 s');
  expect(r.code).toBe(1);
}

describe('a connector that dies, hangs or refuses is named in every report', () => {
  it('killed mid-run: "connector died" with the time, lost flows censored', async () => {
    const r = await run(join(dir, 'killed'), [], (child, stderr) => {
      const timer = setInterval(() => {
        if (!stderr().includes('suite conversation-sync starting')) return;
        clearInterval(timer);
        setTimeout(() => {
          // The reference connector is the run's own child process: kill exactly that one.
          for (const pid of childrenOf(child)) process.kill(pid, 'SIGKILL');
        }, 2_000);
      }, 100);
    });
    expectNoBestLatency(r);
    const health = r.summary.connectorHealth;
    if (!health) throw new Error('summary.json has no connectorHealth');
    expect(health.exited?.reason).toContain('SIGKILL');
    expect(health.diagnoses.join('\n')).toMatch(
      /connector died: the process exited \(code null, signal SIGKILL\) at \d+(\.\d)? s into the run/,
    );
    expect(health.unanswered).toBeGreaterThan(0);
    expect(r.stdout).toContain('DIAGNOSIS connector died');
    expect(r.html).toContain('Connector health');
    expect(r.html).toContain('connector died');
  }, 90_000);

  it('hung after the handshake: "stopped answering" with the time, timeouts counted', async () => {
    // SIGSTOP freezes the reference connector: its sockets stay open and nothing answers. The
    // harness stops it at the end of the run (SIGKILL after its grace period).
    const r = await run(join(dir, 'hung'), [], (child, stderr) => {
      const timer = setInterval(() => {
        if (!stderr().includes('suite conversation-sync starting')) return;
        clearInterval(timer);
        setTimeout(() => {
          for (const pid of childrenOf(child)) process.kill(pid, 'SIGSTOP');
        }, 1_000);
      }, 100);
    });
    expectNoBestLatency(r);
    const health = r.summary.connectorHealth;
    if (!health) throw new Error('summary.json has no connectorHealth');
    expect(health.handshake.ok).toBe(true);
    // Answers are counted by suite and stage: the timeouts fall in the stages after the freeze.
    const timeouts = health.answers.reduce((n, a) => n + (a.byCode['timeout'] ?? 0), 0);
    expect(timeouts).toBeGreaterThan(0);
    expect(health.stoppedAnsweringAtMs).toBeGreaterThan(0);
    expect(health.diagnoses.join('\n')).toMatch(/connector stopped answering at [\d.]+ s into the run/);
    expect(r.stdout).toContain('DIAGNOSIS connector stopped answering');
    expect(r.stderr).toMatch(/errors [1-9]/);
    expect(r.html).toContain('connector stopped answering');
  }, 90_000);
});

describe('an interrupted run keeps what it measured', () => {
  it('SIGINT mid-run writes the reports marked INTERRUPTED and exits 130', async () => {
    const sent: { at?: number } = {};
    const r = await run(join(dir, 'interrupted'), [], (child, stderr) => {
      const timer = setInterval(() => {
        if (!stderr().includes('suite conversation-sync starting')) return;
        clearInterval(timer);
        setTimeout(() => {
          sent.at = Date.now();
          child.kill('SIGINT');
        }, 3_000);
      }, 100);
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('[WACRM_INTERRUPTED]');
    const i = r.summary.interrupted;
    if (!i) throw new Error('summary.json is not marked interrupted');
    expect(i.signal).toBe('SIGINT');
    expect(Math.abs(Date.parse(i.at) - (sent.at ?? 0))).toBeLessThan(2_000);
    // What ran before the signal was measured: some messages were sent, fewer than planned.
    const suite = r.summary.suites[0];
    expect(suite?.flows.sent).toBeGreaterThan(0);
    expect(suite?.flows.sent).toBeLessThan(240);
    expect(r.stdout).toContain('INTERRUPTED at');
    expect(r.html).toContain('INTERRUPTED');
  }, 90_000);

  it('a second SIGINT stops at once, without waiting for the flows in flight', async () => {
    // The connector drops every customer message, so the first SIGINT would wait out the 30 s
    // deadline of the flows in flight; the second must end the process at once.
    const scenario = join(dir, 'slow-drain.yaml');
    writeFileSync(
      scenario,
      readFileSync(SCENARIO, 'utf8')
        .replace('deadline: 5s', 'deadline: 30s')
        .concat('connector:\n  faults: [drop-inbound=1]\n'),
    );
    const child = spawn(
      process.execPath,
      ['dist/src/cli/main.js', 'run', scenario, '--out', join(dir, 'twice')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    child.stdout.resume();
    let connectorPids: number[] = [];
    let secondAt = 0;
    const timer = setInterval(() => {
      if (!stderr.includes('suite conversation-sync starting')) return;
      clearInterval(timer);
      setTimeout(() => {
        connectorPids = childrenOf(child);
        child.kill('SIGINT');
        setTimeout(() => {
          secondAt = Date.now();
          child.kill('SIGINT');
        }, 500);
      }, 2_000);
    }, 100);
    const code = await new Promise<number | null>((done) => child.on('close', done));
    const tookMs = Date.now() - secondAt;
    // The harness ended without stopping its connector: stop exactly that child of the run.
    for (const pid of connectorPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    expect(stderr).toContain('again to stop at once');
    expect(code).toBe(130);
    expect(secondAt).toBeGreaterThan(0);
    expect(tookMs).toBeLessThan(5_000);
  }, 90_000);
});
