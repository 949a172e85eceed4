// The local engine behind the StackEngine boundary: a thin wrapper over the container functions that already
// existed (up, status, down, stats), so local behaviour stays exactly what it was.
import type { DockerClient } from '../docker.ts';
import type { StackSpec } from '../spec/types.ts';
import { dockerReplicaStats } from '../sweep/docker-stats.ts';
import { down } from './down.ts';
import type { RunningStack, StackEngine } from './engine.ts';
import { publishedPort } from './nginx-port.ts';
import { listProjectContainers } from './query.ts';
import { status } from './status.ts';
import type { UpContext } from './types.ts';
import { checkPublishedPort, up } from './up.ts';

export function localEngine(docker: DockerClient): StackEngine {
  return {
    kind: 'local',
    preflight: (spec: StackSpec) => checkPublishedPort(docker, spec.project, spec.bindAddress, spec.port),
    up: (ctx: UpContext) => up(ctx),
    // One converge path for both: scaling keeps every replica whose config is unchanged (see replicas.ts).
    scale: (ctx: UpContext) => up({ ...ctx, lock: { command: 'scale', ...ctx.lock } }),
    status: (project, paths) => status(docker, project, paths),
    async running(project: string): Promise<RunningStack | null> {
      const all = await listProjectContainers(docker, project);
      if (!all.some((c) => c.service === 'nginx' || c.service === 'inference')) return null;
      const nginx = all.find((c) => c.service === 'nginx' && !c.oneoff);
      return {
        replicas: all.filter((c) => c.service === 'inference' && !c.oneoff && c.state === 'running').length,
        published: nginx ? await publishedPort(docker, nginx.id) : null,
      };
    },
    down: (project, opts) => down(docker, project, opts),
    replicaStats: (project) => dockerReplicaStats(docker, project),
  };
}
