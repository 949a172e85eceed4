// Graceful reload of the running load balancer: render → `nginx -t` (inside the live container, on a candidate file
// next to the live one, so the very binary and mounts that will run it judge it) → atomic rename → `nginx -s reload`
// → confirm: new workers replaced every old one, and the error log since the reload has no emerg/alert/crit line.
// This is the one path every upstream or strategy change takes once nginx runs.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DockerClient } from '../docker.ts';
import { RuntimeError } from '../errors.ts';
import { stackPaths } from '../paths.ts';
import { type Progress, silentProgress } from '../progress.ts';
import { renderNginx, type UpstreamServer } from '../render/nginx.ts';
import { writeFileAtomic } from '../render/write.ts';
import { NGINX_CONF_DIR, SERVICE_USER } from '../spec/service-defs.ts';
import type { StackSpec } from '../spec/types.ts';
import { execIn } from './exec.ts';
import { demuxBuffer, listProjectContainers } from './query.ts';
import { currentRotation, type ReadyReplica, saveRotation } from './rotation.ts';
import { saveSpec } from './saved-spec.ts';
import { sleep } from './wait.ts';

export interface LiveNginx {
  id: string;
  name: string;
}

export interface ReloadResult {
  /** False when the rendered config equals the live one (nothing was reloaded). */
  changed: boolean;
  /** The replicas now in the upstream. */
  upstream: ReadyReplica[];
  /** `[error]` lines nginx logged since the reload (e.g. an upstream refusing connections): worth a warning only. */
  warnings: string[];
}

const CONFIRM_TIMEOUT_MS = 15_000;

export const upstreamServers = (spec: Pick<StackSpec, 'lb'>, replicas: ReadyReplica[]): UpstreamServer[] =>
  [...replicas]
    .sort((a, b) => a.number - b.number)
    .map((r) => ({ replica: r.number, address: r.address, weight: spec.lb.weights[String(r.number)] ?? 1 }));

/**
 * Re-renders the running load balancer's config for `spec` and reloads it gracefully; confirms it is live.
 * `replicas` defaults to the ones in rotation now, so a strategy change keeps the upstream as it is.
 * Callers outside a converge should hold the project lock (toolkit/lock.ts) around it.
 */
export async function reloadLoadBalancer(
  docker: DockerClient,
  spec: StackSpec,
  opts: { replicas?: ReadyReplica[]; progress?: Progress } = {},
): Promise<ReloadResult> {
  const nginx = (await listProjectContainers(docker, spec.project, 'nginx')).find(
    (c) => !c.oneoff && c.state === 'running',
  );
  if (!nginx) {
    throw new RuntimeError(`project ${spec.project} has no running load balancer`, 'start it with: toolkit up');
  }
  const paths = stackPaths(spec);
  const replicas = opts.replicas ?? (await currentRotation(docker, spec.project, paths.liveNginxDir));
  const conf = renderNginx(spec, upstreamServers(spec, replicas));
  const res = await applyLiveConfig(
    docker,
    nginx,
    { liveNginxConf: paths.liveNginxConf, nginxConf: paths.nginxConf },
    conf,
    {
      progress: opts.progress,
      what: `${replicas.length} replica${replicas.length === 1 ? '' : 's'} upstream`,
    },
  );
  await saveRotation(paths.liveNginxDir, replicas);
  // The next `toolkit scale` starts from this spec, so it keeps the strategy just applied.
  await saveSpec(spec);
  return { ...res, upstream: replicas };
}

