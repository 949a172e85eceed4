// The Swarm ServiceSpec built from the same ServiceDefs the local engine runs, read back as data: secrets as files,
// hardening Swarm can express, limits and reservations, placement from the config, jobs for one-shots, and a spec
// hash that ignores the replica count (scaling is not an update) but not the image.
import { describe, expect, it } from 'vitest';
import { SPEC_HASH_LABEL } from '../../toolkit/engine/swarm/labels.ts';
import {
  SWARM_DRAIN_DELAY_MS,
  type SwarmServiceInput,
  swarmServiceSpec,
  swarmStopGraceSec,
} from '../../toolkit/engine/swarm/service-spec.ts';
import { stackPaths } from '../../toolkit/paths.ts';
import { DEFAULT_SPEC, type ServiceDef, type StackSpec, serviceDefs } from '../../toolkit/spec/index.ts';

const spec: StackSpec = {
  ...structuredClone(DEFAULT_SPEC),
  cwd: '/w',
  project: 'demo',
  replicas: 3,
  engine: 'swarm',
  resources: { cpus: 0.5, memoryMiB: 256 },
  placement: { constraints: ['node.labels.zone==a'], spread: 'node.id' },
};
const defs = serviceDefs(spec, { services: 'svc:1', nginx: 'lb:1' }, stackPaths(spec));
const def = (name: string): ServiceDef => defs.find((d) => d.name === name)!;
const secrets = ['STORAGE_ACCESS_KEY', 'STORAGE_SECRET_KEY', 'REGISTRY_TOKEN'].map((key) => ({
  key,
  id: `id-${key}`,
  name: `demo_${key}`,
}));
const build = (name: string, over: Partial<SwarmServiceInput> = {}) =>
  swarmServiceSpec({ project: 'demo', def: def(name), spec, networkId: 'net1', secrets, imageId: 'sha256:a', ...over });
// biome-ignore lint/suspicious/noExplicitAny: reading the built spec back as plain data
const cs = (s: ReturnType<typeof build>): any => (s.TaskTemplate as any).ContainerSpec;

