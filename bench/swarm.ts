// The Swarm engine on a real three-node swarm made on this machine (test/helpers/swarm-cluster.ts), measured
// through the CLI as a user runs it: what the cluster costs to start, failed requests across scale events under an
// open-model load, and what losing a worker's engine under the same load does (errors, how long until the replicas
// are back at N, until nginx stops trying the lost ones).
// Usage: npx tsx bench/swarm.ts [--events 10] [--rate 30] [--settle 3]. Tears everything down, also on failure.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { freePort } from '../test/helpers/net.ts';
import { forwardFromLoopback, startSwarmCluster } from '../test/helpers/swarm-cluster.ts';
import { readAccessLog } from '../toolkit/chaos/access-log.ts';
import { spawnLoadLoop } from '../toolkit/chaos/load-child.ts';
import { failed, type RequestRecord } from '../toolkit/chaos/load-loop.ts';
import type { StackStatus } from '../toolkit/engine/types.ts';

const SEQUENCE = [5, 2, 4, 1, 3, 5, 2, 4, 1, 3];
const REPLICAS = 3;
const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10' },
    rate: { type: 'string', default: '30' },
    settle: { type: 'string', default: '3' },
  },
});
const EVENTS = Math.min(SEQUENCE.length, Number(args.events));
const RATE = Number(args.rate);
const SETTLE_MS = Number(args.settle) * 1000;
const BIN = resolve(import.meta.dirname, '../bin/toolkit.js');
const PROJECT = `bench-swarm-${process.pid}`;

const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)}  ${m}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const secs = (ms: number) => (ms / 1000).toFixed(1);
const line = (name: string, value: string) => console.log(`${name.padEnd(64)} ${value}`);
const byMethod = (rs: RequestRecord[]) =>
  `${rs.filter((r) => r.method === 'GET').length} / ${rs.filter((r) => r.method === 'POST').length}`;

const t0 = Date.now();
const cluster = await startSwarmCluster({ nodes: 3, name: 'bsw' });
const clusterStartMs = Date.now() - t0;
log(`3-node swarm up in ${secs(clusterStartMs)} s`);
const cwd = mkdtempSync(join(tmpdir(), 'bench-swarm-'));

async function toolkit(argv: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...argv, '--project', PROJECT], {
    cwd,
    env: { ...process.env, ...cluster.env },
    maxBuffer: 32 * 2 ** 20,
    timeout: 400_000,
  });
  return stdout;
}
const stackStatus = async () => JSON.parse(await toolkit(['status', '--json'])) as StackStatus;
const running = (st: StackStatus) =>
  (st.tasks ?? []).filter((t) => t.service === 'inference' && t.desired === 'running' && t.state === 'running');

