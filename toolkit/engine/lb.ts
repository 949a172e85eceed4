// The load balancer: render the upstream of the ready replicas, check it with `nginx -t`, write it where the
// nginx container reads it (a bind-mounted directory, so the atomic rename is visible inside), then create
// nginx or reload the running one.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { renderNginx, type UpstreamServer } from '../render/nginx.ts';
import { checkNginxConfig } from '../render/nginx-check.ts';
import { writeFileAtomic } from '../render/write.ts';
import type { ServiceDef } from '../spec/service-defs.ts';
import { execIn } from './exec.ts';
import { publishedBaseUrl } from './nginx-port.ts';
import type { ProjectContainer } from './query.ts';
import { type Ensured, ensureContainer, type Run } from './service.ts';
import { containerFailure, waitHttp } from './wait.ts';

export interface ReadyReplica {
  number: number;
  name: string;
  /** `ip:port` on the project network. */
  address: string;
}

export const upstreamOf = (run: Run, replicas: ReadyReplica[]): UpstreamServer[] =>
  [...replicas]
    .sort((a, b) => a.number - b.number)
    .map((r) => ({ replica: r.number, address: r.address, weight: run.ctx.spec.lb.weights[String(r.number)] ?? 1 }));

/**
 * Points nginx at `replicas`: writes the checked config and creates nginx (when missing or changed) or reloads
 * it (when the config text changed). Returns the nginx container.
 */
export async function applyNginx(
  run: Run,
  def: ServiceDef,
  replicas: ReadyReplica[],
  existing: ProjectContainer[],
): Promise<Ensured> {
  const { ctx } = run;
  const conf = renderNginx(ctx.spec, upstreamOf(run, replicas));
  await checkNginxConfig(run.docker, ctx.images.nginx, conf, { network: run.network });
  const previous = await readFile(ctx.paths.liveNginxConf, 'utf8').catch(() => null);
  await mkdir(path.dirname(ctx.paths.liveNginxConf), { recursive: true });
  await writeFileAtomic(ctx.paths.liveNginxConf, conf);
  await mkdir(path.dirname(ctx.paths.nginxConf), { recursive: true });
  await writeFileAtomic(ctx.paths.nginxConf, conf);

  const nginx = await ensureContainer(run, def, 1, existing);
  const waited = { id: nginx.id, name: nginx.name, service: 'nginx' };
  if (!nginx.created && previous !== conf) {
    run.progress.step(`reloading nginx (${replicas.length} replica${replicas.length === 1 ? '' : 's'} upstream)`);
    const res = await execIn(run.docker, nginx.id, reloadCommand(def), { user: def.user || '10001' });
    if (res.exitCode !== 0) throw await containerFailure(run.docker, waited, `reload failed: ${res.output}`);
  }
  // Confirm it serves (nginx answers /lb/ping itself, whatever the replicas do).
  const url = `${await publishedBaseUrl(run.docker, nginx.id)}/lb/ping`;
  await waitHttp(run.docker, waited, url, { timeoutMs: run.timeouts.healthyMs });
  return nginx;
}

/** `nginx -s reload` must read the same config file the master was started with to find its pid file. */
export function reloadCommand(def: ServiceDef): string[] {
  const i = def.command.indexOf('-c');
  const conf = i >= 0 ? def.command[i + 1] : undefined;
  return conf ? ['nginx', '-c', conf, '-s', 'reload'] : ['nginx', '-s', 'reload'];
}