describe('swarmServiceSpec', () => {
  it('names and labels the service as a stack service of the project', () => {
    const s = build('inference');
    expect(s.Name).toBe('demo_inference');
    expect(s.Labels).toMatchObject({
      'dev.replica-toolkit.managed': 'true',
      'com.docker.stack.namespace': 'demo',
      'dev.replica-toolkit.service': 'inference',
    });
    expect(cs(s).Labels['com.docker.stack.namespace']).toBe('demo');
    expect(s.Mode).toEqual({ Replicated: { Replicas: 3 } });
  });

  it('passes secrets as files the service reads through *_FILE, never as values', () => {
    const s = build('registry');
    const env: string[] = cs(s).Env;
    expect(env).toContain('STORAGE_SECRET_KEY_FILE=/run/secrets/STORAGE_SECRET_KEY');
    expect(env).toContain('REGISTRY_TOKEN_FILE=/run/secrets/REGISTRY_TOKEN');
    expect(env.some((e) => e.startsWith('STORAGE_SECRET_KEY='))).toBe(false);
    expect(cs(s).Secrets).toContainEqual({
      File: { Name: 'REGISTRY_TOKEN', UID: '10001', GID: '10001', Mode: 0o400 },
      SecretID: 'id-REGISTRY_TOKEN',
      SecretName: 'demo_REGISTRY_TOKEN',
    });
    // Inference reads storage only: it gets no registry token.
    expect(cs(build('inference')).Secrets.map((x: { SecretName: string }) => x.SecretName)).toEqual([
      'demo_STORAGE_ACCESS_KEY',
      'demo_STORAGE_SECRET_KEY',
    ]);
  });

  it('keeps the hardening Swarm can express: non-root, read-only root, cap drop ALL, a sized tmpfs', () => {
    const c = cs(build('inference'));
    expect(c.User).toBe('10001:10001');
    expect(c.ReadOnly).toBe(true);
    expect(c.CapabilityDrop).toEqual(['ALL']);
    expect(c.Mounts).toContainEqual({
      Type: 'tmpfs',
      Target: '/tmp',
      TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1777 },
    });
    expect(c.Healthcheck.Test).toEqual(['CMD', 'bash', '-c', expect.stringContaining('GET /ready ')]);
  });

  it('drains inference long enough for the reload that follows a Swarm-chosen scale-down', () => {
    const c = cs(build('inference'));
    expect(c.Env).toContain(`DRAIN_DELAY_MS=${SWARM_DRAIN_DELAY_MS}`);
    expect(c.Env).toContain('REPLICA_ID={{.Task.Name}}');
    const grace = swarmStopGraceSec(def('inference'));
    expect(grace).toBe((SWARM_DRAIN_DELAY_MS + spec.gracePeriodSec * 1000) / 1000 + 2);
    expect(c.StopGracePeriod).toBe(grace * 1e9);
  });

  it('limits and reserves resources from the spec, places and spreads inference as configured', () => {
    const s = build('inference');
    // biome-ignore lint/suspicious/noExplicitAny: plain data
    const t = s.TaskTemplate as any;
    expect(t.Resources.Limits).toEqual({ NanoCPUs: 0.5e9, MemoryBytes: 256 * 2 ** 20 });
    expect(t.Resources.Reservations).toEqual({ NanoCPUs: 0.125e9, MemoryBytes: 128 * 2 ** 20 });
    expect(t.Placement).toEqual({
      Constraints: ['node.labels.zone==a'],
      Preferences: [{ Spread: { SpreadDescriptor: 'node.id' } }],
    });
    expect(t.RestartPolicy.Condition).toBe('any');
    expect(t.Networks).toEqual([{ Target: 'net1', Aliases: ['inference'] }]);
    expect(s.UpdateConfig).toMatchObject({ Parallelism: 1, Order: 'start-first', FailureAction: 'rollback' });
  });

  it('keeps storage and its volume on the manager, stopping the old task first on update', () => {
    const s = build('storage');
    // biome-ignore lint/suspicious/noExplicitAny: plain data
    const t = s.TaskTemplate as any;
    expect(t.Placement.Constraints).toEqual(['node.role==manager']);
    expect(t.ContainerSpec.Mounts).toContainEqual(
      expect.objectContaining({ Type: 'volume', Source: 'demo_storage-data', Target: '/data' }),
    );
    expect(s.UpdateConfig?.Order).toBe('stop-first');
  });

  it('runs the trainer as a job that Swarm never restarts', () => {
    const s = build('trainer');
    expect(s.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    // biome-ignore lint/suspicious/noExplicitAny: plain data
    expect((s.TaskTemplate as any).RestartPolicy).toEqual({ Condition: 'none' });
    expect(s.UpdateConfig).toBeUndefined();
  });

  it('hashes what runs: the replica count does not change it, the image and the env do', () => {
    const base = build('inference').Labels[SPEC_HASH_LABEL];
    const scaled = swarmServiceSpec({
      project: 'demo',
      def: { ...def('inference'), replicas: 7 },
      spec,
      networkId: 'net1',
      secrets,
      imageId: 'sha256:a',
    });
    expect(scaled.Labels[SPEC_HASH_LABEL]).toBe(base);
    expect(build('inference', { imageId: 'sha256:b' }).Labels[SPEC_HASH_LABEL]).not.toBe(base);
    const env = { ...def('inference'), env: { ...def('inference').env, MAX_INFLIGHT: '1' } };
    expect(build('inference', { def: env }).Labels[SPEC_HASH_LABEL]).not.toBe(base);
    expect(cs(build('inference')).Labels[SPEC_HASH_LABEL]).toBe(base);
  });
});