try {
  const port = await freePort();
  const tUp = Date.now();
  await toolkit([
    'up',
    '--engine',
    'swarm',
    '--replicas',
    String(REPLICAS),
    '--cpus',
    '0.25',
    '--bind',
    cluster.bindIp,
    '--port',
    String(port),
  ]);
  const upMs = Date.now() - tUp;
  log(`toolkit up --engine swarm --replicas ${REPLICAS} in ${secs(upMs)} s`);
  await using lb = await forwardFromLoopback(cluster.bindIp, port);
  const load = spawnLoadLoop({ baseUrl: `http://127.0.0.1:${lb.port}`, rate: RATE, durationMs: 30 * 60_000 });
  const windows: { from: number; to: number; target: number }[] = [];
  let loss: Awaited<ReturnType<typeof loseNode>> | undefined;
  try {
    await sleep(SETTLE_MS);
    for (const target of SEQUENCE.slice(0, EVENTS)) {
      const from = Date.now();
      await toolkit(['scale', String(target)]);
      windows.push({ from, to: Date.now(), target });
      log(`scaled to ${target} in ${secs(Date.now() - from)} s`);
      await sleep(SETTLE_MS);
    }
    if (windows.at(-1)?.target !== REPLICAS) await toolkit(['scale', String(REPLICAS)]);
    await sleep(SETTLE_MS);
    loss = await loseNode();
  } finally {
    load.stop();
  }
  const { records, dropped } = await load.result;
  const access = await readAccessLog(cluster.docker, PROJECT).catch(() => []);
  const scalePart = records.filter((r) => !loss || r.t < loss.stoppedAt);
  console.log(`\nbench/swarm — 3-node swarm on one machine, load ${RATE} req/s (GET /health + POST /predict)`);
  line('host load average (1 min) at the end', loadavg()[0].toFixed(1));
  line('3-node cluster start (engines, swarm join, images loaded), s', secs(clusterStartMs));
  line(`toolkit up --engine swarm --replicas ${REPLICAS}, s`, secs(upMs));
  line(`scale events (${windows.map((w) => w.target).join('→')})`, String(windows.length));
  line('requests sent during the scale part / dropped by the generator', `${scalePart.length} / ${dropped}`);
  line('failed requests across the scale events (GET / POST)', byMethod(scalePart.filter(failed)));
  line('  retried once on a keep-alive connection nginx had closed', String(scalePart.filter((r) => r.retried).length));
  const durations = windows.map((w) => w.to - w.from).sort((a, b) => a - b);
  line(
    'scale event duration, s (median / max)',
    `${secs(durations[Math.floor(durations.length / 2)] ?? 0)} / ${secs(durations.at(-1) ?? 0)}`,
  );
  if (loss) {
    const { stoppedAt, lostAddresses } = loss;
    const lossPart = records.filter((r) => r.t >= stoppedAt - 1000);
    const failures = lossPart.filter(failed);
    const lastFailure = Math.max(stoppedAt, ...failures.map((r) => r.t + r.ms));
    const triedLost = access.filter((a) => a.time >= stoppedAt - 1000 && a.upstreams.some((u) => lostAddresses.has(u)));
    const lastTried = Math.max(stoppedAt, ...triedLost.map((a) => a.time));
    line(`node loss: ${loss.node} with ${loss.lost} of ${REPLICAS} replicas, engine stopped in, s`, secs(loss.stopMs));
    line('node loss: swarm marks the node down after, s', loss.downAt ? secs(loss.downAt - stoppedAt) : 'never');
    line(
      'node loss: replicas back at N (running elsewhere) after, s',
      loss.backAt ? secs(loss.backAt - stoppedAt) : 'never',
    );
    line('node loss: failed requests (GET / POST)', byMethod(failures));
    line('node loss: errors stop after, s (last failed request ends)', secs(lastFailure - stoppedAt));
    line('node loss: nginx last tries a lost replica after, s (access log, 1 s grain)', secs(lastTried - stoppedAt));
    line('node loss: `toolkit scale 3` re-reads the tasks, done after, s', secs(loss.resyncedAt - stoppedAt));
    const afterResync = records.filter((r) => r.t > loss.resyncedAt);
    line(
      'after that: requests / failed / tried on a lost replica',
      `${afterResync.length} / ${afterResync.filter(failed).length} / ${access.filter((a) => a.time > loss.resyncedAt + 1000 && a.upstreams.some((u) => lostAddresses.has(u))).length}`,
    );
  }
} finally {
  log('down');
  await toolkit(['down', '--volumes']).catch((e: Error) => log(`down failed: ${e.message}`));
  const tDispose = Date.now();
  await cluster[Symbol.asyncDispose]();
  log(`cluster disposed in ${secs(Date.now() - tDispose)} s`);
  rmSync(cwd, { recursive: true, force: true });
}

/**
 * Stops the engine of the worker holding the most inference tasks, under load; watches until Swarm has N running
 * elsewhere, keeps the load on a few seconds without any toolkit command (what nginx's passive health does alone),
 * then lets `toolkit scale N` re-read the tasks.
 */
async function loseNode() {
  const before = running(await stackStatus());
  const workers = cluster.nodes
    .slice(1)
    .map((n, i) => ({ i: i + 1, name: n.name, n: before.filter((t) => t.node === n.name).length }));
  const victim = workers.sort((a, b) => b.n - a.n)[0];
  const lostAddresses = new Set(before.filter((t) => t.node === victim.name).map((t) => t.address));
  log(`stopping the engine of ${victim.name} (${victim.n} inference task(s))`);
  const stoppedAt = Date.now();
  await cluster.stopNode(victim.i);
  const stopMs = Date.now() - stoppedAt;
  let downAt = 0;
  let backAt = 0;
  const deadline = Date.now() + 180_000;
  while (!backAt && Date.now() < deadline) {
    const nodes = (await cluster.docker.listNodes()) as {
      Description?: { Hostname?: string };
      Status?: { State?: string };
    }[];
    if (!downAt && nodes.some((n) => n.Description?.Hostname === victim.name && n.Status?.State === 'down'))
      downAt = Date.now();
    // A lost node's tasks show as `<node> (down)` once Swarm noticed.
    if (running(await stackStatus()).filter((t) => !t.node.startsWith(victim.name)).length >= REPLICAS)
      backAt = Date.now();
    else await sleep(500);
  }
  log(`back at ${REPLICAS} after ${secs(backAt - stoppedAt)} s; load continues 10 s with no toolkit command`);
  await sleep(10_000);
  await toolkit(['scale', String(REPLICAS)]);
  const resyncedAt = Date.now();
  await sleep(5000);
  return { node: victim.name, lost: victim.n, lostAddresses, stoppedAt, stopMs, downAt, backAt, resyncedAt };
}
