// Scaling as a non-event, measured. Brings up its own stack (random project, free port, temp cwd), measures capacity
// at 1 replica, then runs an open-model GET /health + POST /predict load at about half of it (a child process, so
// this process's Docker work delays no request) through 20 scale events and a kill -9, and prints:
//   failed requests, first-request delay of each new replica after it became ready (p50/p95/max), p99 during scale
//   events vs steady state, and the kill case (failures vs in-flight at the kill, executed twice, recovery).
// Usage: npx tsx bench/scale.ts [--events 20] [--rate R] [--settle 3] [--probe-rate 2000] [--cpus 0.25]. Ends with
// `down` (also on failure). Also prints the host CPU busy share (/proc/stat) during events and in steady state.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/helpers/net.ts';
import { type AccessRecord, executedTwice, readAccessLog } from '../toolkit/chaos/access-log.ts';
import { killReplica } from '../toolkit/chaos/kill.ts';
import { spawnLoadLoop } from '../toolkit/chaos/load-child.ts';
import { failed, type RequestRecord, runLoadLoop } from '../toolkit/chaos/load-loop.ts';
import { connectDocker } from '../toolkit/docker.ts';
import { down, type EngineEvent, status, up } from '../toolkit/engine/index.ts';
import { ipOnNetwork, listProjectContainers } from '../toolkit/engine/query.ts';
import { ensureImages } from '../toolkit/images/index.ts';
import { type HostCpu, idlePercent, readHostCpu } from '../toolkit/load/proc.ts';
import { stackPaths } from '../toolkit/paths.ts';
import { silentProgress } from '../toolkit/progress.ts';
import { loadOrCreateSecrets } from '../toolkit/secrets.ts';
import { loadSpec } from '../toolkit/spec/index.ts';
import { serviceDefs } from '../toolkit/spec/service-defs.ts';

const SEQUENCE = [4, 2, 5, 1, 3, 5, 2, 4, 1, 3, 2, 5, 3, 1, 4, 2, 5, 1, 3, 1];
const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '20' },
    rate: { type: 'string' },
    settle: { type: 'string', default: '3' },
    // What the capacity probe asks for, req/s.
    'probe-rate': { type: 'string', default: '2000' },
    // Each replica's CPU limit (the spec's resources.cpus, default 1): below 1 the replicas, not the host, bound
    // the capacity the load is half of.
    cpus: { type: 'string' },
  },
});
const EVENTS = Math.min(SEQUENCE.length, Number(args.events));
const SETTLE_MS = Number(args.settle) * 1000;

const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)}  ${m}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');

