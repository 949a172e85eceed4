// A ServiceDef (the same description the local engine and the compose renderer read) as a Swarm ServiceSpec.
// Pure: the unit tests read it as data. What Swarm's ContainerSpec cannot express on API 1.41 is said where it
// is dropped (no-new-privileges, tmpfs noexec/nosuid).
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { ServiceDef } from '../../spec/service-defs.ts';
import type { StackSpec } from '../../spec/types.ts';
import { dockerHealthcheck, stopTimeoutSec } from '../create-options.ts';
import { volumeName } from '../labels.ts';
import { SERVICE_LABEL, SPEC_HASH_LABEL, swarmLabels, swarmServiceName } from './labels.ts';

const NS_PER_SEC = 1_000_000_000;
/**
 * After SIGTERM an inference task keeps serving this long (/ready says 503). Swarm picks the scale-down victims and
 * signals them at once, so the engine's reload that takes them out of the upstream must fit in this window; a
 * reload takes 0.5–2 s on a busy 2-core host, so 8 s leaves a wide margin (the local engine needs only 1 s
 * because it takes victims out before signalling them).
 */
export const SWARM_DRAIN_DELAY_MS = 8_000;
/**
 * Reservations are what the scheduler packs by; limits stay the spec's. A quarter of the CPU limit and half the
 * memory let a 2-core node hold the replicas a local run would, instead of leaving tasks pending on a reservation.
 * The compose renderer writes the same reservations under deploy.resources.
 */
export const STACK_RESERVATION = { cpuShare: 0.25, memoryShare: 0.5 } as const;

export interface SecretRef {
  key: string;
  id: string;
  name: string;
}

export interface SwarmServiceInput {
  project: string;
  def: ServiceDef;
  spec: Pick<StackSpec, 'placement'>;
  networkId: string;
  secrets: SecretRef[];
  /** The image's ID, so a rebuilt image under the same tag changes the spec hash (and rolls the tasks). */
  imageId: string;
}

export type SwarmServiceSpec = Docker.ServiceSpec & { Labels: Record<string, string> };

/** The Swarm-specific environment: secrets as files, the task name as replica id, a longer drain. */
export function swarmEnv(def: ServiceDef): Record<string, string> {
  const env: Record<string, string> = { ...def.env };
  for (const key of def.envFromSecrets) env[`${key}_FILE`] = `/run/secrets/${key}`;
  if (def.name === 'inference') {
    env.DRAIN_DELAY_MS = String(SWARM_DRAIN_DELAY_MS);
    // A Swarm template: `<project>_inference.<slot>.<task id>`, the name the engine reads back from listTasks.
    env.REPLICA_ID = '{{.Task.Name}}';
  }
  return env;
}

function tmpfsMounts(def: ServiceDef) {
  // Swarm's TmpfsOptions on API 1.41 carry size and mode only: noexec/nosuid from the local engine are dropped.
  return Object.entries(def.tmpfs).map(([target, opts]) => {
    const size = /size=(\d+)([kmg])?/i.exec(opts);
    const unit = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(size?.[2] ?? '').toLowerCase()] ?? 1;
    return {
      Type: 'tmpfs' as const,
      Target: target,
      TmpfsOptions: { SizeBytes: size ? Number(size[1]) * unit : undefined, Mode: 0o1777 },
    };
  });
}

