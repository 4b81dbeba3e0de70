import { EventEmitter } from 'node:events';
import { VirtualClock } from '../../../../kernel/clock.js';
import { WhatsAppLedger } from '../../../../src/checks/consistency.js';
import type { FlowTracer } from '../../../../src/flows/tracer.js';
import type { FlowTrace } from '../../../../src/flows/types.js';
import { FlowWaiter } from '../../../../src/run/drive.js';
import type { Stack } from '../../../../src/run/stack.js';
import type { SuiteContext } from '../../../../src/run/suites/index.js';
import type { Traffic } from '../../../../src/run/traffic.js';
import { testHealth } from '../../../fixtures/harness-health.js';

/**
 * An in-process connector stand-in on a VirtualClock, for fast deterministic tests of the suite
 * runners: a flow syncs `latencyMs` after it starts while the arrival rate over the trailing 3 s
 * is at most `capacityPerMin`; above it the connector refuses the flow (it fails). The mocks are
 * not involved: the stand-in plays the tracer and the traffic the runners drive.
 */
export interface StandIn {
  ctx: SuiteContext;
  clock: VirtualClock;
  flows: FlowTrace[];
  /** Advances virtual time until `p` settles (fails the test past `maxMs`). */
  run<T>(p: Promise<T>, maxMs?: number): Promise<T>;
}

/** Builds a {@link StandIn}. */
export function standIn(opts: {
  capacityPerMin: number;
  latencyMs?: number;
  /** Flows that fail even under capacity: every n-th (0 = none). */
  failEvery?: number;
  /** Marks harness health windows in [fromMs, toMs) invalid (a saturated harness). */
  saturate?: { fromMs: number; toMs: number };
}): StandIn {
  const clock = new VirtualClock({ startMs: 0 });
  const events = new EventEmitter();
  const flows: FlowTrace[] = [];
  const arrivals: number[] = [];
  let seq = 0;
  const tracer = {
    on: (ev: string, fn: (f: FlowTrace) => void) => events.on(ev, fn),
    markDropped: (flowId: string, suite: string, direction: 'outbound' | 'inbound', intendedAtMs: number) => {
      const f: FlowTrace = {
        flowId,
        suite,
        direction,
        intendedAtMs,
        hops: [],
        statusesScheduled: [],
        state: 'dropped',
      };
      flows.push(f);
      return f;
    },
  } as unknown as FlowTracer;
  const start = (suite: string, direction: 'outbound' | 'inbound', intendedAtMs: number): FlowTrace => {
    const now = clock.nowMs();
    arrivals.push(now);
    while (arrivals.length > 0 && (arrivals[0] as number) < now - 3_000) arrivals.shift();
    const f: FlowTrace = {
      flowId: `${suite}-${++seq}`,
      suite,
      direction,
      intendedAtMs,
      startedAtMs: now,
      hops: [],
      statusesScheduled: [],
      state: 'pending',
    };
    flows.push(f);
    const over = arrivals.length * 20 > opts.capacityPerMin;
    const failing = over || (opts.failEvery ? seq % opts.failEvery === 0 : false);
    clock.setTimeout(() => {
      if (failing) {
        f.state = 'failed';
        f.failure = 'refused by the stand-in';
        events.emit('failed', f);
      } else {
        f.syncLatencyMs = clock.nowMs() - f.intendedAtMs;
        f.state = 'complete';
        f.completedAtMs = clock.nowMs();
        events.emit('complete', f);
      }
    }, opts.latencyMs ?? 100);
    return f;
  };
  const traffic = {
    ensureContacts: () => {},
    startOutbound: (suite: string, at: number) => start(suite, 'outbound', at),
    startInbound: (suite: string, at: number) => start(suite, 'inbound', at),
  } as unknown as Traffic;
  const stack = {
    whatsapp: {
      templates: () => [
        {
          name: 'order_update',
          language: 'en',
          category: 'UTILITY',
          status: 'APPROVED',
          components: [{ type: 'BODY', text: 'Your order has shipped.' }],
        },
      ],
    },
  } as unknown as Stack;
  const health = testHealth(
    opts.saturate ? { ...opts.saturate, reason: 'event-loop delay p99 900 ms > 200 ms' } : undefined,
  );
  const logs: string[] = [];
  const ctx: SuiteContext = {
    clock,
    stack,
    tracer,
    traffic,
    waiter: new FlowWaiter(tracer, clock),
    seed: 7,
    originMs: 0,
    maxInFlight: 10_000,
    lagBoundMs: 50,
    health,
    waLedger: new WhatsAppLedger(),
    apiCalls: () => ({ total: 0, ok: 0 }),
    connectorSamples: () => [],
    progress: () => {},
    log: (l) => logs.push(l),
  };
  return {
    ctx,
    clock,
    flows,
    async run<T>(p: Promise<T>, maxMs = 3_600_000): Promise<T> {
      let done = false;
      let out: T | undefined;
      let error: unknown;
      p.then(
        (v) => {
          done = true;
          out = v;
        },
        (e) => {
          done = true;
          error = e;
        },
      );
      const until = clock.nowMs() + maxMs;
      while (!done) {
        if (clock.nowMs() > until) throw new Error(`did not settle within ${maxMs} virtual ms`);
        clock.advance(50);
        await new Promise((r) => setImmediate(r));
      }
      if (error) throw error;
      return out as T;
    },
  };
}
