// When a regression comparison has its verdict. judgeRegression judges the samples pooled so far; on top of it, a
// verdict must hold across independent rounds, because one round's samples share that round's accidents (a core
// shared with a noisy neighbour, one process's slow spell), which no test on those samples can see. Pure: the
// measuring loop (regression.ts) and the offline replay of recorded comparisons (bench/gate-replay.ts) both call it.
import { median } from '../analyse/stats.ts';
import type { RegressionConfig } from './config.ts';
import { judgeRegression, type RegressionJudgement } from './verdict.ts';

/** One round's own new samples. */
export interface MeasuredRound {
  /** Stored mode: empty (the baseline is the stored samples). */
  baseline: number[];
  candidate: number[];
  /** The baseline side's CPUs when the round was pinned (simultaneous with placement). */
  baselineCpus?: string;
}

export interface StoppingContext {
  config: Pick<RegressionConfig, 'policy' | 'maxRounds' | 'confirm'>;
  mode: 'stored' | 'interleaved' | 'simultaneous';
  /** Stored mode: the baseline's samples. */
  storedBaseline?: readonly number[];
  /** Candidate samples measured before round 1 (a sweep's repeats at this count; stored mode). */
  priorCandidate?: readonly number[];
  /** Nothing more will be measured (a recorded run): the samples' judgement as it is. */
  final?: boolean;
}

/** The verdict after the rounds measured so far; 'inconclusive' asks for another round (up to maxRounds). */
export function judgeRounds(rounds: readonly MeasuredRound[], ctx: StoppingContext): RegressionJudgement {
  const { config } = ctx;
  const paired = ctx.mode === 'simultaneous';
  const baseline = [...(ctx.storedBaseline ?? []), ...rounds.flatMap((r) => r.baseline)];
  const candidate = [...(ctx.priorCandidate ?? []), ...rounds.flatMap((r) => r.candidate)];
  if (candidate.length === 0 || baseline.length === 0) throw new RangeError('no samples to compare');
  const judgement = judgeRegression(baseline, candidate, config.policy, { paired });
  if (ctx.final) return judgement;

  // With placement, the independent rounds that count are the placements: a verdict needs both, and a fail must be
  // beyond the limit in each, so neither a slow core nor a lucky one decides alone.
  const placed = rounds.some((r) => r.baselineCpus !== undefined);
  const key = (r: MeasuredRound, i: number) =>
    r.baselineCpus !== undefined ? `cpus ${r.baselineCpus}` : `round ${i + 1}`;
  const beyondIn = new Set<string>();
  const placements = new Set<string>();
  rounds.forEach((r, i) => {
    if (r.baselineCpus !== undefined) placements.add(key(r, i));
    if (beyondLimit(roundRatio(r, baseline, candidate, ctx), judgement.limit, config.policy.better))
      beyondIn.add(key(r, i));
  });
  const confirm = config.confirm ?? config.maxRounds >= 2;
  if (judgement.verdict === 'fail' && confirm && beyondIn.size < 2)
    return {
      ...judgement,
      verdict: 'inconclusive',
      reason: `${judgement.reason}; not yet reproduced in a second ${placed ? 'placement' : 'round'}`,
    };
  if (placed && judgement.verdict !== 'inconclusive' && placements.size < 2 && rounds.length < config.maxRounds)
    return {
      ...judgement,
      verdict: 'inconclusive',
      reason: `${judgement.reason}; not yet measured with the sides' CPUs swapped`,
    };
  return judgement;
}

/** A round's own point estimate of candidate / baseline (stored mode: against every baseline sample). */
export function roundRatio(
  r: MeasuredRound,
  allBaseline: readonly number[],
  allCandidate: readonly number[],
  ctx: Pick<StoppingContext, 'mode' | 'storedBaseline'>,
): number {
  const b = ctx.mode === 'stored' ? (ctx.storedBaseline ?? []) : r.baseline;
  const c = r.candidate;
  if (c.length === 0 || b.length === 0) return median(allCandidate) / median(allBaseline);
  if (ctx.mode === 'simultaneous') return median(c.map((x, i) => x / b[i]));
  return median(c) / median(b);
}

/** Whether a ratio is worse than the limit in the metric's own direction. */
export function beyondLimit(ratio: number, limit: number, better: 'higher' | 'lower'): boolean {
  return better === 'higher' ? ratio < limit : ratio > limit;
}
