// A real multi-node Docker Swarm on one machine, for integration tests and benchmarks: one dockerd per node, each in
// its own network namespace on a private bridge, with its own data-root, exec-root (its own containerd) and socket.
// The host engine is never switched to swarm mode (other tests share it).
//
// Facts of this machine that shape what runs on the cluster (checked, not guessed):
// - The kernel has no IPVS (CONFIG_IP_VS unset, no modules). Swarm's VIP endpoint mode and the ingress routing mesh
//   need it: a VIP answers nothing and an ingress-published port refuses connections. Use EndpointSpec
//   {Mode:'dnsrr'} (service names resolve to task IPs) and publish with a plain container or PublishMode 'host'.
//   Overlay (vxlan) traffic between nodes works.
// - The host's FORWARD policy is DROP (Docker's) and bridged frames pass iptables (br_netfilter), so the bridge gets
//   one ACCEPT rule of its own, removed at teardown.
// - dockerd is entered into the netns with `nsenter --net` rather than `ip netns exec`, which remounts /sys and
//   hides the cgroup v1 hierarchies dockerd needs. Its mounts therefore live in the host's mount namespace, under
//   the cluster's directory, and teardown unmounts them.
//
// Addresses (k = the cluster's slot, 1..254, also in every interface name so parallel clusters do not clash):
// bridge 100.64.k.0/24 (host .1, node i .10+i); node i's docker0 100.(96+i).k.1/24 and local pools
// 100.(104+i).k.0/24 — shared address space (RFC 6598) that neither the host nor its Docker uses.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Docker from 'dockerode';
import { LOCAL_BASES } from '../../toolkit/images/index.ts';
import { forwardFromLoopback } from './loopback-forward.ts';
import {
  type ClusterState,
  cgroupPids,
  deleteLink,
  forwardRule,
  hostDockerHost,
  isAlive,
  killAll,
  mountsUnder,
  plumbNode,
  removeCgroups,
  type SwarmNode,
  saveState,
  sh,
  sleep,
  startEngine,
  stopEngine,
} from './swarm-node.ts';

export { forwardFromLoopback, type SwarmNode };

const MAX_NODES = 8;
const NODES_READY_MS = 60_000;

