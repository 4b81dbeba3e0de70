import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../kernel/clock.js';
import {
  crmEventSignedPost,
  type HmacSha256Hex,
  inboundTextPost,
  isOutboundFlow,
  k6EventId,
} from '../../kernel/wire.js';
import { buildCrmMock } from '../../mocks/crm/index.js';
import { buildWhatsAppMock } from '../../mocks/whatsapp/index.js';
import { classifyFlow } from '../../src/checks/outcome.js';
import { registerCollectCommand } from '../../src/cli/collect.js';
import { collectRun, judgeCapacityFlows, stepPlanOf } from '../../src/collect/index.js';
import { loadScenario, type SuiteOf } from '../../src/config/index.js';
import { WacrmError } from '../../src/errors.js';
import { plannedK6Flows } from '../../src/export/index.js';
import { contactRecord } from '../../src/flows/outbound-plan.js';
import { FlowTracer } from '../../src/flows/tracer.js';
import type { FlowTrace } from '../../src/flows/types.js';
import { grade } from '../../src/grading/index.js';
import { offsetOfArrival } from '../../src/load/schedule.js';
import { rampStages } from '../../src/load/step-ramp.js';
import { crmBudgetArgs, crmMockOptions } from '../../src/run/crm-options.js';
import { MOCK_DEFAULT_CREDENTIALS, type Stack, startStack } from '../../src/run/stack.js';
import { runCommand } from '../unit/cli/run-command.js';

// A k6 run without k6: the exported script's own wire functions under Node, on the script's schedule,
// posted straight to the reference connector; then `wacrm collect` over the mocks' admin APIs.
// Live, a FlowTracer on the mocks' journals traces the same flows as `wacrm run` would (registered
// as they are sent): collect's grades must equal what the same judges give those flows.

const creds = MOCK_DEFAULT_CREDENTIALS;
const hmac: HmacSha256Hex = (secret, body) => createHmac('sha256', secret).update(body).digest('hex');
const envelope = {
  wabaId: creds.wabaId,
  phoneNumberId: creds.phoneNumberId,
  displayPhoneNumber: creds.displayPhoneNumber,
};

// Two steps (1,200 then 2,400/min) of 1.01 s, judged after 210 ms: no arrival falls on a window's edge.
const SCENARIO = `name: collect-it
seed: 42
mocks:
  whatsapp:
    throughputPerSec: 1000
  crm:
    plan: enterprise
    ratePerMin: 600000
suites:
  - kind: capacity
    start: 1200/min
    step: 1200/min
    stepDuration: 1010ms
    warmup: 210ms
    maxRate: 2400/min
    deadline: 5s
    mix: { outbound: 0.5, inbound: 0.5 }
    criteria: { p95Latency: 3s, errorRate: 0.05 }
`;

let dir: string;
let scenarioFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-collect-'));
  scenarioFile = join(dir, 'collect-it.yaml');
  await writeFile(scenarioFile, SCENARIO);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Moves a live trace onto the test's timeline (ms from the ramp's start), as collect's traces are. */
function shifted(f: FlowTrace, t0: number): FlowTrace {
  return {
    ...f,
    intendedAtMs: f.intendedAtMs - t0,
    hops: f.hops.map((h) => ({ ...h, atMs: h.atMs - t0 })),
    ...(f.completedAtMs !== undefined ? { completedAtMs: f.completedAtMs - t0 } : {}),
  };
}

interface Played {
  stack: Stack;
  live: FlowTrace[];
  sent: number;
}

