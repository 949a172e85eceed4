// The load balancer follows the inference tasks. One loop serves scale-up, scale-down and rolling updates:
// every poll computes the upstream from the tasks (running, healthy, still wanted) and reloads nginx when it
// changed. A task Swarm has chosen to stop leaves the upstream on the first poll that sees it, while it is still
// inside its drain delay (SWARM_DRAIN_DELAY_MS), so no new request is sent to it; the loop ends once exactly the
// wanted number of current tasks serve and no leaving task runs any more. Tasks on a node that is down count as
// gone: Swarm reschedules them elsewhere, and the loop adds the replacements as they become healthy.
import type { DockerClient } from '../../docker.ts';
import { RuntimeError } from '../../errors.ts';
import type { ServiceDef } from '../../spec/service-defs.ts';
import { applyNginx } from '../lb.ts';
import { listProjectContainers } from '../query.ts';
import type { ReadyReplica } from '../rotation.ts';
import type { Run } from '../service.ts';
import { sleep } from '../wait.ts';
import { downNodeIds, isLeaving, isServing, listServiceTasks, type TaskView, upstreamFromTasks } from './tasks.ts';

const POLL_MS = 150;

export interface FollowTarget {
  serviceName: string;
  network: string;
  port: number;
  replicas: number;
  /** Spec hash of the current service spec: tasks of older specs are on their way out. */
  hash: string;
  nginxDef: ServiceDef;
  timeoutMs: number;
}

export interface ServingTasks {
  /** The service's tasks, without those on nodes the manager sees as down. */
  tasks: TaskView[];
  /** What nginx's upstream should be: the serving tasks (running = healthy, still wanted). */
  upstream: ReadyReplica[];
}

/**
 * One read of the tasks as the balancer sees them. Shared by this per-command loop and `toolkit lb watch`
 * (toolkit/lb/watch-swarm.ts), which keeps following the tasks between commands.
 */
export async function servingTasks(
  docker: DockerClient,
  target: Pick<FollowTarget, 'serviceName' | 'network' | 'port'>,
): Promise<ServingTasks> {
  const lost = await downNodeIds(docker);
  const tasks = (await listServiceTasks(docker, target.serviceName, target.network)).filter((t) => !lost.has(t.nodeId));
  return { tasks, upstream: upstreamFromTasks(tasks, target.port) };
}

export async function followInference(run: Run, target: FollowTarget): Promise<ReadyReplica[]> {
  const deadline = Date.now() + target.timeoutMs;
  let applied: string | null = null;
  let nginxUp = (await liveNginx(run, target.nginxDef)) !== undefined;
  const seen = new Set<string>();
  let leavingBefore = new Map<string, TaskView>();
  for (;;) {
    const { tasks, upstream } = await servingTasks(run.docker, target);
    const leaving = tasks.filter(isLeaving);
    const current = tasks.filter((t) => isServing(t) && t.specHash === target.hash);
    for (const r of upstream) {
      if (seen.has(r.name)) continue;
      seen.add(r.name);
      run.ctx.onEvent?.({ type: 'replica-ready', number: r.number, name: r.name, address: r.address, at: Date.now() });
    }
    const leftNow = new Map(leaving.map((t) => [t.id, t]));
    for (const [id, t] of leavingBefore) {
      if (!leftNow.has(id))
        run.ctx.onEvent?.({ type: 'replica-removed', number: t.slot, name: t.name, at: Date.now() });
    }
    leavingBefore = leftNow;

    const key = upstream.map((r) => `${r.name}@${r.address}`).join(',');
    // The first nginx is created once every wanted replica serves (as the local engine does); a running one
    // follows every change at once.
    const complete = current.length === target.replicas && upstream.length === target.replicas;
    if (key !== applied && (nginxUp || complete)) {
      await applyNginx(run, target.nginxDef, upstream, await listProjectContainers(run.docker, run.project, 'nginx'));
      applied = key;
      nginxUp = true;
    }
    if (complete && applied === key && leaving.length === 0) return upstream;
    if (Date.now() >= deadline) throw stuck(target, tasks, upstream.length);
    await sleep(POLL_MS);
  }
}

function stuck(target: FollowTarget, tasks: TaskView[], serving: number): RuntimeError {
  const errors = [...new Set(tasks.filter((t) => t.error).map((t) => `${t.state}: ${t.error}`))].slice(0, 5);
  const states = tasks
    .filter((t) => t.desired === 'running' || isLeaving(t))
    .map((t) => `${t.name.split('.').slice(0, 2).join('.')} ${t.state}/${t.desired}`)
    .join(', ');
  return new RuntimeError(
    `${target.serviceName}: ${serving}/${target.replicas} tasks serving after ${Math.round(target.timeoutMs / 1000)}s` +
      ` (tasks: ${states || 'none'})${errors.length ? `; task errors: ${errors.join('; ')}` : ''}`,
    'see `docker service ps --no-trunc ' +
      `${target.serviceName}\` on the manager; a task pending on resources needs smaller --cpus/--memory or more nodes`,
  );
}

async function liveNginx(run: Run, def: ServiceDef) {
  const list = await listProjectContainers(run.docker, run.project, def.name);
  return list.find((c) => !c.oneoff && c.state === 'running');
}
