// `--engine swarm` for real, through the CLI, on a one-node swarm of its own (test/helpers/swarm-cluster.ts; the
// host engine never becomes a swarm): up with 2 replicas, predict through the balancer, scale 2→3→1 under a bounded
// load loop with no failed request, status per node, down leaving nothing with our labels. Also: bad input exits 2
// with nothing created, and the generated compose file deploys with `docker stack deploy`. The watcher `up` leaves
// running puts a task Swarm replaced into nginx's upstream with no toolkit command, and `down` finds the stack by its
// labels even without the saved spec that names the engine.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnLoadLoop } from '../../toolkit/chaos/load-child.ts';
import { failed } from '../../toolkit/chaos/load-loop.ts';
import { SAMPLE_PREDICT_BODY } from '../../toolkit/engine/traffic.ts';
import { freePort } from '../helpers/net.ts';
import { forwardFromLoopback, type SwarmCluster, startSwarmCluster } from '../helpers/swarm-cluster.ts';

const execFileP = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/toolkit.js');
const project = `tksw${process.pid}`;
const MANAGED = 'dev.replica-toolkit.managed=true';
let cluster: SwarmCluster;
let cwd: string;
let port: number;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}
async function cli(args: string[], env: Record<string, string> = cluster.env): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
async function ok(args: string[]): Promise<string> {
  const res = await cli(args);
  if (res.code !== 0) throw new Error(`toolkit ${args.join(' ')} exited ${res.code}:\n${res.stderr.slice(-4000)}`);
  return res.stdout;
}

/** Everything on the manager that carries our label. */
async function leftovers(docker: Docker): Promise<string[]> {
  const filters = { label: [MANAGED] };
  const [services, networks, secrets, containers, volumes] = await Promise.all([
    docker.listServices({ filters }),
    docker.listNetworks({ filters }),
    docker.listSecrets({ filters }),
    docker.listContainers({ all: true, filters }),
    docker.listVolumes({ filters }),
  ]);
  return [
    ...services.map((s) => `service ${s.Spec?.Name}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...(secrets as { Spec?: { Name?: string } }[]).map((s) => `secret ${s.Spec?.Name}`),
    ...containers.map((c) => `container ${c.Names?.[0]}`),
    ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`),
  ];
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'toolkit-swarm-'));
  port = await freePort();
  cluster = await startSwarmCluster({ nodes: 1, name: 'tksweng' });
});

afterAll(async () => {
  try {
    if (cluster) await cli(['down', '--project', project, '--volumes']);
  } finally {
    await cluster?.[Symbol.asyncDispose]();
    await rm(cwd, { recursive: true, force: true });
  }
}, 300_000);

