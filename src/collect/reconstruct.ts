import { EventEmitter } from 'node:events';
import { isOutboundFlow, k6EventId, readFlowToken, readK6EventId } from '../../kernel/wire.js';
import type { PlannedInbound } from '../flows/inbound-plan.js';
import type { PlannedOutbound } from '../flows/outbound-plan.js';
import { FlowTracer, type TraceEntry } from '../flows/tracer.js';
import type { FlowTrace } from '../flows/types.js';

/** The part of a collected journal entry reconstruction reads: the mock, the kind, its data, its wall clock. */
export interface EpochEntry {
  epochMs: number;
  source: string;
  kind: string;
  data: Record<string, unknown>;
}

/** A flow the exported k6 script started, as its ids name it (kernel/wire.ts flow tokens). */
export interface K6Flow {
  /** k6's `iterationInTest`: which planned flow it played (`pool[seq % size]`). */
  seq: number;
  /** k6's `Date.now()` when the iteration started: its intended time (the open model starts it on time or drops it). */
  intendedEpochMs: number;
  direction: 'outbound' | 'inbound';
  /** The CRM event id (outbound) or the customer message's wamid (inbound). */
  id: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * First pass over the journals: which flows the k6 script started, read from the ids the connector
 * carried into the mocks. Outbound: the `evt_k6…` event id WhatsApp saw as `biz_opaque_callback_data`
 * (accepted or rejected sends) or the CRM's error log names. Inbound: a load-generator wamid the
 * connector recorded in the CRM (message or error log) — unless the WhatsApp mock made that wamid
 * itself (`inbound.created`: the setup's window-opening messages have the same layout).
 */
export class K6FlowIndex {
  private readonly mockWamids = new Set<string>();
  private readonly inbound = new Map<string, K6Flow>();
  private readonly outbound = new Map<string, K6Flow>();

  /** Reads one entry (any order, either journal). */
  observe(e: EpochEntry): void {
    const d = e.data;
    if (e.source === 'whatsapp') {
      if (e.kind === 'inbound.created') {
        const w = str(d['wamid']);
        if (w) this.mockWamids.add(w);
      } else if (e.kind === 'message.accepted' || e.kind === 'message.rejected') {
        this.addOutbound(str(d['bizOpaque']));
      }
      return;
    }
    if (e.source !== 'crm') return;
    if (e.kind === 'message.created' && d['direction'] === 'inbound') this.addInbound(str(d['waMessageId']));
    else if (e.kind === 'errorlog.created') {
      this.addOutbound(str(d['eventId']));
      this.addInbound(str(d['waMessageId']));
    }
  }

  private addOutbound(id: string | undefined): void {
    if (!id || this.outbound.has(id)) return;
    const t = readK6EventId(id);
    if (t) this.outbound.set(id, { ...t, direction: 'outbound', id });
  }

  private addInbound(wamid: string | undefined): void {
    if (!wamid || this.inbound.has(wamid)) return;
    const t = readFlowToken(wamid);
    if (t) this.inbound.set(wamid, { ...t, direction: 'inbound', id: wamid });
  }

  /** The flows found, by flow number; a wamid the WhatsApp mock made itself is not k6's. */
  flows(): K6Flow[] {
    const out = [...this.outbound.values()];
    for (const f of this.inbound.values()) if (!this.mockWamids.has(f.id)) out.push(f);
    return out.sort((a, b) => a.seq - b.seq || a.intendedEpochMs - b.intendedEpochMs);
  }
}

/** Where the test's timeline starts on k6's wall clock, and how well the flows agree on it. */
export interface OriginEstimate {
  originEpochMs: number;
  /** Flows the estimate rests on. */
  flows: number;
  /** |intended − (origin + scheduled offset)| over those flows: the 95th percentile and the maximum, ms. */
  p95ResidualMs: number;
  maxResidualMs: number;
}

/**
 * The start of k6's scenario on its wall clock. Iteration n of a ramping-arrival-rate executor is
 * due where the area under the rate curve reaches n (the harness's schedule, `offsetOf(n)`), and its
 * token carries when it started: each flow gives one estimate (intended − offset) and the median of
 * them is robust to the few that started late or whose number shifted after a dropped iteration.
 * Returns undefined when no flow has a scheduled offset.
 */
export function estimateOrigin(
  flows: readonly K6Flow[],
  offsetOf: (seq: number) => number | undefined,
): OriginEstimate | undefined {
  const estimates: number[] = [];
  for (const f of flows) {
    const off = offsetOf(f.seq);
    if (off !== undefined) estimates.push(f.intendedEpochMs - off);
  }
  if (estimates.length === 0) return undefined;
  const sorted = [...estimates].sort((a, b) => a - b);
  const origin = sorted[Math.floor((sorted.length - 1) / 2)] as number;
  const residuals = estimates.map((e) => Math.abs(e - origin)).sort((a, b) => a - b);
  return {
    originEpochMs: origin,
    flows: estimates.length,
    p95ResidualMs: residuals[
      Math.min(residuals.length - 1, Math.ceil(0.95 * residuals.length) - 1)
    ] as number,
    maxResidualMs: residuals.at(-1) as number,
  };
}

/** What each iteration of the exported script sent: the pools flows.json was written from. */
export interface PlannedPools {
  inbound: readonly PlannedInbound[];
  outbound: readonly PlannedOutbound[];
}

/** What {@link Reconstruction} needs to register the flows as the harness would have. */
export interface ReconstructOptions {
  suite: string;
  pools: PlannedPools;
  outboundShare: number;
  /** Timeline origin on the wall clock: every time becomes ms from here. */
  originEpochMs: number;
  /** Iterations k6 says it ran (its summary): numbers below this with no trace are lost flows. */
  iterations?: number;
  /** Scheduled offset of iteration n from the origin (for a lost flow's intended time). */
  offsetOf: (seq: number) => number | undefined;
}

/** Reconstructed flows and what did not fit the scenario. */
export interface Reconstructed {
  flows: FlowTrace[];
  /** Flows whose direction is not the one the scenario's mix gives their number. */
  wrongDirection: number;
  /** Inbound flows whose recorded text differs from the planned text of their number. */
  wrongText: number;
  /** Flow numbers below the k6 iteration count that no journal mentions (lost, intended time estimated). */
  unseen: number;
}

/**
 * Second pass: registers every k6 flow with the harness's own {@link FlowTracer}, with the ground
 * truth its number had in the plan and its intended time from its token, then feeds it the journal
 * entries in wall-clock order, so the traces are the ones `wacrm run`'s tracer builds from the same
 * hops (the tracer keeps an entry that comes before the flow it names and replays it).
 */
export class Reconstruction {
  private readonly tracer = new FlowTracer();
  private readonly feed = new EventEmitter();
  private readonly plannedText = new Map<string, string>();
  private wrongText = 0;
  private wrongDirection = 0;
  private readonly seen = new Set<number>();

  constructor(
    flows: readonly K6Flow[],
    private readonly opts: ReconstructOptions,
  ) {
    this.tracer.attach(this.feed);
    const { pools, suite } = opts;
    for (const f of flows) {
      this.seen.add(f.seq);
      if (isOutboundFlow(f.seq, opts.outboundShare) !== (f.direction === 'outbound')) this.wrongDirection++;
      const intendedAtMs = f.intendedEpochMs - opts.originEpochMs;
      const flowId = `${suite}-${f.direction === 'outbound' ? 'o' : 'i'}${f.seq}`;
      if (f.direction === 'outbound') {
        const plan = pools.outbound[f.seq % Math.max(1, pools.outbound.length)];
        if (!plan) continue;
        this.tracer.startOutbound(flowId, suite, intendedAtMs, intendedAtMs, {
          ...plan.expectation,
          eventId: f.id,
        });
      } else {
        const plan = pools.inbound[f.seq % Math.max(1, pools.inbound.length)];
        if (!plan) continue;
        this.plannedText.set(f.id, plan.expectation.text);
        this.tracer.startInbound(flowId, suite, intendedAtMs, intendedAtMs, f.id, plan.expectation);
      }
    }
  }

  /** Feeds one entry (call in wall-clock order across both journals). */
  ingest(e: EpochEntry): void {
    if (e.source === 'crm' && e.kind === 'message.created' && e.data['direction'] === 'inbound') {
      const w = str(e.data['waMessageId']);
      const planned = w === undefined ? undefined : this.plannedText.get(w);
      if (planned !== undefined && e.data['body'] !== planned) this.wrongText++;
    }
    const entry: TraceEntry = {
      atMs: e.epochMs - this.opts.originEpochMs,
      source: e.source,
      kind: e.kind,
      data: e.data,
    };
    this.feed.emit('entry', entry);
  }

  /** The traces, with the iterations k6 ran that no mock ever saw added as lost flows. */
  finish(): Reconstructed {
    this.tracer.detachAll();
    const flows = this.tracer.all();
    let unseen = 0;
    const { iterations, pools, suite } = this.opts;
    if (iterations !== undefined) {
      for (let seq = 0; seq < iterations; seq++) {
        if (this.seen.has(seq)) continue;
        unseen++;
        flows.push(this.unseenFlow(seq, suite, pools));
      }
    }
    flows.sort((a, b) => a.intendedAtMs - b.intendedAtMs);
    return { flows, wrongDirection: this.wrongDirection, wrongText: this.wrongText, unseen };
  }

  /** A flow k6 ran that left no hop anywhere: pending forever, so the judges count it lost. */
  private unseenFlow(seq: number, suite: string, pools: PlannedPools): FlowTrace {
    const outbound = isOutboundFlow(seq, this.opts.outboundShare);
    const intendedAtMs = this.opts.offsetOf(seq) ?? 0;
    const flow: FlowTrace = {
      flowId: `${suite}-${outbound ? 'o' : 'i'}${seq}`,
      direction: outbound ? 'outbound' : 'inbound',
      suite,
      intendedAtMs,
      hops: [],
      statusesScheduled: [],
      state: 'pending',
      failure: 'no mock saw this flow: the connector never acted on it (intended time from the schedule)',
    };
    const o = pools.outbound[seq % Math.max(1, pools.outbound.length)];
    const i = pools.inbound[seq % Math.max(1, pools.inbound.length)];
    if (outbound && o) {
      flow.outbound = {
        ...o.expectation,
        eventId: k6EventId(seq, this.opts.originEpochMs + intendedAtMs),
      };
    } else if (!outbound && i) flow.inbound = i.expectation;
    return flow;
  }
}
