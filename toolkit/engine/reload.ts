// Graceful reload of the running load balancer: render → `nginx -t` (inside the live container, on a candidate file
// next to the live one, so the very binary and mounts that will run it judge it) → atomic rename → `nginx -s reload`
// (SIGHUP) → confirm: new workers replaced every old one, and the error log since the reload has no emerg/alert/crit
// line.
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
import { listProjectContainers } from './query.ts';
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
    nginxState(docker, nginx.id),
  ]);
  await writeFileAtomic(paths.liveNginxConf, conf);
  await writeFileAtomic(paths.nginxConf, conf).catch(() => {});
  progress.step(`reloading nginx${opts.what ? ` (${opts.what})` : ''}`);
  // SIGHUP to the master (PID 1, `daemon off`) is what `nginx -s reload` sends; through the engine's kill API it
  // needs no exec. A signal that does not stop the container leaves its restart policy alone.
  try {
    await docker.getContainer(nginx.id).kill({ signal: 'HUP' });
  } catch (err) {
    throw new RuntimeError(`nginx reload failed in ${nginx.name}: ${(err as Error).message}`, undefined, err);
  }
  return { changed: true, warnings: await confirmReloaded(docker, nginx, before) };
}

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

/** nginx also writes its error log here (tmpfs): read from an offset, it costs nothing however long nginx ran. */
export const NGINX_ERROR_LOG = '/tmp/nginx-error.log';

export interface NginxState {
  /** PIDs of the workers serving new connections (not the ones finishing old requests after a reload). */
  workers: Set<number>;
  /** Size of the error log file now: the offset to read new lines from. */
  logBytes: number;
  /** Error log lines written after `fromByte`. */
  logLines: string[];
}

/**
 * Serving workers and the error log after `fromByte`, in one exec. The error log used to come from `docker logs
 * --since`, which makes the engine decode the container's whole JSON log file (nginx's access log included) on every
 * call: 3 s for a 97 MB log, so each reload's confirmation loop kept a core busy for seconds, on the host the
 * replicas serve from.
 */
export async function nginxState(docker: DockerClient, id: string, fromByte = 0): Promise<NginxState> {
  const script =
    'for p in /proc/[0-9]*; do c=$(tr "\\0" " " < $p/cmdline 2>/dev/null); ' +
    'case "$c" in *"worker process is shutting down"*) ;; *"worker process"*) echo "$p";; esac; done; ' +
    `f=${NGINX_ERROR_LOG}; ` +
    // Read before a reload (from 0): past 1 MiB it is emptied, so a long run's errors cannot fill the tmpfs that
    // nginx buffers request bodies on. nginx appends (O_APPEND), so its next line lands at the new end.
    (fromByte === 0 ? '[ "$(wc -c < $f 2>/dev/null || echo 0)" -gt 1048576 ] && : > $f; ' : '') +
    'echo "--- $(wc -c < $f 2>/dev/null || echo 0)"; ' +
    `tail -c +${fromByte + 1} $f 2>/dev/null; true`;
  const res = await execIn(docker, id, ['sh', '-c', script], { user: SERVICE_USER });
  const mark = res.output.indexOf('--- ');
  const head = mark >= 0 ? res.output.slice(0, mark) : res.output;
  const rest = mark >= 0 ? res.output.slice(mark + 4) : '0';
  const newline = rest.indexOf('\n');
  return {
    workers: new Set(
      head
        .split('\n')
        .map((l) => Number(l.trim().replace('/proc/', '')))
        .filter((n) => Number.isInteger(n) && n > 0),
    ),
    logBytes: Number.parseInt(newline >= 0 ? rest.slice(0, newline) : rest, 10) || 0,
    logLines: (newline >= 0 ? rest.slice(newline + 1) : '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  };
}

/**
 * Live = every serving worker is new; clean = no emerg/alert/crit since the reload (a rejected reload logs one).
 * Polled at 50 ms, then less often: new workers usually serve within 100 ms, and each poll is an exec.
 */
async function confirmReloaded(docker: DockerClient, nginx: LiveNginx, before: NginxState): Promise<string[]> {
  const deadline = Date.now() + CONFIRM_TIMEOUT_MS;
  for (let wait = 50; ; wait = Math.min(500, wait * 2)) {
    await sleep(wait);
    const now = await nginxState(docker, nginx.id, before.logBytes);
    const fatal = now.logLines.filter((l) => /\[(emerg|alert|crit)\]/.test(l));
    if (fatal.length > 0) {
      throw new RuntimeError(`nginx did not take the new config in ${nginx.name}:\n  ${fatal.join('\n  ')}`);
    }
    if (now.workers.size > 0 && [...now.workers].every((p) => !before.workers.has(p)))
      return now.logLines.filter((l) => /\[error\]/.test(l));
    if (Date.now() >= deadline) {
      throw new RuntimeError(
        `nginx in ${nginx.name} still runs workers of the old config ${CONFIRM_TIMEOUT_MS / 1000}s after the reload`,
      );
    }
  }
}
