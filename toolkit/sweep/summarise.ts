// Turns the raw runs of one replica count into medians with spreads, and stats samples into per-replica usage.
import { median, spread } from '../analyse/stats.ts';
import type { LatencyStats, LoadtestResult, ReplicaStats, ReplicaUsage, SweepLevel } from './types.ts';

export function summariseLevel(replicas: number, runs: LoadtestResult[], samples: ReplicaStats[][]): SweepLevel {
  if (runs.length === 0) throw new RangeError(`no measured runs at ${replicas} replicas`);
  const lat = (k: keyof LoadtestResult['latency']) => spread(runs.map((r) => r.latency[k]));
  const latency: LatencyStats = {
    avg: lat('avg'),
    p50: lat('p50'),
    p90: lat('p90'),
    p95: lat('p95'),
    p99: lat('p99'),
    max: lat('max'),
  };
  const untrusted = runs.filter((r) => !r.generator.trusted);
  return {
    replicas,
    runs,
    throughput: spread(runs.map((r) => r.rps)),
    latency,
    errorRate: spread(runs.map((r) => r.errorRate)),
    perReplica: mergeShares(runs),
    usage: replicaUsage(samples),
    trusted: untrusted.length === 0,
    untrustedReasons: [...new Set(untrusted.flatMap((r) => r.generator.reasons))],
  };
}

function mergeShares(runs: LoadtestResult[]): SweepLevel['perReplica'] {
  const totals = new Map<string, number>();
  for (const run of runs) {
    for (const p of run.perReplica) totals.set(String(p.replica), (totals.get(String(p.replica)) ?? 0) + p.requests);
  }
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  return [...totals.entries()]
    .map(([replica, requests]) => ({ replica, requests, share: all > 0 ? requests / all : 0 }))
    .sort((a, b) => a.replica.localeCompare(b.replica, undefined, { numeric: true }));
}

/** Median CPU and peak memory per replica over all samples taken during the measured runs. */
export function replicaUsage(samples: ReplicaStats[][]): ReplicaUsage[] {
  const byReplica = new Map<number, ReplicaStats[]>();
  for (const s of samples.flat()) byReplica.set(s.replica, [...(byReplica.get(s.replica) ?? []), s]);
  return [...byReplica.entries()]
    .sort(([a], [b]) => a - b)
    .map(([replica, list]) => ({
      replica,
      container: list[list.length - 1].container,
      id: list[list.length - 1].id,
      cpuPercent: median(list.map((s) => s.cpuPercent)),
      memoryMiB: Math.max(...list.map((s) => s.memoryMiB)),
      samples: list.length,
    }));
}
