// The load balancer inside a converge: render the upstream of the ready replicas, then either reload the running
// nginx through the graceful path (reload.ts: test in place, swap, reload, confirm) or, when nginx is missing or
// changed, check the config in a throwaway container, write it and create nginx. Either way the rotation is recorded.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { clearLbSwitches } from '../lb/switches.ts';
import { renderNginx } from '../render/nginx.ts';
import { checkNginxConfig } from '../render/nginx-check.ts';
import { writeFileAtomic } from '../render/write.ts';
import type { ServiceDef } from '../spec/service-defs.ts';
import { publishedBaseUrl } from './nginx-port.ts';
import type { ProjectContainer } from './query.ts';
import { applyLiveConfig, upstreamServers } from './reload.ts';
import { type ReadyReplica, saveRotation } from './rotation.ts';
import { type Ensured, ensureContainer, isCurrent, type Run } from './service.ts';
import { waitHttp } from './wait.ts';

export type { ReadyReplica } from './rotation.ts';

/**
 * Points nginx at `replicas`: reloads the running nginx when the config text changed, or creates nginx (when
 * missing or changed). Returns the nginx container once it answers /lb/ping.
 */
export async function applyNginx(
  run: Run,
  def: ServiceDef,
  replicas: ReadyReplica[],
  existing: ProjectContainer[],
): Promise<Ensured> {
  const { ctx } = run;
  const conf = renderNginx(ctx.spec, upstreamServers(ctx.spec, replicas));
  await mkdir(path.dirname(ctx.paths.liveNginxConf), { recursive: true });
  await mkdir(path.dirname(ctx.paths.nginxConf), { recursive: true });
  const live = existing.find((c) => c.service === def.name && !c.oneoff && c.number === 1 && isCurrent(run, c));
  let nginx: Ensured;
  if (live) {
    const what = `${replicas.length} replica${replicas.length === 1 ? '' : 's'} upstream`;
    const res = await applyLiveConfig(run.docker, live, ctx.paths, conf, { progress: run.progress, what });
    for (const w of res.warnings) run.progress.info(`nginx: ${w}`);
    ctx.onEvent?.({
      type: 'upstream-applied',
      replicas: replicas.map((r) => r.number),
      changed: res.changed,
      at: Date.now(),
    });
    nginx = { id: live.id, name: live.name, service: def.name, number: 1, created: false };
  } else {
    await checkNginxConfig(run.docker, ctx.images.nginx, conf, { network: run.network });
    await writeFileAtomic(ctx.paths.liveNginxConf, conf);
    await writeFileAtomic(ctx.paths.nginxConf, conf);
    nginx = await ensureContainer(run, def, 1, existing);
    ctx.onEvent?.({ type: 'upstream-applied', replicas: replicas.map((r) => r.number), changed: true, at: Date.now() });
  }
  await saveRotation(ctx.paths.liveNginxDir, replicas);
  // The config now in force carries the spec's strategy: a switch file from `lb strategy` must not outlive it.
  await clearLbSwitches(ctx.paths.liveNginxDir);
  // Confirm it serves (nginx answers /lb/ping itself, whatever the replicas do).
  const waited = { id: nginx.id, name: nginx.name, service: 'nginx' };
  const url = `${await publishedBaseUrl(run.docker, nginx.id)}/lb/ping`;
  await waitHttp(run.docker, waited, url, { timeoutMs: run.timeouts.healthyMs });
  return nginx;
}
