// Swarm tasks as the engine reads them: where each runs, its state, its address on the project overlay. The
// upstream is computed from these (pure, unit-tested): running tasks whose desired state is still running.
// Swarm reports a task with a healthcheck as `running` only once the check passed (it stays `starting` before),
// so running here means healthy.
import type { DockerClient } from '../../docker.ts';
import type { ReadyReplica } from '../rotation.ts';
import { SPEC_HASH_LABEL } from './labels.ts';

export interface TaskView {
  id: string;
  /** `<project>_<service>.<slot>.<id>`: what `{{.Task.Name}}` expands to (inference's X-Replica header). */
  name: string;
  slot: number;
  nodeId: string;
  /** new, pending, assigned, accepted, preparing, starting, running, complete, shutdown, failed, rejected, orphaned… */
  state: string;
  /** running, shutdown, remove, complete… What Swarm wants; `shutdown`/`remove` on a running task = it is leaving. */
  desired: string;
  /** IPv4 on the project overlay, '' when it has none yet. */
  ip: string;
  specHash: string;
  error: string;
  exitCode: number | null;
  updatedAt: string;
}

/** Docker's Task object (dockerode types it as any). */
export interface RawTask {
  ID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  UpdatedAt?: string;
  ServiceID?: string;
  Spec?: { ContainerSpec?: { Labels?: Record<string, string> } };
  Status?: { State?: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
  NetworksAttachments?: { Network?: { Spec?: { Name?: string } }; Addresses?: string[] }[];
}

export function taskView(t: RawTask, serviceName: string, network: string): TaskView {
  const attachment = (t.NetworksAttachments ?? []).find((a) => a.Network?.Spec?.Name === network);
  const ip = (attachment?.Addresses?.[0] ?? '').split('/')[0];
  const slot = t.Slot ?? 0;
  return {
    id: t.ID,
    name: `${serviceName}.${slot}.${t.ID}`,
    slot,
    nodeId: t.NodeID ?? '',
    state: t.Status?.State ?? 'unknown',
    desired: t.DesiredState ?? 'unknown',
    ip,
    specHash: t.Spec?.ContainerSpec?.Labels?.[SPEC_HASH_LABEL] ?? '',
    error: t.Status?.Err ?? '',
    exitCode: t.Status?.ContainerStatus?.ExitCode ?? null,
    updatedAt: t.UpdatedAt ?? '',
  };
}

/** Serving: healthy and Swarm still wants it. A task Swarm is taking away must leave the upstream at once. */
export const isServing = (t: TaskView): boolean => t.state === 'running' && t.desired === 'running' && t.ip !== '';

/** Leaving: Swarm wants it gone but its container still runs (its drain delay): the window the reload must hit. */
export const isLeaving = (t: TaskView): boolean =>
  t.desired !== 'running' && ['running', 'starting', 'preparing', 'assigned', 'accepted'].includes(t.state);

/**
 * The upstream: one server per serving task, numbered by slot. Two serving tasks in one slot (a start-first
 * rolling update) keep distinct numbers: the newer one is numbered after every slot, so weights by replica
 * number keep meaning "slot".
 */
export function upstreamFromTasks(tasks: TaskView[], port: number): ReadyReplica[] {
  const serving = tasks.filter(isServing).sort((a, b) => a.slot - b.slot || a.updatedAt.localeCompare(b.updatedAt));
  const maxSlot = Math.max(0, ...serving.map((t) => t.slot));
  const used = new Set<number>();
  let extra = maxSlot;
  return serving.map((t) => {
    const number = used.has(t.slot) ? ++extra : t.slot;
    used.add(number);
    return { number, name: t.name, address: `${t.ip}:${port}` };
  });
}

export async function listServiceTasks(
  docker: DockerClient,
  serviceName: string,
  network: string,
): Promise<TaskView[]> {
  const raw = (await docker.listTasks({ filters: { service: [serviceName] } })) as RawTask[];
  return raw.map((t) => taskView(t, serviceName, network));
}

/**
 * IDs of nodes the manager sees as down. Their tasks neither serve nor ever finish leaving (no agent reports for
 * them), so the engine leaves them out of the upstream and stops waiting for them.
 */
export async function downNodeIds(docker: DockerClient): Promise<Set<string>> {
  const nodes = (await docker.listNodes()) as { ID: string; Status?: { State?: string } }[];
  return new Set(nodes.filter((n) => n.Status?.State !== 'ready').map((n) => n.ID));
}
