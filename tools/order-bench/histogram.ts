/**
 * HDR-style latency histogram over integer microseconds.
 *
 * Values below 128 µs get a bucket each; above that every power of two is split into 64
 * sub-buckets, so any recorded value is reported within 1/64 (< 1.6 %) of itself. Recording
 * is a few integer operations and one array increment: cheap enough for the hot loop.
 */
const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS; // 128 exact buckets at the bottom
const HALF = SUB_COUNT >> 1; // 64 sub-buckets per power of two above that
const MAX_VALUE = 2 ** 31 - 1; // ~35 minutes; larger values are clamped
const BUCKET_COUNT = (31 - SUB_BITS + 2) * HALF;

function bucketIndex(value: number): number {
  if (value < SUB_COUNT) return value;
  const shift = 31 - Math.clz32(value) - (SUB_BITS - 1);
  return shift * HALF + (value >>> shift);
}

/** Highest value that falls into bucket `index` (what HDR calls the highest equivalent value). */
function bucketHighest(index: number): number {
  if (index < SUB_COUNT) return index;
  const shift = Math.floor(index / HALF) - 1;
  const sub = index - shift * HALF;
  return (sub + 1) * 2 ** shift - 1;
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class LogHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private sum = 0;
  private min = MAX_VALUE;
  private max = 0;

  /** Records one value in microseconds (fractions are rounded, negatives count as 0). */
  record(micros: number): void {
    const v = micros <= 0 ? 0 : micros >= MAX_VALUE ? MAX_VALUE : Math.round(micros);
    this.counts[bucketIndex(v)]! += 1;
    this.total += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  get count(): number {
    return this.total;
  }

  /** Value in microseconds at or below which `percentile` % of the recorded values lie. */
  valueAt(percentile: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(Math.max(bucketHighest(i), this.min), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    const ms = (us: number): number => Math.round(us) / 1000;
    return {
      count: this.total,
      meanMs: this.total === 0 ? 0 : ms(this.sum / this.total),
      p50Ms: ms(this.valueAt(50)),
      p95Ms: ms(this.valueAt(95)),
      p99Ms: ms(this.valueAt(99)),
      maxMs: ms(this.max),
    };
  }
}
