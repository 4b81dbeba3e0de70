import { EventEmitter } from 'node:events';
import { RecencyMap } from '../../kernel/recency-map.js';
import type { FlowTrace, Hop, HopName, InboundExpectation, OutboundExpectation } from './types.js';

/** The part of a mock's journal entry the tracer reads (mocks/shared/journal.ts JournalEntry). */
export interface TraceEntry {
  atMs: number;
  source: string;
  kind: string;
  data: Record<string, unknown>;
}

/** Anything that emits journal entries as they happen. */
export interface EntrySource {
  on(event: 'entry', fn: (entry: TraceEntry) => void): unknown;
  off(event: 'entry', fn: (entry: TraceEntry) => void): unknown;
}

const STATUS_NAMES = new Set(['sent', 'delivered', 'read', 'failed']);

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function digits(phone: string): string {
  return phone.replace(/\D/g, '');
}

/**
 * Builds flow traces from the mocks' journals as entries are appended: every hop is stamped with
 * the journal entry's own time (the harness clock), never by polling afterwards. Correlation:
 * outbound flows by CRM event id (carried as `biz_opaque_callback_data`) then WhatsApp message id;
 * inbound flows by WhatsApp message id, then CRM contact id for tags and handovers, and the
 * customer's number for the auto-reply.
 *
 * Emits `complete` (flow) when a flow has every hop its ground truth expects, and `failed` (flow)
 * when a hop proves it cannot complete correctly.
 */
export class FlowTracer extends EventEmitter {
  private readonly flows = new Map<string, FlowTrace>();
  private readonly byEventId = new Map<string, string>();
  private readonly byWamid = new Map<string, string>();
  /** CRM contact id → inbound flow ids of that contact, oldest first. */
  private readonly byContact = new Map<string, string[]>();
  /** Customer digits → inbound flow ids waiting for an automatic reply, oldest first. */
  private readonly awaitingReply = new Map<string, string[]>();
  /** Entries that arrived before their flow was registered (e.g. a wamid seen before startInbound returned). */
  private readonly early = new RecencyMap<string, TraceEntry[]>(10_000);
  private readonly detachers: Array<() => void> = [];
  /** Hops that could not be tied to any flow, by kind (evidence of stray traffic). */
  readonly unmatched = new Map<string, number>();

  /** Subscribes to a mock's journal; returns a function that unsubscribes. */
  attach(source: EntrySource): () => void {
    const fn = (entry: TraceEntry) => this.ingest(entry);
    source.on('entry', fn);
    const detach = () => {
      source.off('entry', fn);
    };
    this.detachers.push(detach);
    return detach;
  }

  /** Unsubscribes from every journal. */
  detachAll(): void {
    for (const d of this.detachers.splice(0)) d();
  }

  /** Registers an outbound flow before its CRM event is emitted. */
  startOutbound(
    flowId: string,
    suite: string,
    intendedAtMs: number,
    startedAtMs: number,
    expectation: OutboundExpectation,
  ): FlowTrace {
    const flow = this.register(flowId, 'outbound', suite, intendedAtMs, startedAtMs);
    flow.outbound = expectation;
    this.byEventId.set(expectation.eventId, flowId);
    this.replayEarly(expectation.eventId);
    return flow;
  }

  /** Registers an inbound flow once the WhatsApp mock has given its message id. */
  startInbound(
    flowId: string,
    suite: string,
    intendedAtMs: number,
    startedAtMs: number,
    wamid: string,
    expectation: InboundExpectation,
  ): FlowTrace {
    const flow = this.register(flowId, 'inbound', suite, intendedAtMs, startedAtMs);
    flow.inbound = expectation;
    flow.wamid = wamid;
    this.byWamid.set(wamid, flowId);
    if (expectation.expectAutoReply) {
      const key = digits(expectation.fromWaId);
      const list = this.awaitingReply.get(key) ?? [];
      list.push(flowId);
      this.awaitingReply.set(key, list);
    }
    this.replayEarly(wamid);
    return flow;
  }

  /** Records an arrival that could not be started (open model: counted, never delayed). */
  markDropped(
    flowId: string,
    suite: string,
    direction: 'outbound' | 'inbound',
    intendedAtMs: number,
  ): FlowTrace {
    const flow = this.register(flowId, direction, suite, intendedAtMs, undefined);
    flow.state = 'dropped';
    return flow;
  }

