// One description of every container of the stack, built from the StackSpec. The compose renderer and the
// Docker engine both translate these, so the hand-runnable compose file and what `toolkit up` creates agree.

import type { StackImages } from '../images/index.ts';
import type { StackPaths } from '../paths.ts';
import type { StackSpec } from './types.ts';

export type ServiceName = 'storage' | 'registry' | 'trainer' | 'inference' | 'nginx';

export interface HealthcheckDef {
  /** Exec form, e.g. ['bash', '-c', '...']. */
  test: string[];
  intervalSec: number;
  timeoutSec: number;
  retries: number;
  startPeriodSec: number;
  /** Between checks during the start period (Docker 25+, API 1.44; older engines check every `intervalSec`). */
  startIntervalSec: number;
  /** The path the check GETs on the container port: the engine polls it directly, sooner than the interval. */
  httpPath?: string;
}

export interface ServiceDef {
  name: ServiceName;
  image: string;
  /** Replaces the image's ENTRYPOINT when set (nginx: the config path must not depend on how the image was built). */
  entrypoint?: string[];
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
  /**
   * Docker's json-file log, rotated at `maxSizeMiB` and kept to `maxFiles` files; unset: the daemon's default driver
   * and settings.
   */
  log?: { maxSizeMiB: number; maxFiles: number };
}

// ---- building the definitions ------------------------------------------------------------------------------

/** Inference rejects larger bodies with 413; nginx's client_max_body_size matches, so both layers agree. */
export const INFERENCE_BODY_LIMIT_BYTES = 1_048_576;
/** SIGTERM: /ready answers 503 this long before the listener closes, so nginx stops sending new requests. */
export const DRAIN_DELAY_MS = 1_000;
export const CONTAINER_PORTS = { storage: 9000, registry: 5000, inference: 8000, nginx: 8080 } as const;
/** nginx's container log: 5 × 50 MiB, about 9 minutes of its access log at 900 req/s (~530 bytes a request on disk). */
export const NGINX_LOG = { maxSizeMiB: 50, maxFiles: 5 } as const;
/** A ServiceDef's `log` as json-file driver options, the same for a container and a compose service. */
export const jsonFileLogOptions = (log: NonNullable<ServiceDef['log']>): Record<string, string> => ({
  'max-size': `${log.maxSizeMiB}m`,
  'max-file': String(log.maxFiles),
});
/** Where the nginx image reads the config the toolkit renders (a bind-mounted directory). */
export const NGINX_CONF_DIR = '/etc/toolkit-nginx';
export const STORAGE_VOLUME = 'storage-data';
/** Non-root user baked into both images. */
export const SERVICE_USER = '10001:10001';

const STORAGE_URL = `http://storage:${CONTAINER_PORTS.storage}`;
const REGISTRY_URL = `http://registry:${CONTAINER_PORTS.registry}`;

/**
 * A healthcheck that needs nothing but bash (the images carry no curl): GET `path` on the container's own port
 * through bash's /dev/tcp, healthy on a 200 status line: ~15 ms of CPU a check. It was `node -e "fetch(…)"` every
 * 2 s: a Node start, ~220 ms of CPU in the container plus the exec's, so an idle 5-replica stack spent most of a core
 * of 2 on its health checks, and a starting replica spent it beside its own start-up (bench/README). Every 5 s once started (unhealthy after 6 failures: 30 s, as before), every second
 * during the start period where the engine supports it. The toolkit's own waits probe `httpPath` directly.
 */
export function httpCheck(port: number, path: string, startPeriodSec: number): HealthcheckDef {
  const script = `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' >&3 && read -r _ code _ <&3 && [ "$code" = 200 ]`;
  return {
    test: ['bash', '-c', script],
    intervalSec: 5,
    timeoutSec: 3,
    retries: 6,
    startPeriodSec,
    startIntervalSec: 1,
    httpPath: path,
  };
}

type Common = Pick<ServiceDef, 'user' | 'readOnlyRootfs' | 'tmpfs' | 'capDrop' | 'securityOpt'>;
const hardened = (): Common => ({
  user: SERVICE_USER,
  readOnlyRootfs: true,
  tmpfs: { '/tmp': 'rw,noexec,nosuid,size=64m' },
  capDrop: ['ALL'],
  securityOpt: ['no-new-privileges:true'],
});

