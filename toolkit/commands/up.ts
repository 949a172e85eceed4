// `toolkit up`: validate the spec, build what is missing, converge the stack, start the watcher that keeps nginx on
// the ready replicas from then on (unless --no-watch), print where it is.

import { writeComposeBundle } from '../compose-bundle.ts';
import { engineFor, renderStatusTable } from '../engine/index.ts';
import { ensureImages } from '../images/index.ts';
import { specWithLiveLb } from '../lb/state.ts';
import { startWatcher } from '../lb/watch-process.ts';
import { stackPaths } from '../paths.ts';
import { loadOrCreateSecrets } from '../secrets.ts';
import { serviceDefs } from '../spec/service-defs.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';

export interface UpFlags {
  engine?: string;
  json?: boolean;
  /** false (--no-watch): do not start the background `lb watch`. */
  watch?: boolean;
}

/** What `up` reports about the watcher: its PID, or why it is not running. */
export interface UpWatcher {
  running: boolean;
  pid: number | null;
  /** A live watcher from an earlier `up` was kept. */
  reused?: boolean;
  error?: string;
}

export async function upCommand(opts: SpecOptions & UpFlags, io: CommandIO): Promise<void> {
  const { config: _config, json: _json, watch: _watch, ...flags } = opts;
  // A strategy switched live with `toolkit lb strategy` stays in force unless this command names another one.
  const spec = await specWithLiveLb(await specFromOptions(opts, io), flags);
  const docker = await io.docker();
  const engine = engineFor(spec.engine, docker);
  const paths = stackPaths(spec);
  io.progress.step(`project ${spec.project}: ${spec.replicas} inference replica(s) behind nginx (${engine.kind})`);
  // Fail on a taken port, a missing swarm or an unknown node label before the first (possibly minutes-long) image
  // build, not after it.
  await engine.preflight(spec);
  const images = await ensureImages(docker, spec, io.progress);
  const secrets = await loadOrCreateSecrets(paths);
  const defs = serviceDefs(spec, images, paths);
  await writeComposeBundle(spec, defs, paths);
  const status = await engine.up({ docker, spec, images, defs, paths, secrets, progress: io.progress });
  const watcher = opts.watch === false ? null : await ensureWatcher(spec.project, paths, io);
  if (opts.json) return printJson(io, watcher ? { ...status, watcher } : status);
  io.out(renderStatusTable(status));
  io.out(`\n${spec.replicas} replica(s) ready at ${status.url}  (try: curl ${status.url}/docs)`);
  if (watcher?.running) {
    io.out(`watcher: pid ${watcher.pid}${watcher.reused ? ' (already running)' : ''}, log ${paths.watchLogFile}`);
  }
}

/** The stack is up either way: a watcher that cannot start is a warning, and the next `up` tries again. */
async function ensureWatcher(project: string, paths: ReturnType<typeof stackPaths>, io: CommandIO): Promise<UpWatcher> {
  try {
    const w = await startWatcher({ cwd: io.cwd, project, files: paths, env: io.env });
    if (!w.reused) io.progress.step(`started the watcher (pid ${w.pid}): nginx follows the ready replicas`);
    return { running: true, pid: w.pid, reused: w.reused };
  } catch (err) {
    io.progress.warn(`${(err as Error).message}`);
    return { running: false, pid: null, error: (err as Error).message };
  }
}
