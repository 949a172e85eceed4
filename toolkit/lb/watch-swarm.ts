// The swarm engine's side of `toolkit lb watch`: the upstream is read from the inference tasks exactly as the
// per-command loop reads it (engine/swarm/follow.ts: running = healthy, still wanted, not on a node that is down),
// so a task Swarm starts elsewhere after a node loss joins nginx without waiting for the next `up` or `scale`.
import type { DockerClient } from '../docker.ts';
import { servingTasks } from '../engine/swarm/follow.ts';
import { overlayName, swarmServiceName } from '../engine/swarm/labels.ts';
import { CONTAINER_PORTS } from '../spec/service-defs.ts';
import type { WantedUpstream } from './watch-local.ts';

export async function swarmWanted(docker: DockerClient, project: string): Promise<WantedUpstream> {
  const { tasks, upstream } = await servingTasks(docker, {
    serviceName: swarmServiceName(project, 'inference'),
    network: overlayName(project),
    port: CONTAINER_PORTS.inference,
  });
  const serving = new Set(upstream.map((r) => r.name));
  const out = tasks.filter((t) => !serving.has(t.name));
  const pending = out.filter((t) => t.desired === 'running').length;
  // A task on a node that is down is not listed at all: it leaves with no reason given.
  return { upstream, pending, why: Object.fromEntries(out.map((t) => [t.name, `${t.state}, desired ${t.desired}`])) };
}
