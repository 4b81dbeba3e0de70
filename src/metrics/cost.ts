import type { LoopSample } from './loop.js';
import type { ResourceSample } from './resources.js';

/**
 * What a stretch of the run (a suite, a capacity step) cost the harness and the connector, side
 * by side, so that a user who sees a step judged invalid sees where the saturation came from. The
 * harness is this one process: the scheduler, both mocks and the tracer.
 */
export interface CostFigures {
  /** Mean CPU of the harness process over the stretch, in % of one core (2 busy cores = 200). */
  harnessCpuPct?: number;
  /** Harness CPU time per flow started in the stretch, in µs. */
  harnessCpuUsPerFlow?: number;
  /** Worst per-second p99 of the harness's event-loop delay in the stretch, in ms. */
  loopDelayP99Ms?: number;
  /** Mean CPU of the connector process, in % of one core (absent for an external connector). */
  connectorCpuPct?: number;
  /** Connector CPU time per flow, in µs. */
  connectorCpuUsPerFlow?: number;
}

/** The series {@link costBetween} reads (each sample covers the interval that ends at its `atMs`). */
export interface CostSeries {
  harness: readonly ResourceSample[];
  connector: readonly ResourceSample[];
  loop: readonly LoopSample[];
}

function meanCpuPct(samples: readonly ResourceSample[], fromMs: number, toMs: number): number | undefined {
  let sum = 0;
  let n = 0;
  for (const s of samples) {
    if (!s.alive || s.atMs <= fromMs || s.atMs > toMs) continue;
    sum += s.cpuPct;
    n++;
  }
  return n === 0 ? undefined : sum / n;
}

/**
 * The cost of [fromMs, toMs] with `flows` flows started in it. CPU µs per flow = mean CPU share ×
 * the stretch's wall time / flows (a mean over one-second samples, so a stretch shorter than a
 * sample interval has no figure rather than a guess).
 */
export function costBetween(fromMs: number, toMs: number, flows: number, series: CostSeries): CostFigures {
  const out: CostFigures = {};
  const spanUs = Math.max(0, toMs - fromMs) * 1000;
  const harness = meanCpuPct(series.harness, fromMs, toMs);
  if (harness !== undefined) {
    out.harnessCpuPct = harness;
    if (flows > 0) out.harnessCpuUsPerFlow = ((harness / 100) * spanUs) / flows;
  }
  let loop: number | undefined;
  for (const s of series.loop) {
    if (s.atMs <= fromMs || s.atMs > toMs) continue;
    loop = Math.max(loop ?? 0, s.delayP99Ms);
  }
  if (loop !== undefined) out.loopDelayP99Ms = loop;
  const connector = meanCpuPct(series.connector, fromMs, toMs);
  if (connector !== undefined) {
    out.connectorCpuPct = connector;
    if (flows > 0) out.connectorCpuUsPerFlow = ((connector / 100) * spanUs) / flows;
  }
  return out;
}
