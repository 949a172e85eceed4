// `down`: remove exactly the objects carrying the project's labels. Containers get their grace period
// (their own stop timeout) first; volumes go only when asked, because they hold the models.
import type { DockerClient } from '../docker.ts';
import type { EngineKind } from '../spec/types.ts';
import { projectFilters } from './labels.ts';
import { listProjectContainers } from './query.ts';
import { stopAndRemove } from './resources.ts';
import { swarmHasObjects } from './swarm/down.ts';
import { STACK_NAMESPACE } from './swarm/labels.ts';
import type { DownResult } from './types.ts';

export async function down(docker: DockerClient, project: string, opts: { volumes: boolean }): Promise<DownResult> {
  const containers = await listProjectContainers(docker, project);
  // nginx first so no request is sent to a replica that is already stopping; the rest in parallel.
  const nginx = containers.filter((c) => c.service === 'nginx');
  const rest = containers.filter((c) => c.service !== 'nginx');
  await Promise.all(nginx.map((c) => stopAndRemove(docker, c.id)));
  await Promise.all(rest.map((c) => stopAndRemove(docker, c.id)));

  const networks = await docker.listNetworks({ filters: projectFilters(project) });
  for (const n of networks) await docker.getNetwork(n.Id).remove();

  const volumes: string[] = [];
  if (opts.volumes) {
    const { Volumes } = await docker.listVolumes({ filters: projectFilters(project) });
    for (const v of Volumes ?? []) {
      await docker.getVolume(v.Name).remove();
      volumes.push(v.Name);
    }
  }
  return { containers: containers.map((c) => c.name), networks: networks.map((n) => n.Name), volumes };
}

/**
 * Does this engine hold containers, networks or volumes of the project made by the local engine? The swarm
 * engine's balancer carries the same labels plus its stack's, and is not counted here.
 */
export async function localHasObjects(docker: DockerClient, project: string): Promise<boolean> {
  const filters = projectFilters(project);
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  const local = containers.filter((c) => c.Labels?.[STACK_NAMESPACE] === undefined);
  return local.length + networks.length + (volumes.Volumes?.length ?? 0) > 0;
}

/**
 * Which engines hold objects of the project, for a `down` that cannot read the engine from a saved spec (a first
 * `up` that failed before saving it). Swarm first: its balancer also carries the local labels.
 */
export async function enginesHoldingProject(docker: DockerClient, project: string): Promise<EngineKind[]> {
  const kinds: EngineKind[] = [];
  if (await swarmHasObjects(docker, project)) kinds.push('swarm');
  if (await localHasObjects(docker, project)) kinds.push('local');
  return kinds;
}
