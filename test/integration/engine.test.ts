// The engine against the real Docker engine: up with 3 replicas, traffic reaches all of them, a second up is a
// no-op, scaling to 2 converges, docker-compose sees the containers, down removes every labelled object.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker, type DockerClient } from '../../toolkit/docker.ts';
import { down, LABEL, status, streamLogs, type UpContext, up } from '../../toolkit/engine/index.ts';
import { SAMPLE_PREDICT_BODY } from '../../toolkit/engine/traffic.ts';
import { RuntimeError, UsageError } from '../../toolkit/errors.ts';
import { ensureImages } from '../../toolkit/images/index.ts';
import { stackPaths } from '../../toolkit/paths.ts';
import { silentProgress } from '../../toolkit/progress.ts';
import { loadOrCreateSecrets } from '../../toolkit/secrets.ts';
import { loadSpec } from '../../toolkit/spec/index.ts';
import { type ServiceDef, serviceDefs } from '../../toolkit/spec/service-defs.ts';
import type { StackSpec } from '../../toolkit/spec/types.ts';
import { freePort } from '../helpers/net.ts';

const run = promisify(execFile);
const project = `tkit-${randomBytes(4).toString('hex')}`;
let cwd = '';
let docker: DockerClient;
let spec: StackSpec;
let base: Omit<UpContext, 'spec' | 'defs'>;

function upWith(replicas: number, change: Partial<StackSpec> = {}, patch?: (defs: ServiceDef[]) => void) {
  const s = { ...spec, ...change, replicas };
  const defs = serviceDefs(s, base.images, base.paths);
  patch?.(defs);
  return up({ ...base, spec: s, defs });
}

/** Container IDs of the project by name, found by label. */
async function containerIds(): Promise<Record<string, string>> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.project}=${project}`] } });
  return Object.fromEntries(list.map((c) => [c.Names[0].replace(/^\//, ''), c.Id]));
}

async function labelled(name = project) {
  const filters = { label: [`${LABEL.project}=${name}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return { containers: containers.length, networks: networks.length, volumes: (volumes.Volumes ?? []).length };
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'tkit-engine-'));
  docker = await connectDocker();
  spec = await loadSpec({ cwd, env: {}, flags: { project, replicas: 3, port: await freePort() } });
  const paths = stackPaths(spec);
  const images = await ensureImages(docker, spec, silentProgress);
  base = { docker, images, paths, secrets: await loadOrCreateSecrets(paths), progress: silentProgress };
});

