// Which engine runs a project, and the factory. The engine a stack was started with is saved with its spec, so
// `scale`, `down` and `status` use it unless `--engine` says otherwise.
import type { DockerClient } from '../docker.ts';
import type { EngineKind, StackSpec } from '../spec/types.ts';
import type { StackEngine } from './engine.ts';
import { localEngine } from './local.ts';
import { savedEngine } from './saved-spec.ts';
import { swarmEngine } from './swarm/index.ts';

export function engineFor(kind: EngineKind, docker: DockerClient): StackEngine {
  return kind === 'swarm' ? swarmEngine(docker) : localEngine(docker);
}

/** `--engine` when given, else the engine saved with the running stack, else the spec's (config, env, default). */
export async function engineKindOf(spec: StackSpec, flag: string | undefined): Promise<EngineKind> {
  if (flag !== undefined) return spec.engine; // the flag went through loadSpec and was validated there
  return (await savedEngine(spec)) ?? spec.engine;
}
