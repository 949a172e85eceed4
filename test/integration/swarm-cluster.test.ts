// A three-node swarm made of real engines on one machine: it forms, overlay traffic crosses nodes, and disposing of it
// leaves no namespace, interface, process, mount or firewall rule behind.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SwarmCluster, startSwarmCluster } from '../helpers/swarm-cluster.ts';

const NODES = 3;
const LABELS = { 'dev.replica-toolkit.managed': 'true', 'dev.replica-toolkit.test': 'swarm-cluster' };

let cluster: SwarmCluster | undefined;
let disposed = false;

beforeAll(async () => {
  cluster = await startSwarmCluster({ nodes: NODES, name: 'sct' });
});

afterAll(async () => {
  if (cluster && !disposed) await cluster[Symbol.asyncDispose]();
});

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
