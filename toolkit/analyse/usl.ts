// Universal Scalability Law fit: X(N) = λN / (1 + σ(N−1) + κN(N−1)), by bounded nonlinear least squares
// (mljs ml-levenberg-marquardt with the analytic Jacobian). Every measured sample is a point, so repeats weigh in.
import { levenbergMarquardt } from 'ml-levenberg-marquardt';

export interface UslPoint {
  /** Concurrency: replicas (or users, processors). */
  n: number;
  /** Throughput measured at that concurrency. */
  x: number;
}

export interface UslParams {
  /** Contention (serial fraction). */
  sigma: number;
  /** Coherency (crosstalk) cost. */
  kappa: number;
  /** Throughput of one unit without any contention or coherency loss. */
  lambda: number;
}

export interface UslFit extends UslParams {
  /** Coefficient of determination over the fitted points. */
  r2: number;
  /** Concurrency of peak throughput, sqrt((1−σ)/κ); Infinity when κ = 0 (throughput never turns down). */
  peakN: number;
  predict(n: number): number;
}

export function uslThroughput(p: UslParams, n: number): number {
  return (p.lambda * n) / (1 + p.sigma * (n - 1) + p.kappa * n * (n - 1));
}

export function peakConcurrency(sigma: number, kappa: number): number {
  return kappa > 0 ? Math.sqrt(Math.max(0, 1 - sigma) / kappa) : Number.POSITIVE_INFINITY;
}

/** Fits the USL; needs at least three distinct concurrency levels (three parameters) with positive throughput. */
export function fitUsl(points: readonly UslPoint[]): UslFit {
  const valid = points.filter((p) => Number.isFinite(p.n) && Number.isFinite(p.x) && p.n > 0 && p.x >= 0);
  if (valid.length !== points.length) throw new RangeError('USL fit: every point needs n > 0 and a finite x ≥ 0');
  const levels = new Set(valid.map((p) => p.n));
  if (levels.size < 3) throw new RangeError(`USL fit needs at least 3 distinct concurrency levels, got ${levels.size}`);

  // Parameters differ by orders of magnitude (λ in req/s, κ ~ 1e-4), and LM's damping is isotropic, so the solver
  // works on scaled parameters q = [λ/λ0, σ, κ·nMax²] that are all of order one, and on throughput divided by λ0.
  const nMin = Math.min(...levels);
  const nMax = Math.max(...levels);
  const atMin = valid.filter((p) => p.n === nMin);
  const lambda0 = Math.max(mean(atMin.map((p) => p.x / p.n)), Number.EPSILON);
  const kScale = nMax * nMax;
  const xs = valid.map((p) => p.n);
  const ys = valid.map((p) => p.x / lambda0);
  const unscale = (q: number[]): UslParams => ({ lambda: q[0] * lambda0, sigma: q[1], kappa: q[2] / kScale });

  const model = (q: number[]) => (n: number) => (q[0] * n) / (1 + q[1] * (n - 1) + (q[2] * n * (n - 1)) / kScale);
  const jacobian = (q: number[]) => (n: number) => {
    const d = 1 + q[1] * (n - 1) + (q[2] * n * (n - 1)) / kScale;
    const f = (q[0] * n) / (d * d);
    return [n / d, -f * (n - 1), (-f * n * (n - 1)) / kScale];
  };

  // A few starting points guard against the flat valleys the USL surface has when data barely bends.
  let best: { q: number[]; sse: number } | undefined;
  for (const sigma0 of [0.01, 0.1, 0.5]) {
    for (const k0 of [0, 0.1, 1]) {
      const result = levenbergMarquardt({ x: xs, y: ys }, model, {
        initialValues: [1, sigma0, k0],
        minValues: [0, 0, 0],
        maxValues: [Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER],
        jacobianFunction: jacobian,
        damping: 1e-2,
        maxIterations: 500,
        errorTolerance: 1e-12,
        improvementThreshold: 1e-6,
      });
      const q = result.parameterValues;
      const sse = sumSquares(xs, ys, model(q));
      if (q.every(Number.isFinite) && (!best || sse < best.sse)) best = { q, sse };
    }
  }
  if (!best) throw new RangeError('USL fit did not converge');

  const params = unscale(best.q);
  const predict = (n: number) => uslThroughput(params, n);
  return { ...params, r2: rSquared(valid, predict), peakN: peakConcurrency(params.sigma, params.kappa), predict };
}

function sumSquares(xs: number[], ys: number[], f: (n: number) => number): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (ys[i] - f(xs[i])) ** 2;
  return s;
}

function rSquared(points: readonly UslPoint[], predict: (n: number) => number): number {
  const avg = mean(points.map((p) => p.x));
  let res = 0;
  let tot = 0;
  for (const p of points) {
    res += (p.x - predict(p.n)) ** 2;
    tot += (p.x - avg) ** 2;
  }
  return tot === 0 ? (res === 0 ? 1 : 0) : 1 - res / tot;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
