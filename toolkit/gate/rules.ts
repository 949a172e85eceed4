// The gate's check expressions: absolute thresholds in k6's syntax (parsed by the same parser the k6 scripts use)
// restricted to the figures a run records, and scaling rules `efficiency(N) >= x` / `recommended == n`.
import { parseThreshold } from '../../loadtests/lib/thresholds.ts';

export const OPS = ['<=', '>=', '===', '==', '!=', '<', '>'] as const;
export type Op = (typeof OPS)[number];

export function compare(got: number, op: Op, want: number): boolean {
  switch (op) {
    case '<':
      return got < want;
    case '<=':
      return got <= want;
    case '>':
      return got > want;
    case '>=':
      return got >= want;
    case '!=':
      return got !== want;
    default:
      return got === want;
  }
}

/** The figures a load test records, by k6 metric and aggregation. Anything else cannot be gated on afterwards. */
export const RECORDED: Record<string, readonly string[]> = {
  http_req_duration: ['avg', 'med', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'max'],
  http_req_failed: ['rate'],
  http_reqs: ['rate', 'count'],
  dropped_iterations: ['count'],
};

export interface AbsoluteThreshold {
  /** As written, normalised: `http_req_duration: p(95)<300`. */
  text: string;
  metric: string;
  aggregation: string;
  op: Op;
  value: number;
  /** Replica counts it applies to; null: every measured count. */
  replicas: number[] | null;
}

/** Parses one k6 threshold; throws Error with the reason (k6's own wording for syntax errors). */
export function parseGateThreshold(text: string, replicas: number[] | null = null): AbsoluteThreshold {
  const t = parseThreshold(text);
  const m = /^(\S+?)\s*(<=|>=|===|==|!=|<|>)\s*(\S+)$/.exec(t.expression);
  if (!m) throw new Error(`threshold "${text}": expected <aggregation><operator><number>`);
  const aggregation = m[1];
  if (t.metric.includes('{')) throw new Error(`threshold "${text}": tag selectors are not recorded per run`);
  const known = RECORDED[t.metric];
  if (!known) {
    throw new Error(
      `threshold "${text}": ${t.metric} is not recorded per run; gate on ${Object.keys(RECORDED).join(', ')}`,
    );
  }
  if (!known.includes(aggregation)) {
    throw new Error(`threshold "${text}": ${t.metric} records ${known.join(', ')}, not ${aggregation}`);
  }
  return {
    text: `${t.metric}: ${aggregation}${m[2]}${m[3]}`,
    metric: t.metric,
    aggregation,
    op: m[2] as Op,
    value: Number(m[3]),
    replicas,
  };
}

export type ScalingRule =
  | { kind: 'efficiency'; text: string; n: number; op: Op; value: number }
  | { kind: 'recommended'; text: string; op: Op; value: number };

const SCALING = /^\s*(efficiency\s*\(\s*(\d+)\s*\)|recommended)\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

export function parseScalingRule(text: string): ScalingRule {
  const m = SCALING.exec(text);
  if (!m) {
    throw new Error(`scaling rule "${text}": expected 'efficiency(N) >= 0.7' or 'recommended == 2'`);
  }
  const op = m[3] as Op;
  const value = Number(m[4]);
  if (m[2] !== undefined) {
    const n = Number(m[2]);
    if (n < 2) throw new Error(`scaling rule "${text}": efficiency(1) is 1 by definition; name a count ≥ 2`);
    return { kind: 'efficiency', text: `efficiency(${n}) ${op} ${value}`, n, op, value };
  }
  return { kind: 'recommended', text: `recommended ${op} ${value}`, op, value };
}
