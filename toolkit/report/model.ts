// The report model: everything any renderer shows, computed once from a sweep or a single load test. Renderers
// (terminal, HTML, Markdown, JSON, JUnit) only format it, so they can never disagree about a number.
import type { LatencyKey, Recommendation } from '../analyse/recommend.ts';
import { parseSlo, sloMisses } from '../analyse/recommend.ts';
import type { Spread } from '../analyse/stats.ts';
import { spread } from '../analyse/stats.ts';
import { uslThroughput } from '../analyse/usl.ts';
import type { LoadtestResult, ReplicaUsage, SweepResult, UslSummary } from '../sweep/types.ts';

/** Error rate above which a count fails its check (k6's customary `http_req_failed<0.01`). */
export const MAX_ERROR_RATE = 0.01;

export interface ReportLevel {
  replicas: number;
  runs: number;
  /** req/s over the repeats. */
  throughput: Spread;
  /** USL prediction at this count, when there is a fit. */
  predicted: number | null;
  efficiency: number | null;
  /** Medians over the repeats, ms. */
  latency: Record<LatencyKey, number>;
  p95: Spread;
  errorRate: number;
  perReplica: Array<{
    replica: string;
    requests: number;
    share: number;
    cpuPercent: number | null;
    memoryMiB: number | null;
  }>;
  /** null without an objective. */
  sloOk: boolean | null;
  trusted: boolean;
  untrustedReasons: string[];
}

export interface ReportCheck {
  name: string;
  ok: boolean;
  expected: string;
  got: string;
}

export interface ReportModel {
  version: 1;
  kind: 'sweep' | 'loadtest';
  runId: string;
  title: string;
  finishedAt: string;
  settings: Array<{ label: string; value: string }>;
  levels: ReportLevel[];
  usl: UslSummary | null;
  uslNote?: string;
  /** USL prediction sampled for charts. */
  curve: Array<{ n: number; x: number }>;
  /** Throughput per replica for the linear-ideal line: measured X(1), else the fitted λ. */
  idealPerReplica: number | null;
  recommendation: Recommendation | null;
  slo?: string;
  sloThresholds: Array<{ key: LatencyKey; ms: number }>;
  checks: ReportCheck[];
  /** False when any measurement ran on a saturated load generator. */
  trusted: boolean;
  /** One line per untrusted count, with the generator's reasons. */
  untrusted: string[];
}

export function modelFromSweep(s: SweepResult): ReportModel {
  const slo = s.slo ? parseSlo(s.slo) : undefined;
  const eff = new Map(s.efficiency.map((e) => [e.replicas, e.efficiency]));
  const levels: ReportLevel[] = s.levels.map((l) => {
    const latency = {
      avg: l.latency.avg.median,
      p50: l.latency.p50.median,
      p90: l.latency.p90.median,
      p95: l.latency.p95.median,
      p99: l.latency.p99.median,
      max: l.latency.max.median,
    };
    return {
      replicas: l.replicas,
      runs: l.runs.length,
      throughput: l.throughput,
      predicted: s.usl ? uslThroughput(s.usl, l.replicas) : null,
      efficiency: eff.get(l.replicas) ?? null,
      latency,
      p95: l.latency.p95,
      errorRate: l.errorRate.median,
      perReplica: l.perReplica.map((p) => {
        const u = usageOf(p.replica, l.usage);
        return { ...p, cpuPercent: u?.cpuPercent ?? null, memoryMiB: u?.memoryMiB ?? null };
      }),
      sloOk: slo ? sloMisses(slo, latency).length === 0 : null,
      trusted: l.trusted,
      untrustedReasons: l.untrustedReasons,
    };
  });
  const maxN = Math.max(...levels.map((l) => l.replicas));
  const one = levels.find((l) => l.replicas === 1);
  const model: ReportModel = {
    version: 1,
    kind: 'sweep',
    runId: s.runId,
    title: `Scaling sweep ${s.runId}`,
    finishedAt: s.finishedAt,
    settings: [
      ...loadSettings(s.load),
      { label: 'replica counts', value: s.counts.join(', ') },
      { label: 'repeats per count', value: String(s.repeat) },
      { label: 'warm-up', value: s.warmup },
      ...(s.slo ? [{ label: 'objective', value: s.slo }] : []),
    ],
    levels,
    usl: s.usl,
    uslNote: s.uslNote,
    curve: s.usl ? sampleCurve(s.usl, maxN) : [],
    idealPerReplica: one?.throughput.median ?? s.usl?.lambda ?? null,
    recommendation: s.recommendation,
    slo: s.slo,
    sloThresholds: slo ? slo.conditions.map((c) => ({ key: c.key, ms: c.thresholdMs })) : [],
    checks: [],
    trusted: levels.every((l) => l.trusted),
    untrusted: untrustedLines(levels),
  };
  model.checks = sweepChecks(model);
  return model;
}