/** Starts the stack, does what the script's setup() does, plays the ramp as k6 would, and waits for quiet. */
async function play(faults: string[]): Promise<Played> {
  const { scenario } = await loadScenario(scenarioFile);
  const suite = scenario.suites[0] as SuiteOf<'capacity'>;
  const stack = await startStack({
    clock: new RealClock(),
    seed: scenario.seed,
    whatsapp: { throughputPerSec: 1000 },
    crm: crmMockOptions(scenario.mocks.crm),
    connector: {
      kind: 'reference',
      faults,
      args: [...crmBudgetArgs(scenario.mocks.crm), '--wa-rate-per-sec', '1000'],
    },
    credentials: creds,
  });
  const pools = await plannedK6Flows(scenario, 'capacity');
  const stages = rampStages(stepPlanOf(suite));
  const offsets: number[] = [0];
  for (let n = 1; ; n++) {
    const o = offsetOfArrival(stages, n);
    if (o === undefined) break;
    offsets.push(o);
  }
  // setup(): the contacts of the outbound flows played, the windows of the customers who write.
  const contacts = new Map<string, Record<string, unknown>>();
  const customers = new Map<string, string>();
  for (let n = 0; n < offsets.length; n++) {
    if (isOutboundFlow(n, suite.mix.outbound)) {
      const plan = pools.outbound[n % pools.outbound.length];
      if (plan && !contacts.has(plan.contact.phone)) {
        const c = plan.contact;
        const res = await fetch(`${stack.crmUrl}/_mock/contacts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(contactRecord(c)),
        });
        expect([200, 201]).toContain(res.status);
        contacts.set(c.phone, (await res.json()) as Record<string, unknown>);
      }
    } else {
      const m = pools.inbound[n % pools.inbound.length];
      if (m) customers.set(m.fromWaId, m.profileName);
    }
  }
  for (const [from, name] of customers) {
    const res = await fetch(`${stack.whatsappUrl}/_mock/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from, type: 'text', text: { body: 'Hello' }, profile: { name } }),
    });
    expect(res.status).toBe(200);
  }
  await sleep(200);

  const tracer = new FlowTracer();
  tracer.attach(stack.whatsapp.journal);
  tracer.attach(stack.crm.journal);
  const clock = new RealClock();
  const t0Epoch = Date.now() + 100;
  const t0Perf = clock.nowMs() + (t0Epoch - Date.now());
  const posts: Array<Promise<unknown>> = [];
  for (let n = 0; n < offsets.length; n++) {
    const offset = Math.round(offsets[n] as number);
    const wait = t0Epoch + offset - Date.now();
    if (wait > 0) await sleep(wait);
    const intendedEpochMs = t0Epoch + offset;
    const intendedPerf = t0Perf + offset;
    if (isOutboundFlow(n, suite.mix.outbound)) {
      const plan = pools.outbound[n % pools.outbound.length];
      const contact = plan ? contacts.get(plan.contact.phone) : undefined;
      if (!plan || !contact) throw new Error(`no plan for iteration ${n}`);
      const id = k6EventId(n, intendedEpochMs);
      tracer.startOutbound(`capacity-o${n}`, 'capacity', intendedPerf, intendedPerf, {
        ...plan.expectation,
        eventId: id,
      });
      const post = crmEventSignedPost(
        {
          id,
          type: plan.eventType,
          created_at: new Date(intendedEpochMs).toISOString(),
          contact,
          data: plan.data,
          action: plan.action,
        },
        creds.crmWebhookSecret,
        hmac,
      );
      posts.push(fetch(stack.crmWebhookUrl, { method: 'POST', headers: post.headers, body: post.body }));
    } else {
      const m = pools.inbound[n % pools.inbound.length];
      if (!m) throw new Error(`no plan for iteration ${n}`);
      const post = inboundTextPost(
        envelope,
        { from: m.fromWaId, name: m.profileName, text: m.expectation.text },
        n,
        intendedEpochMs,
        creds.appSecret,
        hmac,
      );
      tracer.startInbound(
        `capacity-i${n}`,
        'capacity',
        intendedPerf,
        intendedPerf,
        post.wamid,
        m.expectation,
      );
      posts.push(
        fetch(`${stack.connectorUrl}/webhooks/whatsapp`, {
          method: 'POST',
          headers: post.headers,
          body: post.body,
        }),
      );
    }
  }
  await Promise.all(posts);
  // Quiet: neither journal grew for 300 ms (write-backs settled), at most 3 s.
  const size = () => stack.whatsapp.journal.size() + stack.crm.journal.size();
  const end = Date.now() + 3000;
  let last = -1;
  while (Date.now() < end && size() !== last) {
    last = size();
    await sleep(300);
  }
  tracer.detachAll();
  return { stack, live: tracer.all().map((f) => shifted(f, t0Perf)), sent: offsets.length };
}

