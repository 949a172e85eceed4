// Creating and removing the project's Docker objects: network, volumes, containers. Idempotent where it can be.
import type Docker from 'dockerode';
import type { DockerClient } from '../docker.ts';
import { RuntimeError } from '../errors.ts';
import { networkLabels, networkName, projectFilters, volumeLabels, volumeName } from './labels.ts';

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/** The project network `<project>_default`, created (labelled) when missing. Returns its name. */
export async function ensureNetwork(docker: DockerClient, project: string): Promise<string> {
  const name = networkName(project);
  const existing = await docker.listNetworks({ filters: projectFilters(project) });
  if (existing.some((n) => n.Name === name)) return name;
  try {
    await docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: networkLabels(project) });
  } catch (err) {
    throw new RuntimeError(
      `cannot create network ${name}: ${(err as Error).message}`,
      statusOf(err) === 409
        ? `a network named ${name} exists but was not made by the toolkit; remove it or pick another --project`
        : undefined,
      err,
    );
  }
  return name;
}

/** Named volumes, created (labelled) when missing. `names` are project-relative (`storage-data`). */
export async function ensureVolumes(docker: DockerClient, project: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const { Volumes } = await docker.listVolumes({ filters: projectFilters(project) });
  const have = new Set((Volumes ?? []).map((v) => v.Name));
  for (const short of new Set(names)) {
    const name = volumeName(project, short);
    if (have.has(name)) continue;
    // Creating a volume that already exists is a no-op in Docker; it keeps its old labels, which down then
    // would not match, so say so instead of silently adopting it.
    const clash = await docker
      .getVolume(name)
      .inspect()
      .catch(() => undefined);
    if (clash) {
      throw new RuntimeError(
        `volume ${name} exists but was not made by the toolkit`,
        `remove it (docker volume rm ${name}) or pick another --project`,
      );
    }
    await docker.createVolume({ Name: name, Labels: volumeLabels(project, short) });
  }
}

export async function imageId(docker: DockerClient, image: string): Promise<string> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch (err) {
    throw new RuntimeError(`image ${image} is not available`, '`toolkit up` builds the project images', err);
  }
}

export async function createAndStart(docker: DockerClient, opts: Docker.ContainerCreateOptions): Promise<string> {
  let container: Docker.Container;
  try {
    container = await docker.createContainer(opts);
  } catch (err) {
    throw new RuntimeError(
      `cannot create container ${opts.name}: ${(err as Error).message}`,
      statusOf(err) === 409
        ? `a container named ${opts.name} exists but was not made by the toolkit; remove it or pick another --project`
        : undefined,
      err,
    );
  }
  try {
    await container.start();
  } catch (err) {
    // A container that cannot start (port taken, bad mount) would block the name next run: take it away.
    await container.remove({ force: true }).catch(() => {});
    throw new RuntimeError(`cannot start container ${opts.name}: ${(err as Error).message}`, undefined, err);
  }
  return container.id;
}

/** Stops with the container's own stop timeout (its grace period), then removes. Gone already is fine. */
export async function stopAndRemove(docker: DockerClient, id: string): Promise<void> {
  const c = docker.getContainer(id);
  try {
    await c.stop();
  } catch (err) {
    // 304: already stopped; 404: already gone.
    if (statusOf(err) === 404) return;
    if (statusOf(err) !== 304) throw err;
  }
  try {
    await c.remove({ force: true });
  } catch (err) {
    // 409 "removal already in progress" and 404 both mean it is going or gone.
    if (statusOf(err) !== 404 && statusOf(err) !== 409) throw err;
  }
}
