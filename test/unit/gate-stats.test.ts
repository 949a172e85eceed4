// The gate's statistics against published values (R's wilcox.test, SciPy's mannwhitneyu), a brute-force
// enumeration of the exact null distribution, and the bootstrap interval's coverage on synthetic data.
import { describe, expect, it } from 'vitest';
import {
  bootstrapPairedRatioCI,
  bootstrapRatioCI,
  mannWhitneyU,
  normalCdf,
  seededRandom,
  wilcoxonSignedRank,
} from '../../toolkit/gate/stats.ts';

/** Two-sided exact p by enumerating every split of the pooled values (small samples only). */
function bruteForceP(a: number[], b: number[]): number {
  const pooled = [...a, ...b];
  const uOf = (x: number[], y: number[]) =>
    x.reduce((s, v) => s + y.filter((w) => v > w).length + 0.5 * y.filter((w) => v === w).length, 0);
  const observed = uOf(a, b);
  const mean = (a.length * b.length) / 2;
  let extreme = 0;
  let total = 0;
  const choose = (start: number, picked: number[]) => {
    if (picked.length === a.length) {
      const x = picked.map((i) => pooled[i]);
      const y = pooled.filter((_, i) => !picked.includes(i));
      total++;
      if (Math.abs(uOf(x, y) - mean) >= Math.abs(observed - mean) - 1e-9) extreme++;
      return;
    }
    for (let i = start; i < pooled.length; i++) choose(i + 1, [...picked, i]);
  };
  choose(0, []);
  return extreme / total;
}

describe('mannWhitneyU', () => {
  it('matches R: wilcox.test(x, y) on its help-page data (W = 35, exact two-sided p = 0.2544)', () => {
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const r = mannWhitneyU(x, y);
    expect(r.u).toBe(35);
    expect(r.method).toBe('exact');
    expect(r.p).toBeCloseTo(0.2544, 4);
  });

  it('matches SciPy on its docs example: U = 17, exact p = 1/9, asymptotic p = 0.11134688653', () => {
    const males = [19, 22, 16, 29, 24];
    const females = [20, 11, 17, 12];
    expect(mannWhitneyU(males, females)).toEqual({ u: 17, p: expect.closeTo(1 / 9, 12), method: 'exact' });
    const normal = mannWhitneyU(males, females, 'normal');
    expect(normal.method).toBe('normal');
    expect(normal.p).toBeCloseTo(0.11134688653314041, 6);
  });

  it('gives the smallest possible p for completely separated samples: 2/C(6,3) and 2/C(10,5)', () => {
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6]).p).toBeCloseTo(0.1, 12);
    expect(mannWhitneyU([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])).toMatchObject({ u: 25, p: expect.closeTo(2 / 252, 12) });
  });

  it('agrees with a brute-force enumeration on random samples without ties', () => {
    const rnd = seededRandom(7);
    for (let k = 0; k < 12; k++) {
      const a = Array.from({ length: 2 + (k % 5) }, () => rnd());
      const b = Array.from({ length: 3 + (k % 4) }, () => rnd() + 0.2);
      expect(mannWhitneyU(a, b).p).toBeCloseTo(bruteForceP(a, b), 10);
    }
  });

  it('uses the tie-corrected normal approximation with ties, and p = 1 when every value is equal', () => {
    const tied = mannWhitneyU([1, 2, 2, 3, 3, 3], [3, 3, 4, 4, 5, 6]);
    expect(tied.method).toBe('normal');
    expect(tied.u).toBe(3);
    // By hand: ties 2,2 and 3,3,3,3,3 and 4,4 → Σ(t³−t) = 6 + 120 + 6 = 132; var = 36/12·(13 − 132/132) = 36.
    expect(tied.p).toBeCloseTo(2 * (1 - normalCdf((18 - 3 - 0.5) / 6)), 10);
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5, 5]).p).toBe(1);
  });

  it('is symmetric in its p-value and rejects empty or non-finite input', () => {
    const a = [10, 12, 9, 14];
    const b = [8, 7, 11, 6, 5];
    expect(mannWhitneyU(a, b).p).toBeCloseTo(mannWhitneyU(b, a).p, 12);
    expect(() => mannWhitneyU([], [1])).toThrow(/at least one value/);
    expect(() => mannWhitneyU([Number.NaN], [1])).toThrow(/finite/);
  });

  it('handles 25 vs 25 exactly without overflowing', () => {
    const a = Array.from({ length: 25 }, (_, i) => i);
    const b = Array.from({ length: 25 }, (_, i) => i + 0.5);
    const r = mannWhitneyU(a, b);
    expect(r.method).toBe('exact');
    expect(r.p).toBeGreaterThan(0.5);
    expect(r.p).toBeLessThanOrEqual(1);
  });
});

