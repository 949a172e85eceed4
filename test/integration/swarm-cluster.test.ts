// A three-node swarm made of real engines on one machine (test/helpers/swarm-cluster.ts): it forms and overlay
// traffic crosses nodes; the toolkit runs on it through the real CLI (`up --engine swarm`, replicas spread over the
// nodes, scale under a bounded load with no failed request, one worker's engine stopped under load: replicas back at
// N and the balancer no longer sending to the lost ones); disposing of it leaves no namespace, interface, process,
// mount or firewall rule behind.

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAccessLog } from '../../toolkit/chaos/access-log.ts';
import { spawnLoadLoop } from '../../toolkit/chaos/load-child.ts';
import { failed, type RequestRecord } from '../../toolkit/chaos/load-loop.ts';
import type { StackStatus } from '../../toolkit/engine/types.ts';
import { freePort } from '../helpers/net.ts';
import {
  forwardFromLoopback,
  loadProjectImages,
  type SwarmCluster,
  startSwarmCluster,
} from '../helpers/swarm-cluster.ts';

const NODES = 3;
const LABELS = { 'dev.replica-toolkit.managed': 'true', 'dev.replica-toolkit.test': 'swarm-cluster' };

const BIN = resolve(import.meta.dirname, '../../bin/toolkit.js');
const PROJECT = `sct${process.pid}`;
let cluster: SwarmCluster | undefined;
let disposed = false;
let cwd: string;

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'sct-'));
  cluster = await startSwarmCluster({ nodes: NODES, name: 'sct' });
});

afterAll(async () => {
  try {
    if (cluster && !disposed) await toolkit(['down', '--project', PROJECT, '--volumes']);
  } finally {
    if (cluster && !disposed) await cluster[Symbol.asyncDispose]();
    rmSync(cwd, { recursive: true, force: true });
  }
}, 300_000);

/** The real CLI against the cluster's manager; resolves with the exit code, never throws. */
async function toolkit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, ...(cluster as SwarmCluster).env };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd,
      env,
      maxBuffer: 32 * 2 ** 20,
      timeout: 400_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function toolkitOk(args: string[]): Promise<string> {
  const res = await toolkit([...args, '--project', PROJECT]);
  if (res.code !== 0) throw new Error(`toolkit ${args.join(' ')} exited ${res.code}:\n${res.stderr.slice(-4000)}`);
  return res.stdout;
}

const stackStatus = async () => JSON.parse(await toolkitOk(['status', '--json'])) as StackStatus;
const inferenceTasks = (st: StackStatus) =>
  (st.tasks ?? []).filter((t) => t.service === 'inference' && t.desired === 'running' && t.state === 'running');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function servicesImage(docker: Docker): Promise<string> {
  const images = await docker.listImages({ filters: { reference: ['replica-toolkit/services'] } });
  const tag = images.flatMap((i) => i.RepoTags ?? [])[0];
  if (!tag) throw new Error('the cluster has no replica-toolkit/services image loaded');
  return tag;
}

/** Runs a one-off container on the manager and returns what it printed. */
async function runOnce(docker: Docker, image: string, network: string, script: string): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['node', '-e', script],
    Tty: true,
    Labels: LABELS,
    HostConfig: { NetworkMode: network },
  });
  try {
    await container.start();
    await Promise.race([
      container.wait(),
      sleep(60_000).then(() => {
        throw new Error('probe container did not finish in 60 s');
      }),
    ]);
    return (await container.logs({ stdout: true, stderr: true })).toString();
  } finally {
    await container.remove({ force: true });
  }
}

async function waitRunningTasks(docker: Docker, service: string, want: number): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const tasks = (await docker.listTasks({ filters: { service: [service], 'desired-state': ['running'] } })) as {
      Status?: { State?: string };
    }[];
    const running = tasks.filter((t) => t.Status?.State === 'running').length;
    if (running === want) return;
    if (Date.now() > deadline) throw new Error(`${service}: ${running}/${want} tasks running after 90 s`);
    await sleep(500);
  }
}

// Resolves every task of the service (dnsrr: the name lists task IPs) and asks each which node it runs on.
// Bounded: 30 attempts, 2 s per request.
const PROBE = `
const dns = require('dns').promises, http = require('http');
const get = (ip) => new Promise((res) => {
  const q = http.get({ host: ip, port: 8080, timeout: 2000 }, (s) => { let b = ''; s.on('data', (d) => (b += d)); s.on('end', () => res(b)); });
  q.on('timeout', () => { q.destroy(); res('timeout'); });
  q.on('error', (e) => res('error ' + e.message));
});
(async () => {
  let seen = [];
  for (let i = 0; i < 30; i++) {
    const ips = await dns.resolve4('echo').catch(() => []);
    seen = await Promise.all(ips.map(get));
    if (ips.length === ${NODES} && seen.every((s) => !s.startsWith('error') && s !== 'timeout')) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log('RESULT ' + JSON.stringify(seen.sort()));
})();`;

