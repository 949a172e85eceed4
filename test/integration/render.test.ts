// The renderers against the real tools: docker-compose 1.29 accepts the compose file, the real nginx image accepts
// every flavour and strategy (`nginx -t`), rejects a broken config with its own words, and a rendered config
// actually serves: /lb/ping, /lb/status, 503 with no replicas, proxying with X-Request-ID and a JSON access log.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { connectDocker, type DockerClient } from '../../toolkit/docker.ts';
import { readNginxAccessLog } from '../../toolkit/engine/nginx-access-log.ts';
import { demuxBuffer } from '../../toolkit/engine/query.ts';
import { RuntimeError } from '../../toolkit/errors.ts';
import { ensureImages, MANAGED_LABEL, type StackImages } from '../../toolkit/images/index.ts';
import { stackPaths } from '../../toolkit/paths.ts';
import { silentProgress } from '../../toolkit/progress.ts';
import { renderCompose } from '../../toolkit/render/compose.ts';
import { renderNginx, type UpstreamServer } from '../../toolkit/render/nginx.ts';
import { CHECK_PID_LABEL, CHECK_ROLE_LABEL, checkNginxConfig } from '../../toolkit/render/nginx-check.ts';
import { writeFileAtomic } from '../../toolkit/render/write.ts';
import { loadOrCreateSecrets } from '../../toolkit/secrets.ts';
import { DEFAULT_SPEC, STRATEGIES, type StackSpec, serviceDefs } from '../../toolkit/spec/index.ts';

const run = promisify(execFile);
const LABELS = { [MANAGED_LABEL]: 'true', 'dev.replica-toolkit.test': 'render' };
const spec = (over: Partial<StackSpec> = {}): StackSpec => ({ ...structuredClone(DEFAULT_SPEC), cwd: '/x', ...over });

let docker: DockerClient;
let images: StackImages;
let work: string;
const containers: Docker.Container[] = [];
const networks: Docker.Network[] = [];

beforeAll(async () => {
  docker = await connectDocker(process.env);
  images = await ensureImages(docker, DEFAULT_SPEC, silentProgress);
  work = await mkdtemp(join(tmpdir(), 'render-it-'));
  await chmod(work, 0o755);
});

afterAll(async () => {
  for (const c of containers) await c.remove({ force: true }).catch(ignoreGone);
  for (const n of networks) await n.remove().catch(ignoreGone);
  if (work) await rm(work, { recursive: true, force: true });
});

function ignoreGone(err: { statusCode?: number }): void {
  if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
}

const servers = (n: number, host = (i: number) => `10.99.0.${i + 2}`): UpstreamServer[] =>
  Array.from({ length: n }, (_, i) => ({ replica: i + 1, address: `${host(i)}:8000`, weight: i + 1 }));

describe('compose file', () => {
  it('passes `docker-compose config` with the layout the toolkit writes', async () => {
    const cwd = await mkdtemp(join(work, 'compose-'));
    const s = spec({
      cwd,
      project: 'rendertest',
      replicas: 3,
      lb: { strategy: 'least_conn', hashKey: '$remote_addr', weights: {} },
    });
    const paths = stackPaths(s);
    await loadOrCreateSecrets(paths);
    await writeFileAtomic(paths.composeFile, renderCompose(s, serviceDefs(s, images, paths), paths));
    await writeFileAtomic(paths.composeNginxConf, renderNginx(s, [], { flavor: 'compose' }));
    const { stdout } = await run('docker-compose', ['-p', s.project, '-f', paths.composeFile, 'config'], { cwd });
    const resolved = parse(stdout) as { services: Record<string, Record<string, unknown>> };
    expect(Object.keys(resolved.services).sort()).toEqual(['inference', 'nginx', 'registry', 'storage', 'trainer']);
    expect(resolved.services.inference.deploy).toMatchObject({ replicas: 3 });
    // env_file was found and read: the secrets are in the resolved environment.
    expect(resolved.services.inference.environment).toHaveProperty('STORAGE_SECRET_KEY');
    // 1.29 prints the resolved short form: the relative path became the absolute compose/nginx.conf.
    expect(resolved.services.nginx.volumes).toEqual([`${paths.composeNginxConf}:/etc/toolkit-nginx/nginx.conf:ro`]);
  });
});

