// `toolkit lb strategy [name]` shows or switches the balancing strategy of the running stack (graceful reload, no
// failed request) and remembers it; `toolkit lb stats` prints per-replica figures from nginx's access log and the
// replicas' /metrics.

import { RuntimeError } from '../errors.ts';
import { collectStats, parseSince } from '../lb/collect.ts';
import { applyLbLive, existingReplicas, findLiveBalancer } from '../lb/live.ts';
import { resolveStrategyRequest } from '../lb/request.ts';
import { readLbState, writeLbState } from '../lb/state.ts';
import { renderStatsTable, renderStrategy } from '../lb/table.ts';
import { stackPaths } from '../paths.ts';
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
  const spec = await specFromOptions({ project: opts.project, config: opts.config }, io);
  const paths = stackPaths(spec);
  const current = (await readLbState(paths.stateDir)) ?? spec.lb;
  // Everything that can be checked without Docker is checked first.
  if (name !== undefined) resolveStrategyRequest({ name, key: opts.key, weights: opts.weights }, current);
  const docker = await io.docker();
  const live = await findLiveBalancer(docker, spec.project);

  if (name === undefined) {
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

  const lb = resolveStrategyRequest(
    { name, key: opts.key, weights: opts.weights },
    current,
    await existingReplicas(docker, spec.project),
  );
  const from = live.health?.strategy ?? 'unknown';
  io.progress.step(`switching ${live.container} from ${from} to ${lb.strategy}`);
  const { health, reloaded } = await applyLbLive(docker, live, lb, { nginxConfCopy: paths.nginxConf });
  // Recorded only once nginx serves it, so a later `toolkit up` renders the same strategy.
  await writeLbState(paths.stateDir, lb);
  if (opts.json) return printJson(io, { project: spec.project, previous: from, reloaded, ...health });
  io.out(
    `${renderStrategy(health, spec.project)}\n${reloaded ? 'new config, nginx reloaded' : 'switched without a reload'}`,
  );
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
