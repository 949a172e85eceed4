// The typed StackSpec: defaults <- config file <- TOOLKIT_* environment <- flags, validated once.
// Everything downstream (rendering, engine, load tests, reports) reads only this.

export const STRATEGIES = [
  'round_robin',
  'least_conn',
  'weighted',
  'ip_hash',
  'hash',
  'random_two_least_conn',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const ENGINES = ['local', 'swarm'] as const;
/** local: containers on one Docker engine; swarm: services on a Docker Swarm (toolkit/engine/swarm/). */
export type EngineKind = (typeof ENGINES)[number];

export interface StackSpec {
  /** Compose project name: labels, container names, network and volume names derive from it. */
  project: string;
  replicas: number;
  maxReplicas: number;
  /** Published port of the load balancer, bound to `bindAddress` (127.0.0.1 unless asked otherwise). */
  port: number;
  bindAddress: string;
  /** Per inference replica. */
  resources: { cpus: number; memoryMiB: number };
  lb: {
    strategy: Strategy;
    /** nginx `hash` key, e.g. `$remote_addr` or `$http_x_user`; used when strategy is `hash`. */
    hashKey: string;
    /** Per-replica weights (replica number -> weight), used when strategy is `weighted`. */
    weights: Record<string, number>;
  };
  model: { name: string; alias: string };
  /** Seconds a replica gets to finish in-flight requests after SIGTERM. */
  gracePeriodSec: number;
  inference: { maxInflight: number; maxInstances: number; pollIntervalSec: number };
  images: {
    /** Base images; the standard ones by default, local bootstrapped ones when pulling fails. */
    nodeBase: string;
    nginxBase: string;
    /** auto: bootstrap local bases when the standard ones cannot be pulled; always; never. */
    bootstrap: 'auto' | 'always' | 'never';
  };
  /** Which engine runs the stack; saved with the spec so `scale`/`down` use the one the stack was started with. */
  engine: EngineKind;
  /** Swarm only: where tasks may run (`node.labels.zone==a`) and what they spread over (`node.id`; '' = no spread). */
  placement: { constraints: string[]; spread: string };
  /** Directory the toolkit works in (where compose/, nginx/ and .toolkit/ live). */
  cwd: string;
}

/**
 * Command-line values, still raw: commander hands over strings (and booleans for switches); loadSpec parses,
 * validates and reports them as `--flag: reason`.
 */
export type SpecFlags = Partial<{
  project: string;
  replicas: string | number;
  port: string | number;
  bind: string;
  strategy: string;
  hashKey: string;
  /** `1=3,2=1` (replica=weight) or a parsed record. */
  weights: string | Record<string, number>;
  cpus: string | number;
  memory: string | number;
  model: string;
  gracePeriod: string | number;
  maxReplicas: string | number;
  /** `--bootstrap-images` is a switch (true = always); a string may name the mode: auto | always | never. */
  bootstrapImages: string | boolean;
  engine: string;
  /** Placement constraints: a list, or one string separated by `;` or `,`. */
  placementConstraints: string | string[];
  placementSpread: string;
  /** Not a setting: lets `replicas: 0` through (scale to zero). */
  allowZero: boolean;
}>;
