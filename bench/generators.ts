// Benchmark: what `toolkit loadtest --generators 2` buys on this machine. The target is the project's own nginx
// image answering a static 200 (`return 200`, one worker, no access log) on 127.0.0.1: far cheaper per request than
// k6, which runs JavaScript per iteration, so the generators are what saturates. Two figures, as issue 7 asks:
//   1. request rate of K=2 vs K=1, closed model at full speed (GET /health, U VUs in total either way);
//   2. merged p95 of K=2 vs one k6 at the same total load (open model, the same arrival rate).
// Runs alternate K=1 and K=2 within each round; medians over rounds. The K=1 run is an ordinary k6 with its Go
// runtime free to use every core: nothing is restricted to flatter the ratio.
//
//   npx tsx bench/generators.ts [--rounds 5] [--users 20] [--rate 300] [--duration 8]
//
// Needs the Docker engine and a built replica-toolkit/nginx image (`toolkit up` builds it once).
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from '../toolkit/analyse/stats.ts';
import { connectDocker } from '../toolkit/docker.ts';
import { runLoadtest } from '../toolkit/load/index.ts';
import type { LoadtestResult } from '../toolkit/load/types.ts';
import { silentProgress } from '../toolkit/progress.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    users: { type: 'string', default: '20' },
    rate: { type: 'string', default: '300' },
    duration: { type: 'string', default: '8' },
  },
});
const ROUNDS = Number(args.rounds);
const USERS = Number(args.users);
const RATE = Number(args.rate);
const DURATION = `${Number(args.duration)}s`;
const LABELS = { 'dev.replica-toolkit.managed': 'true', 'com.docker.compose.project': 'bench-generators' };

const NGINX_CONF = `worker_processes 1;
pid /tmp/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path /tmp/body;
  proxy_temp_path /tmp/proxy;
  fastcgi_temp_path /tmp/fastcgi;
  uwsgi_temp_path /tmp/uwsgi;
  scgi_temp_path /tmp/scgi;
  keepalive_requests 1000000;
  server {
    listen 8080;
    location / {
      add_header X-Replica static-200 always;
      return 200 "ok\\n";
    }
  }
}
`;

async function startStaticNginx(confDir: string) {
  const docker = await connectDocker();
  const images = await docker.listImages({ filters: { reference: ['replica-toolkit/nginx'] } });
  const newest = images.sort((a, b) => b.Created - a.Created)[0]?.RepoTags?.[0];
  if (!newest) throw new Error('no replica-toolkit/nginx image; run `toolkit up` once to build it');
  // mkdtemp makes the parent 0700; nginx runs as uid 10001 and must be able to read the bind-mounted directory.
  await chmod(join(confDir, '..'), 0o755);
  await mkdir(confDir, { recursive: true });
  await chmod(confDir, 0o755);
  await writeFile(join(confDir, 'nginx.conf'), NGINX_CONF, { mode: 0o644 });
  const c = await docker.createContainer({
    Image: newest,
    Labels: LABELS,
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: {
      Binds: [`${confDir}:/etc/toolkit-nginx:ro`],
      Tmpfs: { '/tmp': 'rw,uid=10001,gid=10001' },
      PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
    },
  });
  const remove = () => c.remove({ force: true }).catch(() => undefined);
  try {
    await c.start();
    const port = (await c.inspect()).NetworkSettings.Ports['8080/tcp'][0].HostPort;
    const url = `http://127.0.0.1:${port}`;
    // Bounded wait for the listener: 50 tries, 100 ms apart.
    for (let i = 0; i < 50; i++) {
      if (
        await fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return { url, image: newest, remove };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`static nginx did not answer at ${url}`);
  } catch (e) {
    await remove();
    throw e;
  }
}

async function once(url: string, cwd: string, k: number, load: { users: number } | { rate: number }) {
  return runLoadtest(
    { scenario: 'health', ...load, duration: DURATION, batch: 1, thresholds: [], baseUrl: url, generators: k },
    { progress: silentProgress, cwd },
  );
}

const f = (n: number, d = 0) => n.toFixed(d);
const cpu = (r: LoadtestResult) => (r.generator.cpuPercent === null ? '?' : f(r.generator.cpuPercent));

async function main(): Promise<void> {
  const cwd = await mkdtemp(join(tmpdir(), 'bench-generators-'));
  let nginx: Awaited<ReturnType<typeof startStaticNginx>> | undefined;
  const cleanup = async () => {
    await nginx?.remove();
    await rm(cwd, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    nginx = await startStaticNginx(join(cwd, 'nginx'));
    console.log(
      `# generators: ${cpus().length} cores; target ${nginx.image} static 200 at ${nginx.url}; ${ROUNDS} rounds × ${DURATION}`,
    );
    const rps: Record<1 | 2, number[]> = { 1: [], 2: [] };
    const p95: Record<1 | 2, number[]> = { 1: [], 2: [] };
    // Requests per k6 CPU-second: whether K processes are more efficient, or merely get more of a shared CPU.
    const perCpu: Record<1 | 2, number[]> = { 1: [], 2: [] };
    console.log(`\nclosed model, ${USERS} VUs in total (GET /health)`);
    console.log('round  K  req/s      k6 CPU%  host idle%  dropped');
    for (let round = 1; round <= ROUNDS; round++) {
      for (const k of [1, 2] as const) {
        const r = await once(nginx.url, cwd, k, { users: USERS });
        rps[k].push(r.rps);
        if (r.generator.cpuPercent) perCpu[k].push(r.rps / (r.generator.cpuPercent / 100));
        console.log(
          `${String(round).padStart(5)}  ${k}  ${f(r.rps).padStart(9)}  ${cpu(r).padStart(7)}  ${f(r.generator.hostIdlePercent ?? Number.NaN).padStart(10)}  ${r.droppedIterations}`,
        );
      }
    }
    console.log(`\nopen model, ${RATE} arrivals/s in total (GET /health)`);
    console.log('round  K  req/s      p95 ms   p99 ms   dropped');
    for (let round = 1; round <= ROUNDS; round++) {
      for (const k of [1, 2] as const) {
        const r = await once(nginx.url, cwd, k, { rate: RATE });
        p95[k].push(r.latency.p95);
        console.log(
          `${String(round).padStart(5)}  ${k}  ${f(r.rps).padStart(9)}  ${f(r.latency.p95, 3).padStart(7)}  ${f(r.latency.p99, 3).padStart(7)}  ${r.droppedIterations}`,
        );
      }
    }
    const rate1 = median(rps[1]);
    const rate2 = median(rps[2]);
    const lat1 = median(p95[1]);
    const lat2 = median(p95[2]);
    console.log('\nmedians');
    console.log(
      `  request rate   K=1 ${f(rate1)} req/s   K=2 ${f(rate2)} req/s   ratio ${f(rate2 / rate1, 2)}×  (issue: ≥ 1.7×)`,
    );
    console.log(
      `  per k6 CPU-s   K=1 ${f(median(perCpu[1]))} req   K=2 ${f(median(perCpu[2]))} req   ratio ${f(median(perCpu[2]) / median(perCpu[1]), 2)}×`,
    );
    console.log(
      `  p95 at ${RATE}/s  K=1 ${f(lat1, 3)} ms   K=2 ${f(lat2, 3)} ms   difference ${f(((lat2 - lat1) / lat1) * 100, 1)}%  (issue: within 10%)`,
    );
  } finally {
    await cleanup();
  }
}

await main();