  /**
   * Records a flow the harness started but a mock refused at once (the CRM refused the event, WhatsApp
   * the customer message): a failed flow, counted against the run like any other failure — never a
   * dropped arrival, which means only that the harness could not start it.
   */
  markRefused(
    flowId: string,
    suite: string,
    direction: 'outbound' | 'inbound',
    intendedAtMs: number,
    startedAtMs: number,
    reason: string,
  ): FlowTrace {
    const flow = this.register(flowId, direction, suite, intendedAtMs, startedAtMs);
    this.fail(flow, reason);
    return flow;
  }

  /** Marks a flow failed by the harness (e.g. the mock refused to create the inbound message). */
  markFailed(flowId: string, reason: string): void {
    const flow = this.flows.get(flowId);
    if (flow?.state !== 'pending') return;
    flow.state = 'failed';
    flow.failure = reason;
    this.emit('failed', flow);
  }

  /** The flow with this id. */
  get(flowId: string): FlowTrace | undefined {
    return this.flows.get(flowId);
  }

  /** Every flow still held, in registration order. */
  all(): FlowTrace[] {
    return [...this.flows.values()];
  }

  /** Number of flows held. */
  size(): number {
    return this.flows.size;
  }

  /** Forgets a finished flow and its indexes (long soaks keep memory flat this way). */
  release(flowId: string): void {
    const flow = this.flows.get(flowId);
    if (!flow) return;
    this.flows.delete(flowId);
    if (flow.outbound) this.byEventId.delete(flow.outbound.eventId);
    if (flow.wamid) this.byWamid.delete(flow.wamid);
    if (flow.inbound) {
      const key = digits(flow.inbound.fromWaId);
      this.removeFrom(this.awaitingReply, key, flowId);
    }
    for (const [contactId, ids] of this.byContact) {
      if (ids.includes(flowId)) this.removeFrom(this.byContact, contactId, flowId);
    }
  }

  /** Applies one journal entry. Public so tests and replays can feed entries directly. */
  ingest(entry: TraceEntry): void {
    const d = entry.data;
    if (entry.source === 'whatsapp') {
      switch (entry.kind) {
        case 'message.accepted':
          return this.onWaAccepted(entry);
        case 'message.rejected': {
          // A rejection is evidence, not the end: a connector that honours 130429/131056 sends again.
          const flow = this.flowByEvent(str(d['bizOpaque']));
          if (!flow) return this.countUnmatched(entry);
          this.addHop(flow, 'wa.message.rejected', entry);
          if (flow.state === 'pending')
            flow.failure = `WhatsApp rejected a send (${String(d['errorCode'] ?? 'error')})`;
          return;
        }
        case 'status.finished': {
          // WhatsApp will emit no more statuses for this message: completion can be decided.
          const flow = this.flowByWamid(str(d['wamid']), entry);
          if (!flow) return;
          flow.statusesFinal = true;
          return this.evaluate(flow);
        }
        case 'status.emitted': {
          const status = str(d['status']);
          const flow = this.flowByWamid(str(d['wamid']), entry);
          if (!flow || !status || !STATUS_NAMES.has(status)) return;
          this.addHop(flow, `wa.status.${status}` as HopName, entry);
          if (!flow.statusesScheduled.includes(status)) flow.statusesScheduled.push(status);
          return this.evaluate(flow);
        }
        case 'webhook.delivered': {
          if (Array.isArray(d['statuses']) && d['statuses'].length > 0) return;
          const wamids = Array.isArray(d['wamids']) ? d['wamids'] : [];
          for (const w of wamids) {
            const flow = this.flowByWamid(str(w), undefined);
            if (flow?.direction === 'inbound') this.addHop(flow, 'wa.webhook.acked', entry, true);
          }
          return;
        }
        default:
          return;
      }
    }
    if (entry.source === 'crm') {
      switch (entry.kind) {
        case 'event.delivered': {
          const flow = this.flowByEvent(str(d['eventId']));
          if (flow) this.addHop(flow, 'crm.event.acked', entry, true);
          return;
        }
        case 'message.created':
          return this.onCrmMessage(entry);
        case 'message.status': {
          const status = str(d['status']);
          const flow = this.flowByWamid(str(d['waMessageId']), entry);
          if (!flow || !status || !STATUS_NAMES.has(status)) return;
          this.addHop(flow, `crm.status.${status}` as HopName, entry);
          return this.evaluate(flow);
        }
        case 'tags.added': {
          const tags = Array.isArray(d['tags'])
            ? d['tags'].filter((t): t is string => typeof t === 'string')
            : [];
          const flow = this.inboundFlowForContact(str(d['contactId']), (f) =>
            tags.some((t) => (f.inbound?.expectedTags.includes(t) ?? false) && !this.tagsOf(f).has(t)),
          );
          if (!flow) return this.countUnmatched(entry);
          this.addHop(flow, 'crm.tags.added', entry);
          return this.evaluate(flow);
        }
        case 'handover.created': {
          const reason = str(d['reason']);
          const flow = this.inboundFlowForContact(
            str(d['contactId']),
            (f) => f.inbound?.expectedHandover === reason && !this.has(f, 'crm.handover.created'),
          );
          if (!flow) return this.countUnmatched(entry);
          this.addHop(flow, 'crm.handover.created', entry);
          return this.evaluate(flow);
        }
        case 'errorlog.created': {
          const flow =
            this.flowByEvent(str(d['eventId'])) ?? this.flowByWamid(str(d['waMessageId']), undefined);
          if (!flow) return this.countUnmatched(entry);
          this.addHop(flow, 'crm.errorlog', entry);
          if (flow.outbound && !flow.outbound.sendAllowed) return this.evaluate(flow);
          if (flow.state === 'pending' && !flow.failure)
            flow.failure = `error log: ${String(d['kind'] ?? 'unknown')}`;
          return;
        }
        default:
          return;
      }
    }
  }

