// `toolkit loadtest --generators K --engine swarm`: the K k6 generators as one-shot Swarm services on the project's
// overlay, loading the balancer's overlay address. Each task prints its result files to stdout (docker/k6-task.sh);
// the manager reads them through the service logs API, writes them where a local generator would have, and the
// same merge and threshold evaluation follow (toolkit/load/generators.ts). The services are removed at the end, on
// failure and on Ctrl-C (the signal aborts the wait); they carry the project's labels, so `down` removes leftovers.
import type { DockerClient } from '../../docker.ts';
import { RuntimeError, UsageError } from '../../errors.ts';
import { ensureK6Image } from '../../images/index.ts';
import type { GeneratorExecutor, GeneratorOutcome, GeneratorRunRequest, SliceExit } from '../../load/generator-exec.ts';
import { findK6, k6Version } from '../../load/k6.ts';
import type { Progress } from '../../progress.ts';
import { CONTAINER_PORTS } from '../../spec/service-defs.ts';
import type { StackSpec } from '../../spec/types.ts';
import { listProjectContainers } from '../query.ts';
import { savedEngine } from '../saved-spec.ts';
import { sleep } from '../wait.ts';
import { collectTaskOutput, removeGeneratorJobs } from './generators-collect.ts';
import { GENERATOR_LABEL, generatorJobSpec } from './generators-spec.ts';
import { overlayName, swarmFilters } from './labels.ts';
import { assertSwarmManager } from './preflight.ts';
import { type RawTask, taskView } from './tasks.ts';

/** Past the scenario's own bound: scheduling, image start, k6's graceful stop (10 s) and printing the files. */
export const SWARM_DEADLINE_MARGIN_MS = 120_000;
const POLL_MS = 1000;
const DONE = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);

export interface SwarmGeneratorsRequest {
  docker: DockerClient;
  spec: StackSpec;
  progress: Progress;
  /** Where to find the host's k6 (its binary goes into the image when grafana/k6 is not available). */
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C: the services are removed and the run fails. */
  signal?: AbortSignal;
}

/** The balancer (a plain container on the manager) and its address on the project's overlay. */
export async function balancerOnOverlay(
  docker: DockerClient,
  project: string,
): Promise<{ ip: string; port: number; networkId: string }> {
  const hint = `start the stack on the swarm first: toolkit up --engine swarm --project ${project}`;
  const nginx = (await listProjectContainers(docker, project, 'nginx')).find((c) => c.state === 'running');
  if (!nginx) throw new UsageError(`project ${project} has no running load balancer on this swarm manager`, hint);
  const net = (await docker.getContainer(nginx.id).inspect()).NetworkSettings?.Networks?.[overlayName(project)];
  if (!net?.IPAddress || !net.NetworkID) {
    throw new UsageError(
      `the load balancer of ${project} is not attached to the overlay ${overlayName(project)}`,
      hint,
    );
  }
  return { ip: net.IPAddress, port: CONTAINER_PORTS.nginx, networkId: net.NetworkID };
}

/**
 * Everything that can refuse the run does so here, before any service exists (exit 2): a stack on the local engine,
 * an engine that is not a swarm manager, no balancer on the overlay. Then the k6 image is made (or found).
 */
export async function swarmGenerators(req: SwarmGeneratorsRequest): Promise<GeneratorExecutor> {
  const { docker, spec, progress } = req;
  if ((await savedEngine(spec)) === 'local') {
    throw new UsageError(
      `--engine swarm: project ${spec.project} runs on the local engine, so there is no overlay for generator tasks`,
      'run the generators as local processes (leave out --engine swarm), or start the stack with --engine swarm',
    );
  }
  await assertSwarmManager(docker);
  const target = await balancerOnOverlay(docker, spec.project);
  const bin = await findK6(req.env);
  const image = await ensureK6Image(docker, spec, progress, { k6Binary: bin, k6Version: await k6Version(bin) });
  return swarmExecutor({ ...req, image, target });
}

