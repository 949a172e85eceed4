// The first stage of the StackSpec: what you get with no config file, no TOOLKIT_* variables and no flags.
import type { FieldValues } from './fields.ts';
import type { StackSpec } from './types.ts';

export const DEFAULT_SPEC: Readonly<Omit<StackSpec, 'cwd'>> = {
  project: 'toolkit',
  replicas: 2,
  maxReplicas: 32,
  port: 8000,
  bindAddress: '127.0.0.1',
  resources: { cpus: 1, memoryMiB: 512 },
  lb: { strategy: 'round_robin', hashKey: '$remote_addr', weights: {} },
  model: { name: 'penguins', alias: 'production' },
  gracePeriodSec: 10,
  inference: { maxInflight: 64, maxInstances: 1000, pollIntervalSec: 10 },
  images: { nodeBase: 'node:20-bookworm-slim', nginxBase: 'nginx:stable', bootstrap: 'auto' },
  engine: 'local',
  placement: { constraints: [], spread: 'node.id' },
};

/** The defaults as field values, the bottom layer the other sources override. */
export function defaultFieldValues(): FieldValues {
  const d = DEFAULT_SPEC;
  return {
    project: d.project,
    replicas: d.replicas,
    maxReplicas: d.maxReplicas,
    port: d.port,
    bind: d.bindAddress,
    strategy: d.lb.strategy,
    hashKey: d.lb.hashKey,
    weights: { ...d.lb.weights },
    cpus: d.resources.cpus,
    memory: d.resources.memoryMiB,
    model: { ...d.model },
    gracePeriod: d.gracePeriodSec,
    maxInflight: d.inference.maxInflight,
    maxInstances: d.inference.maxInstances,
    pollInterval: d.inference.pollIntervalSec,
    nodeBase: d.images.nodeBase,
    nginxBase: d.images.nginxBase,
    bootstrapImages: d.images.bootstrap,
    engine: d.engine,
    placementConstraints: [...d.placement.constraints],
    placementSpread: d.placement.spread,
  };
}

/** Field values -> the StackSpec everything downstream reads. */
export function toSpec(v: FieldValues, cwd: string): StackSpec {
  return {
    project: v.project,
    replicas: v.replicas,
    maxReplicas: v.maxReplicas,
    port: v.port,
    bindAddress: v.bind,
    resources: { cpus: v.cpus, memoryMiB: v.memory },
    lb: { strategy: v.strategy, hashKey: v.hashKey, weights: v.weights },
    model: v.model,
    gracePeriodSec: v.gracePeriod,
    inference: { maxInflight: v.maxInflight, maxInstances: v.maxInstances, pollIntervalSec: v.pollInterval },
    images: { nodeBase: v.nodeBase, nginxBase: v.nginxBase, bootstrap: v.bootstrapImages },
    engine: v.engine,
    placement: { constraints: v.placementConstraints, spread: v.placementSpread },
    cwd,
  };
}
