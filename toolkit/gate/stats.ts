// The two statistics the regression gate rests on, written here because no maintained npm package offers an
// exact Mann–Whitney distribution together with a seeded bootstrap (simple-statistics has neither; jStat has no
// exact small-sample U). Both are small and checked against textbook values in test/unit/gate-stats.test.ts.
import { median } from '../analyse/stats.ts';

/** Up to this many values per side (and no ties) the exact null distribution of U is enumerated. */
export const EXACT_MAX_N = 25;

export interface MannWhitney {
  /** U of the first sample: pairs (a, b) with a > b, ties counting one half. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'normal';
}

/** Two-sided Mann–Whitney U test: exact for small samples without ties, else normal with tie and continuity correction. */
export function mannWhitneyU(
  a: readonly number[],
  b: readonly number[],
  method: 'auto' | 'normal' = 'auto',
): MannWhitney {
  const m = a.length;
  const n = b.length;
  if (m === 0 || n === 0) throw new RangeError('Mann–Whitney needs at least one value on each side');
  if ([...a, ...b].some((v) => !Number.isFinite(v))) throw new RangeError('Mann–Whitney values must be finite');
  const { ranks, tieGroups } = rank([...a, ...b]);
  const r1 = ranks.slice(0, m).reduce((s, r) => s + r, 0);
  const u = r1 - (m * (m + 1)) / 2;
  const hasTies = tieGroups.some((t) => t > 1);
  if (method === 'auto' && !hasTies && m <= EXACT_MAX_N && n <= EXACT_MAX_N) {
    const counts = uDistribution(m, n);
    const total = counts.reduce((s, c) => s + c, 0);
    const lower = counts.slice(0, Math.floor(u) + 1).reduce((s, c) => s + c, 0) / total;
    const upper = counts.slice(Math.ceil(u)).reduce((s, c) => s + c, 0) / total;
    return { u, p: Math.min(1, 2 * Math.min(lower, upper)), method: 'exact' };
  }
  const mu = (m * n) / 2;
  const N = m + n;
  const tieTerm = tieGroups.reduce((s, t) => s + (t ** 3 - t), 0);
  const variance = ((m * n) / 12) * (N + 1 - tieTerm / (N * (N - 1)));
  if (variance <= 0) return { u, p: 1, method: 'normal' }; // every value equal: no evidence of any difference
  const z = Math.max(0, Math.abs(u - mu) - 0.5) / Math.sqrt(variance);
  return { u, p: Math.min(1, 2 * (1 - normalCdf(z))), method: 'normal' };
}

/** Mid-ranks (1-based) and the size of every group of equal values. */
function rank(values: number[]): { ranks: number[]; tieGroups: number[] } {
  const order = values.map((v, i) => ({ v, i })).sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(values.length);
  const tieGroups: number[] = [];
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1].v === order[i].v) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k].i] = mid;
    tieGroups.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, tieGroups };
}

/** counts[u] = number of arrangements of m and n values giving U = u (recurrence of Mann & Whitney, 1947). */
function uDistribution(m: number, n: number): number[] {
  // f[i][j] is the distribution for i and j values; built row by row so memory stays O(n · mn).
  let prev: number[][] = Array.from({ length: n + 1 }, () => [1]);
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [[1]];
    for (let j = 1; j <= n; j++) {
      const size = i * j + 1;
      const dist = new Array<number>(size).fill(0);
      // The largest value is from the first sample (adds j to U) or from the second (adds nothing).
      prev[j].forEach((c, u) => {
        dist[u + j] += c;
      });
      cur[j - 1].forEach((c, u) => {
        dist[u] += c;
      });
      cur.push(dist);
    }
    prev = cur;
  }
  return prev[n];
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 on erf; absolute error < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** mulberry32: a tiny seeded PRNG, so the same samples always give the same interval. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RatioInterval {
  /** median(candidate) / median(baseline). */
  ratio: number;
  lo: number;
  hi: number;
  confidence: number;
  resamples: number;
}

