// Inference replicas 1..N. Current ones are kept untouched; surplus ones (above N) leave the upstream first, are
// waited on until idle (bounded by the grace period) and only then get SIGTERM; changed ones are replaced one at a
// time while nginx serves from the others (a rolling update); missing ones are created in parallel and each joins
// the upstream as soon as it is ready (one graceful reload per batch that became ready together). A kept replica
// that does not answer /ready is left out of the upstream and reported, not waited on.
import type { ServiceDef } from '../spec/service-defs.ts';
import { waitIdle } from './drain.ts';
import { applyNginx, type ReadyReplica } from './lb.ts';
import { publishedBaseUrl } from './nginx-port.ts';
import { ipOnNetwork, listProjectContainers, type ProjectContainer } from './query.ts';
import { stopAndRemove } from './resources.ts';
import { readRotation } from './rotation.ts';
import { type Ensured, ensureContainer, isCurrent, type Run } from './service.ts';
import { waitTrafficReaches } from './traffic.ts';
import { containerFailure, httpOk, sleep, waitReady } from './wait.ts';

/**
 * A replica starting up (Node's boot, the JIT, the model's download and parse: about a CPU-second) gets an eighth of a
 * running replica's CPU weight until it is ready, so on a busy host the replicas serving traffic and nginx keep the
 * CPU they need and the scale event does not show in their latency; with idle CPU it starts as fast as before.
 * Weights are relative only under contention (cgroup cpu.shares; Docker's default is 1024).
 */
export const STARTUP_CPU_SHARES = 128;
const SERVING_CPU_SHARES = 1024;

/** How long a kept replica gets to answer /ready before it is left out of the upstream. */
const KEPT_READY_MS = 3_000;

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

  if (surplus.length > 0) await removeSurplus(run, def, nginxDef, nginx, inRange, surplus);

  const ready = new Map<number, ReadyReplica>();
  const staleRunning = stale.filter((c) => c.state === 'running');
  if (nginx && staleRunning.length > 0 && inRange.length > 1) {
    // Rolling: each changed replica leaves the upstream, is replaced, and is ready before the next one goes.
    for (const c of staleRunning) {
      const others = inRange.filter((o) => o !== c && o.state === 'running');
      await drainTo(run, def, nginxDef, nginx, others);
      const fresh = await ensureContainer(run, def, c.number, [c], { CpuShares: STARTUP_CPU_SHARES });
      inRange[inRange.indexOf(c)] = { ...c, id: fresh.id, state: 'running' };
      ready.set(c.number, await replicaReady(run, def, fresh));
    }
  }

  const after = await listProjectContainers(docker, project, def.name);
  const numbers = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !ready.has(i));
  const ensured = await Promise.all(
    numbers.map((i) => ensureContainer(run, def, i, after, { CpuShares: STARTUP_CPU_SHARES })),
  );
  for (const e of ensured.filter((x) => !x.created)) {
    const r = await keptReady(run, def, e);
    if (r) ready.set(r.number, r);
    else run.progress.warn(`${e.name} does not answer /ready: left out of the upstream (see toolkit status)`);
  }
  const fresh = ensured.filter((e) => e.created);
  if (fresh.length === 0) return sorted(ready);
  run.progress.step(`waiting for ${fresh.length} new inference replica${fresh.length === 1 ? '' : 's'} to be ready`);
  // Each new replica joins the running nginx as soon as it is ready; the links run one after another, and a link
  // that finds the config unchanged (its replica was already added by the previous one) reloads nothing.
  let chain = Promise.resolve();
  const joined = fresh.map(async (e) => {
    const r = await replicaReady(run, def, e);
    ready.set(r.number, r);
    run.ctx.onEvent?.({ type: 'replica-ready', number: r.number, name: r.name, address: r.address, at: Date.now() });
    if (!nginx) return;
    chain = chain.then(async () => {
      await applyNginx(run, nginxDef, sorted(ready), await listProjectContainers(docker, project, nginxDef.name));
    });
    await chain;
  });
  await Promise.all(joined);
  await chain;
  return sorted(ready);
}

const sorted = (m: Map<number, ReadyReplica>) => [...m.values()].sort((a, b) => a.number - b.number);

/** Out of the upstream, idle (or out of grace), then SIGTERM and removal: highest numbers first. */
async function removeSurplus(
  run: Run,
  def: ServiceDef,
  nginxDef: ServiceDef,
  nginx: ProjectContainer | undefined,
  inRange: ProjectContainer[],
  surplus: ProjectContainer[],
): Promise<void> {
  if (nginx) {
    // Keep serving from the replicas in rotation now; a kept one out of rotation stays out until it is ready.
    const rotation = await readRotation(run.ctx.paths.liveNginxDir);
    const inRotation = (c: ProjectContainer) => !rotation || rotation.some((r) => r.number === c.number);
    await drainTo(
      run,
      def,
      nginxDef,
      nginx,
      inRange.filter((c) => c.state === 'running' && inRotation(c)),
    );
    const grace = run.ctx.spec.gracePeriodSec * 1000;
    const busy = await waitIdle(
      run.docker,
      run.project,
      surplus.map((c) => c.id),
      grace,
    );
    for (const id of busy) {
      const c = surplus.find((s) => s.id === id);
      run.progress.warn(`${c?.name ?? id} still has requests in flight after ${grace / 1000}s; stopping it anyway`);
    }
  }
  for (const c of surplus) run.progress.step(`removing ${c.name}`);
  // Already out of rotation and idle: stopping them together takes one grace period, not one each.
  await Promise.all(surplus.map((c) => stopAndRemove(run.docker, c.id)));
  for (const c of surplus)
    run.ctx.onEvent?.({ type: 'replica-removed', number: c.number, name: c.name, at: Date.now() });
}

async function replicaReady(run: Run, def: ServiceDef, e: Ensured): Promise<ReadyReplica> {
  const port = def.containerPort ?? 8000;
  const info = await waitReady(
    run.docker,
    e,
    { project: run.project, port, path: '/ready' },
    { timeoutMs: run.timeouts.readyMs },
  );
  await serveAtFullWeight(run, e.id, info);
  return { number: e.number, name: e.name, address: `${ipOnNetwork(info, run.project)}:${port}` };
}

/** A kept replica is in the upstream only while it answers /ready (Docker's health lags by up to 30 s). */
async function keptReady(run: Run, def: ServiceDef, e: Ensured): Promise<ReadyReplica | null> {
  const port = def.containerPort ?? 8000;
  const deadline = Date.now() + KEPT_READY_MS;
  for (;;) {
    const info = await run.docker.getContainer(e.id).inspect();
    const ip = ipOnNetwork(info, run.project);
    const address = `${ip}:${port}`;
    if (info.State.Running && ip && (await httpOk(`http://${address}/ready`))) {
      // A replica whose start was interrupted (the CLI killed before it was ready) still has its start-up weight.
      await serveAtFullWeight(run, e.id, info);
      return { number: e.number, name: e.name, address };
    }
    if (Date.now() >= deadline) return null;
    await sleep(250);
  }
}

/** Raises a ready replica from its start-up CPU weight to a serving one (no-op when it already has it). */
async function serveAtFullWeight(run: Run, id: string, info: { HostConfig?: { CpuShares?: number } }): Promise<void> {
  if (info.HostConfig?.CpuShares !== STARTUP_CPU_SHARES) return;
  await run.docker.getContainer(id).update({ CpuShares: SERVING_CPU_SHARES });
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
