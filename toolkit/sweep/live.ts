// The real sweep dependencies: the engine scales the running stack, k6 measures it, Docker reports replica usage.
// Kept apart from run.ts so the orchestration stays testable with recorded results.
import type { CommandIO } from '../commands/io.ts';
import { writeComposeBundle } from '../compose-bundle.ts';
import { engineFor, engineKindOf } from '../engine/index.ts';
import { ensureImages } from '../images/index.ts';
import { runLoadtest } from '../load/index.ts';
import type { LoadtestOptions } from '../load/types.ts';
import { stackPaths } from '../paths.ts';
import { loadOrCreateSecrets } from '../secrets.ts';
import { serviceDefs } from '../spec/service-defs.ts';
import type { StackSpec } from '../spec/types.ts';
import type { SweepDeps } from './types.ts';

export interface LiveSweepDeps extends SweepDeps<LoadtestOptions> {
  /** Ready inference replicas before the sweep started (0 when the stack was down). */
  initialReplicas: number;
}

export async function liveSweepDeps(spec: StackSpec, io: CommandIO): Promise<LiveSweepDeps> {
  const docker = await io.docker();
  const engine = engineFor(await engineKindOf(spec, undefined), docker);
  const paths = stackPaths(spec);
  const before = await engine.status(spec.project);
  const images = await ensureImages(docker, spec, io.progress);
  const secrets = await loadOrCreateSecrets(paths);
  return {
    initialReplicas: before.replicas.filter((r) => r.ready).length,
    async scaleTo(n) {
      const scaled: StackSpec = { ...spec, engine: engine.kind, replicas: n };
      const defs = serviceDefs(scaled, images, paths);
      // compose/ stays a faithful copy of what runs, even mid-sweep.
      await writeComposeBundle(scaled, defs, paths);
      // A stack that is not running yet is brought up whole; a running one only changes its replica count.
      const ctx = { docker, spec: scaled, images, defs, paths, secrets, progress: io.progress };
      if (await engine.running(spec.project)) await engine.scale(ctx);
      else await engine.up(ctx);
    },
    loadtest: (opts) => runLoadtest(opts, { progress: io.progress, cwd: io.cwd, spec, env: io.env }),
    replicaStats: () => engine.replicaStats(spec.project),
  };
}
