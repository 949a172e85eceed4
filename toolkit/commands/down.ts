// `toolkit down`: remove exactly the objects that carry the project's label.
import { down } from '../engine/index.ts';
import { withLock } from '../lock.ts';
import { stackPaths } from '../paths.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';

export async function downCommand(
  opts: SpecOptions & { volumes?: boolean; json?: boolean },
  io: CommandIO,
): Promise<void> {
  const spec = await specFromOptions(opts, io);
  const docker = await io.docker();
  io.progress.step(`removing project ${spec.project}${opts.volumes ? ' (with volumes)' : ''}`);
  // Serialised with up/scale/chaos on the same project, so a teardown never races a converge.
  const removed = await withLock(stackPaths(spec).lockFile, 'down', { progress: io.progress }, () =>
    down(docker, spec.project, { volumes: Boolean(opts.volumes) }),
  );
  if (opts.json) return printJson(io, { project: spec.project, removed });
  io.out(
    `removed ${removed.containers.length} container(s), ${removed.networks.length} network(s), ` +
      `${removed.volumes.length} volume(s) of project ${spec.project}`,
  );
}
