// The running load balancer as the toolkit sees it (container, published URL, the config it was given and the model
// that config carries), and switching its strategy. A strategy the config already holds is switched by a file the
// config checks per request (no reload, so no kept-alive client connection is closed under a request); new weights
// or a new hash key need a new config: render → nginx -t → atomic write → graceful reload. Both end by confirming
// that /lb/health serves the expected snapshot.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { dirname, join } from 'node:path';
import type { DockerClient } from '../docker.ts';
// Small helpers of the engine, reused for stacks without a saved spec (the engine's reload needs the full spec).
import { execIn } from '../engine/exec.ts';
import { LABEL, projectFilters, reloadLoadBalancer } from '../engine/index.ts';
import { baseUrlOf, publishedFromInfo } from '../engine/nginx-port.ts';
import { RuntimeError } from '../errors.ts';
import {
  type LbHealth,
  type RenderedLb,
  readRenderedLb,
  SWITCH_DIR,
  switchFileName,
  variantHealth,
} from '../render/lb-health.ts';
import { renderNginx, type UpstreamServer } from '../render/nginx.ts';
import { clearLbSwitches, clearSwitches } from './switches.ts';

export { clearLbSwitches, clearSwitches };

import { checkNginxConfig } from '../render/nginx-check.ts';
import { writeFileAtomic } from '../render/write.ts';
import { NGINX_CONF_DIR } from '../spec/service-defs.ts';
import type { StackSpec } from '../spec/types.ts';
import type { LbSettings } from './state.ts';

export interface LiveBalancer {
  project: string;
  containerId: string;
  container: string;
  image: string;
  /** Where clients on this host reach it, e.g. http://127.0.0.1:8000. */
  url: string;
  /** The config file nginx reads (bind-mounted from the host). */
  confPath: string;
  conf: string;
  /** What the config says it was rendered from; undefined for configs written before /lb/health existed. */
  rendered: RenderedLb | undefined;
  /** What /lb/health answers now: the strategy in force and its backends; undefined when it does not answer. */
  health: LbHealth | undefined;
  reloadCommand: string[];
}

const noStack = (project: string) =>
  new RuntimeError(`project ${project} has no running load balancer`, 'start the stack with: toolkit up');

export async function findLiveBalancer(docker: DockerClient, project: string): Promise<LiveBalancer> {
  const list = await docker.listContainers({ filters: projectFilters(project, { [LABEL.service]: 'nginx' }) });
  const entry = list.find((c) => c.State === 'running' && c.Labels?.[LABEL.oneoff] !== 'True');
  if (!entry) throw noStack(project);
  const info = await docker.getContainer(entry.Id).inspect();
  const mount = info.Mounts.find((m) => m.Destination === NGINX_CONF_DIR);
  const published = publishedFromInfo(info);
  if (!mount || !published) throw noStack(project);
  const confPath = join(mount.Source, 'nginx.conf');
  const conf = await readFile(confPath, 'utf8').catch((err: Error) => {
    throw new RuntimeError(`cannot read the live nginx config ${confPath}: ${err.message}`);
  });
  // Reload must name the config the master was started with, or it cannot find the master's pid file.
  const i = info.Args.indexOf('-c');
  const reloadCommand = i >= 0 ? ['nginx', '-c', info.Args[i + 1], '-s', 'reload'] : ['nginx', '-s', 'reload'];
  return {
    project,
    containerId: entry.Id,
    container: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    url: baseUrlOf(published),
    confPath,
    conf,
    rendered: readRenderedLb(conf),
    health: await getFresh(`${baseUrlOf(published)}/lb/health`).then(
      (text) => JSON.parse(text) as LbHealth,
      () => undefined,
    ),
    reloadCommand,
  };
}

/** Replica numbers of the project's inference containers that exist now (running or not). */
export async function existingReplicas(docker: DockerClient, project: string): Promise<number[]> {
  const list = await docker.listContainers({
    all: true,
    filters: projectFilters(project, { [LABEL.service]: 'inference' }),
  });
  return list
    .filter((c) => c.Labels?.[LABEL.oneoff] !== 'True')
    .map((c) => Number(c.Labels?.[LABEL.number]))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
}

