// One compare side as a container: an inference service made exactly like a replica (same ServiceDef: hardening,
// limits, environment, credentials) from the side's image, on the stack's network, published on an engine-chosen
// loopback port. It carries the project's labels, so `toolkit down` removes a leftover, and compose's oneoff flag,
// which every replica query skips (engine/replicas.ts, rotation.ts, lb watcher, status, stats, chaos), so it never
// joins nginx's upstream; the role and run labels find it again for removal.
import type Docker from 'dockerode';
import type { DockerClient } from '../docker.ts';
import { containerCreateOptions } from '../engine/create-options.ts';
import { configHash, containerLabels, LABEL, networkName, projectFilters } from '../engine/labels.ts';
import { createAndStart } from '../engine/resources.ts';
import { containerFailure, httpOk, sleep, waitReady } from '../engine/wait.ts';
import { RuntimeError } from '../errors.ts';
import { serviceDefs } from '../spec/service-defs.ts';
import type { SideRole } from './side-spec.ts';
import type { SideContext } from './sides-preflight.ts';

export const GATE_SIDE_LABEL = 'dev.replica-toolkit.gate-side';
/** One gate run's containers (two gates on one project never remove each other's). */
export const GATE_RUN_LABEL = 'dev.replica-toolkit.gate-run';

const INFERENCE_PORT = 8000;

export interface SideContainerSpec {
  role: SideRole;
  image: string;
  imageId: string;
  env: Record<string, string>;
  runTag: string;
}

export interface SideContainer {
  id: string;
  name: string;
  /** http://127.0.0.1:<engine-chosen port> */
  url: string;
}

/** Docker create options: the replica's own, renamed, flagged oneoff, published on 127.0.0.1 with any free port. */
export function sideCreateOptions(
  ctx: Omit<SideContext, 'docker'>,
  s: SideContainerSpec,
): Docker.ContainerCreateOptions {
  const { spec } = ctx;
  const replica = serviceDefs(spec, { services: s.image, nginx: s.image }, ctx.paths).find(
    (d) => d.name === 'inference',
  );
  if (!replica) throw new RuntimeError('no inference service definition', 'this is a bug in the toolkit');
  // Restart 'no': a side that crashes must fail the gate, not come back mid-measurement or after the gate is gone.
  const def = { ...replica, image: s.image, env: { ...replica.env, ...s.env }, restart: 'no' as const };
  const name = `${spec.project}-gate-${s.role}-${s.runTag}`;
  const labels = {
    ...containerLabels({
      project: spec.project,
      service: def.name,
      number: s.role === 'baseline' ? 1 : 2,
      oneoff: true,
      workingDir: ctx.paths.composeDir,
      configFile: ctx.paths.composeFile,
      configHash: configHash(def, s.imageId),
      containerPort: INFERENCE_PORT,
    }),
    [GATE_SIDE_LABEL]: s.role,
    [GATE_RUN_LABEL]: s.runTag,
  };
  const network = networkName(spec.project);
  const base = containerCreateOptions({ project: spec.project, def, number: 1, network, labels, secrets: ctx.secrets });
  const port = `${INFERENCE_PORT}/tcp`;
  return {
    ...base,
    name,
    // The X-Replica header names the side container, not a replica slot.
    Env: [...(base.Env ?? []).filter((e) => !e.startsWith('REPLICA_ID=')), `REPLICA_ID=${name}`],
    ExposedPorts: { [port]: {} },
    HostConfig: { ...base.HostConfig, PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    // No `inference` alias: nothing on the network may resolve a side as a replica.
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [`gate-${s.role}`] } } },
  };
}

/** Creates, starts and waits for /ready on the network, then on the published loopback port. */
export async function startSideContainer(
  ctx: SideContext,
  s: SideContainerSpec,
  opts: { readyTimeoutMs: number },
): Promise<SideContainer> {
  const options = sideCreateOptions(ctx, s);
  const id = await createAndStart(ctx.docker, options);
  const waited = { id, name: options.name!, service: `gate ${s.role}` };
  const info = await waitReady(
    ctx.docker,
    waited,
    { project: ctx.spec.project, port: INFERENCE_PORT, path: '/ready' },
    { timeoutMs: opts.readyTimeoutMs },
  );
  const hostPort = info.NetworkSettings?.Ports?.[`${INFERENCE_PORT}/tcp`]?.[0]?.HostPort;
  if (!hostPort) throw await containerFailure(ctx.docker, waited, 'has no published port');
  const url = `http://127.0.0.1:${hostPort}`;
  // The load runs through the published port: prove it answers there too (docker-proxy starts with the container).
  for (let i = 0; i < 40 && !(await httpOk(`${url}/ready`)); i++) await sleep(250);
  if (!(await httpOk(`${url}/ready`))) throw await containerFailure(ctx.docker, waited, `does not answer ${url}/ready`);
  return { id, name: waited.name, url };
}

/** Removes (killing at once: they only ever served the gate's load) the gate-side containers of a run, or all. */
export async function removeSideContainers(docker: DockerClient, project: string, runTag?: string): Promise<string[]> {
  const extra: Record<string, string> = runTag ? { [GATE_RUN_LABEL]: runTag } : {};
  const list = await docker.listContainers({ all: true, filters: projectFilters(project, extra) });
  const sides = list.filter((c) => c.Labels?.[GATE_SIDE_LABEL] !== undefined && c.Labels?.[LABEL.oneoff] === 'True');
  await Promise.all(
    sides.map(async (c) => {
      try {
        await docker.getContainer(c.Id).remove({ force: true });
      } catch (err) {
        // Gone already (404) or being removed (409): that is what we want.
        const code = (err as { statusCode?: number }).statusCode;
        if (code !== 404 && code !== 409) throw err;
      }
    }),
  );
  return sides.map((c) => (c.Names?.[0] ?? c.Id).replace(/^\//, ''));
}
