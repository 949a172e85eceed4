// `toolkit status`: services and replicas with state, readiness, address, uptime and restarts.
import { engineFor, engineKindOf, renderStatusTable } from '../engine/index.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';

export async function statusCommand(
  opts: SpecOptions & { engine?: string; json?: boolean },
  io: CommandIO,
): Promise<void> {
  const spec = await specFromOptions(opts, io);
  const docker = await io.docker();
  const engine = engineFor(await engineKindOf(spec, opts.engine), docker);
  const current = await engine.status(spec.project);
  if (opts.json) return printJson(io, current);
  if (current.services.length === 0 && current.replicas.length === 0) {
    io.out(`project ${spec.project} has no containers; start it with: toolkit up --replicas 3`);
    return;
  }
  io.out(renderStatusTable(current));
}
