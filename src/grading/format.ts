/**
 * How graded values are written for people: the same text in the terminal, Markdown, HTML and
 * JUnit messages. Ratios print as percentages with as many decimals as it takes not to round
 * 99.995 % up to 100 %; seconds keep two decimals below 10 s; counts get thousands separators.
 */

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

function grouped(value: number, maxDecimals: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: maxDecimals, useGrouping: true });
}

/** A ratio (0..1) as a percentage: 0.993 → '99.3 %', 0.99995 → '99.995 %', 1 → '100 %'. */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return String(ratio);
  const pct = ratio * 100;
  let decimals = 2;
  // Never show a value that is not exactly 100 % (or 0 %) as if it were.
  while (decimals < 6) {
    const shown = Number(pct.toFixed(decimals));
    if ((shown === 100 && ratio !== 1) || (shown === 0 && ratio !== 0)) decimals++;
    else break;
  }
  return `${trimZeros(pct.toFixed(decimals))} %`;
}

/** A measured value for display; a lower bound (`atLeast`, e.g. a latency censored at its deadline) as `> value`. */
export function formatMeasured(value: number | null | undefined, unit: string, atLeast?: boolean): string {
  const shown = formatValue(value, unit);
  return atLeast && value !== null && value !== undefined ? `> ${shown}` : shown;
}

/** A value in its unit, for display: ratio → %, s, ms, msg/min, count, bytes; anything else as `N unit`. */
export function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return '—';
  if (!Number.isFinite(value)) return String(value);
  switch (unit) {
    case 'ratio':
      return formatPercent(value);
    case 's':
      return `${trimZeros(value.toFixed(Math.abs(value) < 10 ? 2 : 1))} s`;
    case 'ms':
      return `${grouped(value, Math.abs(value) < 10 ? 2 : 0)} ms`;
    case '%':
      return `${trimZeros(value.toFixed(1))} %`;
    case 'count':
      return grouped(value, 2);
    case 'bytes':
      return formatBytes(value);
    default:
      return `${grouped(value, 2)} ${unit}`;
  }
}

/** Bytes in binary units: 1536 → '1.5 KiB'; negative values (memory shrinking) keep their sign. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.abs(bytes);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const text = i === 0 ? String(Math.round(v)) : trimZeros(v.toFixed(v < 10 ? 2 : 1));
  return `${bytes < 0 ? '-' : ''}${text} ${units[i]}`;
}

/** Milliseconds as a short human duration: 950 → '950 ms', 15_000 → '15 s', 5_400_000 → '1 h 30 min'. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const abs = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${trimZeros((abs / 1000).toFixed(abs < 10_000 ? 2 : 1))} s`;
  const totalMin = Math.round(abs / 60_000);
  if (abs < 3_600_000) {
    const s = Math.round((abs % 60_000) / 1000);
    return `${sign}${Math.floor(abs / 60_000)} min${s > 0 ? ` ${s} s` : ''}`;
  }
  const h = Math.floor(totalMin / 60);
  const m = totalMin % 60;
  return `${sign}${h} h${m > 0 ? ` ${m} min` : ''}`;
}