/** Tests `conf` in the live container, swaps it in and reloads; a config equal to the live one is left alone. */
export async function applyLiveConfig(
  docker: DockerClient,
  nginx: LiveNginx,
  paths: { liveNginxConf: string; nginxConf: string },
  conf: string,
  opts: { progress?: Progress; what?: string } = {},
): Promise<{ changed: boolean; warnings: string[] }> {
  const progress = opts.progress ?? silentProgress;
  const previous = await readFile(paths.liveNginxConf, 'utf8').catch(() => null);
  if (previous === conf) return { changed: false, warnings: [] };
  // Both are execs into the same container; together they cost one round trip on a busy host, not two.
  const [, before] = await Promise.all([
    testInLive(docker, nginx, paths.liveNginxConf, conf),
    workerPids(docker, nginx.id),
  ]);
  await writeFileAtomic(paths.liveNginxConf, conf);
  await writeFileAtomic(paths.nginxConf, conf).catch(() => {});
  progress.step(`reloading nginx${opts.what ? ` (${opts.what})` : ''}`);
  const since = Date.now() / 1000 - 0.5;
  const res = await execIn(
    docker,
    nginx.id,
    ['nginx', '-e', 'stderr', '-c', liveConfPath(paths.liveNginxConf), '-s', 'reload'],
    {
      user: SERVICE_USER,
    },
  );
  if (res.exitCode !== 0) throw new RuntimeError(`nginx reload failed in ${nginx.name}: ${res.output}`);
  return { changed: true, warnings: await confirmReloaded(docker, nginx, before, since) };
}

/** The live config's path inside the container (the directory is bind-mounted at NGINX_CONF_DIR). */
const liveConfPath = (hostPath: string) => `${NGINX_CONF_DIR}/${path.basename(hostPath)}`;

async function testInLive(docker: DockerClient, nginx: LiveNginx, liveConf: string, conf: string): Promise<void> {
  const name = `.candidate-${process.pid}-${Date.now()}.conf`;
  const host = path.join(path.dirname(liveConf), name);
  await writeFile(host, conf, { mode: 0o644 });
  try {
    const res = await execIn(
      docker,
      nginx.id,
      ['nginx', '-t', '-q', '-e', 'stderr', '-c', `${NGINX_CONF_DIR}/${name}`],
      {
        user: SERVICE_USER,
      },
    );
    if (res.exitCode !== 0) {
      throw new RuntimeError(
        `nginx rejected the rendered config (nginx -t in ${nginx.name}):\n  ${res.output.split('\n').join('\n  ')}`,
        'the live config was left as it was; `toolkit config` prints the config that was tested',
      );
    }
  } finally {
    await rm(host, { force: true });
  }
}

/** PIDs of the workers serving new connections (not the ones finishing old requests after a reload). */
export async function workerPids(docker: DockerClient, id: string): Promise<Set<number>> {
  const script =
    'for p in /proc/[0-9]*; do c=$(tr "\\0" " " < $p/cmdline 2>/dev/null); ' +
    'case "$c" in *"worker process is shutting down"*) ;; *"worker process"*) echo "$p";; esac; done';
  const res = await execIn(docker, id, ['sh', '-c', script], { user: SERVICE_USER });
  return new Set(
    res.output
      .split('\n')
      .map((l) => Number(l.trim().replace('/proc/', '')))
      .filter((n) => Number.isInteger(n) && n > 0),
  );
}

/** Live = every serving worker is new; clean = no emerg/alert/crit since the reload (a rejected reload logs one). */
async function confirmReloaded(
  docker: DockerClient,
  nginx: LiveNginx,
  before: Set<number>,
  since: number,
): Promise<string[]> {
  const deadline = Date.now() + CONFIRM_TIMEOUT_MS;
  for (;;) {
    const [log, now] = await Promise.all([errorLogSince(docker, nginx.id, since), workerPids(docker, nginx.id)]);
    const fatal = log.filter((l) => /\[(emerg|alert|crit)\]/.test(l));
    if (fatal.length > 0) {
      throw new RuntimeError(`nginx did not take the new config in ${nginx.name}:\n  ${fatal.join('\n  ')}`);
    }
    if (now.size > 0 && [...now].every((p) => !before.has(p))) return log.filter((l) => /\[error\]/.test(l));
    if (Date.now() >= deadline) {
      throw new RuntimeError(
        `nginx in ${nginx.name} still runs workers of the old config ${CONFIRM_TIMEOUT_MS / 1000}s after the reload`,
      );
    }
    await sleep(50);
  }
}

/** nginx logs errors to stderr (`error_log stderr`); the access log is on stdout. */
async function errorLogSince(docker: DockerClient, id: string, since: number): Promise<string[]> {
  const buf = (await docker.getContainer(id).logs({
    stdout: false,
    stderr: true,
    follow: false,
    since: since.toFixed(3) as unknown as number,
  })) as unknown as Buffer;
  return demuxBuffer(buf)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