afterAll(async () => {
  if (docker) await down(docker, project, { volumes: true });
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('engine', () => {
  it('refuses a port that is taken with a usage error, before creating anything', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const port = (blocker.address() as net.AddressInfo).port;
      const other = { ...spec, project: `${project}-x`, port };
      const err = await up({ ...base, spec: other, defs: serviceDefs(other, base.images, base.paths) }).catch((e) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect(err.exitCode).toBe(2);
      expect(err.hint).toMatch(/--port/);
      expect(await labelled(other.project)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('brings the stack up with 3 ready replicas behind nginx', async () => {
    const st = await upWith(3);
    expect(st.project).toBe(project);
    expect(st.url).toBe(`http://127.0.0.1:${spec.port}`);
    expect(st.replicas.map((r) => [r.number, r.ready, r.state])).toEqual([
      [1, true, 'running'],
      [2, true, 'running'],
      [3, true, 'running'],
    ]);
  });

  it('spreads 60 /predict requests through 127.0.0.1 over all three replicas', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`http://127.0.0.1:${spec.port}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: SAMPLE_PREDICT_BODY,
        signal: AbortSignal.timeout(5000),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { predictions: { species: string }[] };
      expect(body.predictions).toHaveLength(1);
      const replica = res.headers.get('x-replica') ?? '';
      seen.set(replica, (seen.get(replica) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([1, 2, 3].map((n) => `${project}-inference-${n}`));
  });

  it('reports status: three ready replicas with addresses, and the other services', async () => {
    // `up` waits on the services' own readiness; Docker's health check runs every 5 s (every 1 s while starting on
    // engines with API 1.44+), so its status may say `starting` for a few seconds more. Bounded: 20 s.
    let st = await status(docker, project);
    const healthy = (s: typeof st) => s.services.filter((x) => x.health === 'healthy').length >= 2;
    for (let i = 0; i < 40 && !healthy(st); i++) {
      await new Promise((r) => setTimeout(r, 500));
      st = await status(docker, project);
    }
    expect(st.replicas).toHaveLength(3);
    for (const r of st.replicas) {
      expect(r).toMatchObject({ state: 'running', ready: true, restarts: 0, lastExit: null });
      expect(r.address).toMatch(/^\d+\.\d+\.\d+\.\d+:8000$/);
      expect(r.uptimeSec).toBeGreaterThanOrEqual(0);
    }
    const byService = Object.fromEntries(st.services.map((s) => [`${s.service}-${s.number}`, s]));
    expect(byService['storage-1']).toMatchObject({ state: 'running', health: 'healthy' });
    expect(byService['registry-1']).toMatchObject({ state: 'running', health: 'healthy' });
    expect(byService['trainer-1']).toMatchObject({ state: 'exited', lastExit: 0 });
    expect(byService['nginx-1']).toMatchObject({ state: 'running' });
  });

  it("keeps nginx's container log (its access log) in a rotated, bounded json-file", async () => {
    const [c] = await docker.listContainers({
      filters: { label: [`${LABEL.project}=${project}`, `${LABEL.service}=nginx`] },
    });
    const info = await docker.getContainer(c.Id).inspect();
    expect(info.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '50m', 'max-file': '5' } });
    expect(info.LogPath).toMatch(/-json\.log$/);
  });

  it('prefixes log lines per replica', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    await streamLogs(docker, project, { service: 'inference', follow: false, tail: 3 }, out);
    const lines = chunks.join('').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => /^\[inference [123]\] /.test(l))).toBe(true);
    expect(new Set(lines.map((l) => l.slice(0, 13)))).toEqual(
      new Set(['[inference 1]', '[inference 2]', '[inference 3]']),
    );
  });

  it('follows logs until aborted', async () => {
    const out = new PassThrough();
    const abort = new AbortController();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString();
      abort.abort();
    });
    await streamLogs(docker, project, { service: 'nginx', follow: true, tail: 5 }, out, abort.signal);
    expect(text).toMatch(/^\[nginx\] /);
  });

  it("shows a request's access line at once, though nginx buffers its access log for up to 1 s", async () => {
    const id = `logs-${randomBytes(6).toString('hex')}`;
    const res = await fetch(`http://127.0.0.1:${spec.port}/health`, { headers: { 'x-request-id': id } });
    expect(res.status).toBe(200);
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString();
    });
    await streamLogs(docker, project, { service: 'nginx', follow: false, tail: 50 }, out);
    expect(text).toMatch(new RegExp(`^\\[nginx\\] \\{.*"request_id":"${id}"`, 'm'));
  });

  it('changes nothing when run again with the same spec', async () => {
    const before = await containerIds();
    const st = await upWith(3);
    expect(st.replicas.filter((r) => r.ready)).toHaveLength(3);
    expect(await containerIds()).toEqual(before);
  });

  it('converges to 2 replicas, removing the highest number and keeping the rest', async () => {
    const before = await containerIds();
    const st = await upWith(2);
    expect(st.replicas.map((r) => [r.number, r.ready])).toEqual([
      [1, true],
      [2, true],
    ]);
    const after = await containerIds();
    expect(after[`${project}-inference-3`]).toBeUndefined();
    for (const name of [1, 2].map((n) => `${project}-inference-${n}`)) expect(after[name]).toBe(before[name]);
    expect(after[`${project}-nginx-1`]).toBe(before[`${project}-nginx-1`]);
    const reached = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`http://127.0.0.1:${spec.port}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: SAMPLE_PREDICT_BODY,
        signal: AbortSignal.timeout(5000),
      });
      await res.body?.cancel();
      reached.add(res.headers.get('x-replica') ?? `HTTP ${res.status}`);
    }
    expect([...reached].sort()).toEqual([`${project}-inference-1`, `${project}-inference-2`]);
  });

  it('replaces replicas whose definition changed, one at a time, and leaves the rest alone', async () => {
    const before = await containerIds();
    const st = await upWith(2, { inference: { ...spec.inference, maxInflight: spec.inference.maxInflight + 1 } });
    expect(st.replicas.map((r) => [r.number, r.ready])).toEqual([
      [1, true],
      [2, true],
    ]);
    const after = await containerIds();
    for (const n of [1, 2]) expect(after[`${project}-inference-${n}`]).not.toBe(before[`${project}-inference-${n}`]);
    for (const s of ['storage-1', 'registry-1', 'trainer-1', 'nginx-1']) {
      expect(after[`${project}-${s}`]).toBe(before[`${project}-${s}`]);
    }
    const env = (await docker.getContainer(after[`${project}-inference-1`]).inspect()).Config.Env;
    expect(env).toContain(`MAX_INFLIGHT=${spec.inference.maxInflight + 1}`);
  });

  it('names a replica that fails with its last log lines, and the next run converges again', async () => {
    const err = await upWith(2, {}, (defs) => {
      defs.find((d) => d.name === 'inference')!.env.MAX_INFLIGHT = 'lots';
    }).catch((e) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.message).toContain(`inference (${project}-inference-1)`);
    expect(err.message).toContain('last log lines');
    expect(err.message).toContain('MAX_INFLIGHT');
    const st = await upWith(2);
    expect(st.replicas.map((r) => [r.number, r.ready])).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('is listed by docker-compose ps', async () => {
    // docker-compose v1 lists only services its file names; the images do not matter for `ps`.
    const file = join(cwd, 'ps-compose.yml');
    const services = ['storage', 'registry', 'trainer', 'inference', 'nginx'];
    await writeFile(file, `version: "3.8"\nservices:\n${services.map((s) => `  ${s}:\n    image: x\n`).join('')}`);
    const { stdout } = await run('docker-compose', ['-p', project, '-f', file, 'ps'], { cwd });
    for (const name of ['storage-1', 'registry-1', 'trainer-1', 'inference-1', 'inference-2', 'nginx-1']) {
      expect(stdout).toContain(`${project}-${name}`);
    }
    expect(stdout).not.toContain(`${project}-inference-3`);
  });

  it('down removes every container, network and volume with the label', async () => {
    const removed = await down(docker, project, { volumes: true });
    expect(removed.containers).toHaveLength(6);
    expect(removed.networks).toEqual([`${project}_default`]);
    expect(removed.volumes).toEqual([`${project}_storage-data`]);
    expect(await labelled()).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
