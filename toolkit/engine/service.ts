// One service container, converged: kept when it runs with the same config hash, otherwise replaced.
import type Docker from 'dockerode';
import type { DockerClient } from '../docker.ts';
import type { Progress } from '../progress.ts';
import type { ServiceDef } from '../spec/service-defs.ts';
import { containerCreateOptions } from './create-options.ts';
import { configHash, containerLabels, containerName } from './labels.ts';
import type { ProjectContainer } from './query.ts';
import { createAndStart, imageId, stopAndRemove } from './resources.ts';
import type { EngineTimeouts, UpContext } from './types.ts';

/** What one `up` run works with, derived once from the UpContext. */
export interface Run {
  docker: DockerClient;
  ctx: UpContext;
  project: string;
  network: string;
  progress: Progress;
  timeouts: EngineTimeouts;
  /** Config hash per service (ServiceDef + image ID). */
  hashes: Map<string, string>;
  /** Labels added to every container this run creates (the swarm engine marks its balancer with its stack). */
  extraLabels?: Record<string, string>;
}

export async function computeHashes(docker: DockerClient, defs: ServiceDef[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const image of new Set(defs.map((d) => d.image))) ids.set(image, await imageId(docker, image));
  return new Map(defs.map((d) => [d.name, configHash(d, ids.get(d.image))]));
}

export interface Ensured {
  id: string;
  name: string;
  service: string;
  number: number;
  /** True when this run created it (so it must be waited on). */
  created: boolean;
}

/** Is `c` what `def` asks for, and alive? (An unhealthy container is replaced: that is what converging means.) */
export const isCurrent = (run: Run, c: ProjectContainer): boolean =>
  c.configHash === run.hashes.get(c.service) && c.state === 'running' && !c.unhealthy;

export async function ensureContainer(
  run: Run,
  def: ServiceDef,
  number: number,
  existing: ProjectContainer[],
  /** Host settings for a container this call creates (not part of the config hash: a kept one is not replaced). */
  hostConfig: Docker.HostConfig = {},
): Promise<Ensured> {
  const name = containerName(run.project, def.name, number);
  const mine = existing.filter((c) => c.service === def.name && c.number === number && !c.oneoff);
  const keep = mine.find((c) => isCurrent(run, c));
  for (const c of mine) if (c !== keep) await stopAndRemove(run.docker, c.id);
  if (keep) return { id: keep.id, name, service: def.name, number, created: false };
  run.progress.step(`${mine.length ? 'replacing' : 'creating'} ${name}`);
  const options = createOptions(run, def, number);
  const id = await createAndStart(run.docker, { ...options, HostConfig: { ...options.HostConfig, ...hostConfig } });
  return { id, name, service: def.name, number, created: true };
}

export function createOptions(run: Run, def: ServiceDef, number: number) {
  const labels = containerLabels({
    project: run.project,
    service: def.name,
    number,
    workingDir: run.ctx.paths.composeDir,
    configFile: run.ctx.paths.composeFile,
    configHash: run.hashes.get(def.name) ?? '',
    containerPort: def.containerPort,
  });
  return containerCreateOptions({
    project: run.project,
    def,
    number,
    network: run.network,
    labels: { ...labels, ...run.extraLabels },
    secrets: run.ctx.secrets,
  });
}
