// Benchmark of one inference process: storage + registry + trainer in this process, inference as a child
// process (`services/main.ts inference`), load from a separate autocannon process on loopback.
// Prints req/s, p50 and p99 (medians over runs) and the inference process's RSS, for batch sizes 1 and 100.
//
//   npx tsx bench/inference.ts [--runs 5] [--duration 6] [--batches 1,100] [--tsx] [--node-options "..."] [--json]
//
// By default the inference process runs the esbuild bundle the image runs (toolkit/images/bundle.ts);
// --tsx runs services/main.ts from source instead (tsx's loader adds ~40 MB of RSS).
// The inference process gets the image's NODE_OPTIONS and MALLOC_* settings (read from services/Dockerfile; a
// MALLOC_* set in the environment replaces the image's);
// --node-options replaces NODE_OPTIONS for it (e.g. "" for Node's defaults);
// --node-args puts flags on its node command line (V8 flags NODE_OPTIONS refuses, e.g. "--optimize-for-size").
// Environment passed through to the inference process: SLOWDOWN_PCT, MAX_INFLIGHT.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { VALID_INSTANCE } from '../test/fixtures/inference-app.ts';
import { inferenceEnv } from '../test/helpers/inference-env.ts';
import { startTestRegistry, trainInto } from '../test/helpers/registry.ts';
import { startTestStorage } from '../test/helpers/storage.ts';
import { bundleServices } from '../toolkit/images/bundle.ts';

/** The memory settings the services image sets in its ENV (NODE_OPTIONS, glibc's MALLOC_* tunables). */
const IMAGE_ENV: Record<string, string> = Object.fromEntries(
  [
    ...readFileSync(new URL('../services/Dockerfile', import.meta.url), 'utf8').matchAll(
      /\b(NODE_OPTIONS|MALLOC_[A-Z_]+)=(\S+)/g,
    ),
  ].map((m) => [m[1], m[2]]),
);

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    duration: { type: 'string', default: '6' },
    batches: { type: 'string', default: '1,100' },
    json: { type: 'boolean', default: false },
    tsx: { type: 'boolean', default: false },
    // Default: what the image sets (services/Dockerfile), so the figure is the container's.
    'node-options': { type: 'string', default: IMAGE_ENV.NODE_OPTIONS ?? '' },
    'node-args': { type: 'string', default: '' },
  },
});
const RUNS = Number(args.runs);
const DURATION_S = Number(args.duration);
const BATCHES = String(args.batches).split(',').map(Number);
const CONNECTIONS: Record<number, number> = { 1: 32, 100: 16 };
const ROOT = new URL('../', import.meta.url).pathname;
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

interface RunResult {
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  peakRssMb: number;
}

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Proportional set size: RSS with shared pages (the node binary's text) split among the processes using them. */
function pssMb(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function waitExit(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) resolve(proc.exitCode);
    else proc.on('exit', (code) => resolve(code));
  });
}

