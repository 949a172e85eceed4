// `status`: the project's containers as data (StackStatus); rendering lives in status-table.ts.
import type Docker from 'dockerode';
import type { DockerClient } from '../docker.ts';
import { NGINX_CONF_DIR } from '../spec/service-defs.ts';
import { lastExit } from './exits.ts';
import { LABEL } from './labels.ts';
import { baseUrlOf, publishedFromInfo } from './nginx-port.ts';
import { ipOnNetwork, listProjectContainers } from './query.ts';
import { readRotation } from './rotation.ts';
import type { ReplicaStatus, ServiceStatus, StackStatus } from './types.ts';
import { httpOk } from './wait.ts';

/**
 * `paths.liveNginxDir` tells which replicas the live load balancer routes to; without it a ready replica counts as
 * in rotation.
 */
export async function status(
  docker: DockerClient,
  project: string,
  paths: { liveNginxDir?: string } = {},
): Promise<StackStatus> {
  let rotation = paths.liveNginxDir ? await readRotation(paths.liveNginxDir) : null;
  const containers = (await listProjectContainers(docker, project))
    .filter((c) => !c.oneoff)
    .sort((a, b) => serviceRank(a.service) - serviceRank(b.service) || a.number - b.number);
  const infos = await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.id)
        .inspect()
        .catch(() => undefined),
    ),
  );
  if (!paths.liveNginxDir) {
    // Without paths, the live config directory is where nginx's config mount comes from.
    const nginx = infos.find((i, k) => i && containers[k].service === 'nginx');
    const mount = nginx?.Mounts?.find((m) => m.Destination === NGINX_CONF_DIR);
    if (mount?.Source) rotation = await readRotation(mount.Source);
  }
  const services: ServiceStatus[] = [];
  const replicas: ReplicaStatus[] = [];
  let url: string | null = null;
  const now = Date.now();
  for (const [i, c] of containers.entries()) {
    const info = infos[i];
    if (!info) continue; // removed between list and inspect
    const s = serviceStatus(info, c.service, c.number, project, now);
    const exit = await lastExit(docker, info);
    s.lastExit = exit?.code ?? null;
    s.lastExitReason = exit?.reason ?? null;
    services.push(s);
    if (c.service === 'nginx') {
      const published = publishedFromInfo(info);
      url ??= published ? baseUrlOf(published) : null;
    }
    if (c.service === 'inference') {
      const ready =
        s.state === 'running' &&
        (s.health === 'healthy' || (s.address !== '' && (await httpOk(`http://${s.address}/ready`))));
      replicas.push({
        number: s.number,
        container: s.container,
        state: s.state,
        ready,
        address: s.address,
        restarts: s.restarts,
        uptimeSec: s.uptimeSec,
        lastExit: s.lastExit,
        lastExitReason: s.lastExitReason,
        inRotation: ready && (rotation ? rotation.some((r) => r.number === s.number && r.address === s.address) : true),
      });
    }
  }
  return { project, url, replicas, services };
}

/** Dependency order, the way a stack reads top to bottom; unknown services last. */
const ORDER = ['storage', 'registry', 'trainer', 'inference', 'nginx'];
const serviceRank = (s: string) => (ORDER.includes(s) ? ORDER.indexOf(s) : ORDER.length);

function serviceStatus(
  info: Docker.ContainerInspectInfo,
  service: string,
  number: number,
  project: string,
  now: number,
): ServiceStatus {
  const st = info.State;
  const ip = ipOnNetwork(info, project);
  const port = info.Config.Labels?.[LABEL.port];
  const started = Date.parse(st.StartedAt);
  const hasRun = st.StartedAt !== '' && !st.StartedAt.startsWith('0001-');
  return {
    service,
    number,
    container: info.Name.replace(/^\//, ''),
    state: st.Status,
    health: st.Health?.Status ?? 'none',
    address: ip ? (port ? `${ip}:${port}` : ip) : '',
    restarts: info.RestartCount,
    uptimeSec: st.Running && Number.isFinite(started) ? Math.max(0, Math.round((now - started) / 1000)) : null,
    lastExit: hasRun && (!st.Running || info.RestartCount > 0) ? st.ExitCode : null,
    lastExitReason: null,
  };
}
