import type { FlowTrace, HopName } from '../flows/types.js';
import { hop, percentile } from './measures.js';

/** One segment of the per-hop latency breakdown: from one hop (or the intended start) to another. */
interface Segment {
  name: string;
  from: HopName | 'intended';
  to: HopName;
  direction: 'outbound' | 'inbound';
}

/** The segments a report shows, in the order a flow passes them. */
const SEGMENTS: Segment[] = [
  {
    name: 'outbound: CRM event → connector ack',
    from: 'intended',
    to: 'crm.event.acked',
    direction: 'outbound',
  },
  {
    name: 'outbound: connector ack → WhatsApp accepted',
    from: 'crm.event.acked',
    to: 'wa.message.accepted',
    direction: 'outbound',
  },
  {
    name: 'outbound: WhatsApp accepted → CRM record',
    from: 'wa.message.accepted',
    to: 'crm.message.recorded',
    direction: 'outbound',
  },
  {
    name: 'outbound: status sent → CRM',
    from: 'wa.status.sent',
    to: 'crm.status.sent',
    direction: 'outbound',
  },
  {
    name: 'outbound: status delivered → CRM',
    from: 'wa.status.delivered',
    to: 'crm.status.delivered',
    direction: 'outbound',
  },
  {
    name: 'outbound: status read → CRM',
    from: 'wa.status.read',
    to: 'crm.status.read',
    direction: 'outbound',
  },
  {
    name: 'inbound: customer → webhook acked',
    from: 'intended',
    to: 'wa.webhook.acked',
    direction: 'inbound',
  },
  {
    name: 'inbound: webhook acked → CRM record',
    from: 'wa.webhook.acked',
    to: 'crm.message.recorded',
    direction: 'inbound',
  },
  {
    name: 'inbound: CRM record → tags',
    from: 'crm.message.recorded',
    to: 'crm.tags.added',
    direction: 'inbound',
  },
  {
    name: 'inbound: customer → handover',
    from: 'intended',
    to: 'crm.handover.created',
    direction: 'inbound',
  },
  {
    name: 'inbound: customer → automatic reply',
    from: 'intended',
    to: 'wa.autoreply.accepted',
    direction: 'inbound',
  },
];

/** A row of the per-hop latency breakdown. */
export interface HopRow {
  name: string;
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Per-hop latency breakdown over the given flows (segments no flow passed are left out). */
export function hopBreakdown(flows: readonly FlowTrace[]): HopRow[] {
  const rows: HopRow[] = [];
  for (const seg of SEGMENTS) {
    const values: number[] = [];
    for (const f of flows) {
      if (f.direction !== seg.direction) continue;
      const to = hop(f, seg.to);
      if (to === undefined) continue;
      const from = seg.from === 'intended' ? f.intendedAtMs : hop(f, seg.from);
      if (from === undefined) continue;
      values.push(Math.max(0, to - from));
    }
    if (values.length === 0) continue;
    rows.push({
      name: seg.name,
      count: values.length,
      p50Ms: percentile(values, 50) ?? 0,
      p95Ms: percentile(values, 95) ?? 0,
      p99Ms: percentile(values, 99) ?? 0,
      maxMs: Math.max(...values),
    });
  }
  return rows;
}

/** One bucket of the throughput/latency timeline. */
export interface TimelinePoint {
  tMs: number;
  sentPerMin: number;
  completedPerMin: number;
  errors: number;
  p95Ms: number | null;
}

/**
 * Throughput and latency over time: flows bucketed by intended start (sent) and by the time they
 * reached their sync hop (completed); errors are flows of the bucket that failed, were dropped or
 * never synced; p95 is the sync latency of the bucket's flows. Times relative to `originMs`.
 */
export function timeline(flows: readonly FlowTrace[], originMs: number, bucketMs: number): TimelinePoint[] {
  const buckets = new Map<number, { sent: number; completed: number; errors: number; lat: number[] }>();
  const at = (i: number) => {
    let b = buckets.get(i);
    if (!b) {
      b = { sent: 0, completed: 0, errors: 0, lat: [] };
      buckets.set(i, b);
    }
    return b;
  };
  for (const f of flows) {
    const i = Math.floor((f.intendedAtMs - originMs) / bucketMs);
    const b = at(i);
    b.sent++;
    if (f.syncLatencyMs === undefined || f.state === 'failed' || f.state === 'dropped') b.errors++;
    else {
      b.lat.push(f.syncLatencyMs);
      at(Math.floor((f.intendedAtMs + f.syncLatencyMs - originMs) / bucketMs)).completed++;
    }
  }
  const perMin = 60_000 / bucketMs;
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([i, b]) => ({
      tMs: i * bucketMs,
      sentPerMin: b.sent * perMin,
      completedPerMin: b.completed * perMin,
      errors: b.errors,
      p95Ms: percentile(b.lat, 95),
    }));
}