describe('swarm engine, bad input', () => {
  it('refuses --engine swarm on an engine that is not a swarm manager: exit 2, says docker swarm init', async () => {
    const res = await cli(
      ['up', '--engine', 'swarm', '--project', `${project}bad`, '--port', String(port)],
      process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {},
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('not part of a swarm');
    expect(res.stderr).toContain('docker swarm init');
  });

  it('refuses a placement constraint on a node label no node has: exit 2, nothing created', async () => {
    const res = await cli(
      ['up', '--engine', 'swarm', '--project', `${project}bad`, '--bind', cluster.bindIp, '--port', String(port)],
      { ...cluster.env, TOOLKIT_PLACEMENT_CONSTRAINTS: 'node.labels.zone==a' },
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('names node label "zone", which no node of this swarm has');
    expect(await leftovers(cluster.docker)).toEqual([]);
  });
});

describe('swarm engine through the CLI', () => {
  it('comes up with 2 replicas behind nginx published on the manager, and predicts', async () => {
    const args = ['up', '--engine', 'swarm', '--project', project, '--replicas', '2'];
    const out = await ok([...args, '--bind', cluster.bindIp, '--port', String(port), '--cpus', '0.25', '--json']);
    const status = JSON.parse(out) as { engine: string; url: string; replicas: { ready: boolean }[] };
    expect(status.engine).toBe('swarm');
    expect(status.url).toBe(`http://${cluster.bindIp}:${port}`);
    expect(status.replicas.filter((r) => r.ready)).toHaveLength(2);
    await using relay = await forwardFromLoopback(cluster.bindIp, port);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`http://127.0.0.1:${relay.port}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: SAMPLE_PREDICT_BODY,
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { predictions: unknown[] }).predictions).toHaveLength(1);
      seen.add(res.headers.get('x-replica') ?? '');
    }
    // The X-Replica header is the task name: <project>_inference.<slot>.<task id>.
    expect([...seen].every((s) => s.startsWith(`${project}_inference.`))).toBe(true);
    expect(seen.size).toBe(2);
  });

  it('a task whose container dies is replaced, and the watcher puts the replacement upstream: no toolkit command', async () => {
    const rotationFile = join(cwd, '.toolkit', project, 'nginx', 'upstream.json');
    const rotation = async () =>
      JSON.parse(await readFile(rotationFile, 'utf8')) as { name: string; address: string }[];
    const st = JSON.parse(await ok(['status', '--project', project, '--json'])) as { watcher: { running: boolean } };
    expect(st.watcher.running).toBe(true);
    const before = await rotation();
    expect(before).toHaveLength(2);
    const victim = before[0];
    const taskId = victim.name.split('.').at(-1);
    const [container] = await cluster.docker.listContainers({
      filters: { label: [`com.docker.swarm.task.id=${taskId}`] },
    });
    expect(container).toBeDefined();
    await cluster.docker.getContainer(container.Id).kill();
    // Swarm starts a new task in that slot (restart policy any); it joins once its healthcheck passes. Bounded.
    let after = before;
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      after = await rotation().catch(() => after);
      if (after.length === 2 && !after.some((r) => r.name === victim.name)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(after.map((r) => r.name)).not.toContain(victim.name);
    expect(after).toHaveLength(2);
    const fresh = after.find((r) => !before.some((b) => b.name === r.name));
    expect(fresh?.name).toMatch(new RegExp(`^${project}_inference\\.`));
    // nginx routes to it (bounded).
    await using relay = await forwardFromLoopback(cluster.bindIp, port);
    let reached = false;
    for (let i = 0; i < 100 && !reached; i++) {
      const res = await fetch(`http://127.0.0.1:${relay.port}/health`).catch(() => undefined);
      reached = res?.headers.get('x-replica') === fresh?.name;
      if (!reached) await new Promise((r) => setTimeout(r, 200));
    }
    expect(reached).toBe(true);
  }, 300_000);

  it('scales 2→3→1 under load with no failed request (the saved engine is used without --engine)', async () => {
    await using relay = await forwardFromLoopback(cluster.bindIp, port);
    // The project's open-model loop (as the local scale test uses): 30 req/s, at most 300 s, stopped when done.
    // Like k6 it re-sends a request once only when nginx closed a reused keep-alive connection before answering.
    const load = spawnLoadLoop({ baseUrl: `http://127.0.0.1:${relay.port}`, rate: 30, durationMs: 300_000 });
    let events: { type: string }[] = [];
    try {
      const up = JSON.parse(await ok(['scale', '3', '--project', project, '--json'])) as {
        before: number;
        status: { replicas: { ready: boolean }[] };
      };
      expect(up.before).toBe(2);
      expect(up.status.replicas.filter((r) => r.ready)).toHaveLength(3);
      const down = JSON.parse(await ok(['scale', '1', '--project', project, '--json'])) as {
        events: { type: string }[];
        status: { replicas: { ready: boolean }[] };
      };
      expect(down.status.replicas.filter((r) => r.ready)).toHaveLength(1);
      events = down.events;
    } finally {
      load.stop();
    }
    const { records } = await load.result;
    expect(records.length).toBeGreaterThan(30);
    expect(records.filter(failed)).toEqual([]);
    // Requests reached three distinct tasks over the run; two left through the drain path.
    expect(new Set(records.map((r) => r.replica)).size).toBeGreaterThanOrEqual(3);
    expect(events.filter((e) => e.type === 'replica-removed')).toHaveLength(2);
  }, 600_000);

  it('shows tasks per node in status', async () => {
    const table = await ok(['status', '--project', project]);
    expect(table).toContain('tasks per node:');
    expect(table).toMatch(/tksweng-n0: .*inference\.\d+ running/);
    const json = JSON.parse(await ok(['status', '--project', project, '--json'])) as {
      tasks: { service: string; node: string; state: string }[];
    };
    const inference = json.tasks.filter((t) => t.service === 'inference' && t.state === 'running');
    expect(inference).toHaveLength(1);
    expect(inference[0].node).toBe('tksweng-n0');
  });

  it('changes nothing when up runs again with the same spec (no update, no second training)', async () => {
    const versions = async () =>
      Object.fromEntries(
        (await cluster.docker.listServices({ filters: { label: [`com.docker.stack.namespace=${project}`] } })).map(
          (svc) => [svc.Spec?.Name, svc.Version?.Index],
        ),
      );
    const before = await versions();
    const args = ['up', '--engine', 'swarm', '--project', project, '--replicas', '1', '--cpus', '0.25'];
    const res = await cli([...args, '--bind', cluster.bindIp, '--port', String(port)]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('trainer: completed before');
    expect(await versions()).toEqual(before);
  });

  it('down removes services, network, secrets, the balancer and the volume: nothing with our labels is left', async () => {
    // Without the saved spec (as after a first `up` that failed before saving it), and without --engine: down
    // finds the swarm objects by their labels.
    await rm(join(cwd, '.toolkit', project, 'spec.json'));
    const out = await ok(['down', '--project', project, '--volumes']);
    expect(out).toMatch(/removed 4 service\(s\), 3 secret\(s\), 1 container\(s\), 1 network\(s\), 1 volume\(s\)/);
    expect(await leftovers(cluster.docker)).toEqual([]);
  }, 300_000);
});

describe('docker stack deploy of the generated compose file', () => {
  it('deploys on the swarm, the inference replicas become healthy, and it is removed again', async () => {
    const stack = `${project}stk`;
    await ok(['config', '--project', stack, '--replicas', '2', '--bind', cluster.bindIp, '--port', String(port)]);
    const docker = (args: string[]) =>
      execFileP('docker', args, { cwd, env: { ...process.env, ...cluster.env }, maxBuffer: 16 * 1024 * 1024 });
    await docker(['stack', 'deploy', '-c', 'compose/docker-compose.yml', stack]);
    try {
      const deadline = Date.now() + 300_000;
      let running = 0;
      // Bounded: until both inference tasks pass their /ready healthcheck (model trained and loaded), or 300 s.
      while (Date.now() < deadline && running < 2) {
        const tasks = (await cluster.docker.listTasks({
          filters: { service: [`${stack}_inference`], 'desired-state': ['running'] },
        })) as { Status?: { State?: string } }[];
        running = tasks.filter((t) => t.Status?.State === 'running').length;
        if (running < 2) await new Promise((r) => setTimeout(r, 2000));
      }
      expect(running).toBe(2);
      const services = await cluster.docker.listServices({
        filters: { label: [`com.docker.stack.namespace=${stack}`] },
      });
      expect(services.map((s) => s.Spec?.Name).sort()).toEqual(
        ['inference', 'nginx', 'registry', 'storage', 'trainer'].map((s) => `${stack}_${s}`),
      );
    } finally {
      await docker(['stack', 'rm', stack]);
      // The stack's network and volume go once its tasks are gone: bounded wait, then the volume by label.
      const deadline = Date.now() + 120_000;
      for (;;) {
        const nets = await cluster.docker.listNetworks({ filters: { label: [`com.docker.stack.namespace=${stack}`] } });
        const ctrs = await cluster.docker.listContainers({
          all: true,
          filters: { label: [`com.docker.stack.namespace=${stack}`] },
        });
        if ((nets.length === 0 && ctrs.length === 0) || Date.now() > deadline) break;
        // A completed job's container outlives its service: remove the stack's exited ones.
        for (const c of ctrs.filter((x) => x.State !== 'running')) {
          await cluster.docker
            .getContainer(c.Id)
            .remove()
            .catch(() => undefined);
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
      const { Volumes } = await cluster.docker.listVolumes({
        filters: { label: [`com.docker.stack.namespace=${stack}`] },
      });
      for (const v of Volumes ?? []) await cluster.docker.getVolume(v.Name).remove();
    }
    expect(await leftovers(cluster.docker)).toEqual([]);
  }, 600_000);
});