const project = `bench-scale-${randomBytes(3).toString('hex')}`;
const cwd = await mkdtemp(join(tmpdir(), 'bench-scale-'));
const docker = await connectDocker();
try {
  const base = await loadSpec({
    cwd,
    env: {},
    flags: {
      project,
      replicas: 1,
      port: await freePort(),
      ...(args.cpus ? { cpus: args.cpus } : {}),
    },
  });
  const paths = stackPaths(base);
  const images = await ensureImages(docker, base, silentProgress);
  const secrets = await loadOrCreateSecrets(paths);
  const events: EngineEvent[] = [];
  const scaleTo = async (n: number) => {
    const spec = { ...base, replicas: n };
    const defs = serviceDefs(spec, images, paths);
    return up({
      docker,
      spec,
      images,
      defs,
      paths,
      secrets,
      progress: silentProgress,
      lock: { command: 'scale' },
      onEvent: (e) => events.push(e),
    });
  };
  log(`project ${project}: up with 1 replica`);
  const url = (await scaleTo(1)).url ?? `http://127.0.0.1:${base.port}`;

  // Capacity at 1 replica (the smallest count of the sequence): what an over-asking open loop gets through. When it
  // gets (nearly) all it asked for, the figure is the ask, a lower bound: the generator, not the stack, was the limit.
  const ask = Number(args['probe-rate']);
  const probe = await runLoadLoop({ baseUrl: url, rate: ask, durationMs: 4000, maxInflight: 64 });
  const served = probe.records.filter((r) => !failed(r));
  const capacity = served.length / ((served.at(-1)!.t + served.at(-1)!.ms - served[0].t) / 1000);
  const rate = args.rate ? Number(args.rate) : Math.max(10, Math.round(capacity / 2));
  const bound = capacity >= 0.95 * ask ? ` (≥: it got ${((100 * capacity) / ask).toFixed(0)} % of its ask)` : '';
  log(`capacity ≈ ${capacity.toFixed(0)} req/s at 1 replica${bound}; load ${rate} req/s (GET /health + POST /predict)`);

  const windows: { from: number; to: number; target: number }[] = [];
  const throttled = { fresh: 0, old: 0 };
  /** Per running inference container: ms its cgroup was throttled by the CFS quota so far (cgroup v1 or v2). */
  const throttling = async () => {
    const out = new Map<string, number>();
    for (const c of await listProjectContainers(docker, project, 'inference')) {
      for (const [file, unit] of [
        [`/sys/fs/cgroup/cpu/docker/${c.id}/cpu.stat`, 1e6],
        [`/sys/fs/cgroup/system.slice/docker-${c.id}.scope/cpu.stat`, 1e3],
      ] as const) {
        const text = await readFile(file, 'utf8').catch(() => '');
        const m = /^throttled_(?:time|usec) (\d+)/m.exec(text);
        if (m) out.set(c.id, Number(m[1]) / unit);
      }
    }
    return out;
  };
  const load = spawnLoadLoop({ baseUrl: url, rate, durationMs: 30 * 60_000, maxInflight: 512 });
  // The host's CPU every 250 ms, to tell a tail the scale event adds from one a saturated host has anyway.
  const cpuSamples: { t: number; cpu: HostCpu }[] = [];
  const sampler = setInterval(async () => {
    const cpu = await readHostCpu();
    if (cpu) cpuSamples.push({ t: Date.now(), cpu });
  }, 250);
  let killAt = 0;
  let kill: Awaited<ReturnType<typeof killReplica>> | undefined;
  let victimAddress = '';
  let backAt = 0;
  let servedAt = 0;
  try {
    await sleep(SETTLE_MS + 2000);
    for (const target of SEQUENCE.slice(0, EVENTS)) {
      const from = Date.now();
      const before = await throttling();
      await scaleTo(target);
      windows.push({ from, to: Date.now(), target });
      log(`scaled to ${target} in ${((Date.now() - from) / 1000).toFixed(1)}s`);
      await sleep(SETTLE_MS);
      // CFS quota throttling (the replicas' CPU limit) over the event and its settle: new replicas vs the others.
      for (const [id, ms] of await throttling()) {
        if (before.has(id)) throttled.old += ms - before.get(id)!;
        else throttled.fresh += ms;
      }
    }
    // kill -9 of one replica under the same load, at 3 replicas.
    await scaleTo(3);
    await sleep(SETTLE_MS);
    const victim = (await listProjectContainers(docker, project, 'inference')).find((c) => c.number === 2 && !c.oneoff);
    if (victim) victimAddress = `${ipOnNetwork(await docker.getContainer(victim.id).inspect(), project)}:8000`;
    kill = await killReplica(docker, project, { replica: 2 }, 'SIGKILL');
    killAt = Date.parse(kill.at);
    log(`kill -9 ${kill.container} with ${kill.inflight ?? '?'} prediction(s) in flight`);
    const deadline = Date.now() + 120_000;
    while (!backAt && Date.now() < deadline) {
      await sleep(250);
      const r = (await status(docker, project, paths)).replicas.find((x) => x.number === 2);
      if (r?.ready && r.inRotation && r.restarts > 0) backAt = Date.now();
    }
    // nginx's passive health (max_fails=3 fail_timeout=5s) may hold the restarted replica out for a few seconds
    // more: probe through nginx until it answers (bounded), so the figure is measured rather than cut off.
    const probeEnd = Date.now() + 15_000;
    while (kill && backAt && !servedAt && Date.now() < probeEnd) {
      const res = await fetch(`${url}/health`).catch(() => undefined);
      if (res?.headers.get('x-replica') === kill.container) servedAt = Date.now();
      else await sleep(100);
    }
    await sleep(SETTLE_MS);
  } finally {
    load.stop();
    clearInterval(sampler);
  }
  const { records, dropped } = await load.result;
  const accessLog = await readAccessLog(docker, project);
  report(records, dropped, windows, events, {
    capacity,
    rate,
    killAt,
    kill,
    backAt,
    servedAt,
    twice: executedTwice(accessLog),
    accessLog,
    victimAddress,
    cpuSamples,
    throttled,
  });
} finally {
  log('down');
  await down(docker, project, { volumes: true });
  await rm(cwd, { recursive: true, force: true });
}

