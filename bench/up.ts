// Benchmark: `toolkit up --replicas 5` against `docker-compose up -d --scale inference=5` plus waiting until every
// container is healthy, with the same images on the same machine, each from nothing (fresh volumes, so both train).
// Prints the median of several runs of each, interleaved, and the ratio toolkit / compose.
//
//   npx tsx bench/up.ts [--runs 3] [--replicas 5] [--json]
//
// Images are built first (not timed). Each side uses its own project name and port; everything is removed with
// `toolkit down --volumes` / `docker-compose down -v` after each run.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import Docker from 'dockerode';
import { freePort } from '../test/helpers/net.ts';
import { median } from '../toolkit/analyse/stats.ts';

const run = promisify(execFile);
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    replicas: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const REPLICAS = Number(args.replicas);
const BIN = resolve(import.meta.dirname, '../bin/toolkit.js');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

function toolkit(cwd: string, argv: string[]) {
  return run(process.execPath, [BIN, ...argv], { cwd, maxBuffer: 64 * 1024 * 1024 });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Compose's own notion of done: every container of the project running, and healthy where it has a check. */
async function waitComposeHealthy(project: string, expected: number, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const list = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${project}`] },
    });
    const longRunning = list.filter((c) => c.Labels['com.docker.compose.service'] !== 'trainer');
    const healthy = longRunning.filter((c) => c.State === 'running' && !/starting|unhealthy/.test(c.Status));
    if (longRunning.length >= expected && healthy.length === longRunning.length) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`compose project ${project} not healthy within ${timeoutMs} ms`);
}

async function main(): Promise<void> {
  const cwd = await mkdtemp(join(tmpdir(), 'bench-up-'));
  const tkProject = `benchup${process.pid}`;
  const dcProject = `benchdc${process.pid}`;
  const tkPort = await freePort();
  const dcPort = await freePort();
  const toolkitTimes: number[] = [];
  const composeTimes: number[] = [];
  try {
    // Build images and render the compose bundle for the compose side (not timed).
    await toolkit(cwd, ['config', '--project', dcProject, '--port', String(dcPort), '--replicas', String(REPLICAS)]);
    const composeFile = join(cwd, 'compose', 'docker-compose.yml');
    const compose = (argv: string[]) =>
      run('docker-compose', ['-p', dcProject, '-f', composeFile, ...argv], { cwd, maxBuffer: 64 * 1024 * 1024 });

    for (let i = 0; i < RUNS; i++) {
      const tk = await timed(() =>
        toolkit(cwd, ['up', '--replicas', String(REPLICAS), '--project', tkProject, '--port', String(tkPort)]),
      );
      toolkitTimes.push(tk);
      await toolkit(cwd, ['down', '--volumes', '--project', tkProject]);

      const dc = await timed(async () => {
        await compose(['up', '-d', '--scale', `inference=${REPLICAS}`]);
        await waitComposeHealthy(dcProject, REPLICAS + 3);
      });
      composeTimes.push(dc);
      await compose(['down', '-v', '--remove-orphans']);
      process.stderr.write(`run ${i + 1}/${RUNS}: toolkit ${tk.toFixed(1)} s, compose ${dc.toFixed(1)} s\n`);
    }
  } finally {
    await toolkit(cwd, ['down', '--volumes', '--project', tkProject]).catch(() => undefined);
    await run('docker-compose', ['-p', dcProject, '-f', join(cwd, 'compose', 'docker-compose.yml'), 'down', '-v'], {
      cwd,
    }).catch(() => undefined);
    await rm(cwd, { recursive: true, force: true });
  }
  const tk = median(toolkitTimes);
  const dc = median(composeTimes);
  const figures = {
    replicas: REPLICAS,
    runs: RUNS,
    toolkitSec: toolkitTimes,
    composeSec: composeTimes,
    toolkitMedianSec: tk,
    composeMedianSec: dc,
    ratio: tk / dc,
    targets: { ratioMax: 1.2, toolkitMaxSec: 10 },
  };
  if (args.json) {
    console.log(JSON.stringify(figures, null, 2));
    return;
  }
  console.log(`toolkit up --replicas ${REPLICAS}:            median ${tk.toFixed(1)} s  (${fmt(toolkitTimes)})`);
  console.log(`docker-compose up --scale + healthy:  median ${dc.toFixed(1)} s  (${fmt(composeTimes)})`);
  console.log(`ratio toolkit / compose: ${(tk / dc).toFixed(2)}  (target ≤ 1.2; toolkit target ≤ 10 s)`);
}

function fmt(xs: number[]): string {
  return xs.map((x) => x.toFixed(1)).join(', ');
}

await main();