  private onWaAccepted(entry: TraceEntry): void {
    const d = entry.data;
    const wamid = str(d['wamid']);
    const flow = this.flowByEvent(str(d['bizOpaque']));
    if (flow && wamid) {
      flow.wamid = wamid;
      this.byWamid.set(wamid, flow.flowId);
      this.addHop(flow, 'wa.message.accepted', entry);
      if (flow.outbound && !flow.outbound.sendAllowed) {
        this.fail(flow, 'sent although the contact consent forbids it');
        return;
      }
      this.replayEarly(wamid);
      return this.evaluate(flow);
    }
    // A free-form text to a customer who asked to confirm an order is the automatic reply.
    const to = str(d['to']);
    if (d['type'] === 'text' && to) {
      const waiting = this.awaitingReply.get(digits(to));
      const replyFlowId = waiting?.shift();
      const replyFlow = replyFlowId ? this.flows.get(replyFlowId) : undefined;
      if (replyFlow) {
        this.addHop(replyFlow, 'wa.autoreply.accepted', entry);
        return this.evaluate(replyFlow);
      }
    }
    this.countUnmatched(entry);
  }

  private onCrmMessage(entry: TraceEntry): void {
    const d = entry.data;
    const flow = this.flowByWamid(str(d['waMessageId']), entry);
    if (!flow) return;
    if (flow.hops.some((h) => h.name === 'crm.message.recorded')) return;
    flow.crmMessageId = str(d['messageId']);
    this.addHop(flow, 'crm.message.recorded', entry);
    const contactId = str(d['contactId']);
    if (flow.direction === 'inbound' && contactId) {
      const list = this.byContact.get(contactId) ?? [];
      list.push(flow.flowId);
      this.byContact.set(contactId, list);
    }
    this.evaluate(flow);
  }

  /**
   * The contact's inbound flow a tag or handover belongs to: the oldest one that expects it and has
   * not got it yet; otherwise the newest (so an unexpected tag or handover is still on record).
   */
  private inboundFlowForContact(
    contactId: string | undefined,
    stillExpects: (f: FlowTrace) => boolean,
  ): FlowTrace | undefined {
    if (!contactId) return undefined;
    const ids = this.byContact.get(contactId);
    if (!ids || ids.length === 0) return undefined;
    let newest: FlowTrace | undefined;
    for (const id of ids) {
      const f = this.flows.get(id);
      if (!f) continue;
      if (stillExpects(f)) return f;
      newest = f;
    }
    return newest;
  }

  private register(
    flowId: string,
    direction: 'outbound' | 'inbound',
    suite: string,
    intendedAtMs: number,
    startedAtMs: number | undefined,
  ): FlowTrace {
    if (this.flows.has(flowId)) throw new Error(`flow ${flowId} registered twice`);
    const flow: FlowTrace = {
      flowId,
      direction,
      suite,
      intendedAtMs,
      hops: [],
      statusesScheduled: [],
      state: 'pending',
    };
    if (startedAtMs !== undefined) flow.startedAtMs = startedAtMs;
    this.flows.set(flowId, flow);
    return flow;
  }

  private flowByEvent(eventId: string | undefined): FlowTrace | undefined {
    if (!eventId) return undefined;
    const id = this.byEventId.get(eventId);
    return id ? this.flows.get(id) : undefined;
  }

