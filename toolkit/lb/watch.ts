// `toolkit lb watch`: keeps nginx's upstream equal to the inference replicas that run and are ready, between toolkit
// commands. A pass reads who should serve (local: containers + /ready; swarm: tasks, as follow.ts does), compares it
// with the recorded rotation and, only when they differ, applies it through the engine's one reload path
// (reloadLoadBalancer: render → nginx -t in the live container → swap → reload → confirm). It never creates or
// removes a replica. Passes take the project lock without waiting: while another command holds it the pass is
// skipped (that command converges the upstream itself) and the next one re-reads everything afterwards.
import { existsSync } from 'node:fs';
import type { DockerClient } from '../docker.ts';
import { reloadLoadBalancer } from '../engine/reload.ts';
import { type ReadyReplica, readRotation } from '../engine/rotation.ts';
import { savedEngine, savedSpecPath } from '../engine/saved-spec.ts';
import { acquireLock, pidAlive, readHolder } from '../lock.ts';
import { stackPaths } from '../paths.ts';
import { loadSpec } from '../spec/index.ts';
import type { StackSpec } from '../spec/types.ts';
import { localWanted, type WantedUpstream, watchLocalEvents } from './watch-local.ts';
import { readPidFile } from './watch-pidfile.ts';
import { describeChange, nextPassInMs, type PassOutcome, sameUpstream } from './watch-plan.ts';
import { swarmWanted } from './watch-swarm.ts';

export interface PassResult {
  outcome: PassOutcome;
  /** What happened, for the log: the change applied, who holds the lock, or the error. */
  detail: string;
  /** Replicas upstream after the pass (the recorded rotation when nothing was applied). */
  upstream: number;
  pending: number;
}

export interface WatchEvent {
  at: string;
  type: 'start' | 'pass' | 'stop';
  outcome?: PassOutcome;
  message: string;
}

export interface WatchOptions {
  docker: DockerClient;
  /** Where the stack lives: its cwd and project (the saved spec is re-read under the lock before each apply). */
  where: Pick<StackSpec, 'cwd' | 'project'>;
  intervalMs: number;
  signal: AbortSignal;
  log(event: WatchEvent): void;
  /** Stop once this pidfile no longer names this process (`down` removed it). */
  pidFile?: string;
}

export type EngineKind = 'local' | 'swarm';

const EVENT_SETTLE_MS = 100;

export async function watchEngine(where: Pick<StackSpec, 'cwd' | 'project'>): Promise<EngineKind> {
  return (await savedEngine(where)) ?? 'local';
}

const wanted = (
  docker: DockerClient,
  engine: EngineKind,
  project: string,
  current: readonly ReadyReplica[],
): Promise<WantedUpstream> =>
  engine === 'swarm' ? swarmWanted(docker, project) : localWanted(docker, project, current);

/** One converge pass: applies the wanted upstream when it differs from what nginx runs, unless the project is busy. */
export async function watchPass(
  docker: DockerClient,
  where: Pick<StackSpec, 'cwd' | 'project'>,
  engine: EngineKind,
): Promise<PassResult> {
  const paths = stackPaths(where);
  try {
    const recorded = (await readRotation(paths.liveNginxDir)) ?? [];
    const first = await wanted(docker, engine, where.project, recorded);
    if (sameUpstream(first.upstream, recorded)) {
      return { outcome: 'unchanged', detail: '', upstream: recorded.length, pending: first.pending };
    }
    const holder = await readHolder(paths.lockFile);
    if (holder && holder.pid !== process.pid && pidAlive(holder.pid)) return busy(holder, recorded, first);
    // Taking the lock would create the state directory again after the stack and its directory were removed.
    if (!existsSync(paths.stateDir)) return failed(`${paths.stateDir} is gone`, recorded.length, first.pending);
    let lock: Awaited<ReturnType<typeof acquireLock>>;
    try {
      lock = await acquireLock(paths.lockFile, 'lb watch', { waitMs: 0 });
    } catch (err) {
      // Taken between the read and the claim: the same as busy.
      return { outcome: 'locked', detail: (err as Error).message, upstream: recorded.length, pending: first.pending };
    }
    try {
      // The command that held the lock may have changed everything: read again under the lock.
      const saved = await savedSpecPath(where);
      if (!saved) return failed('the stack has no saved spec (was it taken down?)', recorded.length, first.pending);
      const spec = await loadSpec({ cwd: where.cwd, env: {}, flags: { project: where.project }, configPath: saved });
      const before = (await readRotation(paths.liveNginxDir)) ?? [];
      const now = await wanted(docker, engine, where.project, before);
      if (sameUpstream(now.upstream, before)) {
        return { outcome: 'unchanged', detail: '', upstream: before.length, pending: now.pending };
      }
      await reloadLoadBalancer(docker, spec, { replicas: now.upstream });
      return {
        outcome: 'applied',
        detail: describeChange(before, now.upstream, now.why),
        upstream: now.upstream.length,
        pending: now.pending,
      };
    } finally {
      await lock.release();
    }
  } catch (err) {
    return failed((err as Error).message, 0, 0);
  }
}

