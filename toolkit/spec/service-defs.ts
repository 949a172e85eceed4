// One description of every container of the stack, built from the StackSpec. The compose renderer and the
// Docker engine both translate these, so the hand-runnable compose file and what `toolkit up` creates agree.

export type ServiceName = 'storage' | 'registry' | 'trainer' | 'inference' | 'nginx';

export interface HealthcheckDef {
  /** Exec form, e.g. ['node', '-e', '...']. */
  test: string[];
  intervalSec: number;
  timeoutSec: number;
  retries: number;
  startPeriodSec: number;
}

export interface ServiceDef {
  name: ServiceName;
  image: string;
  command: string[];
  /** Plain settings; secrets come from `envFromSecrets` (names of keys in the generated secrets env file). */
  env: Record<string, string>;
  envFromSecrets: string[];
  user: string;
  readOnlyRootfs: boolean;
  tmpfs: Record<string, string>;
  capDrop: string[];
  securityOpt: string[];
  /** Limits: cpus (fractional), memory in MiB. */
  limits?: { cpus: number; memoryMiB: number };
  /** 'unless-stopped' for long-running services, 'no' for the one-shot trainer. */
  restart: 'unless-stopped' | 'no';
  oneShot: boolean;
  healthcheck?: HealthcheckDef;
  /** Published ports: host address + host port -> container port (only nginx has one). */
  ports: { hostIp: string; hostPort: number; containerPort: number }[];
  /** Named volumes (project-scoped) and bind mounts (host path, absolute). */
  volumes: { source: string; target: string; kind: 'volume' | 'bind'; readOnly: boolean }[];
  /** Services that must be healthy (or, for one-shot services, completed) first. */
  dependsOn: { service: ServiceName; condition: 'service_healthy' | 'service_completed_successfully' }[];
  replicas: number;
  /** The port the service listens on inside its container. */
  containerPort?: number;
}
