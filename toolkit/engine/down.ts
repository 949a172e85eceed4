// `down`: remove exactly the objects carrying the project's labels. Containers get their grace period
// (their own stop timeout) first; volumes go only when asked, because they hold the models.
import type { DockerClient } from '../docker.ts';
import { projectFilters } from './labels.ts';
import { listProjectContainers } from './query.ts';
import { stopAndRemove } from './resources.ts';
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
