/** Content-Type of `MetricsRegistry.render()` output (Prometheus text exposition format 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A collected gauge value: a bare number (no labels) or one value per label set. */
export type GaugeSamples = number | Array<{ labels: Record<string, string>; value: number }>;

interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labelNames: readonly string[];
  /** Series key (label values joined) → label values and value. */
  series: Map<string, { values: string[]; value: number }>;
  collect?: () => GaugeSamples;
}

/** HELP text escaping: backslash and newline. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Label value escaping: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Sample value in the exposition format (NaN, +Inf, -Inf spelled as Prometheus wants them). */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/**
 * Counters and gauges with labels, rendered in the Prometheus text format for a mock's `/metrics`.
 * Registering the same name again with the same type and labels returns the same metric (so a
 * plugin may be registered twice); a clash in type or labels is a programming error and throws.
 */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  private register(
    name: string,
    help: string,
    type: Metric['type'],
    labelNames: readonly string[],
    collect?: () => GaugeSamples,
  ): Metric {
    if (!METRIC_NAME_RE.test(name)) throw new RangeError(`invalid metric name ${JSON.stringify(name)}`);
    for (const l of labelNames) {
      if (!LABEL_NAME_RE.test(l) || l.startsWith('__')) {
        throw new RangeError(`invalid label name ${JSON.stringify(l)} on metric ${name}`);
      }
    }
    if (new Set(labelNames).size !== labelNames.length) {
      throw new RangeError(`duplicate label name on metric ${name}`);
    }
    const existing = this.metrics.get(name);
    if (existing) {
      if (existing.type !== type || existing.labelNames.join(',') !== labelNames.join(',')) {
        throw new RangeError(`metric ${name} is already registered as a ${existing.type} with other labels`);
      }
      return existing;
    }
    const metric: Metric = { name, help, type, labelNames: [...labelNames], series: new Map() };
    if (collect) metric.collect = collect;
    this.metrics.set(name, metric);
    return metric;
  }

  /** Label values in declared order; a label not given is ''; an undeclared one throws (a typo would lose data). */
  private labelValues(metric: Metric, labels: Record<string, string> | undefined): string[] {
    if (labels) {
      for (const k of Object.keys(labels)) {
        if (!metric.labelNames.includes(k)) throw new RangeError(`metric ${metric.name} has no label ${k}`);
      }
    }
    return metric.labelNames.map((l) => String(labels?.[l] ?? ''));
  }

  private seriesFor(metric: Metric, labels: Record<string, string> | undefined): { value: number } {
    const values = this.labelValues(metric, labels);
    const key = values.join('\u0000');
    let s = metric.series.get(key);
    if (!s) {
      s = { values, value: 0 };
      metric.series.set(key, s);
    }
    return s;
  }

  /** A monotonically increasing count; `inc` with a negative amount throws. */
  counter(
    name: string,
    help: string,
    labelNames: string[] = [],
  ): { inc(labels?: Record<string, string>, n?: number): void } {
    const metric = this.register(name, help, 'counter', labelNames);
    // An unlabelled counter exists from the start, so rate() sees its first increment.
    if (labelNames.length === 0) this.seriesFor(metric, undefined);
    return {
      inc: (labels, n = 1) => {
        if (!(n >= 0)) throw new RangeError(`counter ${name} can only go up, got inc(${n})`);
        this.seriesFor(metric, labels).value += n;
      },
    };
  }

  /** A value that goes up and down: set explicitly, and/or read from `collect` at each render. */
  gauge(
    name: string,
    help: string,
    labelNames: string[] = [],
    collect?: () => GaugeSamples,
  ): { set(labels: Record<string, string> | undefined, v: number): void } {
    const metric = this.register(name, help, 'gauge', labelNames, collect);
    return {
      set: (labels, v) => {
        this.seriesFor(metric, labels).value = v;
      },
    };
  }

  /** Every metric in registration order, as Prometheus text (serve with {@link PROMETHEUS_CONTENT_TYPE}). */
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics.values()) {
      out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`);
      const rows = new Map<string, { values: string[]; value: number }>(m.series);
      if (m.collect) {
        let collected: GaugeSamples | undefined;
        try {
          collected = m.collect();
        } catch {
          // A broken collector must not take /metrics down with it; the comment says which one.
          out.push(`# collect failed for ${m.name}`);
        }
        const samples =
          typeof collected === 'number' ? [{ labels: {}, value: collected }] : (collected ?? []);
        for (const s of samples) {
          let values: string[];
          try {
            values = this.labelValues(m, s.labels);
          } catch {
            out.push(`# ${m.name}: sample with undeclared labels skipped`);
            continue;
          }
          rows.set(values.join('\u0000'), { values, value: s.value });
        }
      }
      for (const { values, value } of rows.values()) {
        const labelText = m.labelNames.map((l, i) => `${l}="${escapeLabelValue(values[i] ?? '')}"`).join(',');
        out.push(`${m.name}${labelText ? `{${labelText}}` : ''} ${formatValue(value)}`);
      }
    }
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }
}
