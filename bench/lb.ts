// Benchmark: strategy switches under load. Brings up its own stack (2 replicas), runs a bounded closed-loop load on
// 127.0.0.1 and switches the strategy repeatedly, two ways:
//   file    a strategy the config already holds (the usual `toolkit lb strategy <name>`): a switch file, no reload
//   reload  new weights every time, so a new config is rendered, checked and nginx reloaded gracefully
// Prints per mode: requests, failed, req/s, median and max switch time. Removes the stack at the end.
//
//   npx tsx bench/lb.ts [--switches 12] [--concurrency 16] [--json]
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/helpers/net.ts';
import { startLoad } from '../test/integration/lb-load.ts';
import { connectDocker } from '../toolkit/docker.ts';
import { down, up } from '../toolkit/engine/index.ts';
import { ensureImages } from '../toolkit/images/index.ts';
import { applyLbLive, findLiveBalancer } from '../toolkit/lb/live.ts';
import type { LbSettings } from '../toolkit/lb/state.ts';
import { stackPaths } from '../toolkit/paths.ts';
import { silentProgress } from '../toolkit/progress.ts';
import { loadOrCreateSecrets } from '../toolkit/secrets.ts';
import { loadSpec, serviceDefs } from '../toolkit/spec/index.ts';

const { values: args } = parseArgs({
  options: {
    switches: { type: 'string', default: '12' },
    concurrency: { type: 'string', default: '16' },
    json: { type: 'boolean', default: false },
  },
});
const SWITCHES = Number(args.switches);
const CONCURRENCY = Number(args.concurrency);
const CYCLE = ['least_conn', 'weighted', 'ip_hash', 'hash', 'random_two_least_conn', 'round_robin'] as const;

interface ModeResult {
  mode: 'file' | 'reload';
  switches: number;
  requests: number;
  failed: number;
  rps: number;
  medianSwitchMs: number;
  maxSwitchMs: number;
  failures: string[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const cwd = await mkdtemp(join(tmpdir(), 'bench-lb-'));
  const project = `benchlb-${randomBytes(3).toString('hex')}`;
  const docker = await connectDocker();
  try {
    const spec = await loadSpec({
      cwd,
      env: {},
      flags: { project, replicas: 2, port: await freePort(), weights: '1=3,2=1' },
    });
    const paths = stackPaths(spec);
    const images = await ensureImages(docker, spec, silentProgress);
    process.stderr.write(`bringing up ${project} (2 replicas)…\n`);
    const st = await up({
      docker,
      spec,
      images,
      paths,
      defs: serviceDefs(spec, images, paths),
      secrets: await loadOrCreateSecrets(paths),
      progress: silentProgress,
    });
    const url = st.url!;
    const results: ModeResult[] = [];
    for (const mode of ['file', 'reload'] as const) {
      process.stderr.write(`${mode}: ${SWITCHES} switches under ${CONCURRENCY} concurrent clients…\n`);
      const load = startLoad(url, {
        concurrency: CONCURRENCY,
        maxRequests: 500_000,
        maxMs: 30_000 + SWITCHES * 15_000,
      });
      const times: number[] = [];
      await sleep(1000);
      for (let i = 0; i < SWITCHES; i++) {
        // file: the weights the config holds; reload: weights it has never seen, so it must re-render.
        const lb: LbSettings =
          mode === 'file'
            ? { strategy: CYCLE[i % CYCLE.length], hashKey: '$remote_addr', weights: { 1: 3, 2: 1 } }
            : { strategy: 'weighted', hashKey: '$remote_addr', weights: { 1: 4 + (i % 5), 2: 1 } };
        const t = performance.now();
        const applied = await applyLbLive(docker, await findLiveBalancer(docker, project), lb);
        times.push(performance.now() - t);
        if (applied.reloaded !== (mode === 'reload'))
          throw new Error(`${mode}: expected reloaded=${mode === 'reload'}`);
        await sleep(500);
      }
      const res = await load.stop();
      results.push({
        mode,
        switches: SWITCHES,
        requests: res.requests,
        failed: res.failed,
        rps: Math.round((res.requests / res.elapsedMs) * 1000),
        medianSwitchMs: Math.round(median(times)),
        maxSwitchMs: Math.round(Math.max(...times)),
        failures: [...new Set(res.failures)],
      });
      // Back to a config whose weights are 3:1 for the next mode.
      await applyLbLive(docker, await findLiveBalancer(docker, project), {
        strategy: 'round_robin',
        hashKey: '$remote_addr',
        weights: { 1: 3, 2: 1 },
      });
    }
    if (args.json) {
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      return;
    }
    process.stdout.write('MODE    SWITCHES  REQUESTS  FAILED  REQ/S  SWITCH p50 ms  SWITCH max ms\n');
    for (const r of results) {
      process.stdout.write(
        `${r.mode.padEnd(8)}${String(r.switches).padEnd(10)}${String(r.requests).padEnd(10)}${String(r.failed).padEnd(8)}${String(r.rps).padEnd(7)}${String(r.medianSwitchMs).padEnd(15)}${r.maxSwitchMs}\n`,
      );
      if (r.failures.length) process.stdout.write(`        failures: ${r.failures.join('; ')}\n`);
    }
  } finally {
    await down(docker, project, { volumes: true });
    await rm(cwd, { recursive: true, force: true });
  }
}

await main();
