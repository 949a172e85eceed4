// `up --engine swarm`: overlay and secrets → storage (on the manager, with its volume) and registry → the trainer
// job (once per spec; the trainer itself skips registering when the alias already resolves) → inference with N
// replicas → nginx, a plain container on the manager attached to the overlay and published like the local one,
// following the tasks → proof that requests reach every replica. `scale` is the last two steps only.
import type { DockerClient } from '../../docker.ts';
import { RuntimeError } from '../../errors.ts';
import { acquireLock } from '../../lock.ts';
import { stackPaths } from '../../paths.ts';
import type { ServiceDef, ServiceName } from '../../spec/service-defs.ts';
import { publishedBaseUrl } from '../nginx-port.ts';
import { listProjectContainers } from '../query.ts';
import { imageId } from '../resources.ts';
import { saveSpec } from '../saved-spec.ts';
import { computeHashes, type Run } from '../service.ts';
import { waitTrafficReaches } from '../traffic.ts';
import { DEFAULT_TIMEOUTS, type StackStatus, type UpContext } from '../types.ts';
import { sleep } from '../wait.ts';
import { followInference } from './follow.ts';
import { SPEC_HASH_LABEL, STACK_NAMESPACE, swarmServiceName } from './labels.ts';
import { assertSwarmManager } from './preflight.ts';
import {
  ensureOverlay,
  ensureSecrets,
  ensureService,
  listProjectServices,
  removeService,
  type ServiceInfo,
} from './resources.ts';
import { swarmServiceSpec } from './service-spec.ts';
import { swarmStatus } from './status.ts';
import { listServiceTasks } from './tasks.ts';

export async function swarmUp(ctx: UpContext, mode: 'up' | 'scale'): Promise<StackStatus> {
  // `scale` runs under the lock its command holds; `up` takes it here (re-entrant for the same process).
  const lock = await acquireLock(stackPaths(ctx.spec).lockFile, ctx.lock?.command ?? mode, {
    waitMs: ctx.lock?.waitMs,
    progress: ctx.progress,
  });
  try {
    const result = await converge(ctx, mode);
    await saveSpec(ctx.spec);
    return result;
  } finally {
    await lock.release();
  }
}

async function converge(ctx: UpContext, mode: 'up' | 'scale'): Promise<StackStatus> {
  const { docker, spec, progress } = ctx;
  const project = spec.project;
  await assertSwarmManager(docker);
  const def = (name: ServiceName): ServiceDef => {
    const found = ctx.defs.find((d) => d.name === name);
    if (!found) throw new RuntimeError(`no service definition for ${name}`, 'this is a bug in the toolkit');
    return found;
  };
  const nginxDef = def('nginx');
  const network = await ensureOverlay(docker, project);
  const secrets = await ensureSecrets(
    docker,
    project,
    ctx.secrets,
    ctx.defs.flatMap((d) => d.envFromSecrets),
  );
  const run: Run = {
    docker,
    ctx,
    project,
    network: network.name,
    progress,
    timeouts: { ...DEFAULT_TIMEOUTS, ...ctx.timeouts },
    hashes: await computeHashes(docker, [nginxDef]),
    extraLabels: { [STACK_NAMESPACE]: project },
  };
  const images = new Map<string, string>();
  const build = async (d: ServiceDef) => {
    if (!images.has(d.image)) images.set(d.image, await imageId(docker, d.image));
    return swarmServiceSpec({
      project,
      def: d,
      spec,
      networkId: network.id,
      secrets,
      imageId: images.get(d.image) ?? '',
    });
  };
  const services = await listProjectServices(docker, project);
  const existing = (name: ServiceName) => services.find((s) => s.service === name);

  if (mode === 'up') {
    progress.step(`converging project ${project} on the swarm`);
    for (const name of ['storage', 'registry'] as const) {
      const how = await ensureService(docker, existing(name), await build(def(name)));
      if (how !== 'kept') progress.step(`${how} ${swarmServiceName(project, name)}`);
    }
    for (const name of ['storage', 'registry'] as const) {
      await waitServing(docker, swarmServiceName(project, name), network.name, run.timeouts.healthyMs);
    }
    await ensureTrained(run, def('trainer'), existing('trainer'), await build(def('trainer')), network.name);
  } else if (!existing('inference')) {
    throw new RuntimeError(`project ${project} has no inference service on this swarm`, 'start it: toolkit up');
  }

  const inferenceDef = def('inference');
  const body = await build(inferenceDef);
  const how = await ensureService(docker, existing('inference'), body);
  progress.step(`inference: ${how === 'kept' ? 'unchanged' : how} (${inferenceDef.replicas} replicas)`);
  const upstream = await followInference(run, {
    serviceName: swarmServiceName(project, 'inference'),
    network: network.name,
    port: inferenceDef.containerPort ?? 8000,
    replicas: inferenceDef.replicas,
    hash: body.Labels[SPEC_HASH_LABEL],
    nginxDef,
    timeoutMs: run.timeouts.readyMs,
  });

  const nginx = (await listProjectContainers(docker, project, 'nginx')).find((c) => c.state === 'running');
  if (nginx && upstream.length > 0) {
    const url = await publishedBaseUrl(docker, nginx.id);
    progress.step(`checking that requests through ${url} reach all ${upstream.length} replicas`);
    const res = await waitTrafficReaches(
      url,
      upstream.map((r) => r.name),
      spec,
      { timeoutMs: run.timeouts.trafficMs },
    );
    if (!res.ok) {
      throw new RuntimeError(
        `the load balancer does not route to every replica after ${res.requests} requests` +
          ` (missing ${res.missing.join(', ') || 'none'}; unexpected ${res.unexpected.join(', ') || 'none'})` +
          (res.lastError ? `; last error: ${res.lastError}` : ''),
      );
    }
  }
  return swarmStatus(docker, project);
}