describe('normalCdf', () => {
  it('matches tabulated values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });
});

/** Normal deviates by Box–Muller on the seeded generator. */
function gaussian(rnd: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

describe('bootstrapRatioCI', () => {
  it('is reproducible for a seed and brackets the observed ratio', () => {
    const base = [100, 103, 98, 101, 99, 102];
    const cand = [90, 93, 88, 91, 92, 89];
    const a = bootstrapRatioCI(base, cand, { seed: 3 });
    expect(bootstrapRatioCI(base, cand, { seed: 3 })).toEqual(a);
    expect(a.ratio).toBeCloseTo(90.5 / 100.5, 12);
    expect(a.lo).toBeLessThanOrEqual(a.ratio);
    expect(a.hi).toBeGreaterThanOrEqual(a.ratio);
    expect(a.hi).toBeLessThan(1);
  });

  it('covers the true ratio of medians about as often as its confidence says (synthetic normal data)', () => {
    const rnd = seededRandom(2024);
    const z = gaussian(rnd);
    const trials = 300;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      // True medians 100 and 90: ratio 0.9; 5 % noise, n = 12 per side.
      const base = Array.from({ length: 12 }, () => 100 + 5 * z());
      const cand = Array.from({ length: 12 }, () => 90 + 4.5 * z());
      const ci = bootstrapRatioCI(base, cand, { resamples: 600, seed: t + 1 });
      if (ci.lo <= 0.9 && 0.9 <= ci.hi) covered++;
    }
    // Percentile intervals of medians under-cover a little at this n; far off either way is a bug.
    expect(covered / trials).toBeGreaterThan(0.86);
    expect(covered / trials).toBeLessThan(0.99);
  });

  it('narrows as samples grow', () => {
    const rnd = seededRandom(5);
    const z = gaussian(rnd);
    const width = (n: number) => {
      const ci = bootstrapRatioCI(
        Array.from({ length: n }, () => 100 + 5 * z()),
        Array.from({ length: n }, () => 100 + 5 * z()),
      );
      return ci.hi - ci.lo;
    };
    expect(width(60)).toBeLessThan(width(6));
  });

  it('rejects a zero baseline and bad confidence', () => {
    expect(() => bootstrapRatioCI([0, 0], [1])).toThrow(/above 0/);
    expect(() => bootstrapRatioCI([1], [1], { confidence: 1 })).toThrow(/confidence/);
  });
});

describe('wilcoxonSignedRank (paired samples)', () => {
  it('matches R: wilcox.test(x, y, paired = TRUE) on its help-page data (V = 40, p = 0.03906)', () => {
    const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
    const r = wilcoxonSignedRank(x.map((v, i) => v - y[i]));
    expect(r).toMatchObject({ w: 40, method: 'exact' });
    expect(r.p).toBeCloseTo(0.03906, 5);
  });

  it('gives 2/2^n when every difference has the same sign, and p = 1 without differences', () => {
    expect(wilcoxonSignedRank([-1, -2, -3, -4, -5, -6, -7, -8]).p).toBeCloseTo(2 / 256, 12);
    expect(wilcoxonSignedRank([0, 0, 0]).p).toBe(1);
  });

  it('uses the normal approximation with ties', () => {
    const r = wilcoxonSignedRank([1, 1, 2, 2, -3, 4, 5, 6]);
    expect(r.method).toBe('normal');
    expect(r.p).toBeGreaterThan(0);
    expect(r.p).toBeLessThan(0.2);
  });
});

describe('bootstrapPairedRatioCI', () => {
  it('takes the median per-pair ratio and cancels what both sides of a pair share', () => {
    // Machine noise multiplies both sides of a pair alike; the candidate is 10 % slower throughout.
    const noise = [1, 0.5, 1.6, 0.8, 1.3, 0.6, 1.1, 0.9, 1.4, 0.7];
    const base = noise.map((n) => 100 * n);
    const cand = noise.map((n) => 90 * n);
    const paired = bootstrapPairedRatioCI(base, cand);
    expect(paired.ratio).toBeCloseTo(0.9, 12);
    expect(paired.lo).toBeCloseTo(0.9, 12);
    expect(paired.hi).toBeCloseTo(0.9, 12);
    const unpaired = bootstrapRatioCI(base, cand);
    expect(unpaired.hi - unpaired.lo).toBeGreaterThan(0.3);
    expect(() => bootstrapPairedRatioCI([1, 2], [1])).toThrow(/same number/);
  });
});
