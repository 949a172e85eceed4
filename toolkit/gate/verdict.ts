// The regression verdict. A fixed percent change between two runs fails on shared machines (run-to-run noise of
// ±50 % and more), so a regression is declared only when a rank test says the samples differ AND the whole
// confidence interval of the change lies beyond what is tolerated. "Pass" needs the interval inside the tolerance;
// anything between is "inconclusive" — more samples, not a guess.
import { median } from '../analyse/stats.ts';
import {
  bootstrapPairedRatioCI,
  bootstrapRatioCI,
  mannWhitneyU,
  type RatioInterval,
  wilcoxonSignedRank,
} from './stats.ts';

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface RegressionPolicy {
  /** 'higher': bigger is better (throughput); 'lower': smaller is better (latency). */
  better: 'higher' | 'lower';
  /** Tolerated worsening as a fraction: 0.05 = 5 %. */
  maxRegression: number;
  /** Significance level of the two-sided Mann–Whitney test. */
  alpha: number;
  confidence: number;
  resamples: number;
  seed: number;
}

export const DEFAULT_POLICY: RegressionPolicy = {
  better: 'higher',
  maxRegression: 0.05,
  alpha: 0.05,
  confidence: 0.95,
  resamples: 2000,
  seed: 1,
};

export interface RegressionJudgement {
  verdict: Verdict;
  /** median(candidate) / median(baseline). */
  ratio: number;
  /** Relative change, ratio − 1 (negative: candidate smaller). */
  change: number;
  /** Confidence interval of the relative change. */
  changeLo: number;
  changeHi: number;
  confidence: number;
  pValue: number;
  /** Mann–Whitney U (unpaired) or Wilcoxon W+ (paired). */
  statistic: number;
  test: 'mann-whitney exact' | 'mann-whitney normal' | 'signed-rank exact' | 'signed-rank normal';
  paired: boolean;
  baseline: { n: number; median: number };
  candidate: { n: number; median: number };
  /** The limit the interval is held against, as a ratio (0.95 for 5 % less throughput tolerated). */
  limit: number;
  reason: string;
}

/**
 * Unpaired (the default): Mann–Whitney U and the bootstrap interval of median(candidate) / median(baseline).
 * Paired (baseline[i] and candidate[i] measured at the same time): Wilcoxon signed-rank on the log ratios and the
 * bootstrap interval of the median per-pair ratio.
 */
export function judgeRegression(
  baseline: readonly number[],
  candidate: readonly number[],
  policy: RegressionPolicy = DEFAULT_POLICY,
  opts: { paired?: boolean } = {},
): RegressionJudgement {
  const paired = opts.paired ?? false;
  let mw: { p: number; statistic: number; test: RegressionJudgement['test'] };
  let ci: RatioInterval;
  if (paired) {
    const sr = wilcoxonSignedRank(candidate.map((c, i) => Math.log(c / baseline[i])));
    mw = { p: sr.p, statistic: sr.w, test: `signed-rank ${sr.method}` };
    ci = bootstrapPairedRatioCI(baseline, candidate, policy);
  } else {
    const u = mannWhitneyU(candidate, baseline);
    mw = { p: u.p, statistic: u.u, test: `mann-whitney ${u.method}` };
    ci = bootstrapRatioCI(baseline, candidate, policy);
  }
  const higher = policy.better === 'higher';
  const limit = higher ? 1 - policy.maxRegression : 1 + policy.maxRegression;
  // "Worse than tolerated" and "within tolerance" for the whole interval, in the metric's own direction.
  const allBeyond = higher ? ci.hi < limit : ci.lo > limit;
  const allWithin = higher ? ci.lo >= limit : ci.hi <= limit;
  const significant = mw.p < policy.alpha;
  const verdict: Verdict = significant && allBeyond ? 'fail' : allWithin ? 'pass' : 'inconclusive';

  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  const interval = `${pct(ci.ratio - 1)} [${pct(ci.lo - 1)}, ${pct(ci.hi - 1)}]`;
  const tol = `${higher ? '−' : '+'}${(policy.maxRegression * 100).toFixed(1)}%`;
  const p = `p=${mw.p.toPrecision(2)}`;
  const reason =
    verdict === 'fail'
      ? `regression: change ${interval} lies beyond the tolerated ${tol}, ${p} < ${policy.alpha}`
      : verdict === 'pass'
        ? `change ${interval} lies within the tolerated ${tol} (${p})`
        : allBeyond
          ? `change ${interval} lies beyond ${tol} but the rank test is not significant (${p} ≥ ${policy.alpha})`
          : `change ${interval} straddles the tolerated ${tol} (${p}); more samples needed`;
  return {
    verdict,
    ratio: ci.ratio,
    change: ci.ratio - 1,
    changeLo: ci.lo - 1,
    changeHi: ci.hi - 1,
    confidence: ci.confidence,
    pValue: mw.p,
    statistic: mw.statistic,
    test: mw.test,
    paired,
    baseline: { n: baseline.length, median: median(baseline) },
    candidate: { n: candidate.length, median: median(candidate) },
    limit,
    reason,
  };
}
