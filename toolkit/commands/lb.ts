// `toolkit lb strategy [name]` shows or switches the balancing strategy of the running stack (no failed request)
// and records it in the stack's saved spec; `toolkit lb stats` prints per-replica figures from nginx's access log
// and the replicas' /metrics; `toolkit lb watch` keeps the upstream on the ready replicas between commands.
import { savedSpecPath } from '../engine/saved-spec.ts';
import { RuntimeError, UsageError } from '../errors.ts';
import { collectStats, parseSince } from '../lb/collect.ts';
import { applyLbLive, existingReplicas, findLiveBalancer } from '../lb/live.ts';
import { resolveStrategyRequest } from '../lb/request.ts';
import { readLbState, writeLbState } from '../lb/state.ts';
import { renderStatsTable, renderStrategy } from '../lb/table.ts';
import { type WatchEvent, watchEngine, watchLoadBalancer, watchPass } from '../lb/watch.ts';
import { claimPidFile } from '../lb/watch-pidfile.ts';
import { parseIntervalMs } from '../lb/watch-plan.ts';
import { acquireLock } from '../lock.ts';
import { stackPaths } from '../paths.ts';
import { loadSpec } from '../spec/index.ts';
import { type CommandIO, printJson, specFromOptions } from './io.ts';

export interface LbCommonOptions {
  project?: string;
  config?: string;
  json?: boolean;
}

export async function lbStrategyCommand(
  name: string | undefined,
  opts: LbCommonOptions & { key?: string; weights?: string },
  io: CommandIO,
): Promise<void> {
  const named = await specFromOptions({ project: opts.project, config: opts.config }, io);
  // The running stack's spec (saved by the engine) when there is one: its port, weights and key, not the config's.
  const saved = opts.config ? null : await savedSpecPath(named);
  const spec = saved
    ? await loadSpec({ cwd: io.cwd, env: {}, flags: { project: named.project }, configPath: saved })
    : named;
  const current = (await readLbState(spec)) ?? spec.lb;
  const req = name === undefined ? undefined : { name, key: opts.key, weights: opts.weights };
  // Everything that can be checked without Docker is checked first.
  if (req) resolveStrategyRequest(req, current);
  const docker = await io.docker();

  if (!req) {
    const live = await findLiveBalancer(docker, spec.project);
    if (!live.health) {
      throw new RuntimeError(
        `${live.container} does not answer ${live.url}/lb/health`,
        'a config rendered by an older toolkit has no /lb/health: run `toolkit up` once to re-render it',
      );
    }
    if (opts.json) return printJson(io, { project: spec.project, ...live.health });
    io.out(renderStrategy(live.health, spec.project));
    return;
  }

  const paths = stackPaths(spec);
  // One toolkit command at a time per project: a scale re-rendering the upstream meanwhile would undo the switch.
  const lock = await acquireLock(paths.lockFile, 'lb strategy', { progress: io.progress });
  try {
    const live = await findLiveBalancer(docker, spec.project);
    const lb = resolveStrategyRequest(req, current, await existingReplicas(docker, spec.project));
    const from = live.health?.strategy ?? 'unknown';
    io.progress.step(`switching ${live.container} from ${from} to ${lb.strategy}`);
    const { health, reloaded } = await applyLbLive(docker, live, lb, {
      nginxConfCopy: paths.nginxConf,
      // A new config goes through the engine's reload, which also records it as the running stack's spec.
      fullSpec: saved ? { ...spec, lb } : undefined,
    });
    // Recorded once nginx serves it, so a later `scale` or `up` renders the same strategy.
    const recorded = await writeLbState(spec, lb);
    if (!recorded) io.progress.warn('no saved spec for this stack (run `toolkit up` once): the switch is not recorded');
    if (opts.json) return printJson(io, { project: spec.project, previous: from, reloaded, ...health });
    io.out(renderStrategy(health, spec.project));
    io.out(reloaded ? 'new weights or key: new config, nginx reloaded' : 'switched without a reload');
  } finally {
    await lock.release();
  }
}

export async function lbStatsCommand(opts: LbCommonOptions & { since?: string }, io: CommandIO): Promise<void> {
  if (opts.since !== undefined) parseSince(opts.since);
  const spec = await specFromOptions({ project: opts.project, config: opts.config }, io);
  const docker = await io.docker();
  const live = await findLiveBalancer(docker, spec.project);
  const stats = await collectStats(docker, live, { since: opts.since });
  if (opts.json) return printJson(io, stats);
  io.out(renderStatsTable(stats));
}

export interface LbWatchOptions extends LbCommonOptions {
  /** Period of the re-check (swarm: the task poll), e.g. 1s or 500ms. */
  interval?: string;
  /** One converge pass, then exit. */
  once?: boolean;
}

/**
 * Keeps the upstream on the replicas that run and are ready until SIGINT/SIGTERM (exit 0) or until `down` removes
 * its pidfile. `--once`: one pass; a busy project or a failed reload is then an error (exit 1).
 */
export async function lbWatchCommand(opts: LbWatchOptions, io: CommandIO): Promise<void> {
  const intervalMs = parseIntervalMs(opts.interval);
  const spec = await specFromOptions({ project: opts.project, config: opts.config }, io);
  if (!(await savedSpecPath(spec))) {
    throw new UsageError(
      `project ${spec.project} has no saved spec here (${stackPaths(spec).stateDir}): nothing to watch`,
      `start it with: toolkit up --project ${spec.project}`,
    );
  }
  const docker = await io.docker();
  const print = (e: WatchEvent) => (opts.json ? io.out(JSON.stringify(e)) : io.out(`${e.at}  ${e.message}`));

  if (opts.once) {
    const res = await watchPass(docker, spec, await watchEngine(spec));
    if (res.outcome === 'locked' || res.outcome === 'error') {
      throw new RuntimeError(
        `nothing changed: ${res.detail}`,
        res.outcome === 'locked' ? 'run it again once that command has finished' : undefined,
      );
    }
    const message = res.outcome === 'applied' ? `upstream ${res.detail}` : `upstream unchanged (${res.upstream})`;
    if (opts.json) return printJson(io, { project: spec.project, ...res });
    io.out(message);
    return;
  }

  const pidFile = stackPaths(spec).watchPidFile;
  const claim = await claimPidFile(pidFile, spec.project);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const why = await watchLoadBalancer({ docker, where: spec, intervalMs, signal: abort.signal, log: print, pidFile });
    print({ at: new Date().toISOString(), type: 'stop', message: `stopped (${why})` });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await claim.release();
  }
}
