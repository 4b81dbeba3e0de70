import type { Clock, TimerHandle } from '../../kernel/clock.js';
import type { FlowTracer } from '../flows/tracer.js';
import type { FlowTrace } from '../flows/types.js';
import { type Arrival, type DriverStats, type LagSink, runOpenModel } from '../load/driver.js';
import { arrivalOffsets, type RateStage } from '../load/schedule.js';

/**
 * Resolves a promise per flow when the tracer says it completed or failed, or when its deadline
 * passes — so the open-model driver can count flows in flight without ever waiting on one.
 */
export class FlowWaiter {
  private readonly waits = new Map<string, { resolve: () => void; timer: TimerHandle }>();

  constructor(
    tracer: FlowTracer,
    private readonly clock: Clock,
  ) {
    const settle = (f: FlowTrace) => this.settle(f.flowId);
    tracer.on('complete', settle);
    tracer.on('failed', settle);
  }

  /** Resolves when the flow is no longer pending, or `deadlineMs` after its intended start. */
  wait(flow: FlowTrace, deadlineMs: number): Promise<void> {
    if (flow.state !== 'pending') return Promise.resolve();
    return new Promise<void>((resolve) => {
      const delay = Math.max(0, flow.intendedAtMs + deadlineMs - this.clock.nowMs());
      const timer = this.clock.setTimeout(() => this.settle(flow.flowId), delay);
      this.waits.set(flow.flowId, { resolve, timer });
    });
  }

  /** Number of flows still awaited. */
  pending(): number {
    return this.waits.size;
  }

  private settle(flowId: string): void {
    const w = this.waits.get(flowId);
    if (!w) return;
    this.waits.delete(flowId);
    this.clock.clearTimeout(w.timer);
    w.resolve();
  }
}

/** Options of {@link drive}. */
export interface DriveOptions {
  clock: Clock;
  waiter: FlowWaiter;
  stages: readonly RateStage[];
  /** Starts one flow for an arrival (returns the trace; it may already be failed or dropped). */
  start: (arrival: Arrival) => FlowTrace;
  /** Records an arrival the driver dropped (in-flight cap). */
  drop: (arrival: Arrival) => FlowTrace;
  deadlineMs: number;
  maxInFlight: number;
  lagBoundMs: number;
  health?: LagSink;
  signal?: AbortSignal;
  /** Offset of the schedule from now (default: start at once). */
  startAtMs?: number;
  /**
   * Index of the first arrival to play (a resumed soak continues the numbering): the schedule starts
   * at arrival `firstIndex + 1`, whose offset is still measured from `startAtMs`. Default 0.
   */
  firstIndex?: number;
  /** The list every flow (started or dropped) is added to as it happens, for live progress; default a new one. */
  flows?: FlowTrace[];
  /** Called once per launched flow when it settled or its deadline passed (the soak tallies it then). */
  onSettled?: (arrival: Arrival, flow: FlowTrace) => void;
}

/**
 * Plays a rate curve on the open-model driver: every arrival starts a flow at its intended time,
 * the driver counts it in flight until the flow settles or its deadline passes, and arrivals beyond
 * the in-flight cap are dropped and recorded. Resolves with every flow once all have settled.
 */
export async function drive(opts: DriveOptions): Promise<{ flows: FlowTrace[]; stats: DriverStats }> {
  const flows: FlowTrace[] = opts.flows ?? [];
  const driver = runOpenModel({
    clock: opts.clock,
    offsetsMs: arrivalOffsets(opts.stages, (opts.firstIndex ?? 0) + 1),
    ...(opts.firstIndex ? { firstIndex: opts.firstIndex } : {}),
    startAtMs: opts.startAtMs ?? opts.clock.nowMs(),
    maxInFlight: opts.maxInFlight,
    lagBoundMs: opts.lagBoundMs,
    ...(opts.health ? { health: opts.health } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    launch: (arrival) => {
      const flow = opts.start(arrival);
      flows.push(flow);
      const waited = opts.waiter.wait(flow, opts.deadlineMs);
      const onSettled = opts.onSettled;
      return onSettled ? waited.then(() => onSettled(arrival, flow)) : waited;
    },
    onDrop: (arrival) => {
      flows.push(opts.drop(arrival));
    },
  });
  const stats = await driver.done;
  return { flows, stats };
}
