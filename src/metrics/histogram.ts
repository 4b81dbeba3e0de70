import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram as HdrHistogram,
  type JsHistogram,
} from 'hdr-histogram-js';

/** The percentiles every report shows, in ms. All zero for an empty histogram. */
export interface HistogramSummary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * Values are stored as whole microseconds: ms with µs resolution. Two significant digits (256
 * sub-buckets) keep every percentile within 0.8 % of the true value from 1 µs to hours, which is far
 * finer than any latency criterion, while a histogram stays ~10 KB and merges or answers a percentile
 * in microseconds. (Three digits cost 5–7× the memory and time; the packed sparse array is ~50× slower
 * to merge.) A 72 h soak keeps one per window and per hop, so both matter.
 */
const US_PER_MS = 1000;
const SIGNIFICANT_DIGITS = 2;
const BUCKETS = 32;

function newHdr(): HdrHistogram {
  return build({
    bitBucketSize: BUCKETS,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
  });
}

/** Thrown when an encoded histogram cannot be read back (corrupt journal line, wrong field). */
export class HistogramDecodeError extends Error {
  override readonly name = 'HistogramDecodeError';
}

/**
 * A latency histogram in ms (HDR, µs precision) that travels: `encode()` gives a compact base64 string
 * for the journal and summary.json, `Histogram.decode()` reads it back, `merge()` adds another one in
 * (soak windows, hops, resumed runs). Bad values (NaN, ±∞) are counted in `rejected`, never thrown:
 * a measurement glitch must not end a 72-hour run.
 */
export class Histogram {
  private hdr: HdrHistogram;
  /** Values refused because they were not finite numbers. */
  rejected = 0;

  private constructor(hdr: HdrHistogram) {
    this.hdr = hdr;
  }

  /** An empty histogram. */
  static create(): Histogram {
    return new Histogram(newHdr());
  }

  /** A histogram with the given values (ms), for tests and small fixtures. */
  static of(valuesMs: Iterable<number>): Histogram {
    const h = Histogram.create();
    for (const v of valuesMs) h.record(v);
    return h;
  }

  /** Reads back what `encode()` wrote; throws HistogramDecodeError on anything else. */
  static decode(encoded: string): Histogram {
    if (typeof encoded !== 'string') throw new HistogramDecodeError('encoded histogram must be a string');
    if (encoded === '') return Histogram.create();
    try {
      return new Histogram(decodeFromCompressedBase64(encoded, BUCKETS));
    } catch (err) {
      throw new HistogramDecodeError(`not an encoded histogram: ${(err as Error).message}`);
    }
  }

  /** Sum of several histograms (none → empty). */
  static merged(parts: Iterable<Histogram>): Histogram {
    const out = Histogram.create();
    for (const p of parts) out.merge(p);
    return out;
  }

  /** Records one value in ms; negative values (clock jitter) count as 0. */
  record(valueMs: number): void {
    this.recordCount(valueMs, 1);
  }

  /** Records `count` occurrences of one value in ms. */
  recordCount(valueMs: number, count: number): void {
    if (typeof valueMs !== 'number' || !Number.isFinite(valueMs) || !(count > 0)) {
      this.rejected += Math.max(0, count || 0);
      return;
    }
    const us = Math.max(0, Math.round(valueMs * US_PER_MS));
    if (count === 1) this.hdr.recordValue(us);
    else this.hdr.recordValueWithCount(us, Math.round(count));
  }

  /** Adds every value of `other` into this histogram; returns this. */
  merge(other: Histogram): this {
    if (other.count > 0) this.hdr.add(other.hdr);
    this.rejected += other.rejected;
    return this;
  }

  /** An independent copy. */
  clone(): Histogram {
    return Histogram.create().merge(this);
  }

  /** Forgets every value. */
  reset(): void {
    this.hdr.reset();
    this.rejected = 0;
  }

  /** Number of values recorded. */
  get count(): number {
    return this.hdr.totalCount;
  }

  /** Smallest value in ms (0 when empty). */
  get minMs(): number {
    return this.count === 0 ? 0 : this.hdr.getValueAtPercentile(0) / US_PER_MS;
  }

  /** Largest value in ms, to the histogram's precision, the same before and after encode() (0 when empty). */
  get maxMs(): number {
    return this.count === 0 ? 0 : this.hdr.getValueAtPercentile(100) / US_PER_MS;
  }

  /** Mean in ms (0 when empty). */
  get meanMs(): number {
    return this.count === 0 ? 0 : this.hdr.mean / US_PER_MS;
  }

  /** The value in ms at or below which `percentile` % of the values fall (0 when empty). */
  percentileMs(percentile: number): number {
    if (this.count === 0) return 0;
    const p = Math.min(100, Math.max(0, percentile));
    return this.hdr.getValueAtPercentile(p) / US_PER_MS;
  }

  /** How many recorded values are ≤ `valueMs` (at the histogram's precision): "handled within 20 s". */
  countAtOrBelowMs(valueMs: number): number {
    if (this.count === 0) return 0;
    const limitUs = Math.round(valueMs * US_PER_MS);
    // Built without WebAssembly, every HDR histogram here is a JsHistogram with a public iterator.
    const it = (this.hdr as unknown as JsHistogram).recordedValuesIterator;
    it.reset();
    let total = 0;
    while (it.hasNext()) {
      const v = it.next();
      if ((this.hdr as unknown as JsHistogram).lowestEquivalentValue(v.valueIteratedTo) > limitUs) break;
      total += v.countAtValueIteratedTo;
    }
    return total;
  }

  /** count, min, p50, p90, p95, p99, max, mean — all in ms. */
  summary(): HistogramSummary {
    return {
      count: this.count,
      min: this.minMs,
      p50: this.percentileMs(50),
      p90: this.percentileMs(90),
      p95: this.percentileMs(95),
      p99: this.percentileMs(99),
      max: this.maxMs,
      mean: this.meanMs,
    };
  }

  /** Compact base64 (HDR V2 compressed encoding); an empty histogram encodes as ''. */
  encode(): string {
    if (this.count === 0) return '';
    return encodeIntoCompressedBase64(this.hdr);
  }

  /** Bytes this histogram holds in memory (an estimate from the HDR library). */
  get footprintBytes(): number {
    return this.hdr.estimatedFootprintInBytes;
  }
}
