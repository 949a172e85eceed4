// ServiceDef -> Docker's container create options. Pure, so the mapping is unit-tested without an engine.
import type Docker from 'dockerode';
import { RuntimeError } from '../errors.ts';
import { jsonFileLogOptions, type ServiceDef } from '../spec/service-defs.ts';
import { containerName, volumeName } from './labels.ts';

const NS_PER_SEC = 1_000_000_000;
const DEFAULT_STOP_TIMEOUT_SEC = 10;

export interface CreateInput {
  project: string;
  def: ServiceDef;
  number: number;
  network: string;
  labels: Record<string, string>;
  secrets: Record<string, string>;
}

export function containerCreateOptions(input: CreateInput): Docker.ContainerCreateOptions {
  const { project, def, number, network } = input;
  const name = containerName(project, def.name, number);
  const ports = def.ports;
  return {
    name,
    Image: def.image,
    Cmd: def.command,
    Env: containerEnv(def, input.secrets, name),
    User: def.user || undefined,
    Labels: input.labels,
    StopTimeout: stopTimeoutSec(def),
    ExposedPorts: ports.length ? Object.fromEntries(ports.map((p) => [`${p.containerPort}/tcp`, {}])) : undefined,
    Healthcheck: dockerHealthcheck(def.healthcheck),
    HostConfig: {
      ReadonlyRootfs: def.readOnlyRootfs,
      Tmpfs: Object.keys(def.tmpfs).length ? { ...def.tmpfs } : undefined,
      CapDrop: def.capDrop.length ? [...def.capDrop] : undefined,
      SecurityOpt: def.securityOpt.length ? [...def.securityOpt] : undefined,
      NanoCpus: def.limits ? Math.round(def.limits.cpus * NS_PER_SEC) : undefined,
      Memory: def.limits ? def.limits.memoryMiB * 1024 * 1024 : undefined,
      RestartPolicy: { Name: def.restart },
      LogConfig: def.log ? { Type: 'json-file', Config: jsonFileLogOptions(def.log) } : undefined,
      NetworkMode: network,
      PortBindings: ports.length
        ? Object.fromEntries(
            ports.map((p) => [`${p.containerPort}/tcp`, [{ HostIp: p.hostIp, HostPort: String(p.hostPort) }]]),
          )
        : undefined,
      Mounts: def.volumes.map((v) => ({
        Type: v.kind,
        Source: v.kind === 'volume' ? volumeName(project, v.source) : v.source,
        Target: v.target,
        ReadOnly: v.readOnly,
      })),
    },
    NetworkingConfig: {
      EndpointsConfig: { [network]: { Aliases: [def.name, `${def.name}-${number}`] } },
    },
  };
}

/** def.env, then the secrets the service asks for, then REPLICA_ID for inference (the X-Replica header). */
export function containerEnv(def: ServiceDef, secrets: Record<string, string>, name: string): string[] {
  const env: Record<string, string> = { ...def.env };
  for (const key of def.envFromSecrets) {
    const value = secrets[key];
    if (value === undefined) {
      throw new RuntimeError(
        `secret ${key} needed by ${def.name} is missing from the secrets file`,
        'delete the secrets file under .toolkit/ to have it generated again (then run `toolkit down --volumes`)',
      );
    }
    env[key] = value;
  }
  if (def.name === 'inference') env.REPLICA_ID = name;
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/**
 * Docker's stop timeout: inference drains for DRAIN_DELAY_MS and then finishes in-flight work for
 * GRACE_PERIOD_MS after SIGTERM; it needs both plus a margin before SIGKILL.
 */
/** A ServiceDef's health check in the Engine API's shape (durations in ns): containers and Swarm services alike. */
export function dockerHealthcheck(hc: ServiceDef['healthcheck']): Docker.HealthConfig | undefined {
  if (!hc) return undefined;
  return {
    Test: ['CMD', ...hc.test],
    Interval: hc.intervalSec * NS_PER_SEC,
    Timeout: hc.timeoutSec * NS_PER_SEC,
    Retries: hc.retries,
    StartPeriod: hc.startPeriodSec * NS_PER_SEC,
    StartInterval: hc.startIntervalSec * NS_PER_SEC,
  };
}

export function stopTimeoutSec(def: ServiceDef): number {
  const ms = (key: string) => {
    const n = Number(def.env[key]);
    return Number.isFinite(n) && n > 0 ? n : 0;
  };
  const needed = Math.ceil((ms('GRACE_PERIOD_MS') + ms('DRAIN_DELAY_MS')) / 1000);
  return needed > 0 ? needed + 2 : DEFAULT_STOP_TIMEOUT_SEC;
}
