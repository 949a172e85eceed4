// `toolkit status`: services and replicas with state, readiness, address, uptime and restarts, and whether the
// watcher (`toolkit lb watch`, started by `up`) keeps nginx's upstream on the ready replicas.
import { engineFor, engineKindOf, renderStatusTable } from '../engine/index.ts';
import { readWatcher, type WatcherState } from '../lb/watch-process.ts';
import { stackPaths } from '../paths.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';

export async function statusCommand(
  opts: SpecOptions & { engine?: string; json?: boolean },
  io: CommandIO,
): Promise<void> {
  const spec = await specFromOptions(opts, io);
  const docker = await io.docker();
  const engine = engineFor(await engineKindOf(spec, opts.engine), docker);
  const current = await engine.status(spec.project);
  const watcher = await readWatcher(stackPaths(spec).watchPidFile);
  if (opts.json) return printJson(io, { ...current, watcher: watcherJson(watcher) });
  if (current.services.length === 0 && current.replicas.length === 0) {
    io.out(`project ${spec.project} has no containers; start it with: toolkit up --replicas 3`);
    if (watcher.running) io.out(watcherLine(watcher, spec.project));
    return;
  }
  io.out(renderStatusTable(current));
  io.out(watcherLine(watcher, spec.project));
}

/** `pid` only when it runs: a stale pidfile's PID may belong to another process by now. */
export function watcherJson(w: WatcherState): { running: boolean; pid: number | null } {
  return { running: w.running, pid: w.running ? w.pid : null };
}

export function watcherLine(w: WatcherState, project: string): string {
  if (w.running) return `watcher: running (pid ${w.pid}): nginx follows the ready replicas`;
  const stale = w.pid !== null ? ` (stale pidfile: pid ${w.pid} is gone)` : '';
  return `watcher: not running${stale}; replicas that restart join nginx at the next up/scale, or start one: toolkit lb watch --project ${project}`;
}