/** Waits until the service has a serving task (running = healthy where a healthcheck is set). */
async function waitServing(docker: DockerClient, service: string, network: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await listServiceTasks(docker, service, network);
    if (tasks.some((t) => t.state === 'running' && t.desired === 'running')) return;
    if (Date.now() >= deadline) {
      const errs = [...new Set(tasks.map((t) => t.error).filter(Boolean))].join('; ');
      throw new RuntimeError(
        `${service} has no running task after ${Math.round(timeoutMs / 1000)}s${errs ? ` (${errs})` : ''}`,
        `see \`docker service ps --no-trunc ${service}\` and \`docker service logs ${service}\``,
      );
    }
    await sleep(250);
  }
}

/**
 * The trainer is a Swarm job (ReplicatedJob, restart condition none): scheduled like the rest, reading the same
 * Swarm secrets (a plain container cannot mount them), and its completion is recorded in its task. It runs again
 * only when its spec changed or its last run did not complete.
 */
async function ensureTrained(
  run: Run,
  def: ServiceDef,
  existing: ServiceInfo | undefined,
  body: Awaited<ReturnType<typeof swarmServiceSpec>>,
  network: string,
): Promise<void> {
  const { docker, project } = run;
  const name = swarmServiceName(project, def.name);
  if (existing && existing.hash === body.Labels[SPEC_HASH_LABEL]) {
    const tasks = await listServiceTasks(docker, name, network);
    if (tasks.some((t) => t.state === 'complete')) {
      run.progress.info(`trainer: completed before (${name})`);
      return;
    }
  }
  if (existing) await removeService(docker, existing.id);
  const { name: model, alias } = run.ctx.spec.model;
  run.progress.step(`training ${model}@${alias} (job ${name})`);
  await ensureService(docker, undefined, body);
  const deadline = Date.now() + run.timeouts.trainerMs;
  for (;;) {
    const tasks = await listServiceTasks(docker, name, network);
    if (tasks.some((t) => t.state === 'complete')) return;
    const failed = tasks.find((t) => ['failed', 'rejected'].includes(t.state));
    if (failed || Date.now() >= deadline) {
      throw new RuntimeError(
        failed
          ? `trainer job ${name} ${failed.state}${failed.exitCode !== null ? ` with exit code ${failed.exitCode}` : ''}: ${failed.error}`
          : `trainer job ${name} did not complete within ${Math.round(run.timeouts.trainerMs / 1000)}s`,
        `see \`docker service logs ${name}\``,
      );
    }
    await sleep(500);
  }
}