describe('wacrm collect grades a k6-style run the way the judges grade its flows', () => {
  let good: Played | undefined;
  let lossy: Played | undefined;
  afterAll(async () => {
    await good?.stack.close();
    await lossy?.stack.close();
  });

  it('a connector that keeps up: same flows, same steps, same grade; the report says it was distributed', async () => {
    good = await play([]);
    const s = good.stack;
    const summaryFile = join(dir, 'k6-summary.json');
    await writeFile(
      summaryFile,
      JSON.stringify({
        metrics: {
          iterations: { count: good.sent, rate: 20 },
          http_req_failed: { passes: 0, fails: good.sent, value: 0 },
        },
      }),
    );
    const collected = await collectRun({
      whatsappUrl: s.whatsappUrl,
      crmUrl: s.crmUrl,
      scenarioFile,
      k6SummaryFiles: [summaryFile],
      wacrmVersion: 'test',
      nodeVersion: process.version,
      runId: 'collect-good',
      pageSize: 50, // many pages: the streamed path, not one big read
    });
    const { result } = collected;
    const { scenario } = await loadScenario(scenarioFile);
    const suite = scenario.suites[0] as SuiteOf<'capacity'>;
    const live = judgeCapacityFlows(good.live, suite, { atMs: 1e9, harnessValid: true });

    // Every flow found, the same traces (sync latencies from the intended time, to the ms).
    expect(collected.flows).toHaveLength(good.sent);
    expect(result.distributed?.flowsFound).toBe(good.sent);
    expect(result.distributed?.flowsUnseen).toBe(0);
    const byId = new Map(collected.flows.map((f) => [f.flowId, f]));
    for (const f of good.live) {
      const c = byId.get(f.flowId);
      expect(c, f.flowId).toBeDefined();
      // The outcome the judges read (statuses may still be arriving: `state` can move on, the outcome cannot).
      expect(c && classifyFlow(c, 5000).outcome, f.flowId).toBe(classifyFlow(f, 5000).outcome);
      expect(Math.abs((c?.syncLatencyMs ?? -1e9) - (f.syncLatencyMs ?? -1e9))).toBeLessThanOrEqual(2);
    }
    // The same steps and the same graded peak as the judges give the live flows.
    const strip = (st: typeof live.capacity.steps) =>
      st.map((x) => ({
        rate: x.ratePerMin,
        sent: x.sent,
        completed: x.completed,
        passed: x.passed,
        errorRate: x.errorRate,
      }));
    expect(strip(result.capacity?.steps ?? [])).toEqual(strip(live.capacity.steps));
    expect(result.capacity?.steps.map((x) => x.sent)).toEqual([16, 32]);
    expect(result.metrics.peak_capacity_msg_per_min?.value).toBe(live.peak?.value);
    expect(result.metrics.peak_capacity_msg_per_min?.value).toBe(2400);
    const sheet = grade(result, collected.acceptance);
    expect(sheet.rows.find((r) => r.key === 'peak_capacity_msg_per_min')?.band).not.toBe('fail');
    expect(result.valid).toBe(true);
    // Journals, entry counts, clock method and k6's figures are in the result.
    expect(result.distributed?.journals.map((j) => j.source)).toEqual(['whatsapp', 'crm']);
    expect(result.distributed?.journals.every((j) => j.entries > 0)).toBe(true);
    expect(result.distributed?.clock.originMaxResidualMs).toBeLessThanOrEqual(1);
    expect(result.distributed?.clock.crmLeadAtMostMs).toBeGreaterThanOrEqual(0);
    expect(result.distributed?.k6?.iterations).toBe(good.sent);
    expect(result.suites[0]?.kind).toBe('capacity');

    // The CLI writes the same reports as wacrm run; the report says the run was distributed.
    const out = join(dir, 'report-good');
    const r = await runCommand(registerCollectCommand, [
      'collect',
      '--whatsapp',
      s.whatsappUrl,
      '--crm',
      s.crmUrl,
      '--scenario',
      scenarioFile,
      '--k6-summary',
      summaryFile,
      '--out',
      out,
    ]);
    expect(r.error?.message).toBeUndefined();
    expect(r.exitCode).toBe(sheet.exitCode);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect((summary['distributed'] as { generator: string }).generator).toBe('k6');
    expect(
      (summary['metrics'] as Record<string, { value: number }>)['peak_capacity_msg_per_min']?.value,
    ).toBe(2400);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Distributed run (k6)');
    expect(html).toContain('clock alignment');
    expect(await readFile(join(out, 'junit.xml'), 'utf8')).toContain('peak_capacity_msg_per_min');
  }, 40_000);

  it('a connector that drops messages: collect fails the ramp, as the judges do on the live flows', async () => {
    lossy = await play(['drop-inbound=0.5']);
    const s = lossy.stack;
    const collected = await collectRun({
      whatsappUrl: s.whatsappUrl,
      crmUrl: s.crmUrl,
      scenarioFile,
      wacrmVersion: 'test',
      nodeVersion: process.version,
      runId: 'collect-lossy',
    });
    const { scenario } = await loadScenario(scenarioFile);
    const live = judgeCapacityFlows(lossy.live, scenario.suites[0] as SuiteOf<'capacity'>, {
      atMs: 1e9,
      harnessValid: true,
    });
    // Without a k6 summary the dropped inbound messages leave no trace: collect sees fewer flows…
    expect(collected.flows.length).toBeLessThan(lossy.sent);
    // …but with the summary's iteration count they are lost flows, and the grade is the judges'.
    const summaryFile = join(dir, 'k6-lossy.json');
    await writeFile(summaryFile, JSON.stringify({ metrics: { iterations: { count: lossy.sent } } }));
    const counted = await collectRun({
      whatsappUrl: s.whatsappUrl,
      crmUrl: s.crmUrl,
      scenarioFile,
      k6SummaryFiles: [summaryFile],
      wacrmVersion: 'test',
      nodeVersion: process.version,
      runId: 'collect-lossy-2',
    });
    expect(counted.flows).toHaveLength(lossy.sent);
    const steps = (x: typeof live.capacity.steps) =>
      x.map((v) => ({ sent: v.sent, completed: v.completed, passed: v.passed }));
    expect(steps(counted.result.capacity?.steps ?? [])).toEqual(steps(live.capacity.steps));
    expect(counted.result.capacity?.steps[0]?.passed).toBe(false);
    expect(counted.result.metrics.peak_capacity_msg_per_min?.value).toBe(0);
    const sheet = grade(counted.result, counted.acceptance);
    expect(sheet.rows.find((r) => r.key === 'peak_capacity_msg_per_min')?.band).toBe('fail');
    expect(sheet.verdict).toBe('fail');
  }, 40_000);

  it('bad input: an unreachable URL, swapped mocks, a foreign server, empty journals → coded errors, exit 2', async () => {
    const s = good?.stack;
    if (!s) throw new Error('the first test did not start its stack');
    const codeOf = async (p: Promise<unknown>) => {
      try {
        await p;
        return 'no error';
      } catch (err) {
        expect(err).toBeInstanceOf(WacrmError);
        expect((err as WacrmError).exitCode).toBe(2);
        return (err as WacrmError).code;
      }
    };
    const base = { scenarioFile, wacrmVersion: 'test', nodeVersion: process.version, runId: 'x' };
    // A port nobody listens on.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    expect(await codeOf(collectRun({ ...base, whatsappUrl: deadUrl, crmUrl: s.crmUrl }))).toBe(
      'WACRM_COLLECT_UNREACHABLE',
    );
    expect(await codeOf(collectRun({ ...base, whatsappUrl: s.crmUrl, crmUrl: s.whatsappUrl }))).toBe(
      'WACRM_COLLECT_NOT_A_MOCK',
    );
    const foreign: Server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'),
    );
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
    const foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
    try {
      expect(await codeOf(collectRun({ ...base, whatsappUrl: s.whatsappUrl, crmUrl: foreignUrl }))).toBe(
        'WACRM_COLLECT_NOT_A_MOCK',
      );
    } finally {
      await new Promise((r) => foreign.close(r));
    }
    // A fresh pair of mocks: nothing to collect.
    const wa = buildWhatsAppMock({ ...creds });
    const crm = buildCrmMock({ token: creds.crmToken, webhookSecret: creds.crmWebhookSecret });
    try {
      const waUrl = await wa.listen({ port: 0, host: '127.0.0.1' });
      const crmUrl = await crm.listen({ port: 0, host: '127.0.0.1' });
      expect(await codeOf(collectRun({ ...base, whatsappUrl: waUrl, crmUrl }))).toBe('WACRM_COLLECT_EMPTY');
    } finally {
      await wa.close();
      await crm.close();
    }
    // The CLI: exit 2, the code and a message, no stack trace.
    const r = await runCommand(registerCollectCommand, [
      'collect',
      '--whatsapp',
      deadUrl,
      '--crm',
      s.crmUrl,
      '--scenario',
      scenarioFile,
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.error?.code).toBe('WACRM_COLLECT_UNREACHABLE');
    expect(r.error?.message).toContain(deadUrl);
    expect(r.error?.message).not.toMatch(/\n\s+at /);
    const bad = join(dir, 'bad-summary.json');
    await writeFile(bad, '{"metrics":{}}');
    const r2 = await runCommand(registerCollectCommand, [
      'collect',
      '--whatsapp',
      s.whatsappUrl,
      '--crm',
      s.crmUrl,
      '--scenario',
      scenarioFile,
      '--k6-summary',
      bad,
    ]);
    expect(r2.error?.code).toBe('WACRM_K6_SUMMARY_INVALID');
    expect(r2.exitCode).toBe(2);
  }, 30_000);
});
