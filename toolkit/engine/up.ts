// `up`: converge the project's containers on the spec. Order: network, volumes → storage → registry → trainer
// (when needed) → inference replicas → nginx → proof that traffic reaches every replica. Every step is
// idempotent, so a failed run leaves a state the next run converges from.
import type { DockerClient } from '../docker.ts';
import { RuntimeError } from '../errors.ts';
import { acquireLock } from '../lock.ts';
import { stackPaths } from '../paths.ts';
import type { ServiceDef, ServiceName } from '../spec/service-defs.ts';
import { applyNginx } from './lb.ts';
import { baseUrlOf, publishedPort } from './nginx-port.ts';
import { assertPortFree } from './port.ts';
import { listProjectContainers } from './query.ts';
import { convergeInference } from './replicas.ts';
import { ensureNetwork, ensureVolumes } from './resources.ts';
import { saveSpec } from './saved-spec.ts';
import { computeHashes, ensureContainer, type Run } from './service.ts';
import { status } from './status.ts';
import { waitTrafficReaches } from './traffic.ts';
import { ensureTrained } from './trainer.ts';
import { DEFAULT_TIMEOUTS, type StackStatus, type UpContext } from './types.ts';
import { containerFailure, waitHealthy, waitReady } from './wait.ts';

/** Holds the project lock (toolkit/lock.ts) for the whole converge; a caller already holding it keeps it. */
export async function up(ctx: UpContext): Promise<StackStatus> {
  const lock = await acquireLock(stackPaths(ctx.spec).lockFile, ctx.lock?.command ?? 'up', {
    waitMs: ctx.lock?.waitMs,
    progress: ctx.progress,
  });
  try {
    const result = await converge(ctx);
    await saveSpec(ctx.spec);
    return result;
  } finally {
    await lock.release();
  }
}

async function converge(ctx: UpContext): Promise<StackStatus> {
  const { docker, spec, progress } = ctx;
  const project = spec.project;
  const def = (name: ServiceName): ServiceDef => {
    const found = ctx.defs.find((d) => d.name === name);
    if (!found) throw new RuntimeError(`no service definition for ${name}`, 'this is a bug in the toolkit');
    return found;
  };
  const defs = { storage: def('storage'), registry: def('registry'), trainer: def('trainer') };
  const inferenceDef = def('inference');
  const nginxDef = def('nginx');

  // Validate before acting: a taken port is found before anything is created.
  await checkPublishedPort(docker, project, spec.bindAddress, spec.port);

  progress.step(`converging project ${project}`);
  const run: Run = {
    docker,
    ctx,
    project,
    network: '',
    progress,
    timeouts: { ...DEFAULT_TIMEOUTS, ...ctx.timeouts },
    hashes: await computeHashes(docker, ctx.defs),
  };
  run.network = await ensureNetwork(docker, project);
  const volumes = ctx.defs.flatMap((d) => d.volumes.filter((v) => v.kind === 'volume').map((v) => v.source));
  await ensureVolumes(docker, project, volumes);

  // Storage and registry start together (the registry retries storage until it answers); each is ready when its
  // health path answers on the container IP, or Docker says healthy: whichever comes first.
  const started = await Promise.all(
    [defs.storage, defs.registry].map(async (d) => {
      const c = await ensureContainer(run, d, 1, await listProjectContainers(docker, project, d.name));
      return { d, c };
    }),
  );
  let registryId = '';
  for (const { d, c } of started) {
    if (c.created) progress.step(`waiting for ${d.name} to be ready`);
    const path = d.healthcheck?.httpPath;
    const opts = { timeoutMs: run.timeouts.healthyMs };
    if (path && d.containerPort) await waitReady(docker, c, { project, port: d.containerPort, path }, opts);
    else await waitHealthy(docker, c, opts);
    if (d.name === 'registry') registryId = c.id;
  }
  await ensureTrained(run, defs.trainer, { id: registryId, port: defs.registry.containerPort ?? 5000 });

  const replicas = await convergeInference(run, inferenceDef, nginxDef);

  const nginx = await applyNginx(run, nginxDef, replicas, await listProjectContainers(docker, project));
  const published = await publishedPort(docker, nginx.id);
  if (!published) throw await containerFailure(docker, nginx, 'publishes no port');
  const url = baseUrlOf(published);
  progress.step(`checking that requests through ${url} reach all ${replicas.length} replicas`);
  const names = replicas.map((r) => r.name);
  const res = await waitTrafficReaches(url, names, spec, { timeoutMs: run.timeouts.trafficMs });
  if (!res.ok) {
    const why = [
      res.missing.length ? `never reached ${res.missing.join(', ')}` : '',
      res.unexpected.length ? `reached unexpected ${res.unexpected.join(', ')}` : '',
      res.lastError ? `last error: ${res.lastError}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    throw await containerFailure(
      docker,
      nginx,
      `does not route to every replica after ${res.requests} requests (${why})`,
    );
  }
  return status(docker, project, ctx.paths);
}

/** The port must be free unless it is our own nginx that already publishes it. */
export async function checkPublishedPort(
  docker: DockerClient,
  project: string,
  host: string,
  port: number,
): Promise<void> {
  for (const c of await listProjectContainers(docker, project, 'nginx')) {
    if (c.state !== 'running') continue;
    const p = await publishedPort(docker, c.id);
    if (p && p.hostPort === port && p.hostIp === host) return;
  }
  await assertPortFree(host, port);
}