describe('a three-node swarm on one machine', () => {
  it('forms with every node ready, one manager, distinct node names', async () => {
    const c = cluster as SwarmCluster;
    const nodes = (await c.docker.listNodes()) as {
      Description: { Hostname: string };
      Status: { State: string; Addr: string };
      Spec: { Role: string };
    }[];
    expect(nodes.map((n) => n.Status.State)).toEqual(Array(NODES).fill('ready'));
    expect(nodes.filter((n) => n.Spec.Role === 'manager')).toHaveLength(1);
    expect(nodes.map((n) => n.Description.Hostname).sort()).toEqual(c.nodes.map((n) => n.name).sort());
    expect(c.env.DOCKER_HOST).toBe(`unix://${c.managerSocket}`);
    expect(c.bindIp).toBe(c.nodes[0].ip);
  });

  it('carries overlay traffic between nodes: a task on every node answers a container on the manager', async () => {
    const c = cluster as SwarmCluster;
    const image = await servicesImage(c.docker);
    const net = await c.docker.createNetwork({
      Name: 'sct-overlay',
      Driver: 'overlay',
      Attachable: true,
      Labels: LABELS,
    });
    await c.docker.createService({
      Name: 'echo',
      Labels: LABELS,
      TaskTemplate: {
        ContainerSpec: {
          Image: image,
          Command: ['node', '-e', "require('http').createServer((q,s)=>s.end(require('os').hostname())).listen(8080)"],
          Hostname: '{{.Node.Hostname}}',
        },
        Networks: [{ Target: net.id }],
      },
      Mode: { Global: {} },
      // No IPVS in this kernel: names resolve straight to task IPs.
      EndpointSpec: { Mode: 'dnsrr' },
    });
    await waitRunningTasks(c.docker, 'echo', NODES);
    const out = await runOnce(c.docker, image, 'sct-overlay', PROBE);
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, out).toBeDefined();
    expect(JSON.parse((line as string).slice(7))).toEqual(c.nodes.map((n) => n.name).sort());
  });
});

