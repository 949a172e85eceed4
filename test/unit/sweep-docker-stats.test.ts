import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { statsFigures } from '../../toolkit/sweep/docker-stats.ts';

// Trimmed from a Docker 20.10 (API 1.41, cgroup v1) `GET /containers/<id>/stats?stream=false` answer.
const v1 = {
  cpu_stats: {
    cpu_usage: { total_usage: 12_500_000_000, percpu_usage: [6_000_000_000, 6_500_000_000] },
    system_cpu_usage: 90_000_000_000,
    online_cpus: 2,
  },
  precpu_stats: {
    cpu_usage: { total_usage: 11_700_000_000 },
    system_cpu_usage: 88_000_000_000,
    online_cpus: 2,
  },
  memory_stats: {
    usage: 104_857_600,
    limit: 536_870_912,
    stats: { total_inactive_file: 20_971_520, cache: 31_457_280 },
  },
} as unknown as Docker.ContainerStats;

describe('statsFigures', () => {
  it('computes CPU as docker stats does: container delta / system delta × CPUs × 100', () => {
    // 0.8 s of CPU over 2 s of (2-CPU) system time → 80 % of one core.
    expect(statsFigures(v1).cpuPercent).toBeCloseTo(80, 6);
  });

  it('leaves reclaimable page cache out of memory (cgroup v1 total_inactive_file, v2 inactive_file)', () => {
    expect(statsFigures(v1).memoryMiB).toBeCloseTo(80, 6);
    const v2 = { ...v1, memory_stats: { usage: 52_428_800, stats: { inactive_file: 10_485_760 } } };
    expect(statsFigures(v2 as unknown as Docker.ContainerStats).memoryMiB).toBeCloseTo(40, 6);
  });

  it('reports 0 % rather than nonsense when there is no previous reading', () => {
    const first = { ...v1, precpu_stats: { cpu_usage: { total_usage: 0 } } } as unknown as Docker.ContainerStats;
    expect(statsFigures({ ...first, cpu_stats: { ...v1.cpu_stats, system_cpu_usage: 0 } }).cpuPercent).toBe(0);
    const noCpus = { ...v1, cpu_stats: { ...v1.cpu_stats, online_cpus: 0 } } as unknown as Docker.ContainerStats;
    // Falls back to the per-CPU list length (2).
    expect(statsFigures(noCpus).cpuPercent).toBeCloseTo(80, 6);
  });
});
