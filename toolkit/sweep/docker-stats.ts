// Per-replica CPU and memory from the Docker stats API, computed the way `docker stats` does, so the figures in a
// report match what a user sees when checking by hand.
import type Docker from 'dockerode';
import type { DockerClient } from '../docker.ts';
import { listProjectContainers } from '../engine/query.ts';
import type { ReplicaStats } from './types.ts';

/** One sample for each running inference replica of the project. */
export async function dockerReplicaStats(docker: DockerClient, project: string): Promise<ReplicaStats[]> {
  const running = (await listProjectContainers(docker, project, 'inference')).filter(
    (c) => c.state === 'running' && !c.oneoff,
  );
  const samples = await Promise.all(
    running.map(async (c) => {
      // stream: false waits for two readings, so precpu_stats is filled and the CPU delta is meaningful.
      const stats = (await docker.getContainer(c.id).stats({ stream: false })) as Docker.ContainerStats;
      return { replica: c.number, container: c.name, id: c.id, ...statsFigures(stats) };
    }),
  );
  return samples.sort((a, b) => a.replica - b.replica);
}

/** CPU as percent of one core and memory in MiB, from one stats reading. */
export function statsFigures(s: Docker.ContainerStats): { cpuPercent: number; memoryMiB: number } {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus || s.cpu_stats.cpu_usage.percpu_usage?.length || 1;
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
  // Page cache is reclaimable and `docker stats` leaves it out: cgroup v1 reports it as total_inactive_file / cache,
  // cgroup v2 as inactive_file.
  const st = (s.memory_stats.stats ?? {}) as Record<string, number | undefined>;
  const cache = st.total_inactive_file ?? st.inactive_file ?? st.cache ?? 0;
  const usage = Math.max(0, (s.memory_stats.usage ?? 0) - cache);
  return { cpuPercent, memoryMiB: usage / (1024 * 1024) };
}
