// One node of the test swarm (test/helpers/swarm-cluster.ts): its network plumbing (netns, veth on the cluster's
// bridge), its dockerd started by PID inside the netns, and everything teardown needs to end what it left behind
// (cgroups, mounts, links). The address plan and the machine facts behind it are at the top of swarm-cluster.ts.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';

export interface SwarmNode {
  name: string;
  socket: string;
  ip: string;
}

export const run = promisify(execFile);
export const ENGINE_START_MS = 60_000;
/** dockerd stops its containers on SIGTERM; past this it is killed and its leftovers with it. */
export const ENGINE_STOP_MS = 20_000;

export interface NodeState extends SwarmNode {
  index: number;
  netns: string;
  hostVeth: string;
  dir: string;
  cgroupParent: string;
  pid?: number;
}

export interface ClusterState {
  slot: number;
  root: string;
  bridge: string;
  nodes: NodeState[];
  forwardRuleAdded: boolean;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const hostDockerHost = () => process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
export const forwardRule = (bridge: string) => [
  'FORWARD',
  '-i',
  bridge,
  '-o',
  bridge,
  '-m',
  'comment',
  '--comment',
  `replica-toolkit swarm test ${bridge}`,
  '-j',
  'ACCEPT',
];

export async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { maxBuffer: 16 * 2 ** 20 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  return !isAlive(pid);
}

export function lastLines(file: string, n = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function plumbNode(state: ClusterState, node: NodeState): Promise<void> {
  const peer = `rtsw${state.slot}c${node.index}`;
  await sh('ip', ['netns', 'add', node.netns]);
  await sh('ip', ['link', 'add', node.hostVeth, 'type', 'veth', 'peer', 'name', peer]);
  await sh('ip', ['link', 'set', node.hostVeth, 'master', state.bridge, 'up']);
  await sh('ip', ['link', 'set', peer, 'netns', node.netns]);
  const inNs = (...args: string[]) => sh('ip', ['-n', node.netns, ...args]);
  await inNs('link', 'set', peer, 'name', 'eth0');
  await inNs('addr', 'add', `${node.ip}/24`, 'dev', 'eth0');
  await inNs('link', 'set', 'eth0', 'up');
  await inNs('link', 'set', 'lo', 'up');
}

export async function startEngine(state: ClusterState, node: NodeState): Promise<void> {
  const { slot } = state;
  const i = node.index;
  mkdirSync(node.dir, { recursive: true });
  // An empty config file of its own, so a host /etc/docker/daemon.json cannot leak into the node.
  writeFileSync(join(node.dir, 'daemon.json'), '{}');
  const log = join(node.dir, 'dockerd.log');
  const args = [
    `--net=/var/run/netns/${node.netns}`,
    // A UTS namespace of its own so each node reports its own hostname (node names in `docker node ls`).
    'unshare',
    '--uts',
    'sh',
    '-c',
    'hostname "$0" && exec dockerd "$@"',
    node.name,
    '--config-file',
    join(node.dir, 'daemon.json'),
    '--data-root',
    join(node.dir, 'data'),
    '--exec-root',
    join(node.dir, 'exec'),
    '--pidfile',
    join(node.dir, 'docker.pid'),
    '-H',
    `unix://${node.socket}`,
    '--bip',
    `100.${96 + i}.${slot}.1/24`,
    '--default-address-pool',
    `base=100.${104 + i}.${slot}.0/24,size=28`,
    '--cgroup-parent',
    node.cgroupParent,
    '--shutdown-timeout',
    '5',
  ];
  const fd = openSync(log, 'a');
  // nsenter, unshare and sh all exec: the child's PID is dockerd's.
  const child = spawn('nsenter', args, { stdio: ['ignore', fd, fd] });
  child.unref();
  node.pid = child.pid;
  saveState(state);
  const docker = new Docker({ socketPath: node.socket });
  const deadline = Date.now() + ENGINE_START_MS;
  for (;;) {
    if (node.pid === undefined || !isAlive(node.pid)) {
      throw new Error(`dockerd of ${node.name} exited while starting:\n${lastLines(log)}`);
    }
    if (
      existsSync(node.socket) &&
      (await docker.ping().then(
        () => true,
        () => false,
      ))
    )
      return;
    if (Date.now() > deadline)
      throw new Error(`dockerd of ${node.name} not up in ${ENGINE_START_MS} ms:\n${lastLines(log)}`);
    await sleep(250);
  }
}

/** Every process left in the node's container cgroups (the engine is gone, so these are its orphans). */
export function cgroupPids(node: NodeState): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.add(Number(line));
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
  };
  walk(join('/sys/fs/cgroup/pids', node.cgroupParent));
  return [...pids];
}

/** containerd and shims of this node: their command lines name the node's own directory, nothing else's. */
export function helperPids(node: NodeState): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(`${node.dir}/`)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** The recorded PID is still this node's dockerd (not a reused PID): its command line names the node's directory. */
export function isOurEngine(node: NodeState): boolean {
  try {
    return node.pid !== undefined && readFileSync(`/proc/${node.pid}/cmdline`, 'utf8').includes(`${node.dir}/`);
  } catch {
    return false;
  }
}

export async function stopEngine(node: NodeState): Promise<void> {
  if (node.pid !== undefined && isOurEngine(node)) {
    process.kill(node.pid, 'SIGTERM');
    if (!(await waitExit(node.pid, ENGINE_STOP_MS))) {
      process.kill(node.pid, 'SIGKILL');
      await waitExit(node.pid, 5_000);
    }
  }
  node.pid = undefined;
  killAll([...cgroupPids(node), ...helperPids(node)]);
}

export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The node's cgroup directories (rmdir only: a cgroup's files cannot be unlinked); retried while killed processes exit. */
export async function removeCgroups(node: NodeState): Promise<void> {
  const rmTree = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(join(dir, e.name));
    rmdirSync(dir);
  };
  for (let attempt = 1; ; attempt++) {
    try {
      for (const ctrl of readdirSync('/sys/fs/cgroup')) {
        const top = join('/sys/fs/cgroup', ctrl, node.cgroupParent);
        if (existsSync(top)) rmTree(top);
      }
      return;
    } catch (err) {
      if (attempt >= 10) throw err;
      await sleep(300);
    }
  }
}

/** Mount points under root, deepest first (overlay2 layers, shm, the engines' netns files). */
export function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => Boolean(m) && m.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
}

/** A veth goes away by itself when its netns does (asynchronously): gone is as good as deleted. */
export async function deleteLink(dev: string): Promise<void> {
  if (!existsSync(`/sys/class/net/${dev}`)) return;
  await sh('ip', ['link', 'del', dev]).catch((err: Error) => {
    if (existsSync(`/sys/class/net/${dev}`)) throw err;
  });
}

/** What teardown needs, on disk, so a cluster whose process died (a killed test run) is torn down by the next one. */
export function saveState(state: ClusterState): void {
  writeFileSync(join(state.root, 'state.json'), JSON.stringify({ ownerPid: process.pid, state }));
}
