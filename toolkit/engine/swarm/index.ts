// The swarm engine behind the StackEngine boundary.
import type Docker from 'dockerode';
import type { DockerClient } from '../../docker.ts';
import { statsFigures } from '../../sweep/docker-stats.ts';
import type { ReplicaStats } from '../../sweep/types.ts';
import type { RunningStack, StackEngine } from '../engine.ts';
import { publishedPort } from '../nginx-port.ts';
import { listProjectContainers } from '../query.ts';
import { swarmDown } from './down.ts';
import { SERVICE_LABEL, STACK_NAMESPACE, swarmFilters } from './labels.ts';
import { swarmPreflight } from './preflight.ts';
import { listProjectServices } from './resources.ts';
import { swarmStatus } from './status.ts';
import { swarmUp } from './up.ts';

export function swarmEngine(docker: DockerClient): StackEngine {
  return {
    kind: 'swarm',
    preflight: (spec) => swarmPreflight(docker, spec),
    up: (ctx) => swarmUp(ctx, 'up'),
    scale: (ctx) => swarmUp({ ...ctx, lock: { command: 'scale', ...ctx.lock } }, 'scale'),
    status: (project) => swarmStatus(docker, project),
    async running(project): Promise<RunningStack | null> {
      const services = await listProjectServices(docker, project);
      const inference = services.find((s) => s.service === 'inference');
      if (!inference) return null;
      const nginx = (await listProjectContainers(docker, project, 'nginx')).find((c) => c.state === 'running');
      const status = await swarmStatus(docker, project);
      return {
        replicas: status.replicas.filter((r) => r.ready).length,
        published: nginx ? await publishedPort(docker, nginx.id) : null,
      };
    },
    down: (project, opts) => swarmDown(docker, project, opts),
    replicaStats: (project) => managerReplicaStats(docker, project),
  };
}

/** The Docker stats API answers for the manager's own containers only: tasks on other nodes are not sampled. */
async function managerReplicaStats(docker: DockerClient, project: string): Promise<ReplicaStats[]> {
  const list = await docker.listContainers({ filters: swarmFilters(project, { [SERVICE_LABEL]: 'inference' }) });
  const samples = await Promise.all(
    list
      .filter((c) => c.Labels?.[STACK_NAMESPACE] === project)
      .map(async (c) => {
        const stats = (await docker.getContainer(c.Id).stats({ stream: false })) as Docker.ContainerStats;
        const slot = Number(c.Labels?.['com.docker.swarm.task.name']?.split('.')[1] ?? 0);
        return {
          replica: slot,
          container: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
          id: c.Id,
          ...statsFigures(stats),
        };
      }),
  );
  return samples.sort((a, b) => a.replica - b.replica);
}
