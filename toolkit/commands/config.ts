// `toolkit config`: print (and write) the rendered compose file and nginx config for the spec.
import { readFile } from 'node:fs/promises';
import { writeComposeBundle } from '../compose-bundle.ts';
import { ensureImages } from '../images/index.ts';
import { stackPaths } from '../paths.ts';
import { loadOrCreateSecrets } from '../secrets.ts';
import { serviceDefs } from '../spec/service-defs.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';

export async function configCommand(opts: SpecOptions & { json?: boolean }, io: CommandIO): Promise<void> {
  const spec = await specFromOptions(opts, io);
  if (opts.json) return printJson(io, spec);
  const docker = await io.docker();
  const paths = stackPaths(spec);
  const images = await ensureImages(docker, spec, io.progress);
  const defs = serviceDefs(spec, images, paths);
  // The compose file reads its secrets from the generated env file: make sure it exists so the bundle runs by hand.
  await loadOrCreateSecrets(paths);
  await writeComposeBundle(spec, defs, paths);
  for (const file of [paths.composeFile, paths.composeNginxConf]) {
    io.out(`# ---- ${file}\n${await readFile(file, 'utf8')}`);
  }
}
