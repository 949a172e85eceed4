// Evaluates the absolute and scaling checks on a measured sweep. Each check is an {ok-ish status, expected, got}
// record, so every renderer (table, Markdown, JUnit, JSON) shows the same thing.
import type { SweepLevel, SweepResult } from '../sweep/types.ts';
import type { GateConfig } from './config.ts';
import { type AbsoluteThreshold, compare, type ScalingRule } from './rules.ts';

export type CheckStatus = 'pass' | 'fail' | 'inconclusive' | 'warn';
export type CheckKind = 'threshold' | 'scaling' | 'generator' | 'regression' | 'baseline';

export interface GateCheck {
  name: string;
  kind: CheckKind;
  status: CheckStatus;
  expected: string;
  got: string;
}

/**
 * The value a threshold is held against at one replica count. Latency and throughput: the median over the repeats
 * (one slow repeat on a shared machine is noise). Failures: pooled over every request of every repeat, so a single
 * failed request anywhere breaks `rate==0`. Dropped iterations: summed.
 */
export function thresholdValue(level: SweepLevel, t: Pick<AbsoluteThreshold, 'metric' | 'aggregation'>): number {
  const key = t.aggregation === 'med' ? 'p50' : t.aggregation.replace(/^p\((\d+)\)$/, 'p$1');
  switch (t.metric) {
    case 'http_req_duration':
      return level.latency[key as keyof SweepLevel['latency']].median;
    case 'http_req_failed': {
      const requests = level.runs.reduce((s, r) => s + r.requests, 0);
      const failed = level.runs.reduce((s, r) => s + r.errorRate * r.requests, 0);
      return requests > 0 ? failed / requests : 0;
    }
    case 'http_reqs':
      return t.aggregation === 'rate' ? level.throughput.median : median(level.runs.map((r) => r.requests));
    case 'dropped_iterations':
      return level.runs.reduce((s, r) => s + r.droppedIterations, 0);
    default:
      throw new RangeError(`${t.metric} is not recorded per run`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (x: number) =>
  Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(1) : String(Number(x.toPrecision(4)));

export function thresholdChecks(sweep: SweepResult, thresholds: readonly AbsoluteThreshold[]): GateCheck[] {
  const checks: GateCheck[] = [];
  for (const t of thresholds) {
    for (const level of sweep.levels) {
      if (t.replicas !== null && !t.replicas.includes(level.replicas)) continue;
      const got = thresholdValue(level, t);
      checks.push({
        name: `${t.text} at ${level.replicas} replica(s)`,
        kind: 'threshold',
        status: compare(got, t.op, t.value) ? 'pass' : 'fail',
        expected: `${t.aggregation} ${t.op} ${fmt(t.value)}`,
        got: fmt(got),
      });
    }
    const measured = new Set(sweep.levels.map((l) => l.replicas));
    for (const n of t.replicas ?? []) {
      if (!measured.has(n)) {
        checks.push({
          name: `${t.text} at ${n} replica(s)`,
          kind: 'threshold',
          status: 'fail',
          expected: `${t.aggregation} ${t.op} ${fmt(t.value)}`,
          got: 'not measured',
        });
      }
    }
  }
  return checks;
}

export function scalingChecks(sweep: SweepResult, rules: readonly ScalingRule[]): GateCheck[] {
  return rules.map((rule) => {
    const expected = `${rule.op} ${fmt(rule.value)}`;
    if (rule.kind === 'recommended') {
      const r = sweep.recommendation.replicas;
      return {
        name: rule.text,
        kind: 'scaling',
        status: r !== null && compare(r, rule.op, rule.value) ? 'pass' : 'fail',
        expected,
        got: r === null ? `none (${sweep.recommendation.reason})` : String(r),
      };
    }
    const e = sweep.efficiency.find((x) => x.replicas === rule.n)?.efficiency;
    const ok = e !== undefined && Number.isFinite(e) && compare(e, rule.op, rule.value);
    return {
      name: rule.text,
      kind: 'scaling',
      status: ok ? 'pass' : 'fail',
      expected,
      got: e === undefined ? `count ${rule.n} not measured with 1` : e.toFixed(3),
    };
  });
}

/** One check per count: a saturated load generator measured k6, not the stack. */
export function generatorChecks(sweep: SweepResult, mode: GateConfig['generator']): GateCheck[] {
  return sweep.levels.map((l) => ({
    name: `load generator trusted at ${l.replicas} replica(s)`,
    kind: 'generator',
    status: l.trusted ? 'pass' : mode === 'fail' ? 'fail' : 'warn',
    expected: 'not saturated (host idle ≥ 20%, no dropped iterations)',
    got: l.trusted ? 'trusted' : untrustedSummary(l.untrustedReasons),
  }));
}

/** One line per kind of reason: "host CPU idle was 0.2% (< 20%) …" once, with how many runs said so. */
function untrustedSummary(reasons: string[]): string {
  if (reasons.length === 0) return 'untrusted';
  const kinds = new Map<string, string[]>();
  for (const r of reasons) {
    const kind = r.replace(/[\d.]+/g, '#');
    kinds.set(kind, [...(kinds.get(kind) ?? []), r]);
  }
  return [...kinds.values()]
    .map((list) => (list.length > 1 ? `${list[0]} (and ${list.length - 1} more run(s))` : list[0]))
    .join('; ');
}
