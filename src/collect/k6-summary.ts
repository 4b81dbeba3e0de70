import { readFile } from 'node:fs/promises';
import { WacrmError } from '../errors.js';
import type { K6Figures } from '../result/run-result.js';

export type { K6Figures };

function bad(file: string, path: string, why: string): WacrmError {
  return new WacrmError(
    'WACRM_K6_SUMMARY_INVALID',
    `${file}: ${path} ${why}`,
    'give the file `k6 run --summary-export FILE` writes (or handleSummary’s data as JSON); docs/distributed.md',
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A metric's fields: `--summary-export` writes them on the metric (`{count, rate}`, a rate metric's
 * `{passes, fails, value}`), handleSummary's data under `values` (`{count, rate}`, `{rate, passes, fails}`).
 */
function fieldsOf(metric: Record<string, unknown>): { fields: Record<string, unknown>; prefix: string } {
  return isRecord(metric['values'])
    ? { fields: metric['values'], prefix: '.values' }
    : { fields: metric, prefix: '' };
}

function count(file: string, path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw bad(file, path, `must be a non-negative number, got ${JSON.stringify(v)}`);
  return Math.round(v);
}

/** Reads the figures of a k6 summary's JSON text (pure; `file` names it in errors). */
export function parseK6Summary(file: string, text: string): K6Figures {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad(file, 'the file', `is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isRecord(doc) || !isRecord(doc['metrics']))
    throw bad(file, 'metrics', 'is missing: this is not a k6 summary');
  const metrics = doc['metrics'];
  const it = metrics['iterations'];
  if (!isRecord(it))
    throw bad(file, 'metrics.iterations', 'is missing: k6 ran no iteration, or this is not its summary');
  const itF = fieldsOf(it);
  const figures: K6Figures = {
    file,
    iterations: count(file, `metrics.iterations${itF.prefix}.count`, itF.fields['count']),
    droppedIterations: 0,
  };
  const dropped = metrics['dropped_iterations'];
  if (dropped !== undefined) {
    if (!isRecord(dropped)) throw bad(file, 'metrics.dropped_iterations', 'must be an object');
    const f = fieldsOf(dropped);
    figures.droppedIterations = count(file, `metrics.dropped_iterations${f.prefix}.count`, f.fields['count']);
  }
  const failed = metrics['http_req_failed'];
  if (failed !== undefined) {
    if (!isRecord(failed)) throw bad(file, 'metrics.http_req_failed', 'must be an object');
    const f = fieldsOf(failed);
    // A rate metric counts its true samples as `passes`: for http_req_failed, the failed requests.
    const passes = count(file, `metrics.http_req_failed${f.prefix}.passes`, f.fields['passes']);
    const fails = count(file, `metrics.http_req_failed${f.prefix}.fails`, f.fields['fails']);
    const rateKey = f.prefix === '' ? 'value' : 'rate';
    const rate = f.fields[rateKey];
    if (typeof rate !== 'number' || rate < 0 || rate > 1)
      throw bad(
        file,
        `metrics.http_req_failed${f.prefix}.${rateKey}`,
        `must be a share from 0 to 1, got ${JSON.stringify(rate)}`,
      );
    figures.httpReqFailedRate = rate;
    figures.httpReqFailedCount = passes;
    figures.httpReqs = passes + fails;
  }
  return figures;
}

/** Reads and validates a k6 summary file (`--k6-summary`). */
export async function readK6Summary(file: string): Promise<K6Figures> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw bad(file, 'the file', `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseK6Summary(file, text);
}

/**
 * The figures of several runners' summaries as one (k6-operator: each runner writes its own, for its
 * share of the iterations): counts add up, the failed-request rate is recomputed from the counts.
 */
export function sumK6Figures(all: readonly K6Figures[]): K6Figures {
  const out: K6Figures = { file: all.map((f) => f.file).join(' + '), iterations: 0, droppedIterations: 0 };
  let failed = 0;
  let reqs = 0;
  let withRequests = 0;
  for (const f of all) {
    out.iterations += f.iterations;
    out.droppedIterations += f.droppedIterations;
    if (f.httpReqs !== undefined) {
      withRequests++;
      failed += f.httpReqFailedCount ?? 0;
      reqs += f.httpReqs;
    }
  }
  if (withRequests > 0) {
    out.httpReqFailedCount = failed;
    out.httpReqs = reqs;
    out.httpReqFailedRate = reqs > 0 ? failed / reqs : 0;
  }
  return out;
}