function swarmExecutor(
  req: SwarmGeneratorsRequest & { image: string; target: Awaited<ReturnType<typeof balancerOnOverlay>> },
): GeneratorExecutor {
  const { docker, spec, target } = req;
  const jobInput = (r: Pick<GeneratorRunRequest, 'v' | 'slices'>, runId: string, i: number) => ({
    project: spec.project,
    runId,
    index: i,
    segment: r.slices[i].segment,
    v: r.v,
    image: req.image,
    networkId: target.networkId,
    target: { ip: target.ip, port: target.port },
    spread: spec.placement.spread,
  });
  return {
    where: 'swarm',
    target: `http://${target.ip}:${target.port} (the balancer on ${overlayName(spec.project)})`,
    commands: (r) =>
      r.slices.map((_, i) => {
        const job = generatorJobSpec(jobInput(r, 'run', i));
        const c = job.TaskTemplate as { ContainerSpec?: { Image?: string; Args?: string[] } };
        return [c.ContainerSpec?.Image ?? req.image, ...(c.ContainerSpec?.Args ?? [])];
      }),
    async run(r) {
      const deadline = Date.now() + r.v.durationMs + SWARM_DEADLINE_MARGIN_MS;
      const services: { id: string; name: string }[] = [];
      if (req.signal?.aborted) throw new RuntimeError('interrupted before the generator services were created');
      try {
        for (const [i] of r.slices.entries()) {
          const body = generatorJobSpec(jobInput(r, r.runId, i));
          try {
            const created = (await docker.createService(body)) as { id?: string; ID?: string };
            services.push({ id: created.id ?? created.ID ?? '', name: body.Name ?? '' });
          } catch (err) {
            throw new RuntimeError(
              `cannot create generator service ${body.Name}: ${(err as Error).message}`,
              undefined,
              err,
            );
          }
        }
        const finished = await waitFinished(docker, services, deadline, r, req.signal);
        const exits: SliceExit[] = [];
        for (const [i, s] of r.slices.entries()) {
          exits.push(await collectTaskOutput(docker, services[i], finished[i], s.dir));
        }
        const outcome: GeneratorOutcome = {
          exits,
          usage: { cpuPercent: null, hostIdlePercent: null, perProcess: r.slices.map(() => null) },
          unmeasured: 'the generators ran as Swarm tasks: their CPU and their nodes’ idle time were not measured',
        };
        return outcome;
      } finally {
        // Never thrown from here: it would hide why the run ended. What could not be removed is said instead.
        const left = await removeGeneratorJobs(docker, spec.project, r.runId, services);
        if (left.length > 0) {
          req.progress.warn(
            `could not remove everything of generator run ${r.runId}: ${left.join('; ')}; \`toolkit down\` removes ` +
              `leftovers, or: docker rm -f $(docker ps -aq --filter label=dev.replica-toolkit.run-id=${r.runId})`,
          );
        }
      }
    },
  };
}

export interface FinishedTask {
  state: string;
  error: string;
  exitCode: number | null;
  node: string;
}

/** Polls the generator services' tasks until each has ended, the deadline passes or the run is aborted. */
async function waitFinished(
  docker: DockerClient,
  services: { id: string; name: string }[],
  deadline: number,
  r: GeneratorRunRequest,
  signal?: AbortSignal,
): Promise<FinishedTask[]> {
  const t0 = Date.now();
  let lastReport = 0;
  const hostnames = await nodeNames(docker);
  for (;;) {
    if (signal?.aborted)
      throw new RuntimeError('interrupted: the generator services were removed', 'nothing was merged');
    const raw = (await docker.listTasks({ filters: { service: services.map((s) => s.name) } })) as RawTask[];
    const latest = services.map((s) => {
      const mine = raw
        .filter((t) => t.ServiceID === s.id)
        .sort((a, b) => (b.UpdatedAt ?? '').localeCompare(a.UpdatedAt ?? ''));
      return mine[0] ? taskView(mine[0], s.name, '') : undefined;
    });
    const views = latest.map((t) => ({
      state: t?.state ?? 'new',
      error: t?.error ?? '',
      exitCode: t?.exitCode ?? null,
      node: hostnames.get(t?.nodeId ?? '') ?? t?.nodeId ?? '',
    }));
    if (views.every((t) => DONE.has(t.state))) return views;
    if (Date.now() >= deadline) {
      const where = views.map((t, i) => `${i}: ${t.state}${t.error ? ` (${t.error})` : ''}`).join(', ');
      throw new RuntimeError(
        `generator services did not finish within ${Math.round((deadline - t0) / 1000)}s: ${where}`,
        `a pending task found no node to run it: see \`docker service ps --no-trunc ${services[0]?.name ?? ''}\``,
      );
    }
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      const running = views.filter((t) => t.state === 'running');
      const nodes = new Set(running.map((t) => t.node)).size;
      r.onProgress(
        `k6 ${r.v.scenario}: ${running.length} of ${views.length} generator tasks running on ${nodes} node(s), ` +
          `${((Date.now() - t0) / 1000).toFixed(0)}s elapsed`,
      );
    }
    await sleep(POLL_MS);
  }
}

async function nodeNames(docker: DockerClient): Promise<Map<string, string>> {
  const nodes = (await docker.listNodes()) as { ID: string; Description?: { Hostname?: string } }[];
  return new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
}

/** Generator services of this project left by a run that could not clean up (e.g. killed): for `down` and tests. */
export async function listGeneratorJobs(docker: DockerClient, project: string): Promise<string[]> {
  const list = await docker.listServices({ filters: swarmFilters(project) });
  return list.filter((s) => s.Spec?.Labels?.[GENERATOR_LABEL] !== undefined).map((s) => s.Spec?.Name ?? s.ID);
}