function report(
  records: RequestRecord[],
  dropped: number,
  windows: { from: number; to: number; target: number }[],
  events: EngineEvent[],
  k: {
    capacity: number;
    rate: number;
    killAt: number;
    kill?: { container: string; inflight: number | null; goneAt?: string };
    backAt: number;
    servedAt: number;
    twice: string[];
    accessLog: AccessRecord[];
    victimAddress: string;
    cpuSamples: { t: number; cpu: HostCpu }[];
    throttled: { fresh: number; old: number };
  },
) {
  const scalePart = records.filter((r) => !k.killAt || r.t < k.killAt - SETTLE_MS / 2);
  // In an event window, or in the second after one (left out of steady state): by send time.
  const inEvent = (t: number) => windows.some((w) => t >= w.from && t <= w.to);
  const afterEvent = (t: number) => windows.some((w) => t > w.to && t < w.to + 1000);
  const isSteady = (t: number) => !inEvent(t) && !afterEvent(t);
  const steady = scalePart.filter((r) => isSteady(r.t));
  const during = scalePart.filter((r) => inEvent(r.t));
  const failures = scalePart.filter(failed);
  // First request each new replica served after it became ready (client send time of the first answer from it).
  const delays: number[] = [];
  for (const e of events) {
    if (e.type !== 'replica-ready' || (k.killAt && e.at >= k.killAt)) continue;
    const first = records.find((r) => r.replica === e.name && r.t + r.ms >= e.at && !failed(r));
    if (first) delays.push(Math.max(0, first.t + first.ms - e.at));
  }
  const killPart = records.filter((r) => k.killAt && r.t >= k.killAt - SETTLE_MS / 2);
  const killFailures = killPart.filter(failed);
  const inflightAtKill = killPart.filter((r) => r.t <= k.killAt && r.t + r.ms >= k.killAt && r.replica !== '').length;
  const lastFailureEnd = Math.max(k.killAt, ...killFailures.map((r) => r.t + r.ms));
  // The balancer's view of the victim: requests nginx had handed to it (its address among the upstreams tried) that
  // were still open at the signal, or that it handed over between the signal and the moment the process was gone —
  // until then the victim's kernel sockets still took them. (Start: nginx's end stamp minus $request_time.)
  const goneAt = k.kill?.goneAt ? Date.parse(k.kill.goneAt) : k.killAt;
  const onVictim = k.accessLog.filter((a) => k.victimAddress && a.upstreams.includes(k.victimAddress));
  const start = (a: AccessRecord) => a.time - a.request_time * 1000;
  const openAtSignal = onVictim.filter((a) => start(a) <= k.killAt && a.time >= k.killAt);
  const handedBeforeGone = onVictim.filter((a) => start(a) > k.killAt && start(a) <= goneAt);
  const byId = new Map(k.accessLog.map((a) => [a.request_id, a]));
  const servedByLoad = records.find((r) => k.kill && r.replica === k.kill.container && r.t > k.killAt);
  const firstServed = Math.min(
    ...[servedByLoad ? servedByLoad.t + servedByLoad.ms : 0, k.servedAt].filter((t) => t > 0),
  ); // Infinity: never
  const line = (name: string, value: string) => console.log(`${name.padEnd(58)} ${value}`);
  console.log(
    `\nbench/scale — ${windows.length} scale events (${windows.map((w) => w.target).join('→')}), load ${k.rate} req/s`,
  );
  line('replica CPU limit (cores)', String(args.cpus ?? 'spec default (1)'));
  line('host load average (1 min) at the end', loadavg()[0].toFixed(1));
  line('capacity at 1 replica (req/s)', k.capacity.toFixed(0));
  line('requests sent during the scale part / dropped by the generator', `${scalePart.length} / ${dropped}`);
  line(
    'failed requests across the scale events (GET / POST)',
    `${failures.filter((r) => r.method === 'GET').length} / ${failures.filter((r) => r.method === 'POST').length}`,
  );
  line('  retried once on a keep-alive connection nginx had closed', String(scalePart.filter((r) => r.retried).length));
  line(
    'new replica: first request after ready, ms (p50 / p95 / max, n)',
    `${f1(pct(delays, 50))} / ${f1(pct(delays, 95))} / ${f1(Math.max(...delays))}, n=${delays.length}`,
  );
  const p99d = pct(
    during.map((r) => r.ms),
    99,
  );
  const p99s = pct(
    steady.map((r) => r.ms),
    99,
  );
  line(
    'p99 latency during scale events / steady state, ms',
    `${f1(p99d)} / ${f1(p99s)}  (ratio ${(p99d / p99s).toFixed(2)}×)`,
  );
  // Per event: which kind of change (up or down, by how many) the tail comes from.
  const perEvent = windows.map((w, i) => {
    const from = i === 0 ? 1 : windows[i - 1].target;
    const p99 = pct(
      during.filter((r) => r.t >= w.from && r.t <= w.to).map((r) => r.ms),
      99,
    );
    return `${from}→${w.target} ${f1(p99)}`;
  });
  line('p99 per event, ms', perEvent.join(', '));
  // Scale-ups: is the tail on the replicas that just joined (cold: JIT, first connections) or on the ones serving
  // all along (CPU taken by the start-up)? Requests answered by a replica that became ready in the same event vs the rest.
  const joined = (w: { from: number; to: number }) =>
    new Set(events.flatMap((e) => (e.type === 'replica-ready' && e.at >= w.from && e.at <= w.to ? [e.name] : [])));
  const ups = windows.filter((w, i) => w.target > (i === 0 ? 1 : windows[i - 1].target));
  const onNew: number[] = [];
  const onOld: number[] = [];
  for (const w of ups) {
    const fresh = joined(w);
    for (const r of during.filter((x) => x.t >= w.from && x.t <= w.to))
      (fresh.has(r.replica) ? onNew : onOld).push(r.ms);
  }
  line(
    'CFS-quota throttling over events + settle: new replicas / the others, ms',
    `${f1(k.throttled.fresh)} / ${f1(k.throttled.old)}`,
  );
  line(
    'scale-ups: p99 on replicas that joined in the event / on the others, ms (n)',
    `${f1(pct(onNew, 99))} (${onNew.length}) / ${f1(pct(onOld, 99))} (${onOld.length})`,
  );
  // The balancer's own view ($request_time: from nginx reading the request to its last byte sent): latency the stack
  // added, without the load generator's own scheduling delays on this shared host.
  // Only the load's requests: the capacity probe before it over-asks on purpose, and its queueing is not steady state.
  const loadIds = new Set(records.map((r) => r.id));
  const scaleLog = k.accessLog.filter(
    (a) => loadIds.has(a.request_id) && (!k.killAt || a.time < k.killAt - SETTLE_MS / 2),
  );
  const startOf = (a: AccessRecord) => a.time - a.request_time * 1000;
  const p99nd = pct(
    scaleLog.filter((a) => inEvent(startOf(a))).map((a) => a.request_time * 1000),
    99,
  );
  const p99ns = pct(
    scaleLog.filter((a) => isSteady(startOf(a))).map((a) => a.request_time * 1000),
    99,
  );
  line(
    'p99 during scale events / steady state, nginx view, ms',
    `${f1(p99nd)} / ${f1(p99ns)}  (ratio ${(p99nd / p99ns).toFixed(2)}×)`,
  );
  // Host CPU busy share over the sample intervals that fall in events vs in steady state (scale part only).
  const busy = (keep: (t: number) => boolean) => {
    const sum: HostCpu = { idle: 0, total: 0 };
    for (let i = 1; i < k.cpuSamples.length; i++) {
      const [x, y] = [k.cpuSamples[i - 1], k.cpuSamples[i]];
      if ((k.killAt && y.t >= k.killAt - SETTLE_MS / 2) || !keep(y.t)) continue;
      sum.idle += y.cpu.idle - x.cpu.idle;
      sum.total += y.cpu.total - x.cpu.total;
    }
    const idle = idlePercent({ idle: 0, total: 0 }, sum);
    return idle === null ? Number.NaN : 100 - idle;
  };
  line('host CPU busy during scale events / steady state, %', `${f1(busy(inEvent))} / ${f1(busy(isSteady))}`);
  line(
    'scale event duration, s (p50 / max)',
    `${f1(
      pct(
        windows.map((w) => (w.to - w.from) / 1000),
        50,
      ),
    )} / ${f1(Math.max(...windows.map((w) => (w.to - w.from) / 1000)))}`,
  );
  if (k.kill) {
    line(
      'kill -9: failed requests (GET / POST)',
      `${killFailures.filter((r) => r.method === 'GET').length} / ${killFailures.filter((r) => r.method === 'POST').length}`,
    );
    line(
      'kill -9: predictions in flight on the victim (gauge) / all requests in flight (client)',
      `${k.kill.inflight ?? '?'} / ${inflightAtKill}`,
    );
    line('kill -9: signal → process gone (sockets closed), ms', k.kill.goneAt ? f1(goneAt - k.killAt) : 'unknown');
    line(
      'kill -9: on the victim, nginx view: open at the signal / handed to it before gone',
      `${openAtSignal.length} / ${handedBeforeGone.length}`,
    );
    line('kill -9: failures sent after the kill', String(killFailures.filter((r) => r.t > k.killAt).length));
    for (const r of killFailures) {
      const a = byId.get(r.id);
      line(
        `  failure ${r.method} sent ${f1(r.t - k.killAt)} ms after the signal`,
        a
          ? `nginx ${a.status}, tried ${a.upstreams.join(', ')} (${a.upstreamStatuses.join(', ')})`
          : 'not in nginx log',
      );
    }
    line('kill -9: error rate back to 0 after, ms', f1(lastFailureEnd - k.killAt));
    line('requests executed twice (nginx access log)', String(k.twice.length));
    line(
      'kill -9: back in rotation after, s (status / first request)',
      `${k.backAt ? f1((k.backAt - k.killAt) / 1000) : 'never'} / ${Number.isFinite(firstServed) ? f1((firstServed - k.killAt) / 1000) : 'never'}`,
    );
  }
}
