// `toolkit status`: services and replicas with state, readiness, address, uptime and restarts.
import { renderStatusTable, status } from '../engine/index.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';

export async function statusCommand(opts: SpecOptions & { json?: boolean }, io: CommandIO): Promise<void> {
  const spec = await specFromOptions(opts, io);
  const docker = await io.docker();
  const current = await status(docker, spec.project);
  if (opts.json) return printJson(io, current);
  if (current.services.length === 0 && current.replicas.length === 0) {
    io.out(`project ${spec.project} has no containers; start it with: toolkit up --replicas 3`);
    return;
  }
  io.out(renderStatusTable(current));
}
