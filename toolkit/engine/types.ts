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
}

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
}

export interface StackStatus {
  project: string;
  /** Where the load balancer is published; null when nginx is not there. */
  url: string | null;
  replicas: ReplicaStatus[];
  services: ServiceStatus[];
}

export interface DownResult {
  containers: string[];
  networks: string[];
  volumes: string[];
}
