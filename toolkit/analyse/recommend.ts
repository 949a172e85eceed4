// The replica count to run: the smallest one that delivers (nearly) the best measured throughput while meeting
// the latency objective. "Nearly" (5 %) because repeats on a shared machine vary by about that much, and paying for
// replicas that buy noise is the mistake this guards against.
import { UsageError } from '../errors.ts';

export const LATENCY_KEYS = ['avg', 'p50', 'p90', 'p95', 'p99', 'max'] as const;
export type LatencyKey = (typeof LATENCY_KEYS)[number];
export type Latency = Record<LatencyKey, number>;

export interface SloCondition {
  /** As written, normalised: `p(95)<300`. */
  text: string;
  key: LatencyKey;
  op: '<' | '<=';
  thresholdMs: number;
}

export interface Slo {
  text: string;
  conditions: SloCondition[];
}

const METRIC: Record<string, LatencyKey> = {
  avg: 'avg',
  med: 'p50',
  max: 'max',
  'p(50)': 'p50',
  'p(90)': 'p90',
  'p(95)': 'p95',
  'p(99)': 'p99',
};
const SLO_HINT = "write it like k6 thresholds: --slo 'p(95)<300' (ms; also p(50|90|99), avg, med, max; 's' suffix)";

/** Parses `p(95)<300`, `avg<=120ms`, `p(99)<1.5s`, or several joined by commas (all must hold). */
export function parseSlo(text: string): Slo {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new UsageError(`--slo '${text}': empty condition`, SLO_HINT);
  const conditions = parts.map((part) => {
    const m = /^([a-z]+(?:\(\s*\d+(?:\.\d+)?\s*\))?)\s*(<=|<)\s*(\d+(?:\.\d+)?)\s*(ms|s)?$/i.exec(part);
    if (!m) throw new UsageError(`--slo '${part}': expected <metric><op><number>, e.g. p(95)<300`, SLO_HINT);
    const metric = m[1].toLowerCase().replace(/\s+/g, '');
    const key = METRIC[metric];
    if (!key) {
      const known = Object.keys(METRIC).join(', ');
      throw new UsageError(`--slo '${part}': unknown metric '${metric}' (known: ${known})`, SLO_HINT);
    }
    const thresholdMs = Number(m[3]) * (m[4]?.toLowerCase() === 's' ? 1000 : 1);
    if (!(thresholdMs > 0)) throw new UsageError(`--slo '${part}': the threshold must be above 0`, SLO_HINT);
    const op = m[2] as '<' | '<=';
    return { text: `${metric}${op}${thresholdMs}`, key, op, thresholdMs };
  });
  return { text: conditions.map((c) => c.text).join(','), conditions };
}

/** The conditions the latency misses, as readable `p(95)=412ms ≥ 300ms` strings; empty when it meets them all. */
export function sloMisses(slo: Slo, latency: Latency): string[] {
  return slo.conditions
    .filter((c) => !(c.op === '<' ? latency[c.key] < c.thresholdMs : latency[c.key] <= c.thresholdMs))
    .map((c) => `${c.key}=${fmtMs(latency[c.key])} ${c.op === '<' ? '≥' : '>'} ${fmtMs(c.thresholdMs)}`);
}

/** One replica count's medians over its repeats. */
export interface LevelSummary {
  n: number;
  throughput: number;
  latency: Latency;
}

export interface Recommendation {
  /** null when no measured count meets the objective. */
  replicas: number | null;
  reason: string;
  bestN: number;
  bestThroughput: number;
  /** Fraction of the best throughput that still counts as "as good": 0.05. */
  tolerance: number;
  slo?: string;
}

export function recommend(
  levels: readonly LevelSummary[],
  opts: { slo?: Slo; tolerance?: number } = {},
): Recommendation {
  if (levels.length === 0) throw new RangeError('recommend needs at least one measured replica count');
  const tolerance = opts.tolerance ?? 0.05;
  const byN = [...levels].sort((a, b) => a.n - b.n);
  const best = byN.reduce((a, b) => (b.throughput > a.throughput ? b : a));
  const floor = best.throughput * (1 - tolerance);
  const base = { bestN: best.n, bestThroughput: best.throughput, tolerance, slo: opts.slo?.text };
  const pct = `${Math.round(tolerance * 100)}%`;

  const meeting = opts.slo ? byN.filter((l) => sloMisses(opts.slo!, l.latency).length === 0) : byN;
  const pick = meeting.find((l) => l.throughput >= floor);
  if (pick) {
    const share = `${fmtRps(pick.throughput)} req/s, ${((pick.throughput / best.throughput) * 100).toFixed(0)}% of the best (${fmtRps(best.throughput)} at ${best.n})`;
    const sloPart = opts.slo ? ` and meets ${opts.slo.text} (p95 ${fmtMs(pick.latency.p95)})` : '';
    const fewer = pick.n < best.n ? `; more replicas add less than ${pct}` : '';
    return { ...base, replicas: pick.n, reason: `${pick.n} replicas: ${share}${sloPart}${fewer}` };
  }
  if (meeting.length === 0) {
    const closest = byN.reduce((a, b) => (b.latency.p95 < a.latency.p95 ? b : a));
    const misses = sloMisses(opts.slo!, closest.latency).join(', ');
    return {
      ...base,
      replicas: null,
      reason: `no measured replica count meets ${opts.slo!.text}; closest is ${closest.n} replicas (${misses})`,
    };
  }
  // Some counts meet the objective, but none of them comes within the tolerance of the best throughput.
  const top = meeting.reduce((a, b) => (b.throughput > a.throughput ? b : a));
  return {
    ...base,
    replicas: null,
    reason: `counts meeting ${opts.slo!.text} reach at most ${fmtRps(top.throughput)} req/s (at ${top.n}), more than ${pct} below the best ${fmtRps(best.throughput)} (at ${best.n}, which misses the objective)`,
  };
}

/** X(N) / (N·X(1)): 1 means every added replica adds a full replica's throughput. */
export function efficiency(n: number, throughput: number, throughputAt1: number): number {
  if (!(n > 0) || !(throughputAt1 > 0)) return Number.NaN;
  return throughput / (n * throughputAt1);
}

function fmtMs(ms: number): string {
  return `${ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)}ms`;
}

function fmtRps(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}
