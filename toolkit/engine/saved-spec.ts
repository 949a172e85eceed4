// The spec the running stack was converged with, saved beside its state in the config file's own shape, so
// `toolkit scale N` (and `lb strategy`) change one thing and keep everything else — the port, the strategy, the
// limits — without the user repeating the flags `up` was given.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stackPaths } from '../paths.ts';
import { writeFileAtomic } from '../render/write.ts';
import type { EngineKind, StackSpec } from '../spec/types.ts';

export const savedSpecFile = (spec: Pick<StackSpec, 'cwd' | 'project'>): string =>
  join(stackPaths(spec).stateDir, 'spec.json');

/** The spec as a toolkit.config.json document (what loadSpec reads back with `configPath`). */
export function specAsConfig(spec: StackSpec): Record<string, unknown> {
  return {
    project: spec.project,
    replicas: spec.replicas,
    maxReplicas: spec.maxReplicas,
    port: spec.port,
    bind: spec.bindAddress,
    resources: { cpus: spec.resources.cpus, memory: `${spec.resources.memoryMiB}m` },
    lb: { strategy: spec.lb.strategy, hashKey: spec.lb.hashKey, weights: spec.lb.weights },
    model: `${spec.model.name}@${spec.model.alias}`,
    gracePeriod: spec.gracePeriodSec,
    inference: {
      maxInflight: spec.inference.maxInflight,
      maxInstances: spec.inference.maxInstances,
      pollInterval: spec.inference.pollIntervalSec,
    },
    images: spec.images,
    engine: spec.engine,
    placement: { constraints: spec.placement.constraints, spread: spec.placement.spread },
  };
}

export async function saveSpec(spec: StackSpec): Promise<void> {
  await writeFileAtomic(savedSpecFile(spec), `${JSON.stringify(specAsConfig(spec), null, 2)}\n`);
}

/** The saved file's path when one exists. */
export async function savedSpecPath(spec: Pick<StackSpec, 'cwd' | 'project'>): Promise<string | null> {
  const file = savedSpecFile(spec);
  return (await readFile(file, 'utf8').then(
    () => true,
    () => false,
  ))
    ? file
    : null;
}

/** The engine the running stack was started with, from its saved spec; null without one (or an older one: local). */
export async function savedEngine(spec: Pick<StackSpec, 'cwd' | 'project'>): Promise<EngineKind | null> {
  const text = await readFile(savedSpecFile(spec), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const engine = (JSON.parse(text) as { engine?: unknown }).engine;
    return engine === 'swarm' ? 'swarm' : 'local';
  } catch {
    return null;
  }
}
