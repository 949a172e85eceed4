// Inference replicas 1..N: keep the current ones, take replaced and surplus ones out of the upstream before
// stopping them (highest numbers first), create the missing ones in parallel, wait until each is ready.
import { RuntimeError } from '../errors.ts';
import type { ServiceDef } from '../spec/service-defs.ts';
import { applyNginx, type ReadyReplica } from './lb.ts';
import { publishedBaseUrl } from './nginx-port.ts';
import { ipOnNetwork, listProjectContainers, type ProjectContainer } from './query.ts';
import { stopAndRemove } from './resources.ts';
import { ensureContainer, isCurrent, type Run } from './service.ts';
import { waitTrafficReaches } from './traffic.ts';
import { waitReady } from './wait.ts';

export async function convergeInference(run: Run, def: ServiceDef, nginxDef: ServiceDef): Promise<ReadyReplica[]> {
  const { docker, project } = run;
  const n = def.replicas;
  const existing = await listProjectContainers(docker, project);
  const all = existing.filter((c) => c.service === def.name && !c.oneoff);
  const keep: ProjectContainer[] = [];
  for (const c of all) {
    if (c.number >= 1 && c.number <= n && isCurrent(run, c) && !keep.some((k) => k.number === c.number)) keep.push(c);
  }
  const remove = all.filter((c) => !keep.includes(c)).sort((a, b) => b.number - a.number);

  if (remove.length > 0) {
    await drainFromUpstream(run, def, nginxDef, keep, existing);
    for (const c of remove) {
      run.progress.step(`removing ${c.name}`);
      await stopAndRemove(docker, c.id);
    }
  }

  const after = await listProjectContainers(docker, project, def.name);
  const numbers = Array.from({ length: n }, (_, i) => i + 1);
  const ensured = await Promise.all(numbers.map((i) => ensureContainer(run, def, i, after)));
  const fresh = ensured.filter((e) => e.created).length;
  if (fresh) run.progress.step(`waiting for ${fresh} new inference replica${fresh === 1 ? '' : 's'} to be ready`);
  const port = def.containerPort ?? 8000;
  return Promise.all(
    ensured.map(async (e) => {
      const info = await waitReady(docker, e, { project, port, path: '/ready' }, { timeoutMs: run.timeouts.readyMs });
      return { number: e.number, name: e.name, address: `${ipOnNetwork(info, project)}:${port}` };
    }),
  );
}

/** Before replicas go away, a running nginx stops sending them requests (only possible while some remain). */
async function drainFromUpstream(
  run: Run,
  def: ServiceDef,
  nginxDef: ServiceDef,
  keep: ProjectContainer[],
  existing: ProjectContainer[],
): Promise<void> {
  const nginx = existing.find((c) => c.service === nginxDef.name && !c.oneoff);
  if (!nginx || !isCurrent(run, nginx) || keep.length === 0) return;
  const port = def.containerPort ?? 8000;
  const remaining: ReadyReplica[] = [];
  for (const c of keep) {
    const info = await run.docker.getContainer(c.id).inspect();
    const ip = ipOnNetwork(info, run.project);
    if (ip) remaining.push({ number: c.number, name: c.name, address: `${ip}:${port}` });
  }
  if (remaining.length === 0) return;
  await applyNginx(run, nginxDef, remaining, existing);
  const url = await publishedBaseUrl(run.docker, nginx.id);
  const names = remaining.map((r) => r.name);
  const res = await waitTrafficReaches(url, names, run.ctx.spec, { timeoutMs: run.timeouts.trafficMs });
  if (!res.ok) {
    throw new RuntimeError(
      `nginx still routes to replicas that are about to be removed (seen ${res.seen.join(', ') || 'none'}; expected only ${names.join(', ')})`,
      'run `toolkit up` again; it converges from here',
    );
  }
}
