import { describe, expect, it } from 'vitest';
import { containerCreateOptions, stopTimeoutSec } from '../../toolkit/engine/create-options.ts';
import { RuntimeError } from '../../toolkit/errors.ts';
import { DEFAULT_SPEC } from '../../toolkit/spec/defaults.ts';
import { serviceDefs } from '../../toolkit/spec/service-defs.ts';

const spec = { ...DEFAULT_SPEC, cwd: '/tmp/x', project: 'demo', port: 18080, bindAddress: '127.0.0.1' };
const defs = serviceDefs(spec, { services: 'svc:1', nginx: 'ngx:1' }, { liveNginxDir: '/tmp/x/.toolkit/demo/nginx' });
const def = (name: string) => defs.find((d) => d.name === name)!;
const secrets = { STORAGE_ACCESS_KEY: 'ak', STORAGE_SECRET_KEY: 'sk', REGISTRY_TOKEN: 'tok' };
const build = (name: string, number = 1, s: Record<string, string> = secrets) =>
  containerCreateOptions({
    project: 'demo',
    def: def(name),
    number,
    network: 'demo_default',
    labels: { a: 'b' },
    secrets: s,
  });

describe('container create options from a ServiceDef', () => {
  it('maps hardening, limits, restart policy and the healthcheck (durations in ns)', () => {
    const o = build('inference', 2);
    const d = def('inference');
    expect(o.name).toBe('demo-inference-2');
    expect(o.Image).toBe('svc:1');
    expect(o.Cmd).toEqual(['inference']);
    expect(o.User).toBe(d.user);
    expect(o.Labels).toEqual({ a: 'b' });
    expect(o.HostConfig).toMatchObject({
      ReadonlyRootfs: true,
      Tmpfs: d.tmpfs,
      CapDrop: ['ALL'],
      SecurityOpt: d.securityOpt,
      NanoCpus: Math.round(spec.resources.cpus * 1e9),
      Memory: spec.resources.memoryMiB * 1024 * 1024,
      RestartPolicy: { Name: 'unless-stopped' },
      NetworkMode: 'demo_default',
    });
    expect(o.HostConfig?.PortBindings).toBeUndefined();
    const hc = d.healthcheck!;
    expect(o.Healthcheck).toEqual({
      Test: ['CMD', ...hc.test],
      Interval: hc.intervalSec * 1e9,
      Timeout: hc.timeoutSec * 1e9,
      Retries: hc.retries,
      StartPeriod: hc.startPeriodSec * 1e9,
      StartInterval: 1e9,
    });
    expect(o.NetworkingConfig?.EndpointsConfig?.demo_default.Aliases).toEqual(['inference', 'inference-2']);
  });

  it('passes env, the secrets the service asks for, and REPLICA_ID = container name for inference', () => {
    const env = build('inference', 3).Env!;
    expect(env).toContain('STORAGE_ACCESS_KEY=ak');
    expect(env).toContain('STORAGE_SECRET_KEY=sk');
    expect(env).not.toContain('REGISTRY_TOKEN=tok');
    expect(env).toContain('REPLICA_ID=demo-inference-3');
    expect(env).toContain(`MODEL=${spec.model.name}@${spec.model.alias}`);
    expect(build('registry').Env).toContain('REGISTRY_TOKEN=tok');
    expect(build('registry').Env!.some((e) => e.startsWith('REPLICA_ID='))).toBe(false);
  });

  it('fails with a hint when a secret is missing', () => {
    expect(() => build('registry', 1, { STORAGE_ACCESS_KEY: 'ak', STORAGE_SECRET_KEY: 'sk' })).toThrow(RuntimeError);
    expect(() => build('registry', 1, {})).toThrow(/STORAGE_ACCESS_KEY/);
  });

  it('publishes only nginx, on the spec address, and mounts volumes project-scoped and binds as given', () => {
    const n = build('nginx');
    expect(n.HostConfig?.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }] });
    expect(n.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(n.HostConfig?.Mounts).toEqual([
      { Type: 'bind', Source: '/tmp/x/.toolkit/demo/nginx', Target: '/etc/toolkit-nginx', ReadOnly: true },
    ]);
    expect(build('storage').HostConfig?.Mounts).toEqual([
      { Type: 'volume', Source: 'demo_storage-data', Target: '/data', ReadOnly: false },
    ]);
    // nginx's access log (a line per request) is json-file, rotated and bounded; the others keep the daemon's default.
    expect(n.HostConfig?.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '50m', 'max-file': '5' } });
    expect(build('inference').HostConfig?.LogConfig).toBeUndefined();
    expect(build('trainer').HostConfig?.RestartPolicy).toEqual({ Name: 'no' });
    expect(build('trainer').Healthcheck).toBeUndefined();
  });

  it('gives inference its drain delay and grace period before SIGKILL', () => {
    const d = def('inference');
    expect(stopTimeoutSec(d)).toBe(Math.ceil((spec.gracePeriodSec * 1000 + 1000) / 1000) + 2);
    expect(stopTimeoutSec(def('storage'))).toBe(10);
  });
});
