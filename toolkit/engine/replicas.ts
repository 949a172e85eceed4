// Inference replicas 1..N. Current ones are kept; surplus ones (above N) leave the upstream before they are
// stopped, highest numbers first; changed ones are replaced one at a time while nginx serves from the others
// (a rolling update); missing ones are created in parallel. Every replica is waited on until ready.
import type { ServiceDef } from '../spec/service-defs.ts';
import { applyNginx, type ReadyReplica } from './lb.ts';
import { publishedBaseUrl } from './nginx-port.ts';
import { ipOnNetwork, listProjectContainers, type ProjectContainer } from './query.ts';
import { stopAndRemove } from './resources.ts';
import { type Ensured, ensureContainer, isCurrent, type Run } from './service.ts';
import { waitTrafficReaches } from './traffic.ts';
import { containerFailure, waitReady } from './wait.ts';

export async function convergeInference(run: Run, def: ServiceDef, nginxDef: ServiceDef): Promise<ReadyReplica[]> {
  const { docker, project } = run;
  const n = def.replicas;
  const all = (await listProjectContainers(docker, project, def.name)).filter((c) => !c.oneoff);
  const inRange: ProjectContainer[] = [];
  for (const c of all) {
    if (c.number >= 1 && c.number <= n && !inRange.some((k) => k.number === c.number)) inRange.push(c);
  }
  const surplus = all.filter((c) => !inRange.includes(c)).sort((a, b) => b.number - a.number);
  const stale = inRange.filter((c) => !isCurrent(run, c));
  const nginx = await runningNginx(run, nginxDef);

  if (surplus.length > 0) {
    if (nginx)
      await drainTo(
        run,
        def,
        nginxDef,
        nginx,
        inRange.filter((c) => c.state === 'running'),
      );
    for (const c of surplus) {
      run.progress.step(`removing ${c.name}`);
      await stopAndRemove(docker, c.id);
    }
  }

  const ready = new Map<number, ReadyReplica>();
  const staleRunning = stale.filter((c) => c.state === 'running');
  if (nginx && staleRunning.length > 0 && inRange.length > 1) {
    // Rolling: each changed replica leaves the upstream, is replaced, and is ready before the next one goes.
    for (const c of staleRunning) {
      const others = inRange.filter((o) => o !== c && o.state === 'running');
      await drainTo(run, def, nginxDef, nginx, others);
      const fresh = await ensureContainer(run, def, c.number, [c]);
      inRange[inRange.indexOf(c)] = { ...c, id: fresh.id, state: 'running' };
      ready.set(c.number, await replicaReady(run, def, fresh));
    }
  }

  const after = await listProjectContainers(docker, project, def.name);
  const numbers = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !ready.has(i));
  const ensured = await Promise.all(numbers.map((i) => ensureContainer(run, def, i, after)));
  const created = ensured.filter((e) => e.created).length;
  if (created) run.progress.step(`waiting for ${created} new inference replica${created === 1 ? '' : 's'} to be ready`);
  for (const r of await Promise.all(ensured.map((e) => replicaReady(run, def, e)))) ready.set(r.number, r);
  return [...ready.values()].sort((a, b) => a.number - b.number);
}

async function replicaReady(run: Run, def: ServiceDef, e: Ensured): Promise<ReadyReplica> {
  const port = def.containerPort ?? 8000;
  const info = await waitReady(
    run.docker,
    e,
    { project: run.project, port, path: '/ready' },
    { timeoutMs: run.timeouts.readyMs },
  );
  return { number: e.number, name: e.name, address: `${ipOnNetwork(info, run.project)}:${port}` };
}

async function runningNginx(run: Run, nginxDef: ServiceDef): Promise<ProjectContainer | undefined> {
  const list = await listProjectContainers(run.docker, run.project, nginxDef.name);
  return list.find((c) => !c.oneoff && c.state === 'running' && isCurrent(run, c));
}

/** Points the running nginx at `remaining` only, and confirms no request reaches any other replica. */
async function drainTo(
  run: Run,
  def: ServiceDef,
  nginxDef: ServiceDef,
  nginx: ProjectContainer,
  remaining: ProjectContainer[],
): Promise<void> {
  const port = def.containerPort ?? 8000;
  const upstream: ReadyReplica[] = [];
  for (const c of remaining) {
    const ip = ipOnNetwork(await run.docker.getContainer(c.id).inspect(), run.project);
    if (ip) upstream.push({ number: c.number, name: c.name, address: `${ip}:${port}` });
  }
  await applyNginx(run, nginxDef, upstream, await listProjectContainers(run.docker, run.project, nginxDef.name));
  const url = await publishedBaseUrl(run.docker, nginx.id);
  const names = upstream.map((r) => r.name);
  const res = await waitTrafficReaches(url, names, run.ctx.spec, {
    timeoutMs: run.timeouts.trafficMs,
    require: 'only',
  });
  if (!res.ok) {
    const waited = { id: nginx.id, name: nginx.name, service: nginxDef.name };
    throw await containerFailure(
      run.docker,
      waited,
      `still routes to ${res.unexpected.join(', ')} after the reload (expected only ${names.join(', ') || 'none'})`,
    );
  }
}
