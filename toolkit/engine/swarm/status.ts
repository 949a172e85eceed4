// `status --engine swarm`: the project's services as tasks (with their node) plus the balancer container, in the
// same StackStatus shape the local engine reports, so the table, --json and the sweep read it alike.
import type { DockerClient } from '../../docker.ts';
import { NGINX_CONF_DIR } from '../../spec/service-defs.ts';
import { baseUrlOf, publishedFromInfo } from '../nginx-port.ts';
import { listProjectContainers } from '../query.ts';
import { readRotation } from '../rotation.ts';
import type { ReplicaStatus, ServiceStatus, StackStatus, TaskStatus } from '../types.ts';
import { overlayName, STACK_NAMESPACE } from './labels.ts';
import { listProjectServices } from './resources.ts';
import { isLeaving, isServing, listServiceTasks } from './tasks.ts';

const ORDER = ['storage', 'registry', 'trainer', 'inference', 'nginx'];
const PORTS: Record<string, number> = { storage: 9000, registry: 5000, inference: 8000 };

export async function swarmStatus(docker: DockerClient, project: string): Promise<StackStatus> {
  const network = overlayName(project);
  const listed = (await docker.listNodes().catch(() => [])) as {
    ID: string;
    Description?: { Hostname?: string };
    Status?: { State?: string };
  }[];
  // A node the manager sees as down is named so: its tasks are lost, whatever state they last reported.
  const lost = new Set(listed.filter((n) => n.Status?.State !== 'ready').map((n) => n.ID));
  const nodes = new Map(
    listed.map((n) => [n.ID, `${n.Description?.Hostname ?? n.ID}${lost.has(n.ID) ? ' (down)' : ''}`]),
  );
  const services = (await listProjectServices(docker, project)).sort(
    (a, b) => ORDER.indexOf(a.service) - ORDER.indexOf(b.service),
  );
  const tasks: TaskStatus[] = [];
  const rows: ServiceStatus[] = [];
  const replicas: ReplicaStatus[] = [];
  let rotation: { number: number; name: string; address: string }[] | null = null;
  let url: string | null = null;

  const nginx = (await listProjectContainers(docker, project, 'nginx')).find(
    (c) => !c.oneoff && c.state !== 'removing',
  );
  const nginxInfo = nginx
    ? await docker
        .getContainer(nginx.id)
        .inspect()
        .catch(() => undefined)
    : undefined;
  if (nginxInfo && nginxInfo.Config.Labels?.[STACK_NAMESPACE] === project) {
    const published = publishedFromInfo(nginxInfo);
    url = nginxInfo.State.Running && published ? baseUrlOf(published) : null;
    const mount = nginxInfo.Mounts?.find((m) => m.Destination === NGINX_CONF_DIR);
    if (mount?.Source) rotation = await readRotation(mount.Source);
  }

  for (const svc of services) {
    const list = (await listServiceTasks(docker, svc.name, network)).filter(
      (t) => t.desired === 'running' || isLeaving(t) || (svc.service === 'trainer' && t.state === 'complete'),
    );
    for (const t of list.sort((a, b) => a.slot - b.slot)) {
      const address = t.ip ? `${t.ip}${PORTS[svc.service] ? `:${PORTS[svc.service]}` : ''}` : '';
      const node = nodes.get(t.nodeId) ?? t.nodeId;
      tasks.push({
        service: svc.service,
        slot: t.slot,
        task: t.name,
        node,
        state: t.state,
        desired: t.desired,
        address,
        error: t.error,
      });
      rows.push({
        service: svc.service,
        number: t.slot,
        container: t.name,
        state: t.state,
        health: t.state === 'running' ? 'healthy' : t.state === 'starting' ? 'starting' : 'none',
        address,
        restarts: 0,
        uptimeSec: null,
        lastExit: t.exitCode !== null && t.state !== 'running' ? t.exitCode : null,
        lastExitReason: t.error || null,
      });
      if (svc.service === 'inference' && t.desired === 'running') {
        const ready = isServing(t) && !lost.has(t.nodeId);
        replicas.push({
          number: t.slot,
          container: t.name,
          state: t.state,
          ready,
          address,
          restarts: 0,
          uptimeSec: null,
          lastExit: null,
          lastExitReason: t.error || null,
          inRotation: ready && (rotation ? rotation.some((r) => r.name === t.name) : true),
        });
      }
    }
  }
  if (nginx && nginxInfo) {
    rows.push({
      service: 'nginx',
      number: 1,
      container: nginx.name,
      state: nginxInfo.State.Status,
      health: nginxInfo.State.Health?.Status ?? 'none',
      address: '',
      restarts: nginxInfo.RestartCount,
      uptimeSec: null,
      lastExit: null,
    });
  }
  return { project, engine: 'swarm', url, replicas, services: rows, tasks };
}
