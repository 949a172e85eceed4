// serviceDefs, stackPaths and the secrets file: what every container gets, where generated files go, and that
// credentials are made once, private, and reused.
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError } from '../../toolkit/errors.ts';
import { stackPaths } from '../../toolkit/paths.ts';
import { loadOrCreateSecrets, parseEnvFile, SECRET_KEYS } from '../../toolkit/secrets.ts';
import { DEFAULT_SPEC, type StackSpec, serviceDefs } from '../../toolkit/spec/index.ts';

const images = { services: 'replica-toolkit/services:t', nginx: 'replica-toolkit/nginx:t' };
const spec = (over: Partial<StackSpec> = {}): StackSpec => ({ ...structuredClone(DEFAULT_SPEC), cwd: '/w', ...over });

describe('stackPaths', () => {
  it('puts state under .toolkit/<project> and readable copies under compose/ and nginx/', () => {
    expect(stackPaths(spec({ project: 'demo' }))).toEqual({
      stateDir: '/w/.toolkit/demo',
      secretsFile: '/w/.toolkit/demo/secrets.env',
      liveNginxDir: '/w/.toolkit/demo/nginx',
      liveNginxConf: '/w/.toolkit/demo/nginx/nginx.conf',
      composeDir: '/w/compose',
      composeFile: '/w/compose/docker-compose.yml',
      composeNginxConf: '/w/compose/nginx.conf',
      nginxConf: '/w/nginx/nginx.conf',
      lockFile: '/w/.toolkit/demo/lock',
      watchPidFile: '/w/.toolkit/demo/watch.pid',
      watchLogFile: '/w/.toolkit/demo/watch.log',
    });
  });
});

describe('serviceDefs', () => {
  const s = spec({
    replicas: 3,
    port: 8123,
    bindAddress: '127.0.0.5',
    resources: { cpus: 1.5, memoryMiB: 768 },
    model: { name: 'm', alias: 'a' },
    gracePeriodSec: 7,
    inference: { maxInflight: 9, maxInstances: 99, pollIntervalSec: 3 },
  });
  const defs = serviceDefs(s, images, stackPaths(s));
  const by = Object.fromEntries(defs.map((d) => [d.name, d]));

  it('describes the five services in start order', () => {
    expect(defs.map((d) => d.name)).toEqual(['storage', 'registry', 'trainer', 'inference', 'nginx']);
  });

  it.each(['storage', 'registry', 'trainer', 'inference', 'nginx'])('%s runs hardened and limited', (name) => {
    const d = by[name];
    expect(d).toMatchObject({
      user: '10001:10001',
      readOnlyRootfs: true,
      tmpfs: { '/tmp': 'rw,noexec,nosuid,size=64m' },
      capDrop: ['ALL'],
      securityOpt: ['no-new-privileges:true'],
      restart: name === 'trainer' ? 'no' : 'unless-stopped',
      oneShot: name === 'trainer',
    });
    expect(d.limits?.cpus).toBeGreaterThan(0);
    expect(d.limits?.memoryMiB).toBeGreaterThanOrEqual(64);
  });

  it('runs the services image with the service name as command, nginx with an explicit entrypoint', () => {
    for (const name of ['storage', 'registry', 'trainer', 'inference']) {
      expect(by[name]).toMatchObject({ image: images.services, command: [name] });
      expect(by[name].entrypoint).toBeUndefined();
    }
    expect(by.nginx).toMatchObject({
      image: images.nginx,
      entrypoint: ['nginx'],
      command: ['-e', 'stderr', '-c', '/etc/toolkit-nginx/nginx.conf'],
    });
  });

  it('gives inference the spec: replicas, limits, environment, readiness check', () => {
    expect(by.inference).toMatchObject({ replicas: 3, limits: { cpus: 1.5, memoryMiB: 768 }, containerPort: 8000 });
    expect(by.inference.env).toEqual({
      PORT: '8000',
      STORAGE_URL: 'http://storage:9000',
      REGISTRY_URL: 'http://registry:5000',
      MODEL: 'm@a',
      MAX_INFLIGHT: '9',
      MAX_INSTANCES: '99',
      BODY_LIMIT_BYTES: '1048576',
      POLL_INTERVAL_MS: '3000',
      GRACE_PERIOD_MS: '7000',
      DRAIN_DELAY_MS: '1000',
    });
    expect(by.inference.envFromSecrets).toEqual(['STORAGE_ACCESS_KEY', 'STORAGE_SECRET_KEY']);
    expect(by.inference.healthcheck?.test).toEqual([
      'bash',
      '-c',
      `exec 3<>/dev/tcp/127.0.0.1/8000 && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && read -r _ code _ <&3 && [ "$code" = 200 ]`,
    ]);
    expect(by.inference.healthcheck).toMatchObject({
      intervalSec: 5,
      retries: 6,
      startIntervalSec: 1,
      httpPath: '/ready',
    });
    expect(by.inference.dependsOn).toEqual([
      { service: 'storage', condition: 'service_healthy' },
      { service: 'registry', condition: 'service_healthy' },
      { service: 'trainer', condition: 'service_completed_successfully' },
    ]);
  });

  it('wires storage, registry and trainer together by service name', () => {
    expect(by.storage.volumes).toEqual([{ source: 'storage-data', target: '/data', kind: 'volume', readOnly: false }]);
    expect(by.storage.env).toMatchObject({ PORT: '9000', STORAGE_DATA_DIR: '/data' });
    expect(by.registry.env).toMatchObject({ PORT: '5000', STORAGE_URL: 'http://storage:9000' });
    expect(by.registry.envFromSecrets).toContain('REGISTRY_TOKEN');
    expect(by.trainer.env).toMatchObject({ REGISTRY_URL: 'http://registry:5000', MODEL: 'm@a' });
    expect(by.trainer.envFromSecrets).toEqual([...SECRET_KEYS]);
    expect(by.trainer.healthcheck).toBeUndefined();
    expect(by.trainer.dependsOn.map((d) => [d.service, d.condition])).toEqual([
      ['storage', 'service_healthy'],
      ['registry', 'service_healthy'],
    ]);
    expect([by.storage, by.registry, by.inference].map((d) => d.containerPort)).toEqual([9000, 5000, 8000]);
  });

  it('publishes only nginx, on the spec address, and mounts the live config directory read-only', () => {
    expect(defs.filter((d) => d.ports.length).map((d) => d.name)).toEqual(['nginx']);
    expect(by.nginx.ports).toEqual([{ hostIp: '127.0.0.5', hostPort: 8123, containerPort: 8080 }]);
    expect(by.nginx.volumes).toEqual([
      { source: '/w/.toolkit/toolkit/nginx', target: '/etc/toolkit-nginx', kind: 'bind', readOnly: true },
    ]);
    expect(by.nginx.envFromSecrets).toEqual([]);
  });
});