function busy(holder: { pid: number; command: string }, recorded: unknown[], seen: WantedUpstream): PassResult {
  const detail = `toolkit ${holder.command} (pid ${holder.pid}) holds the project: left to it`;
  return { outcome: 'locked', detail, upstream: recorded.length, pending: seen.pending };
}

const failed = (detail: string, upstream: number, pending: number): PassResult => ({
  outcome: 'error',
  detail,
  upstream,
  pending,
});

/** Runs passes until `signal` aborts or the pidfile stops naming this process; returns why it stopped. */
export async function watchLoadBalancer(opts: WatchOptions): Promise<string> {
  // Its own controller: whichever way the loop ends, the event stream and timers end with it, so the process exits.
  const done = new AbortController();
  const forward = () => done.abort();
  opts.signal.addEventListener('abort', forward, { once: true });
  try {
    return await loop(opts, done.signal);
  } finally {
    opts.signal.removeEventListener('abort', forward);
    done.abort();
  }
}

async function loop(opts: WatchOptions, signal: AbortSignal): Promise<string> {
  const { docker, where } = opts;
  const engine = await watchEngine(where);
  const at = () => new Date().toISOString();
  let wake: (() => void) | undefined;
  let woken = false;
  const poke = () => {
    woken = true;
    wake?.();
  };
  signal.addEventListener('abort', poke, { once: true });
  if (engine === 'local') {
    const problem = (message: string) => opts.log({ at: at(), type: 'pass', outcome: 'error', message });
    watchLocalEvents(docker, where.project, poke, problem, signal);
  }
  opts.log({
    at: at(),
    type: 'start',
    message: `watching project ${where.project} (${engine} engine, pid ${process.pid})`,
  });
  let lastMessage = '';
  for (;;) {
    if (signal.aborted) return 'signal';
    if (opts.pidFile && (await readPidFile(opts.pidFile)) !== process.pid) return `${opts.pidFile} no longer names it`;
    woken = false;
    const res = await watchPass(docker, where, engine);
    const message = passMessage(res);
    // A busy project or a lasting error is logged once, not at every tick.
    if (message && (res.outcome === 'applied' || message !== lastMessage)) {
      opts.log({ at: at(), type: 'pass', outcome: res.outcome, message });
    }
    lastMessage = message;
    // An event during the pass: look again soon, after the rest of its burst (a restart is kill, die, stop, start).
    const waitMs = woken
      ? EVENT_SETTLE_MS
      : nextPassInMs({ engine, intervalMs: opts.intervalMs, pending: res.pending, outcome: res.outcome });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  }
}

function passMessage(res: PassResult): string {
  if (res.outcome === 'applied') return `upstream ${res.detail}`;
  if (res.outcome === 'locked') return `skipped: ${res.detail}`;
  if (res.outcome === 'error') return `error: ${res.detail}`;
  return '';
}
