// Readiness as strategies with timeouts that explain themselves: when a container dies or never gets ready
// while waited on, the error names it and carries its last log lines (testcontainers' wait strategies).
import type Docker from 'dockerode';
import type { DockerClient } from '../docker.ts';
import { RuntimeError } from '../errors.ts';
import { ipOnNetwork, lastLogLines } from './query.ts';

export interface Waited {
  id: string;
  name: string;
  service: string;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
}

/** A RuntimeError naming the container, with its last log lines appended. */
export async function containerFailure(docker: DockerClient, c: Waited, reason: string): Promise<RuntimeError> {
  const logs = await lastLogLines(docker, c.id, 20);
  return new RuntimeError(
    `${c.service} (${c.name}) ${reason}\n--- last log lines of ${c.name} ---\n${logs || '(no output)'}`,
    `see the full output with \`toolkit logs ${c.service}\` or \`docker logs ${c.name}\``,
  );
}

type Probe = (info: Docker.ContainerInspectInfo) => Promise<boolean> | boolean;

/** Polls inspect until `probe` holds; fails fast when the container exits or restarts meanwhile. */
async function waitUntil(docker: DockerClient, c: Waited, what: string, probe: Probe, opts: WaitOptions) {
  const deadline = Date.now() + opts.timeoutMs;
  const container = docker.getContainer(c.id);
  let restarts: number | undefined;
  let info: Docker.ContainerInspectInfo;
  for (;;) {
    info = await container.inspect();
    restarts ??= info.RestartCount;
    if (await probe(info)) return info;
    const st = info.State;
    if (st.Status === 'exited' || st.Status === 'dead') {
      throw await containerFailure(docker, c, `exited with code ${st.ExitCode} while waiting for it to be ${what}`);
    }
    if (info.RestartCount > restarts || st.Restarting) {
      throw await containerFailure(docker, c, `crashed and was restarted while waiting for it to be ${what}`);
    }
    if (Date.now() >= deadline) break;
    await sleep(opts.intervalMs ?? 250);
  }
  const health = info.State.Health;
  const lastCheck = health?.Log?.at(-1)?.Output?.trim();
  const detail = [
    `state ${info.State.Status}`,
    health ? `health ${health.Status}` : '',
    lastCheck ? `last health check: ${lastCheck}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  throw await containerFailure(docker, c, `was not ${what} within ${Math.round(opts.timeoutMs / 1000)}s (${detail})`);
}

/** Healthy by Docker's healthcheck; running is enough for a container without one. */
export function waitHealthy(docker: DockerClient, c: Waited, opts: WaitOptions): Promise<Docker.ContainerInspectInfo> {
  return waitUntil(
    docker,
    c,
    'healthy',
    (i) => i.State.Running && (!i.State.Health || i.State.Health.Status === 'healthy'),
    opts,
  );
}

/**
 * Ready = Docker says healthy, or GET http://<ip>:<port><path> answers 200 (faster than the healthcheck interval;
 * the container IP is reachable from the host on Linux, and the health status covers engines where it is not).
 */
export function waitReady(
  docker: DockerClient,
  c: Waited,
  target: { project: string; port: number; path: string },
  opts: WaitOptions,
): Promise<Docker.ContainerInspectInfo> {
  return waitUntil(
    docker,
    c,
    'ready',
    async (i) => {
      if (!i.State.Running) return false;
      if (i.State.Health?.Status === 'healthy') return true;
      const ip = ipOnNetwork(i, target.project);
      return ip ? httpOk(`http://${ip}:${target.port}${target.path}`) : false;
    },
    opts,
  );
}

/** Running and answering 200 at `url` (e.g. nginx's /lb/ping through its published port). */
export function waitHttp(
  docker: DockerClient,
  c: Waited,
  url: string,
  opts: WaitOptions,
): Promise<Docker.ContainerInspectInfo> {
  return waitUntil(docker, c, `answering ${url}`, async (i) => i.State.Running && (await httpOk(url)), opts);
}

/** Waits for a one-shot container to finish; a non-zero exit is an error with its last log lines. */
export async function waitCompleted(docker: DockerClient, c: Waited, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const container = docker.getContainer(c.id);
  for (;;) {
    const info = await container.inspect();
    if (info.State.Status === 'exited' || info.State.Status === 'dead') {
      if (info.State.ExitCode === 0) return;
      throw await containerFailure(docker, c, `failed with exit code ${info.State.ExitCode}`);
    }
    if (Date.now() >= deadline) {
      throw await containerFailure(docker, c, `did not finish within ${Math.round(opts.timeoutMs / 1000)}s`);
    }
    await sleep(opts.intervalMs ?? 500);
  }
}

export async function httpOk(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
