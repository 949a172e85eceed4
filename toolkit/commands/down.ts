// `toolkit down`: remove exactly the objects that carry the project's label.
import { engineFor, engineKindOf } from '../engine/index.ts';
import { withLock } from '../lock.ts';
import { stackPaths } from '../paths.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';

export async function downCommand(
  opts: SpecOptions & { engine?: string; volumes?: boolean; json?: boolean },
  io: CommandIO,
): Promise<void> {
  const spec = await specFromOptions(opts, io);
  const docker = await io.docker();
  const engine = engineFor(await engineKindOf(spec, opts.engine), docker);
  io.progress.step(`removing project ${spec.project}${opts.volumes ? ' (with volumes)' : ''} (${engine.kind})`);
  // Serialised with up/scale/chaos on the same project, so a teardown never races a converge.
  const removed = await withLock(stackPaths(spec).lockFile, 'down', { progress: io.progress }, () =>
    engine.down(spec.project, { volumes: Boolean(opts.volumes) }),
  );
  if (opts.json) return printJson(io, { project: spec.project, removed });
  const swarm = removed.services
    ? `${removed.services.length} service(s), ${removed.secrets?.length ?? 0} secret(s), `
    : '';
  io.out(
    `removed ${swarm}${removed.containers.length} container(s), ${removed.networks.length} network(s), ` +
      `${removed.volumes.length} volume(s) of project ${spec.project}`,
  );
}
