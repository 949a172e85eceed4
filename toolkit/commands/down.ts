// `toolkit down`: stop the project's watcher, then remove exactly the objects that carry the project's label.
// The engine is `--engine`, else the one saved with the stack; without a saved spec (a first `up` that failed
// before saving it) every engine holding objects of the project is asked, so no `--engine swarm` is needed.
import { enginesHoldingProject } from '../engine/down.ts';
import { engineFor } from '../engine/index.ts';
import { savedEngine } from '../engine/saved-spec.ts';
import type { DownResult } from '../engine/types.ts';
import { stopWatcher } from '../lb/watch-process.ts';
import { withLock } from '../lock.ts';
import { stackPaths } from '../paths.ts';
import type { EngineKind } from '../spec/types.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';

export async function downCommand(
  opts: SpecOptions & { engine?: string; volumes?: boolean; json?: boolean },
  io: CommandIO,
): Promise<void> {
  const spec = await specFromOptions(opts, io);
  const docker = await io.docker();
  const paths = stackPaths(spec);
  const kinds: EngineKind[] =
    opts.engine !== undefined
      ? [spec.engine]
      : await savedEngine(spec).then(async (saved) =>
          saved ? [saved] : orDefault(await enginesHoldingProject(docker, spec.project), spec.engine),
        );
  // First, so it neither reloads nginx under the teardown nor outlives the stack; by its PID only.
  const watcher = await stopWatcher(paths.watchPidFile);
  if (watcher.how === 'term' || watcher.how === 'kill') {
    io.progress.step(`stopped the watcher (pid ${watcher.pid}${watcher.how === 'kill' ? ', SIGKILL' : ''})`);
  }
  io.progress.step(`removing project ${spec.project}${opts.volumes ? ' (with volumes)' : ''} (${kinds.join(' + ')})`);
  // Serialised with up/scale/chaos on the same project, so a teardown never races a converge.
  const removed = await withLock(paths.lockFile, 'down', { progress: io.progress }, async () => {
    const results: DownResult[] = [];
    for (const kind of kinds) {
      results.push(await engineFor(kind, docker).down(spec.project, { volumes: Boolean(opts.volumes) }));
    }
    return merge(results);
  });
  if (opts.json) return printJson(io, { project: spec.project, removed, watcher });
  const swarm = removed.services
    ? `${removed.services.length} service(s), ${removed.secrets?.length ?? 0} secret(s), `
    : '';
  io.out(
    `removed ${swarm}${removed.containers.length} container(s), ${removed.networks.length} network(s), ` +
      `${removed.volumes.length} volume(s) of project ${spec.project}`,
  );
}

const orDefault = (kinds: EngineKind[], fallback: EngineKind): EngineKind[] => (kinds.length ? kinds : [fallback]);

function merge(results: DownResult[]): DownResult {
  const out: DownResult = { containers: [], networks: [], volumes: [] };
  for (const r of results) {
    out.containers.push(...r.containers);
    out.networks.push(...r.networks);
    out.volumes.push(...r.volumes);
    if (r.services) out.services = [...(out.services ?? []), ...r.services];
    if (r.secrets) out.secrets = [...(out.secrets ?? []), ...r.secrets];
  }
  return out;
}
