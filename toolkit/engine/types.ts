// The engine's public data: what `up` needs and what `up`/`status` report.
import type { DockerClient } from '../docker.ts';
import type { Progress } from '../progress.ts';
import type { ServiceDef } from '../spec/service-defs.ts';
import type { StackSpec } from '../spec/types.ts';

/** The images `toolkit/images` ensured (structurally the same as its StackImages). */
export interface EngineImages {
  services: string;
  nginx: string;
}

/** The subset of `stackPaths(spec)` the engine uses. */
export interface EnginePaths {
  composeDir: string;
  composeFile: string;
  liveNginxDir: string;
  liveNginxConf: string;
  nginxConf: string;
}

export interface UpContext {
  docker: DockerClient;
  spec: StackSpec;
  images: EngineImages;
  defs: ServiceDef[];
  paths: EnginePaths;
  secrets: Record<string, string>;
  progress: Progress;
  /** Readiness timeouts; the defaults suit a cold start on a 2-core machine. */
  timeouts?: Partial<EngineTimeouts>;
  /** Milestones of a converge, with their time, for callers that measure (bench/scale.ts) or show progress. */
  onEvent?: (event: EngineEvent) => void;
  /** The project lock `up` holds: which command to name to others, how long to wait for another holder. */
  lock?: { command?: string; waitMs?: number };
}

export type EngineEvent =
  | { type: 'replica-ready'; number: number; name: string; address: string; at: number }
  | { type: 'upstream-applied'; replicas: number[]; changed: boolean; at: number }
  | { type: 'replica-removed'; number: number; name: string; at: number };

export interface EngineTimeouts {
  healthyMs: number;
  trainerMs: number;
  readyMs: number;
  trafficMs: number;
}

export const DEFAULT_TIMEOUTS: EngineTimeouts = {
  healthyMs: 90_000,
  trainerMs: 180_000,
  readyMs: 120_000,
  trafficMs: 30_000,
};

export interface ReplicaStatus {
  number: number;
  container: string;
  state: string;
  ready: boolean;
  /** `ip:port` on the project network; '' when not running. */
  address: string;
  restarts: number;
  uptimeSec: number | null;
  /** Exit code of the last run when the container stopped or restarted, else null. */
  lastExit: number | null;
  /** Why the last run ended (e.g. "killed by SIGKILL", "OOM killed", Docker's error text); null when unknown. */
  lastExitReason?: string | null;
  /** In the live load balancer's upstream (a running replica failing /ready is left out on the next converge). */
  inRotation?: boolean;
}

export interface ServiceStatus {
  service: string;
  number: number;
  container: string;
  state: string;
  /** Docker health status, or 'none' without a healthcheck. */
  health: string;
  address: string;
  restarts: number;
  uptimeSec: number | null;
  lastExit: number | null;
  lastExitReason?: string | null;
}

/** A Swarm task as `status` shows it (swarm engine only). */
export interface TaskStatus {
  service: string;
  slot: number;
  /** `<project>_<service>.<slot>.<task id>` */
  task: string;
  /** The node's hostname (its ID when the node is gone). */
  node: string;
  state: string;
  desired: string;
  address: string;
  error: string;
}

export interface StackStatus {
  project: string;
  /** Which engine runs it (absent in statuses recorded before engines existed: local). */
  engine?: 'local' | 'swarm';
  /** Swarm only: the tasks Swarm wants running, or that are still leaving, with their node. */
  tasks?: TaskStatus[];
  /** Where the load balancer is published; null when nginx is not there. */
  url: string | null;
  replicas: ReplicaStatus[];
  services: ServiceStatus[];
}

export interface DownResult {
  containers: string[];
  networks: string[];
  volumes: string[];
  /** Swarm only. */
  services?: string[];
  secrets?: string[];
}
