// From per-count medians to the scaling verdict: USL coefficients, efficiency per count and the recommendation.
import { efficiency, type LevelSummary, type Recommendation, recommend, type Slo } from './recommend.ts';
import { fitUsl, type UslPoint } from './usl.ts';

export interface ScalingInput {
  levels: LevelSummary[];
  /** Every measured sample (repeats included), which is what the USL is fitted to. */
  samples: UslPoint[];
  slo?: Slo;
}

export interface ScalingAnalysis {
  usl: { sigma: number; kappa: number; lambda: number; r2: number; peakN: number | null } | null;
  uslNote?: string;
  recommendation: Recommendation;
  efficiency: Array<{ replicas: number; efficiency: number }>;
}

export function analyseScaling(input: ScalingInput): ScalingAnalysis {
  let usl: ScalingAnalysis['usl'] = null;
  let uslNote: string | undefined;
  try {
    const fit = fitUsl(input.samples);
    usl = {
      sigma: fit.sigma,
      kappa: fit.kappa,
      lambda: fit.lambda,
      r2: fit.r2,
      peakN: Number.isFinite(fit.peakN) ? fit.peakN : null,
    };
  } catch (err) {
    // Not fatal: a two-point sweep still has a table and a recommendation, just no model.
    uslNote = `no USL fit: ${(err as Error).message}`;
  }
  const one = input.levels.find((l) => l.n === 1);
  const x1 = one?.throughput ?? usl?.lambda;
  const eff = x1 ? input.levels.map((l) => ({ replicas: l.n, efficiency: efficiency(l.n, l.throughput, x1) })) : [];
  return { usl, uslNote, recommendation: recommend(input.levels, { slo: input.slo }), efficiency: eff };
}
