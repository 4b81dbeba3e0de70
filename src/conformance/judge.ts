/**
 * Pure helpers the cases judge with: sliding-window counts, gaps, and the words of evidence.
 * Kept free of I/O so each rule's arithmetic is unit-tested on its own.
 */

/** The most of `timesMs` that fall in any window `[t, t + windowMs)`; times need not be sorted. */
export function maxInWindow(timesMs: readonly number[], windowMs: number): number {
  const sorted = [...timesMs].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  // Two pointers: for each right end, move the left end until the span fits the window.
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Where a sliding window of `windowMs` holds the most times: its start and count. */
export function busiestWindow(
  timesMs: readonly number[],
  windowMs: number,
): { startMs: number; count: number } | null {
  if (timesMs.length === 0) return null;
  const sorted = [...timesMs].sort((a, b) => a - b);
  let best = { startMs: sorted[0] as number, count: 0 };
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs) lo++;
    if (hi - lo + 1 > best.count) best = { startMs: sorted[lo] as number, count: hi - lo + 1 };
  }
  return best;
}

/** Consecutive differences of sorted times. */
export function gaps(timesMs: readonly number[]): number[] {
  const sorted = [...timesMs].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 1; i < sorted.length; i++) out.push((sorted[i] as number) - (sorted[i - 1] as number));
  return out;
}

/**
 * For each event (a refusal that asked for a pause of `minGapMs`), the first later time in `next`
 * and how long after the event it came; events with nothing after them are left out.
 */
export function followUps(
  eventsMs: readonly number[],
  nextMs: readonly number[],
): Array<{ atMs: number; nextAtMs: number; gapMs: number }> {
  const sorted = [...nextMs].sort((a, b) => a - b);
  const out: Array<{ atMs: number; nextAtMs: number; gapMs: number }> = [];
  for (const at of eventsMs) {
    const n = sorted.find((t) => t > at);
    if (n !== undefined) out.push({ atMs: at, nextAtMs: n, gapMs: n - at });
  }
  return out;
}

/** Milliseconds for evidence: `180 ms`, `3.52 s`. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;
}

/** `+1.25 s` relative to an origin, for timelines in evidence. */
export function at(timeMs: number, originMs: number): string {
  return `+${((timeMs - originMs) / 1000).toFixed(2)} s`;
}

/** `1 message` / `3 messages`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Shortens a text for evidence, on one line. */
export function clip(text: string, max = 60): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}

/** Joins evidence parts into one line. */
export function line(...parts: Array<string | false | undefined | null>): string {
  return parts.filter((p): p is string => typeof p === 'string' && p !== '').join('; ');
}

/** Picks cases by `only` and `skip` (ids), keeping the kit's order; unknown ids are reported, not ignored. */
export function selectIds(
  all: readonly string[],
  only: readonly string[],
  skip: readonly string[],
): { selected: string[]; unknown: string[] } {
  const known = new Set(all);
  const unknown = [...only, ...skip].filter((id) => !known.has(id));
  const onlySet = new Set(only);
  const skipSet = new Set(skip);
  const selected = all.filter((id) => (onlySet.size === 0 || onlySet.has(id)) && !skipSet.has(id));
  return { selected, unknown: [...new Set(unknown)] };
}
