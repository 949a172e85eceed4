// The engine boundary: everything above it (commands, sweep, rendering, load, reports, the gate) talks to a
// StackEngine and never to dockerode's container or service API directly. Two implementations: `local` (containers
// on one engine, toolkit/engine/*.ts) and `swarm` (services on a Swarm, toolkit/engine/swarm/).
import type { EngineKind, StackSpec } from '../spec/types.ts';
import type { ReplicaStats } from '../sweep/types.ts';
import type { Published } from './nginx-port.ts';
import type { DownResult, StackStatus, UpContext } from './types.ts';

export interface RunningStack {
  /** Inference replicas running now. */
  replicas: number;
  /** Where the load balancer is published, when it runs. */
  published: Published | null;
}

export interface StackEngine {
  readonly kind: EngineKind;
  /**
   * Checks that change nothing: the engine can run this spec (a swarm manager, known node labels), its port is
   * free unless our own balancer holds it. Throws UsageError (exit 2).
   */
  preflight(spec: StackSpec): Promise<void>;
  /** Converges the whole stack on ctx.spec (holds the project lock unless the caller does). */
  up(ctx: UpContext): Promise<StackStatus>;
  /** Changes the inference replica count to ctx.spec.replicas with no failed request; the caller holds the lock. */
  scale(ctx: UpContext): Promise<StackStatus>;
  status(project: string, paths?: { liveNginxDir?: string }): Promise<StackStatus>;
  /** What runs of the project, or null when nothing does. */
  running(project: string): Promise<RunningStack | null>;
  /** Removes exactly what carries the project's labels (volumes only when asked). */
  down(project: string, opts: { volumes: boolean }): Promise<DownResult>;
  /** CPU and memory per inference replica (what the engine can see). */
  replicaStats(project: string): Promise<ReplicaStats[]>;
}