/** The same servers the balancer has now, weighed by `lb`: a strategy switch never changes who is in the upstream. */
export function upstreamFor(rendered: RenderedLb, lb: LbSettings): UpstreamServer[] {
  return rendered.backends
    .filter((b): b is typeof b & { replica: number } => b.replica !== null)
    .map((b) => ({
      replica: b.replica,
      address: b.address,
      weight: lb.weights[String(b.replica)] ?? 1,
      state: b.state,
    }));
}

/** Can `lb` be put in force by a switch file, i.e. does the rendered config already hold exactly that upstream? */
export function switchable(rendered: RenderedLb, lb: LbSettings): boolean {
  if (lb.strategy === 'hash' && lb.hashKey !== rendered.hash_key) return false;
  if (lb.strategy !== 'weighted') return true;
  return rendered.backends.every(
    (b) => b.replica === null || (lb.weights[String(b.replica)] ?? 1) === (rendered.weights[String(b.replica)] ?? 1),
  );
}

export interface Applied {
  health: LbHealth;
  /** false: switched by file, no reload. */
  reloaded: boolean;
}

/**
 * Puts `lb` in force on the running balancer, keeping its servers. `nginxConfCopy` is the readable copy for people
 * (nginx/nginx.conf) that a reload refreshes; nothing mounts it.
 */
export async function applyLbLive(
  docker: DockerClient,
  live: LiveBalancer,
  lb: LbSettings,
  opts: {
    nginxConfCopy?: string;
    confirmTimeoutMs?: number;
    /** The running stack's full spec with `lb` applied: a new config then goes through the engine's reload. */
    fullSpec?: StackSpec;
  } = {},
): Promise<Applied> {
  const { rendered } = live;
  if (!rendered) {
    throw new RuntimeError(
      `the running config of ${live.container} was rendered by an older toolkit and does not list its servers`,
      'run `toolkit up` once to re-render it, then switch',
    );
  }
  const switchDir = join(dirname(live.confPath), SWITCH_DIR);
  const timeoutMs = opts.confirmTimeoutMs ?? 10_000;
  if (switchable(rendered, lb)) {
    const keep = lb.strategy === rendered.strategy ? undefined : switchFileName(rendered.render, lb.strategy);
    // The new file first, then the others: in between both exist and the config lets the first listed win, so every
    // request meets one of the two strategies, never none.
    if (keep) {
      await mkdir(switchDir, { recursive: true, mode: 0o755 });
      await writeFile(join(switchDir, keep), `${lb.strategy}\n`, { mode: 0o644 });
    }
    await clearSwitches(switchDir, keep);
    const health = variantHealth(rendered, lb.strategy);
    await confirmServing(live.url, health.config, timeoutMs);
    return { health, reloaded: false };
  }
  let next: RenderedLb;
  if (opts.fullSpec) {
    // The engine's one reload path: nginx -t in the live container, swap, reload, confirm the workers were replaced.
    await reloadLoadBalancer(docker, opts.fullSpec);
    next = readRenderedLb(await readFile(live.confPath, 'utf8'))!;
  } else {
    const conf = renderNginx({ project: live.project, lb }, upstreamFor(rendered, lb));
    next = readRenderedLb(conf)!;
    await checkNginxConfig(docker, live.image, conf);
    await writeFileAtomic(live.confPath, conf);
    const res = await execIn(docker, live.containerId, live.reloadCommand, { user: '10001' });
    if (res.exitCode !== 0) {
      // nginx keeps serving the old config when a reload fails; put the file back so both agree.
      await writeFileAtomic(live.confPath, live.conf);
      throw new RuntimeError(`nginx reload failed in ${live.container}: ${res.output}`, 'nothing was changed');
    }
    if (opts.nginxConfCopy) await writeFileAtomic(opts.nginxConfCopy, conf);
  }
  const health = variantHealth(next, lb.strategy);
  await confirmServing(live.url, health.config, timeoutMs);
  // Switches name the old render, which the new config never checks: tidy only.
  await clearSwitches(switchDir);
  return { health, reloaded: true };
}

/** Polls /lb/health on fresh connections (a kept-alive one may still belong to an old worker) until it shows `id`. */
export async function confirmServing(url: string, id: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const health = JSON.parse(await getFresh(`${url}/lb/health`)) as LbHealth;
      if (health.config === id) return;
      last = `serving config ${health.config}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new RuntimeError(`the load balancer did not serve the new config ${id} within ${timeoutMs / 1000}s (${last})`);
}

/** GET on a new connection (agent: false), body as text; non-200 is an error. */
export function getFresh(url: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}