export interface SwarmCluster {
  managerSocket: string;
  nodes: SwarmNode[];
  /** The manager's engine. */
  docker: Docker;
  /** The manager's address on the private bridge: reachable from the host, where the load balancer is published. */
  bindIp: string;
  /** DOCKER_HOST=unix://<managerSocket>, for running the CLI against the cluster. */
  env: Record<string, string>;
  /** Stops node i's engine (SIGTERM by PID, KILL after a bound) and ends what it left running: a lost node. */
  stopNode(i: number): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Claims a slot by creating its directory (atomic), so concurrent clusters never share names or subnets. */
function claimSlot(): { slot: number; root: string } {
  const start = 1 + Math.floor(Math.random() * 254);
  for (let n = 0; n < 254; n++) {
    const slot = 1 + ((start + n) % 254);
    const root = `/tmp/rtsw-${slot}`;
    if (existsSync(`/sys/class/net/rtsw${slot}`)) continue;
    try {
      mkdirSync(root);
      return { slot, root };
    } catch {
      // taken by another cluster
    }
  }
  throw new Error('no free swarm-cluster slot under /tmp/rtsw-*');
}

/**
 * Builds (when needed) the images `toolkit up` will ask for and loads them, with the bases so its image check is a
 * no-op, into every node whose engine runs. The tags are computed in a plain `node --import tsx` process, as
 * bin/toolkit.js runs (a bundle made inside vitest hashes to another tag). Call it again before `toolkit up` when the
 * sources may have changed since the cluster started; `root` is another checkout of the toolkit (default: this one).
 */
export async function loadProjectImages(
  cluster: Pick<SwarmCluster, 'nodes'>,
  opts: { root?: string } = {},
): Promise<{ services: string; nginx: string }> {
  const root = opts.root
    ? pathToFileURL(`${opts.root.replace(/\/+$/, '')}/`).href
    : new URL('../../', import.meta.url).href;
  const mod = (rel: string) => JSON.stringify(new URL(rel, root).href);
  const code = [
    `import { ensureImages } from ${mod('toolkit/images/index.ts')};`,
    `import { connectDocker } from ${mod('toolkit/docker.ts')};`,
    `import { silentProgress } from ${mod('toolkit/progress.ts')};`,
    `import { DEFAULT_SPEC } from ${mod('toolkit/spec/index.ts')};`,
    'const images = await ensureImages(await connectDocker(), DEFAULT_SPEC, silentProgress);',
    'process.stdout.write(JSON.stringify(images));',
  ].join('\n');
  const out = await sh(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code]);
  const images = JSON.parse(out) as { services: string; nginx: string };
  const present: string[] = [];
  for (const name of [images.services, images.nginx, LOCAL_BASES.node, LOCAL_BASES.nginx]) {
    const found = await sh('docker', ['-H', hostDockerHost(), 'image', 'inspect', name]).then(
      () => true,
      () => false,
    );
    if (found) present.push(name);
  }
  const live: string[] = [];
  for (const n of cluster.nodes) {
    if (
      await new Docker({ socketPath: n.socket }).ping().then(
        () => true,
        () => false,
      )
    )
      live.push(n.socket);
  }
  const dir = mkdtempSync(join(tmpdir(), 'rtsw-images-'));
  try {
    const tar = join(dir, 'images.tar');
    await sh('docker', ['-H', hostDockerHost(), 'save', '-o', tar, ...present]);
    await Promise.all(live.map((socket) => sh('docker', ['-H', `unix://${socket}`, 'load', '-q', '-i', tar])));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return images;
}

async function formSwarm(state: ClusterState): Promise<Docker> {
  const [manager, ...workers] = state.nodes;
  const mgr = new Docker({ socketPath: manager.socket });
  await mgr.swarmInit({ ListenAddr: `${manager.ip}:2377`, AdvertiseAddr: manager.ip });
  const swarm = (await mgr.swarmInspect()) as { JoinTokens: { Worker: string } };
  await Promise.all(
    workers.map((w) =>
      new Docker({ socketPath: w.socket }).swarmJoin({
        ListenAddr: `${w.ip}:2377`,
        AdvertiseAddr: w.ip,
        RemoteAddrs: [`${manager.ip}:2377`],
        JoinToken: swarm.JoinTokens.Worker,
      }),
    ),
  );
  const deadline = Date.now() + NODES_READY_MS;
  for (;;) {
    const nodes = (await mgr.listNodes()) as { Status?: { State?: string } }[];
    const ready = nodes.filter((n) => n.Status?.State === 'ready').length;
    if (ready === state.nodes.length) return mgr;
    if (Date.now() > deadline)
      throw new Error(`swarm has ${ready}/${state.nodes.length} ready nodes after ${NODES_READY_MS} ms`);
    await sleep(500);
  }
}

async function teardown(state: ClusterState): Promise<void> {
  const errors: string[] = [];
  const attempt = async (what: string, f: () => unknown) => {
    try {
      await f();
    } catch (err) {
      errors.push(`${what}: ${(err as Error).message}`);
    }
  };
  // Workers leave first so the manager does not wait on them; bounded, since a stopped node cannot answer.
  await Promise.all(
    [...state.nodes].reverse().map((n) =>
      attempt(`leave swarm ${n.name}`, async () => {
        if (n.pid === undefined) return;
        const leave = new Docker({ socketPath: n.socket }).swarmLeave({ force: true });
        await Promise.race([leave.catch(() => undefined), sleep(10_000)]);
      }),
    ),
  );
  // Everything goes: kill the containers first so the engines need not stop each one gracefully.
  for (const n of state.nodes) killAll(cgroupPids(n));
  await Promise.all(state.nodes.map((n) => attempt(`stop ${n.name}`, () => stopEngine(n))));
  for (const m of mountsUnder(state.root)) await attempt(`umount ${m}`, () => sh('umount', ['-l', m]));
  for (const n of state.nodes) {
    await attempt(
      `netns ${n.netns}`,
      () => existsSync(`/var/run/netns/${n.netns}`) && sh('ip', ['netns', 'del', n.netns]),
    );
    await attempt(`veth ${n.hostVeth}`, () => deleteLink(n.hostVeth));
    await attempt(`cgroups ${n.cgroupParent}`, () => removeCgroups(n));
  }
  await attempt(`bridge ${state.bridge}`, () => deleteLink(state.bridge));
  if (state.forwardRuleAdded)
    await attempt('iptables rule', () => sh('iptables', ['-D', ...forwardRule(state.bridge)]));
  await attempt(`rm ${state.root}`, () => rmSync(state.root, { recursive: true, force: true }));
  if (errors.length) throw new Error(`swarm cluster teardown left things behind:\n${errors.join('\n')}`);
}

async function reclaimAbandoned(): Promise<void> {
  for (const entry of readdirSync('/tmp')) {
    if (!/^rtsw-\d+$/.test(entry)) continue;
    try {
      const saved = JSON.parse(readFileSync(join('/tmp', entry, 'state.json'), 'utf8')) as {
        ownerPid: number;
        state: ClusterState;
      };
      if (!isAlive(saved.ownerPid)) await teardown(saved.state);
    } catch {
      // no state yet (a cluster being made), or already half gone: leave it to its owner or the next run
    }
  }
}

export async function startSwarmCluster(opts: { nodes: number; name?: string }): Promise<SwarmCluster> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > MAX_NODES) {
    throw new Error(`nodes must be an integer from 1 to ${MAX_NODES}, got ${opts.nodes}`);
  }
  await reclaimAbandoned();
  const { slot, root } = claimSlot();
  const name = opts.name ?? `rtsw${slot}`;
  const bridge = `rtsw${slot}`;
  const state: ClusterState = {
    slot,
    root,
    bridge,
    forwardRuleAdded: false,
    nodes: Array.from({ length: opts.nodes }, (_, i) => ({
      index: i,
      name: `${name}-n${i}`,
      ip: `100.64.${slot}.${10 + i}`,
      netns: `rtsw${slot}n${i}`,
      hostVeth: `rtsw${slot}h${i}`,
      dir: join(root, `n${i}`),
      socket: join(root, `n${i}`, 'docker.sock'),
      cgroupParent: `/rtsw${slot}n${i}`,
    })),
  };
  try {
    saveState(state);
    await sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await sh('ip', ['addr', 'add', `100.64.${slot}.1/24`, 'dev', bridge]);
    await sh('ip', ['link', 'set', bridge, 'up']);
    const [chain, ...rule] = forwardRule(bridge);
    await sh('iptables', ['-I', chain, '1', ...rule]);
    state.forwardRuleAdded = true;
    saveState(state);
    for (const node of state.nodes) await plumbNode(state, node);
    await Promise.all(state.nodes.map((n) => startEngine(state, n)));
    // Images load while the swarm forms: both only need the engines.
    // allSettled: neither may still be running when a failure starts the teardown.
    const [formed, loaded] = await Promise.allSettled([formSwarm(state), loadProjectImages(state)]);
    if (formed.status === 'rejected') throw formed.reason;
    if (loaded.status === 'rejected') throw loaded.reason;
    const docker = formed.value;
    const manager = state.nodes[0];
    return {
      managerSocket: manager.socket,
      nodes: state.nodes.map(({ name: n, socket, ip }) => ({ name: n, socket, ip })),
      docker,
      bindIp: manager.ip,
      env: { DOCKER_HOST: `unix://${manager.socket}` },
      stopNode: async (i: number) => {
        const node = state.nodes[i];
        if (!node) throw new Error(`no node ${i} (cluster has ${state.nodes.length})`);
        await stopEngine(node);
      },
      [Symbol.asyncDispose]: () => teardown(state),
    };
  } catch (err) {
    await teardown(state).catch((e: Error) => {
      (err as Error).message += `\n(and ${e.message})`;
    });
    throw err;
  }
}