export function serviceDefs(
  spec: StackSpec,
  images: StackImages,
  paths: Pick<StackPaths, 'liveNginxDir'>,
): ServiceDef[] {
  const model = `${spec.model.name}@${spec.model.alias}`;
  const storage: ServiceDef = {
    name: 'storage',
    image: images.services,
    command: ['storage'],
    env: { PORT: String(CONTAINER_PORTS.storage), STORAGE_DATA_DIR: '/data' },
    envFromSecrets: ['STORAGE_ACCESS_KEY', 'STORAGE_SECRET_KEY'],
    ...hardened(),
    limits: { cpus: 0.5, memoryMiB: 256 },
    restart: 'unless-stopped',
    oneShot: false,
    healthcheck: httpCheck(CONTAINER_PORTS.storage, '/_health', 5),
    ports: [],
    volumes: [{ source: STORAGE_VOLUME, target: '/data', kind: 'volume', readOnly: false }],
    dependsOn: [],
    replicas: 1,
    containerPort: CONTAINER_PORTS.storage,
  };
  const registry: ServiceDef = {
    ...storage,
    name: 'registry',
    command: ['registry'],
    env: { PORT: String(CONTAINER_PORTS.registry), STORAGE_URL },
    envFromSecrets: ['STORAGE_ACCESS_KEY', 'STORAGE_SECRET_KEY', 'REGISTRY_TOKEN'],
    healthcheck: httpCheck(CONTAINER_PORTS.registry, '/health', 5),
    volumes: [],
    dependsOn: [{ service: 'storage', condition: 'service_healthy' }],
    containerPort: CONTAINER_PORTS.registry,
  };
  const trainer: ServiceDef = {
    ...storage,
    name: 'trainer',
    command: ['trainer'],
    env: { STORAGE_URL, REGISTRY_URL, MODEL: model },
    envFromSecrets: ['STORAGE_ACCESS_KEY', 'STORAGE_SECRET_KEY', 'REGISTRY_TOKEN'],
    // Training is CPU-bound and short: more than the idle services, and it exits when done.
    limits: { cpus: 1, memoryMiB: 512 },
    restart: 'no',
    oneShot: true,
    healthcheck: undefined,
    volumes: [],
    dependsOn: [
      { service: 'storage', condition: 'service_healthy' },
      { service: 'registry', condition: 'service_healthy' },
    ],
    containerPort: undefined,
  };
  const inference: ServiceDef = {
    ...storage,
    name: 'inference',
    command: ['inference'],
    env: {
      PORT: String(CONTAINER_PORTS.inference),
      STORAGE_URL,
      REGISTRY_URL,
      MODEL: model,
      MAX_INFLIGHT: String(spec.inference.maxInflight),
      MAX_INSTANCES: String(spec.inference.maxInstances),
      BODY_LIMIT_BYTES: String(INFERENCE_BODY_LIMIT_BYTES),
      POLL_INTERVAL_MS: String(spec.inference.pollIntervalSec * 1000),
      GRACE_PERIOD_MS: String(spec.gracePeriodSec * 1000),
      DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
    },
    envFromSecrets: ['STORAGE_ACCESS_KEY', 'STORAGE_SECRET_KEY'],
    limits: { cpus: spec.resources.cpus, memoryMiB: spec.resources.memoryMiB },
    healthcheck: httpCheck(CONTAINER_PORTS.inference, '/ready', 10),
    volumes: [],
    dependsOn: [
      { service: 'storage', condition: 'service_healthy' },
      { service: 'registry', condition: 'service_healthy' },
      // The model exists once the trainer has registered it and set the alias.
      { service: 'trainer', condition: 'service_completed_successfully' },
    ],
    replicas: spec.replicas,
    containerPort: CONTAINER_PORTS.inference,
  };
  const nginx: ServiceDef = {
    ...storage,
    name: 'nginx',
    image: images.nginx,
    // Explicit, so the one command works whatever ENTRYPOINT/CMD the image has; the config says `daemon off;`.
    entrypoint: ['nginx'],
    command: ['-e', 'stderr', '-c', `${NGINX_CONF_DIR}/nginx.conf`],
    env: {},
    envFromSecrets: [],
    // Every request of a load test passes through here: a full core, so the balancer is not what is measured.
    limits: { cpus: 1, memoryMiB: 128 },
    healthcheck: undefined,
    ports: [{ hostIp: spec.bindAddress, hostPort: spec.port, containerPort: CONTAINER_PORTS.nginx }],
    volumes: [{ source: paths.liveNginxDir, target: NGINX_CONF_DIR, kind: 'bind', readOnly: true }],
    dependsOn: [],
    containerPort: CONTAINER_PORTS.nginx,
    // Its access log (a JSON line per request, `lb stats` reads it through the logs API) grew ~0.5 MB/s at 900 req/s
    // without bound. json-file whatever the daemon's default, so the logs API can always read it back.
    log: NGINX_LOG,
  };
  return [storage, registry, trainer, inference, nginx];
}
