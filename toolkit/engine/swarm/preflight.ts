// Checks before a swarm stack is touched: the engine is a swarm manager, every node label a placement constraint
// names exists on some node, and the published port is free where this machine can tell. Each failure is a
// UsageError (exit 2) with what to do; nothing has been created yet.
import { networkInterfaces } from 'node:os';
import type { DockerClient } from '../../docker.ts';
import { UsageError } from '../../errors.ts';
import type { StackSpec } from '../../spec/types.ts';
import { checkPublishedPort } from '../up.ts';

export async function assertSwarmManager(docker: DockerClient): Promise<void> {
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  const state = info.Swarm?.LocalNodeState ?? 'inactive';
  if (state !== 'active' || !info.Swarm?.ControlAvailable) {
    throw new UsageError(
      state === 'active'
        ? '--engine swarm: this Docker engine is a swarm worker, not a manager'
        : `--engine swarm: this Docker engine is not part of a swarm (swarm state: ${state})`,
      state === 'active'
        ? 'point DOCKER_HOST at a manager node'
        : 'make it a manager with `docker swarm init` (or point DOCKER_HOST at a manager), or use --engine local',
    );
  }
}

/** Constraint attributes that must exist on a node: `node.labels.<k>` and `engine.labels.<k>`. */
export function labelsNamed(constraints: string[]): { kind: 'node' | 'engine'; key: string; text: string }[] {
  const out: { kind: 'node' | 'engine'; key: string; text: string }[] = [];
  for (const text of constraints) {
    const m = /^(node|engine)\.labels\.([^=!\s]+)\s*(==|!=)/.exec(text.trim());
    if (m) out.push({ kind: m[1] as 'node' | 'engine', key: m[2], text });
  }
  return out;
}

interface RawNode {
  Spec?: { Labels?: Record<string, string> };
  Description?: { Engine?: { Labels?: Record<string, string> } };
}

export async function assertConstraintsKnown(docker: DockerClient, constraints: string[]): Promise<void> {
  const named = labelsNamed(constraints);
  if (named.length === 0) return;
  const nodes = (await docker.listNodes()) as RawNode[];
  for (const n of named) {
    const known = nodes.some((node) =>
      Object.hasOwn((n.kind === 'node' ? node.Spec?.Labels : node.Description?.Engine?.Labels) ?? {}, n.key),
    );
    if (!known) {
      throw new UsageError(
        `placement constraint "${n.text}" names ${n.kind} label "${n.key}", which no node of this swarm has`,
        n.kind === 'node'
          ? `label a node first: docker node update --label-add ${n.key}=<value> <node>, or fix placement.constraints`
          : 'set it in the engine config (daemon.json "labels") or fix placement.constraints',
      );
    }
  }
}

/** Is `ip` an address of this machine (so a bind test here says something about the manager's port)? */
function isLocalAddress(ip: string): boolean {
  if (ip === '0.0.0.0' || ip.startsWith('127.')) return true;
  return Object.values(networkInterfaces()).some((list) => (list ?? []).some((a) => a.address === ip));
}

export async function swarmPreflight(docker: DockerClient, spec: StackSpec): Promise<void> {
  await assertSwarmManager(docker);
  await assertConstraintsKnown(docker, spec.placement.constraints);
  // The balancer is a container on the manager's engine. When that engine shares this machine's addresses the port
  // is checked here; otherwise (a manager in another network namespace) Docker itself refuses a taken port.
  if (isLocalAddress(spec.bindAddress)) {
    await checkPublishedPort(docker, spec.project, spec.bindAddress, spec.port);
  }
}