describe('loadOrCreateSecrets', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secrets-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 0600 env file once and returns the same secrets afterwards', async () => {
    const secretsFile = join(dir, 'a', 'secrets.env');
    const first = await loadOrCreateSecrets({ secretsFile });
    expect(Object.keys(first).sort()).toEqual([...SECRET_KEYS].sort());
    for (const v of Object.values(first)) expect(v).toMatch(/^[A-Za-z0-9]{20,}$/);
    expect((await stat(secretsFile)).mode & 0o777).toBe(0o600);
    expect(parseEnvFile(await readFile(secretsFile, 'utf8'))).toEqual(first);
    expect(await loadOrCreateSecrets({ secretsFile })).toEqual(first);
  });

  it('makes different secrets for different files, and agrees when created concurrently', async () => {
    const a = await loadOrCreateSecrets({ secretsFile: join(dir, 'b', 'secrets.env') });
    const c = await loadOrCreateSecrets({ secretsFile: join(dir, 'c', 'secrets.env') });
    expect(a.STORAGE_SECRET_KEY).not.toBe(c.STORAGE_SECRET_KEY);
    const secretsFile = join(dir, 'd', 'secrets.env');
    const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSecrets({ secretsFile })));
    for (const s of all) expect(s).toEqual(all[0]);
  });

  it('tightens a loosened mode, and refuses a file missing a key', async () => {
    const secretsFile = join(dir, 'e.env');
    await loadOrCreateSecrets({ secretsFile });
    await chmod(secretsFile, 0o644);
    await loadOrCreateSecrets({ secretsFile });
    expect((await stat(secretsFile)).mode & 0o777).toBe(0o600);
    await writeFile(secretsFile, 'STORAGE_ACCESS_KEY=x\n');
    await expect(loadOrCreateSecrets({ secretsFile })).rejects.toThrow(RuntimeError);
    await expect(loadOrCreateSecrets({ secretsFile })).rejects.toThrow(/lacks STORAGE_SECRET_KEY, REGISTRY_TOKEN/);
  });
});