describe('checkNginxConfig in the real nginx image', () => {
  for (const strategy of STRATEGIES) {
    it(`accepts the toolkit flavour with ${strategy} and 0, 1, 3 servers`, async () => {
      for (const n of [0, 1, 3]) {
        const conf = renderNginx(spec({ lb: { strategy, hashKey: '$http_x_user', weights: {} } }), servers(n));
        await checkNginxConfig(docker, images.nginx, conf);
      }
    });
  }

  it('accepts the compose flavour, for every strategy, on a network where `inference` resolves', async () => {
    const network = await docker.createNetwork({ Name: `render-it-${process.pid}`, Labels: LABELS });
    networks.push(network);
    const stub = await docker.createContainer({
      Image: images.nginx,
      Entrypoint: ['sleep'],
      Cmd: ['300'],
      Labels: LABELS,
      HostConfig: { NetworkMode: network.id, AutoRemove: false },
      NetworkingConfig: { EndpointsConfig: { [network.id]: { Aliases: ['inference'] } } },
    });
    containers.push(stub);
    await stub.start();
    for (const strategy of STRATEGIES) {
      const conf = renderNginx(spec({ lb: { strategy, hashKey: '$remote_addr', weights: {} } }), [], {
        flavor: 'compose',
      });
      await checkNginxConfig(docker, images.nginx, conf, { network: network.id });
    }
  });

  it("throws nginx's own error lines for a broken config", async () => {
    const broken = renderNginx(spec(), servers(1)).replace('keepalive 64;', 'keepalive sixty-four;');
    const err = await checkNginxConfig(docker, images.nginx, broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/\[emerg\].*invalid value "sixty-four".*nginx\.conf:\d+/);
  });

  it('fails on an upstream hostname that does not resolve, which is why the toolkit flavour uses IPs', async () => {
    const conf = renderNginx(spec(), [], { flavor: 'compose' });
    await expect(checkNginxConfig(docker, images.nginx, conf)).rejects.toThrow(
      /host not found in upstream "inference:8000"/,
    );
  });

  it('leaves no containers behind', async () => {
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${CHECK_ROLE_LABEL}=nginx-check`, `${CHECK_PID_LABEL}=${process.pid}`] },
    });
    expect(left).toEqual([]);
  });
});

/** Runs nginx with `conf` like the live balancer, published on a random loopback port. */
async function serve(
  conf: string,
  network: string,
  opts: { alias?: string } = {},
): Promise<{ url: string; c: Docker.Container }> {
  const dir = await mkdtemp(join(work, 'lb-'));
  await chmod(dir, 0o755);
  await writeFile(join(dir, 'nginx.conf'), conf, { mode: 0o644 });
  const def = serviceDefs(spec(), images, { liveNginxDir: dir }).find((d) => d.name === 'nginx')!;
  const c = await docker.createContainer({
    Image: images.nginx,
    Entrypoint: def.entrypoint,
    Cmd: def.command,
    User: def.user,
    Labels: LABELS,
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: {
      ReadonlyRootfs: true,
      Tmpfs: def.tmpfs,
      CapDrop: def.capDrop,
      SecurityOpt: def.securityOpt,
      Binds: [`${dir}:/etc/toolkit-nginx:ro`],
      NetworkMode: network,
      PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
    },
    NetworkingConfig: opts.alias ? { EndpointsConfig: { [network]: { Aliases: [opts.alias] } } } : undefined,
  });
  containers.push(c);
  await c.start();
  const info = await c.inspect();
  const port = info.NetworkSettings.Ports['8080/tcp'][0].HostPort;
  const url = `http://127.0.0.1:${port}`;
  // Bounded wait for the listener: at most 50 tries, 100 ms apart.
  for (let i = 0; i < 50; i++) {
    const ok = await fetch(`${url}/lb/ping`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, c };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `nginx did not answer on ${url}: ${demuxBuffer((await c.logs({ stdout: true, stderr: true })) as Buffer)}`,
  );
}

describe('a rendered config serving traffic', () => {
  let network: Docker.Network;
  beforeAll(async () => {
    network = await docker.createNetwork({ Name: `render-it-serve-${process.pid}`, Labels: LABELS });
    networks.push(network);
  });

  it('answers ping and status itself, and 503 with a request id when there are no replicas', async () => {
    const { url } = await serve(renderNginx(spec(), []), network.id);
    expect(await (await fetch(`${url}/lb/ping`)).text()).toBe('ok\n');
    expect(await (await fetch(`${url}/lb/status`)).text()).toMatch(/^Active connections: \d+/);
    const r = await fetch(`${url}/predict`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(await r.json()).toEqual({ error: 'no inference replica is ready' });
  });

  it('proxies to the replicas, passes X-Request-ID through and logs JSON with the upstream fields', async () => {
    // A stand-in replica: nginx answering 200 with an X-Replica header and echoing the request id it got.
    const replicaConf = `pid /tmp/r.pid; daemon off; error_log stderr; events {} http {
      client_body_temp_path /tmp/cb; proxy_temp_path /tmp/p; fastcgi_temp_path /tmp/f; uwsgi_temp_path /tmp/u; scgi_temp_path /tmp/s;
      access_log off;
      server { listen 8000; location / { add_header X-Replica r1; return 200 "id=$http_x_request_id"; } } }`;
    const replica = await serve(replicaConf.replace('listen 8000;', 'listen 8000; listen 8080;'), network.id, {
      alias: 'replica1',
    });
    const ip = Object.values((await replica.c.inspect()).NetworkSettings.Networks)[0].IPAddress;
    const lb = await serve(renderNginx(spec(), [{ replica: 1, address: `${ip}:8000`, weight: 1 }]), network.id);

    const r = await fetch(`${lb.url}/predict`, { method: 'POST', body: '{}', headers: { 'X-Request-ID': 'req-42' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-replica')).toBe('r1');
    expect(r.headers.get('x-request-id')).toBe('req-42');
    expect(await r.text()).toBe('id=req-42');
    const big = await fetch(`${lb.url}/predict`, { method: 'POST', body: 'x'.repeat(1_048_577) });
    expect(big.status).toBe(413);

    // The access log line for the proxied request: nginx buffers the log for up to 1 s, and the reader flushes it
    // with SIGUSR1 first, so one read finds it.
    const found = (await readNginxAccessLog(docker, lb.c.id)).split('\n').find((l) => l.includes('"req-42"'));
    const line = found === undefined ? undefined : (JSON.parse(found) as Record<string, unknown>);
    expect(line).toMatchObject({
      method: 'POST',
      uri: '/predict',
      status: 200,
      request_id: 'req-42',
      upstream_addr: `${ip}:8000`,
      upstream_status: '200',
      upstream_http_x_replica: 'r1',
    });
    expect(typeof line?.request_time).toBe('number');
  });
});
