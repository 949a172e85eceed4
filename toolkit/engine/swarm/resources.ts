// The project's swarm objects: the attachable overlay, the secrets, the services. Created when missing, updated
// when their spec hash changed, found by labels. Idempotent, so a failed `up` converges on the next one.
import type Docker from 'dockerode';
import type { DockerClient } from '../../docker.ts';
import { RuntimeError } from '../../errors.ts';
import { overlayName, SERVICE_LABEL, SPEC_HASH_LABEL, swarmFilters, swarmLabels, swarmSecretName } from './labels.ts';
import type { SecretRef, SwarmServiceSpec } from './service-spec.ts';

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/** `<project>_default`, an attachable overlay (so the balancer, a plain container, can join it). Returns its ID. */
export async function ensureOverlay(docker: DockerClient, project: string): Promise<{ id: string; name: string }> {
  const name = overlayName(project);
  const mine = (await docker.listNetworks({ filters: swarmFilters(project) })).find((n) => n.Name === name);
  if (mine) return { id: mine.Id, name };
  try {
    const net = await docker.createNetwork({
      Name: name,
      Driver: 'overlay',
      Attachable: true,
      CheckDuplicate: true,
      Labels: swarmLabels(project, { 'com.docker.compose.network': 'default' }),
    });
    return { id: net.id, name };
  } catch (err) {
    throw new RuntimeError(
      `cannot create overlay network ${name}: ${(err as Error).message}`,
      statusOf(err) === 409 ? `a network named ${name} exists but was not made by the toolkit` : undefined,
      err,
    );
  }
}

/**
 * One Swarm secret per credential the stack uses. Swarm secrets are immutable and unreadable, so an existing one
 * is kept as it is: the values come from the project's secrets file, which is generated once per project.
 */
export async function ensureSecrets(
  docker: DockerClient,
  project: string,
  values: Record<string, string>,
  keys: string[],
): Promise<SecretRef[]> {
  const existing = (await docker.listSecrets({ filters: swarmFilters(project) })) as {
    ID: string;
    Spec?: { Name?: string };
  }[];
  const refs: SecretRef[] = [];
  for (const key of [...new Set(keys)].sort()) {
    const name = swarmSecretName(project, key);
    const found = existing.find((s) => s.Spec?.Name === name);
    if (found) {
      refs.push({ key, id: found.ID, name });
      continue;
    }
    const value = values[key];
    if (value === undefined) {
      throw new RuntimeError(
        `secret ${key} is missing from the secrets file`,
        'delete the secrets file under .toolkit/ to have it generated again',
      );
    }
    const created = (await docker.createSecret({
      Name: name,
      Labels: swarmLabels(project),
      Data: Buffer.from(value).toString('base64'),
    })) as { id?: string; ID?: string };
    refs.push({ key, id: created.id ?? created.ID ?? '', name });
  }
  return refs;
}

export interface ServiceInfo {
  id: string;
  name: string;
  service: string;
  hash: string;
  replicas: number | null;
  version: number;
  spec: Docker.ServiceSpec;
}

export async function listProjectServices(docker: DockerClient, project: string): Promise<ServiceInfo[]> {
  const list = await docker.listServices({ filters: swarmFilters(project) });
  return list.map((s) => ({
    id: s.ID,
    name: s.Spec?.Name ?? s.ID,
    service: s.Spec?.Labels?.[SERVICE_LABEL] ?? '',
    hash: s.Spec?.Labels?.[SPEC_HASH_LABEL] ?? '',
    replicas: s.Spec?.Mode?.Replicated?.Replicas ?? null,
    version: s.Version?.Index ?? 0,
    spec: s.Spec as Docker.ServiceSpec,
  }));
}

export type Ensured = 'created' | 'updated' | 'scaled' | 'kept';

/**
 * Creates the service, updates it when its spec hash differs (a rolling update under its UpdateConfig), scales it
 * when only the replica count differs, or keeps it.
 */
export async function ensureService(
  docker: DockerClient,
  existing: ServiceInfo | undefined,
  body: SwarmServiceSpec,
): Promise<Ensured> {
  if (!existing) {
    try {
      await docker.createService(body);
    } catch (err) {
      throw new RuntimeError(`cannot create swarm service ${body.Name}: ${(err as Error).message}`, undefined, err);
    }
    return 'created';
  }
  const replicas = body.Mode?.Replicated?.Replicas ?? null;
  if (existing.hash === body.Labels[SPEC_HASH_LABEL]) {
    if (replicas === null || existing.replicas === replicas) return 'kept';
    await setReplicas(docker, existing, replicas);
    return 'scaled';
  }
  await docker.getService(existing.id).update({ ...body, version: existing.version });
  return 'updated';
}

/** Only the replica count changes (the rest of the spec is sent back as it is). */
export async function setReplicas(docker: DockerClient, svc: ServiceInfo, replicas: number): Promise<void> {
  const body = { ...svc.spec, Mode: { Replicated: { Replicas: replicas } }, version: svc.version };
  await docker.getService(svc.id).update(body);
}

/** Removes a service; gone already is fine. */
export async function removeService(docker: DockerClient, id: string): Promise<void> {
  try {
    await docker.getService(id).remove();
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}