async function startInferenceProcess(
  command: string[],
  env: Record<string, string>,
): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, command, {
    cwd: ROOT,
    env: { ...IMAGE_ENV, ...process.env, NODE_OPTIONS: String(args['node-options']), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
    if (
      url &&
      (await fetch(`${url}/ready`).then(
        (r) => r.status === 200,
        () => false,
      ))
    )
      return { proc, url };
    if (proc.exitCode !== null) throw new Error(`inference exited ${proc.exitCode}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error(`inference not ready within 60 s: ${stderr}`);
}

/** One autocannon run in its own process; samples the inference process's RSS meanwhile. */
async function loadRun(url: string, pid: number, bodyFile: string, connections: number, seconds: number) {
  const gen = spawn(
    process.execPath,
    [
      AUTOCANNON,
      '-j',
      '-n',
      '-c',
      String(connections),
      '-d',
      String(seconds),
      '-m',
      'POST',
      '-H',
      'content-type=application/json',
      '-i',
      bodyFile,
      `${url}/predict`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  gen.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  let peak = rssMb(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 200);
  const code = await waitExit(gen);
  clearInterval(sampler);
  if (code !== 0) throw new Error(`autocannon exited ${code}`);
  const r = JSON.parse(out) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  return {
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    peakRssMb: peak,
  };
}

/** Where the RSS goes, from the process's own /metrics (prom-client's default metrics): V8 heap and external. */
async function heapLine(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const mb = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    return m ? (Number(m[1]) / 2 ** 20).toFixed(1) : '?';
  };
  return `heap used ${mb('nodejs_heap_size_used_bytes')} MB of ${mb('nodejs_heap_size_total_bytes')} MB, external ${mb('nodejs_external_memory_bytes')} MB`;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'bench-inference-'));
  const storage = await startTestStorage();
  let inference: { proc: ChildProcess; url: string } | undefined;
  try {
    const registry = await startTestRegistry(storage);
    try {
      const trained = await trainInto(storage, registry);
      log(`trained ${trained.name} version ${trained.version}`);
      let command = ['--import', 'tsx', 'services/main.ts', 'inference'];
      if (!args.tsx) {
        const { bundle } = await bundleServices(ROOT, join(work, 'bundle'));
        command = [bundle, 'inference'];
      }
      if (args['node-args']) {
        command = [...String(args['node-args']).split(' ').filter(Boolean), ...command];
      }
      log(
        `inference runs: node ${command.join(' ')}${args['node-options'] ? ` with NODE_OPTIONS=${args['node-options']}` : ''}`,
      );
      inference = await startInferenceProcess(command, {
        ...inferenceEnv(storage, registry.url),
        LOG_LEVEL: 'warn',
        DRAIN_DELAY_MS: '0',
      });
      const pid = inference.proc.pid!;
      log(
        `inference pid ${pid} at ${inference.url}, idle RSS ${rssMb(pid).toFixed(1)} MB, PSS ${pssMb(pid).toFixed(1)} MB, ${await heapLine(inference.url)}`,
      );
      const summary = [];
      for (const batch of BATCHES) {
        const bodyFile = join(work, `batch-${batch}.json`);
        await writeFile(bodyFile, JSON.stringify({ instances: Array(batch).fill(VALID_INSTANCE) }));
        const connections = CONNECTIONS[batch] ?? 16;
        log(`batch ${batch}: warm-up 3 s`);
        await loadRun(inference.url, pid, bodyFile, connections, 3);
        const runs: RunResult[] = [];
        for (let i = 0; i < RUNS; i++) {
          const r = await loadRun(inference.url, pid, bodyFile, connections, DURATION_S);
          log(
            `batch ${batch} run ${i + 1}/${RUNS}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}, peak RSS ${r.peakRssMb.toFixed(1)} MB, after: ${await heapLine(inference!.url)}`,
          );
          runs.push(r);
        }
        summary.push({
          batch,
          connections,
          runs: RUNS,
          durationS: DURATION_S,
          reqPerSec: median(runs.map((r) => r.reqPerSec)),
          predictionsPerSec: median(runs.map((r) => r.reqPerSec)) * batch,
          p50Ms: median(runs.map((r) => r.p50)),
          p99Ms: median(runs.map((r) => r.p99)),
          failed: runs.reduce((n, r) => n + r.non2xx + r.errors, 0),
          peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
          rssAfterMb: rssMb(pid),
          pssAfterMb: pssMb(pid),
        });
      }
      print(summary);
    } finally {
      if (inference) {
        inference.proc.kill('SIGTERM');
        const code = await waitExit(inference.proc);
        log(`inference exited ${code} after SIGTERM`);
      }
      await registry.close();
    }
  } finally {
    await storage.close();
    await rm(work, { recursive: true, force: true });
  }
}

function print(rows: Record<string, number>[]): void {
  if (args.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const cols = [
    'batch',
    'connections',
    'reqPerSec',
    'predictionsPerSec',
    'p50Ms',
    'p99Ms',
    'failed',
    'peakRssMb',
    'rssAfterMb',
    'pssAfterMb',
  ];
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  const table = [cols, ...rows.map((r) => cols.map((c) => fmt(r[c])))];
  const widths = cols.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const runtime = args.tsx ? 'tsx from source' : 'esbuild bundle';
  const malloc = Object.entries({ ...IMAGE_ENV, ...process.env })
    .filter(([k]) => k.startsWith('MALLOC_'))
    .map(([k, v]) => `${k}=${v}`);
  const opts = [args['node-options'] ? `NODE_OPTIONS=${args['node-options']}` : '', ...malloc].filter(Boolean);
  process.stdout.write(
    `inference benchmark (${[runtime, ...opts].join(', ')}): medians over ${RUNS} runs of ${DURATION_S} s (peak RSS: the highest), one process, loopback\n`,
  );
  for (const row of table) process.stdout.write(`${row.map((v, i) => v.padStart(widths[i])).join('  ')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
