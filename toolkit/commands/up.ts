// `toolkit up`: validate the spec, build what is missing, converge the stack, print where it is.

import { writeComposeBundle } from '../compose-bundle.ts';
import { engineFor, renderStatusTable } from '../engine/index.ts';
import { ensureImages } from '../images/index.ts';
import { specWithLiveLb } from '../lb/state.ts';
import { stackPaths } from '../paths.ts';
import { loadOrCreateSecrets } from '../secrets.ts';
import { serviceDefs } from '../spec/service-defs.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';

export async function upCommand(opts: SpecOptions & { engine?: string; json?: boolean }, io: CommandIO): Promise<void> {
  const { config: _config, json: _json, ...flags } = opts;
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
  if (opts.json) return printJson(io, status);
  io.out(renderStatusTable(status));
  io.out(`\n${spec.replicas} replica(s) ready at ${status.url}  (try: curl ${status.url}/docs)`);
}