export function swarmServiceSpec(input: SwarmServiceInput): SwarmServiceSpec {
  const { project, def, spec } = input;
  const env = swarmEnv(def);
  const onManager = def.volumes.some((v) => v.kind === 'volume');
  const constraints = onManager
    ? ['node.role==manager'] // the volume lives on the engine that made it: keep storage on the manager
    : def.name === 'inference'
      ? [...spec.placement.constraints]
      : [];
  const body: SwarmServiceSpec = {
    Name: swarmServiceName(project, def.name),
    Labels: swarmLabels(project, { [SERVICE_LABEL]: def.name }),
    TaskTemplate: {
      ContainerSpec: {
        Image: def.image,
        ...(def.entrypoint ? { Command: def.entrypoint } : {}),
        Args: def.command,
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        User: def.user || undefined,
        ReadOnly: def.readOnlyRootfs,
        CapabilityDrop: def.capDrop.length ? [...def.capDrop] : undefined,
        Labels: swarmLabels(project, { [SERVICE_LABEL]: def.name }),
        StopGracePeriod: (def.name === 'inference' ? swarmStopGraceSec(def) : stopTimeoutSec(def)) * NS_PER_SEC,
        Healthcheck: dockerHealthcheck(def.healthcheck),
        Mounts: [
          ...tmpfsMounts(def),
          ...def.volumes
            .filter((v) => v.kind === 'volume')
            .map((v) => ({
              Type: 'volume' as const,
              Source: volumeName(project, v.source),
              Target: v.target,
              ReadOnly: v.readOnly,
              VolumeOptions: { Labels: swarmLabels(project) },
            })),
        ],
        Secrets: input.secrets
          .filter((s) => def.envFromSecrets.includes(s.key))
          .map((s) => ({
            File: { Name: s.key, UID: def.user.split(':')[0] || '0', GID: def.user.split(':')[1] || '0', Mode: 0o400 },
            SecretID: s.id,
            SecretName: s.name,
          })),
      } as unknown as Docker.ContainerSpec,
      Resources: def.limits
        ? {
            Limits: { NanoCPUs: Math.round(def.limits.cpus * NS_PER_SEC), MemoryBytes: def.limits.memoryMiB * 2 ** 20 },
            Reservations: {
              NanoCPUs: Math.round(def.limits.cpus * STACK_RESERVATION.cpuShare * NS_PER_SEC),
              MemoryBytes: Math.floor(def.limits.memoryMiB * STACK_RESERVATION.memoryShare) * 2 ** 20,
            },
          }
        : undefined,
      RestartPolicy: def.oneShot
        ? { Condition: 'none' }
        : { Condition: 'any', Delay: NS_PER_SEC, MaxAttempts: 0, Window: 0 },
      Placement: {
        Constraints: constraints,
        Preferences:
          def.name === 'inference' && spec.placement.spread
            ? [{ Spread: { SpreadDescriptor: spec.placement.spread } }]
            : [],
      },
      Networks: [{ Target: input.networkId, Aliases: [def.name] }],
    },
    // A one-shot is a job: it runs to completion once and Swarm records whether it completed.
    Mode: def.oneShot
      ? ({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } } as Docker.ServiceSpec['Mode'])
      : { Replicated: { Replicas: def.replicas } },
    // DNS round robin: names resolve to task IPs. No virtual IP is needed (nginx targets task addresses itself) and
    // VIPs need IPVS in the kernel, which not every host has.
    EndpointSpec: { Mode: 'dnsrr' },
  };
  if (!def.oneShot) {
    // Inference rolls start-first (capacity never drops); storage owns a volume, so the old task stops first.
    const order = def.name === 'inference' ? 'start-first' : 'stop-first';
    body.UpdateConfig = { Parallelism: 1, Delay: 0, FailureAction: 'rollback', Monitor: 5 * NS_PER_SEC, Order: order };
    body.RollbackConfig = { Parallelism: 1, Delay: 0, FailureAction: 'pause', Monitor: 5 * NS_PER_SEC, Order: order };
  }
  const hash = specHash(body, input.imageId);
  body.Labels[SPEC_HASH_LABEL] = hash;
  // On the tasks too, so a task can be told to be of the current spec or an older one.
  (body.TaskTemplate as { ContainerSpec: Docker.ContainerSpec }).ContainerSpec.Labels = {
    ...(body.TaskTemplate as { ContainerSpec: Docker.ContainerSpec }).ContainerSpec.Labels,
    [SPEC_HASH_LABEL]: hash,
  };
  return body;
}

/** Drain window + the grace period for in-flight work + a margin, before Swarm sends SIGKILL. */
export function swarmStopGraceSec(def: ServiceDef): number {
  const grace = Number(def.env.GRACE_PERIOD_MS ?? 0);
  return Math.ceil((SWARM_DRAIN_DELAY_MS + (Number.isFinite(grace) ? grace : 0)) / 1000) + 2;
}

/** The spec with its replica count left out (scaling is not a change of what runs), plus the image ID. */
export function specHash(body: Docker.ServiceSpec, imageId: string): string {
  const { Mode: _mode, Labels: _labels, ...rest } = body;
  return createHash('sha256')
    .update(JSON.stringify({ rest, oneShot: Boolean((_mode as { ReplicatedJob?: unknown })?.ReplicatedJob), imageId }))
    .digest('hex')
    .slice(0, 16);
}