export function modelFromLoadtest(r: LoadtestResult): ReportModel {
  const one = (v: number) => spread([v]);
  const level: ReportLevel = {
    // 'none' collects responses without an X-Replica header (errors from nginx itself), not a replica.
    replicas: Math.max(1, r.perReplica.filter((p) => p.replica !== 'none').length),
    runs: 1,
    throughput: one(r.rps),
    predicted: null,
    efficiency: null,
    latency: { ...r.latency },
    p95: one(r.latency.p95),
    errorRate: r.errorRate,
    perReplica: r.perReplica.map((p) => ({ ...p, replica: String(p.replica), cpuPercent: null, memoryMiB: null })),
    sloOk: null,
    trusted: r.generator.trusted,
    untrustedReasons: r.generator.trusted ? [] : r.generator.reasons,
  };
  const checks: ReportCheck[] = [
    ...r.thresholds.map((t) => ({
      name: `threshold ${t.metric}: ${t.expression}`,
      ok: t.ok,
      expected: t.expression,
      got: t.ok ? 'met' : 'crossed',
    })),
    errorCheck(level),
    generatorCheck(level),
  ];
  return {
    version: 1,
    kind: 'loadtest',
    runId: r.runId,
    title: `Load test ${r.runId}`,
    finishedAt: '',
    settings: [
      ...loadSettings(r),
      { label: 'dropped iterations', value: String(r.droppedIterations) },
      {
        label: 'generator CPU',
        value: r.generator.cpuPercent === null ? 'unknown' : `${r.generator.cpuPercent.toFixed(0)}%`,
      },
    ],
    levels: [level],
    usl: null,
    uslNote: 'a single load test has one replica count; run `toolkit sweep` for a scaling model',
    curve: [],
    idealPerReplica: null,
    recommendation: null,
    sloThresholds: [],
    checks,
    trusted: level.trusted,
    untrusted: untrustedLines([level]),
  };
}

function loadSettings(l: Pick<LoadtestResult, 'model' | 'scenario' | 'vus' | 'rate' | 'durationSec'>) {
  const shape = l.model === 'open' ? `open, ${l.rate ?? '?'} req/s` : `closed, ${l.vus ?? '?'} virtual users`;
  return [
    { label: 'scenario', value: l.scenario },
    { label: 'load model', value: shape },
    { label: 'duration per run', value: `${l.durationSec}s` },
  ];
}

/**
 * k6 names a replica by its X-Replica header (a number, a container name or a hostname); Docker stats by number and
 * container name. Match on whichever is shared.
 */
function usageOf(label: string, usage: ReplicaUsage[]): ReplicaUsage | undefined {
  return usage.find(
    (u) =>
      label === String(u.replica) ||
      label === u.container ||
      label.endsWith(`-${u.replica}`) ||
      (label.length >= 12 && u.id?.startsWith(label)),
  );
}

function sampleCurve(usl: UslSummary, maxN: number): Array<{ n: number; x: number }> {
  const top = Math.max(2, maxN);
  const steps = 60;
  return Array.from({ length: steps + 1 }, (_, i) => {
    const n = 1 + ((top - 1) * i) / steps;
    return { n, x: uslThroughput(usl, n) };
  });
}

function untrustedLines(levels: ReportLevel[]): string[] {
  return levels
    .filter((l) => !l.trusted)
    .map((l) => `${l.replicas} replica(s): ${l.untrustedReasons.join('; ') || 'load generator saturated'}`);
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function errorCheck(l: ReportLevel): ReportCheck {
  return {
    name: `error rate at ${l.replicas} replica(s)`,
    ok: l.errorRate < MAX_ERROR_RATE,
    expected: `< ${pct(MAX_ERROR_RATE)}`,
    got: pct(l.errorRate),
  };
}

function generatorCheck(l: ReportLevel): ReportCheck {
  return {
    name: `load generator trusted at ${l.replicas} replica(s)`,
    ok: l.trusted,
    expected: 'generator not saturated',
    got: l.trusted ? 'trusted' : l.untrustedReasons.join('; ') || 'untrusted',
  };
}

function sweepChecks(m: ReportModel): ReportCheck[] {
  const checks: ReportCheck[] = [];
  for (const l of m.levels) {
    if (l.sloOk !== null) {
      const got = m.sloThresholds.map((t) => `${t.key}=${l.latency[t.key].toFixed(1)}ms`).join(', ');
      checks.push({ name: `objective ${m.slo} at ${l.replicas} replica(s)`, ok: l.sloOk, expected: m.slo!, got });
    }
    checks.push(errorCheck(l), generatorCheck(l));
  }
  if (m.recommendation) {
    const r = m.recommendation;
    checks.push({
      name: 'recommended replica count',
      ok: r.replicas !== null,
      expected: `a count within ${Math.round(r.tolerance * 100)}% of the best throughput${r.slo ? ` meeting ${r.slo}` : ''}`,
      got: r.replicas === null ? r.reason : `${r.replicas}`,
    });
  }
  return checks;
}
