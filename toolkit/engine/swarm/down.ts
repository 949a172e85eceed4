// `down --engine swarm`: by labels only — the balancer container first (no request goes to a stopping task), then
// the services (their tasks get their stop grace period), then the overlay and the secrets once no task holds
// them, and the storage volume on the manager when asked.
import type { DockerClient } from '../../docker.ts';
import { RuntimeError } from '../../errors.ts';
import { stopAndRemove } from '../resources.ts';
import type { DownResult } from '../types.ts';
import { sleep } from '../wait.ts';
import { swarmFilters } from './labels.ts';
import { listProjectServices, removeService } from './resources.ts';

/** Tasks need their stop grace period (inference: drain + grace + margin) before the network is free. */
const RELEASE_TIMEOUT_MS = 90_000;

export async function swarmDown(
  docker: DockerClient,
  project: string,
  opts: { volumes: boolean },
): Promise<DownResult> {
  const filters = swarmFilters(project);
  const containers = await docker.listContainers({ all: true, filters });
  // Only plain containers (the balancer); task containers go with their service.
  const plain = containers.filter((c) => !c.Labels?.['com.docker.swarm.task.id']);
  await Promise.all(plain.map((c) => stopAndRemove(docker, c.Id)));

  const services = await listProjectServices(docker, project);
  await Promise.all(services.map((s) => removeService(docker, s.id)));

  // Task containers stop within their grace period; a completed job's container stays after its service is gone,
  // so exited ones are removed here (the manager's only: other nodes' agents clean up their own).
  await untilGone('task containers', RELEASE_TIMEOUT_MS, async () => {
    const tasks = (await docker.listContainers({ all: true, filters })).filter(
      (c) => c.Labels?.['com.docker.swarm.task.id'],
    );
    await Promise.all(
      tasks.filter((c) => c.State !== 'running').map((c) => ignoreGone(() => docker.getContainer(c.Id).remove())),
    );
    const running = tasks.filter((c) => c.State === 'running');
    if (running.length) throw new Error(`${running.length} task container(s) still stopping`);
  });

  const networks = await docker.listNetworks({ filters });
  const secrets = (await docker.listSecrets({ filters })) as { ID: string; Spec?: { Name?: string } }[];
  // The overlay and the secrets can go only once every task that used them is gone: retried, bounded. The
  // manager's local copy of the overlay lingers briefly after the cluster removed it: gone means not listed.
  await untilGone('network', RELEASE_TIMEOUT_MS, async () => {
    await Promise.all(networks.map((n) => ignoreGone(() => docker.getNetwork(n.Id).remove())));
    const left = await docker.listNetworks({ filters });
    if (left.length) throw new Error(`${left.map((n) => n.Name).join(', ')} still listed`);
  });
  await untilGone('secret', RELEASE_TIMEOUT_MS, () =>
    Promise.all(secrets.map((s) => ignoreGone(() => docker.getSecret(s.ID).remove()))),
  );

  const volumes: string[] = [];
  if (opts.volumes) {
    const { Volumes } = await docker.listVolumes({ filters });
    for (const v of Volumes ?? []) {
      await untilGone('volume', RELEASE_TIMEOUT_MS, () => ignoreGone(() => docker.getVolume(v.Name).remove()));
      volumes.push(v.Name);
    }
  }
  return {
    containers: plain.map((c) => (c.Names?.[0] ?? c.Id).replace(/^\//, '')),
    networks: networks.map((n) => n.Name),
    volumes,
    services: services.map((s) => s.name),
    secrets: secrets.map((s) => s.Spec?.Name ?? s.ID),
  };
}

/**
 * Does this engine hold swarm objects of the project (services, secrets, the overlay, task or balancer containers,
 * the volume)? Only a swarm manager can list services and secrets: on any other engine the answer is no, never an
 * error, so `down` can ask without knowing which engine made the stack.
 */
export async function swarmHasObjects(docker: DockerClient, project: string): Promise<boolean> {
  const info = (await docker.info().catch(() => null)) as { Swarm?: { ControlAvailable?: boolean } } | null;
  if (info?.Swarm?.ControlAvailable !== true) return false;
  const filters = swarmFilters(project);
  const counts = await Promise.all([
    docker.listServices({ filters }).then((l) => l.length),
    docker.listSecrets({ filters }).then((l) => (l as unknown[]).length),
    docker.listNetworks({ filters }).then((l) => l.length),
    docker.listContainers({ all: true, filters }).then((l) => l.length),
    docker.listVolumes({ filters }).then((v) => v.Volumes?.length ?? 0),
  ]);
  return counts.some((n) => n > 0);
}

/** 404: gone already; 409 on a container: its removal is already in progress. */
async function ignoreGone(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const code = (err as { statusCode?: number }).statusCode;
    if (code !== 404 && code !== 409) throw err;
  }
}

/** Retries `remove` while Docker says the object is still in use (409/500 "in use"/"active endpoints"). */
async function untilGone(what: string, timeoutMs: number, remove: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await remove();
      return;
    } catch (err) {
      if (Date.now() >= deadline) {
        throw new RuntimeError(
          `cannot remove the project's ${what} after ${timeoutMs / 1000}s: ${(err as Error).message}`,
          'run `toolkit down` again once the tasks have stopped (docker service ls / docker ps on each node)',
          err,
        );
      }
      await sleep(500);
    }
  }
}
