// Robust summaries of repeated measurements: medians and spreads rather than means, because a shared machine
// produces occasional outliers that would drag a mean around.

export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
  /** First and third quartiles. */
  q1: number;
  q3: number;
  iqr: number;
  /** Median absolute deviation from the median (unscaled). */
  mad: number;
}

function sortedCopy(values: readonly number[]): number[] {
  if (values.length === 0) throw new RangeError('no values to summarise');
  if (values.some((v) => !Number.isFinite(v))) throw new RangeError('values must be finite numbers');
  return [...values].sort((a, b) => a - b);
}

/** Percentile p in [0, 100] by linear interpolation between order statistics (R type 7, numpy's default). */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  return percentileOfSorted(sortedCopy(values), p);
}

function percentileOfSorted(sorted: readonly number[], p: number): number {
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function spread(values: readonly number[]): Spread {
  const sorted = sortedCopy(values);
  const med = percentileOfSorted(sorted, 50);
  const q1 = percentileOfSorted(sorted, 25);
  const q3 = percentileOfSorted(sorted, 75);
  const deviations = sorted.map((v) => Math.abs(v - med)).sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: med,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    q1,
    q3,
    iqr: q3 - q1,
    mad: percentileOfSorted(deviations, 50),
  };
}

/** Spread relative to the median, (max − min) / median: 0.1 means the repeats varied by 10 %. */
export function relativeRange(s: Spread): number {
  return s.median === 0 ? 0 : (s.max - s.min) / Math.abs(s.median);
}