  /** Finds the flow of a wamid; an entry for a wamid not yet registered is kept briefly for replay. */
  private flowByWamid(wamid: string | undefined, entry: TraceEntry | undefined): FlowTrace | undefined {
    if (!wamid) return undefined;
    const id = this.byWamid.get(wamid);
    if (id) return this.flows.get(id);
    if (entry) {
      const list = this.early.get(wamid) ?? [];
      if (list.length < 16) list.push(entry);
      this.early.set(wamid, list);
    }
    return undefined;
  }

  private replayEarly(key: string): void {
    const entries = this.early.get(key);
    if (!entries) return;
    this.early.delete(key);
    for (const e of entries) this.ingest(e);
  }

  private addHop(flow: FlowTrace, name: HopName, entry: TraceEntry, onlyFirst = false): void {
    if (onlyFirst && flow.hops.some((h) => h.name === name)) return;
    const hop: Hop = { name, atMs: entry.atMs };
    const evidence: Record<string, unknown> = {};
    for (const k of [
      'wamid',
      'errorCode',
      'status',
      'tags',
      'reason',
      'kind',
      'renderedText',
      'to',
      'attempt',
    ]) {
      if (entry.data[k] !== undefined) evidence[k] = entry.data[k];
    }
    if (Object.keys(evidence).length > 0) hop.data = evidence;
    flow.hops.push(hop);
  }

  private countUnmatched(entry: TraceEntry): void {
    const key = `${entry.source}:${entry.kind}`;
    this.unmatched.set(key, (this.unmatched.get(key) ?? 0) + 1);
  }

  private fail(flow: FlowTrace, reason: string): void {
    if (flow.state !== 'pending') return;
    flow.state = 'failed';
    flow.failure = reason;
    this.emit('failed', flow);
  }

  /** Tags recorded for a flow so far. */
  tagsOf(flow: FlowTrace): Set<string> {
    const got = new Set<string>();
    for (const h of flow.hops) {
      if (h.name !== 'crm.tags.added') continue;
      for (const t of (h.data?.['tags'] as string[] | undefined) ?? []) got.add(t);
    }
    return got;
  }

  private has(flow: FlowTrace, name: HopName): Hop | undefined {
    return flow.hops.find((h) => h.name === name);
  }

  /** Decides whether a flow has every hop its ground truth expects. */
  private evaluate(flow: FlowTrace): void {
    if (flow.outbound) {
      const accepted = this.has(flow, 'wa.message.accepted');
      const recorded = this.has(flow, 'crm.message.recorded');
      if (accepted && recorded && flow.syncLatencyMs === undefined) {
        flow.syncLatencyMs = Math.max(accepted.atMs, recorded.atMs) - flow.intendedAtMs;
      }
      if (flow.state !== 'pending') return;
      if (!flow.outbound.sendAllowed) {
        const logged = this.has(flow, 'crm.errorlog');
        if (logged) this.complete(flow, logged.atMs);
        return;
      }
      if (!accepted || !recorded) return;
      let lastMs = Math.max(accepted.atMs, recorded.atMs);
      for (const s of flow.statusesScheduled) {
        const stored = this.has(flow, `crm.status.${s}` as HopName);
        if (!stored) return;
        lastMs = Math.max(lastMs, stored.atMs);
      }
      if (!flow.statusesFinal) return;
      this.complete(flow, lastMs);
      return;
    }
    if (flow.inbound) {
      const recorded = this.has(flow, 'crm.message.recorded');
      if (!recorded) return;
      if (flow.syncLatencyMs === undefined) flow.syncLatencyMs = recorded.atMs - flow.intendedAtMs;
      if (flow.state !== 'pending') return;
      let lastMs = recorded.atMs;
      const expected = flow.inbound.expectedTags;
      if (expected.length > 0) {
        const got = this.tagsOf(flow);
        if (!expected.every((t) => got.has(t))) return;
        for (const h of flow.hops) if (h.name === 'crm.tags.added') lastMs = Math.max(lastMs, h.atMs);
      }
      if (flow.inbound.expectedHandover) {
        const h = this.has(flow, 'crm.handover.created');
        if (!h) return;
        lastMs = Math.max(lastMs, h.atMs);
      }
      if (flow.inbound.expectAutoReply) {
        const r = this.has(flow, 'wa.autoreply.accepted');
        if (!r) return;
        lastMs = Math.max(lastMs, r.atMs);
      }
      this.complete(flow, lastMs);
    }
  }

  private complete(flow: FlowTrace, atMs: number): void {
    flow.state = 'complete';
    flow.completedAtMs = atMs;
    delete flow.failure;
    this.emit('complete', flow);
  }

  private removeFrom(map: Map<string, string[]>, key: string, flowId: string): void {
    const list = map.get(key);
    if (!list) return;
    const i = list.indexOf(flowId);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) map.delete(key);
  }
}