describe('the toolkit on the three-node swarm', () => {
  let port: number;
  let lb: Awaited<ReturnType<typeof forwardFromLoopback>>;

  afterAll(async () => {
    await lb?.close();
  });

  it('comes up with 3 replicas spread over the 3 nodes', async () => {
    const c = cluster as SwarmCluster;
    // The images as the CLI will ask for them now (the sources may have changed since the cluster started).
    await loadProjectImages(c);
    port = await freePort();
    const args = ['up', '--engine', 'swarm', '--replicas', '3', '--cpus', '0.25', '--bind', c.bindIp];
    await toolkitOk([...args, '--port', String(port)]);
    const st = await stackStatus();
    expect(st.url).toBe(`http://${c.bindIp}:${port}`);
    expect(new Set(inferenceTasks(st).map((t) => t.node))).toEqual(new Set(c.nodes.map((n) => n.name)));
    lb = await forwardFromLoopback(c.bindIp, port);
  }, 400_000);

  it('scales 3 → 5 → 2 → 3 under load with no failed request', async () => {
    // 20 req/s through the loopback relay to the balancer, at most 360 s, stopped once the scale events are done.
    const load = spawnLoadLoop({ baseUrl: `http://127.0.0.1:${lb.port}`, rate: 20, durationMs: 360_000 });
    try {
      for (const n of [5, 2, 3]) await toolkitOk(['scale', String(n)]);
    } finally {
      load.stop();
    }
    const { records } = await load.result;
    expect(records.length).toBeGreaterThan(20);
    expect(records.filter(failed)).toEqual([]);
    expect(new Set(records.map((r) => r.replica)).size).toBeGreaterThanOrEqual(5);
    const st = await stackStatus();
    expect(inferenceTasks(st)).toHaveLength(3);
    expect(new Set(inferenceTasks(st).map((t) => t.node)).size).toBe(NODES);
  }, 400_000);

  it("loses a worker's engine under load: replicas back at 3 on the others, the balancer stops sending to the lost ones", async () => {
    const c = cluster as SwarmCluster;
    const before = inferenceTasks(await stackStatus());
    // The worker with the most inference tasks (the manager holds storage and nginx).
    const counts = c.nodes.slice(1).map((n, i) => ({ i: i + 1, n: before.filter((t) => t.node === n.name).length }));
    const victim = counts.sort((a, b) => b.n - a.n)[0];
    const lostNode = c.nodes[victim.i].name;
    const lost = new Set(before.filter((t) => t.node === lostNode).map((t) => t.task));
    const lostAddresses = new Set(before.filter((t) => t.node === lostNode).map((t) => t.address));
    expect(lost.size).toBeGreaterThan(0);

    const load = spawnLoadLoop({ baseUrl: `http://127.0.0.1:${lb.port}`, rate: 20, durationMs: 300_000 });
    let resyncedAt = 0;
    try {
      await sleep(2000);
      await c.stopNode(victim.i);
      // Swarm notices the node is down and starts replacements elsewhere: bounded wait for 3 running again.
      const deadline = Date.now() + 120_000;
      for (;;) {
        // Once Swarm noticed, the lost node's tasks show as `<node> (down)`.
        const running = inferenceTasks(await stackStatus()).filter((t) => !t.node.startsWith(lostNode));
        if (running.length === 3) break;
        if (Date.now() > deadline) throw new Error(`inference not back at 3 after 120 s: ${JSON.stringify(running)}`);
        await sleep(1000);
      }
      // No toolkit command from here: the watcher `up` started (toolkit lb watch) follows the tasks, so the
      // replacements join and the lost ones leave nginx's upstream by themselves. Bounded wait for that.
      const rotationDeadline = Date.now() + 60_000;
      for (;;) {
        const inRotation = (await stackStatus()).replicas.filter((r) => r.inRotation);
        if (inRotation.length === 3 && inRotation.every((r) => !lost.has(r.container))) break;
        if (Date.now() > rotationDeadline)
          throw new Error(`the watcher did not put the 3 new tasks in rotation: ${JSON.stringify(inRotation)}`);
        await sleep(500);
      }
      resyncedAt = Date.now();
      await sleep(5000);
    } finally {
      load.stop();
    }
    const { records } = await load.result;
    const after = records.filter((r: RequestRecord) => r.t > resyncedAt);
    expect(after.length).toBeGreaterThan(20);
    expect(after.filter(failed)).toEqual([]);
    // nginx's own view: no request that started after the watcher's reload tries a lost task's address. The log
    // stamps a request's end (1 s grain); one that began before the reload may still wait out a connect timeout on a
    // lost address and end after it, so the start (end − request_time, at the earliest) is what counts.
    const tried = (await readAccessLog(c.docker, PROJECT)).filter(
      (a) => a.time - a.request_time * 1000 > resyncedAt && a.upstreams.some((u) => lostAddresses.has(u)),
    );
    expect(tried).toEqual([]);
    const st = await stackStatus();
    const inRotation = st.replicas.filter((r) => r.inRotation);
    expect(inRotation).toHaveLength(3);
    expect(inRotation.filter((r) => lost.has(r.container))).toEqual([]);
    expect(inferenceTasks(st).filter((t) => t.node.startsWith(lostNode))).toEqual([]);
  }, 400_000);

  it('goes down, leaving nothing with our label on the manager', async () => {
    await toolkitOk(['down', '--volumes']);
    const d = (cluster as SwarmCluster).docker;
    const filters = { label: ['dev.replica-toolkit.managed=true', `com.docker.stack.namespace=${PROJECT}`] };
    expect(await d.listServices({ filters })).toEqual([]);
    expect(await d.listContainers({ all: true, filters })).toEqual([]);
    expect(await d.listNetworks({ filters })).toEqual([]);
  }, 200_000);
});

describe('disposing of the cluster', () => {
  it('leaves nothing behind once disposed: no netns, interface, process, mount, cgroup or firewall rule', async () => {
    const c = cluster as SwarmCluster;
    const root = c.managerSocket.replace(/\/n0\/docker\.sock$/, '');
    const slot = /\/tmp\/rtsw-(\d+)$/.exec(root)?.[1];
    expect(slot, root).toBeDefined();
    const prefix = `rtsw${slot}`;
    // Exactly this cluster's names (rtsw12 must not match another cluster's rtsw123).
    const ours = (name: string) => new RegExp(`^${prefix}([hn]\\d+)?$`).test(name);
    expect(readdirSync('/sys/class/net').filter(ours)).toHaveLength(NODES + 1);
    disposed = true;
    await c[Symbol.asyncDispose]();

    expect(readdirSync('/sys/class/net').filter(ours)).toEqual([]);
    expect(existsSync('/var/run/netns') ? readdirSync('/var/run/netns').filter(ours) : []).toEqual([]);
    expect(existsSync(root)).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(`${root}/`);
    const cmdlines = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      });
    expect(cmdlines.filter((cmd) => cmd.includes(`${root}/`))).toEqual([]);
    expect(readdirSync('/sys/fs/cgroup/pids').filter(ours)).toEqual([]);
    expect(execFileSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' })).not.toContain(`${prefix} `);
  });
});