/** Percentile bootstrap interval of median(candidate) / median(baseline), each side resampled on its own. */
export function bootstrapRatioCI(
  baseline: readonly number[],
  candidate: readonly number[],
  opts: { resamples?: number; confidence?: number; seed?: number } = {},
): RatioInterval {
  const resamples = opts.resamples ?? 2000;
  const confidence = opts.confidence ?? 0.95;
  if (baseline.length === 0 || candidate.length === 0) throw new RangeError('bootstrap needs values on both sides');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be within (0, 1), got ${confidence}`);
  const mb = median(baseline);
  if (!(mb > 0)) throw new RangeError('the baseline median must be above 0 for a ratio');
  const random = seededRandom(opts.seed ?? 1);
  const resample = (xs: readonly number[], into: number[]) => {
    for (let i = 0; i < xs.length; i++) into[i] = xs[Math.floor(random() * xs.length)];
    return into;
  };
  const bufB = new Array<number>(baseline.length);
  const bufC = new Array<number>(candidate.length);
  const ratios: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const b = medianInPlace(resample(baseline, bufB));
    // A resample of a baseline holding zeros can have median 0; it says nothing about a ratio, so it is skipped.
    if (b > 0) ratios.push(medianInPlace(resample(candidate, bufC)) / b);
  }
  ratios.sort((x, y) => x - y);
  const tail = (1 - confidence) / 2;
  const at = (q: number) => ratios[Math.min(ratios.length - 1, Math.max(0, Math.floor(q * ratios.length)))];
  return { ratio: median(candidate) / mb, lo: at(tail), hi: at(1 - tail), confidence, resamples };
}

function medianInPlace(xs: number[]): number {
  xs.sort((x, y) => x - y);
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

export interface SignedRank {
  /** W+: the sum of the ranks of the positive differences (zeros dropped, ties mid-ranked). */
  w: number;
  p: number;
  method: 'exact' | 'normal';
}

/**
 * Two-sided Wilcoxon signed-rank test that the differences are centred on zero. Used when baseline and candidate
 * were measured at the same moments (paired samples): the machine's noise is common to both and cancels in the
 * difference, which Mann–Whitney on the two unpaired sets cannot exploit.
 */
export function wilcoxonSignedRank(diffs: readonly number[]): SignedRank {
  if (diffs.some((d) => !Number.isFinite(d))) throw new RangeError('signed-rank differences must be finite');
  const nonzero = diffs.filter((d) => d !== 0);
  const n = nonzero.length;
  if (n === 0) return { w: 0, p: 1, method: 'exact' };
  const { ranks, tieGroups } = rank(nonzero.map(Math.abs));
  const w = nonzero.reduce((s, d, i) => s + (d > 0 ? ranks[i] : 0), 0);
  const hasTies = tieGroups.some((t) => t > 1);
  if (!hasTies && n <= 30) {
    // counts[s] = subsets of {1..n} whose ranks sum to s.
    const max = (n * (n + 1)) / 2;
    const counts = new Array<number>(max + 1).fill(0);
    counts[0] = 1;
    for (let k = 1; k <= n; k++) for (let s = max; s >= k; s--) counts[s] += counts[s - k];
    const total = 2 ** n;
    const lower = counts.slice(0, Math.floor(w) + 1).reduce((s, c) => s + c, 0) / total;
    const upper = counts.slice(Math.ceil(w)).reduce((s, c) => s + c, 0) / total;
    return { w, p: Math.min(1, 2 * Math.min(lower, upper)), method: 'exact' };
  }
  const mu = (n * (n + 1)) / 4;
  const tieTerm = tieGroups.reduce((s, t) => s + (t ** 3 - t), 0);
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  if (variance <= 0) return { w, p: 1, method: 'normal' };
  const z = Math.max(0, Math.abs(w - mu) - 0.5) / Math.sqrt(variance);
  return { w, p: Math.min(1, 2 * (1 - normalCdf(z))), method: 'normal' };
}

/** Percentile bootstrap interval of the median of per-pair ratios candidate_i / baseline_i (pairs resampled). */
export function bootstrapPairedRatioCI(
  baseline: readonly number[],
  candidate: readonly number[],
  opts: { resamples?: number; confidence?: number; seed?: number } = {},
): RatioInterval {
  if (baseline.length !== candidate.length || baseline.length === 0) {
    throw new RangeError('paired bootstrap needs the same number (≥ 1) of baseline and candidate values');
  }
  if (baseline.some((b) => !(b > 0))) throw new RangeError('every baseline value must be above 0 for a ratio');
  const ratios = candidate.map((c, i) => c / baseline[i]);
  const resamples = opts.resamples ?? 2000;
  const confidence = opts.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be within (0, 1), got ${confidence}`);
  const random = seededRandom(opts.seed ?? 1);
  const buf = new Array<number>(ratios.length);
  const medians: number[] = [];
  for (let i = 0; i < resamples; i++) {
    for (let k = 0; k < ratios.length; k++) buf[k] = ratios[Math.floor(random() * ratios.length)];
    medians.push(medianInPlace(buf));
  }
  medians.sort((x, y) => x - y);
  const tail = (1 - confidence) / 2;
  const at = (q: number) => medians[Math.min(medians.length - 1, Math.max(0, Math.floor(q * medians.length)))];
  return { ratio: median(ratios), lo: at(tail), hi: at(1 - tail), confidence, resamples };
}
