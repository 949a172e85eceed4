// Validates the regression gate: how often it fails a build compared with itself (A/A), and how often it catches an
// injected throughput regression. Storage, registry and trainer run in this process; every inference service is its own child
// process (the esbuild bundle the image runs) with SLOWDOWN_PCT set; k6 (runLoadtest) loads them exactly as
// `toolkit gate` does with regression.compare. Default: both services loaded at once (simultaneous), requests per
// CPU-second read from their /metrics in 1 s windows of one run per round (paired: the machine's noise is common
// to both sides); --mode interleaved --metric rps --window 0 gives the classic A B B A short runs of raw req/s.
//
//   npx tsx bench/gate.ts [--comparisons 20] [--regressions 0,10,25] [--samples 8] [--window 1] [--duration 2s]
//                         [--users 4] [--batch 500] [--max-regression 5%] [--max-rounds 4]
//                         [--mode simultaneous|interleaved] [--metric rps-per-cpu|rps] [--no-tune] [--no-pin] [--json]
//                         [--record out.json] [--swap round|window] [--pair-warmup 30s]
//
// --record measures all rounds of every comparison, even after its verdict (the figures stay the shipped rule's:
// the first decisive round), and writes every comparison's samples per round, placements and processes to a file,
// so stopping rules can be judged offline on the same measurements (bench/gate-replay.ts).
//
// Simultaneous mode gives each side its own half of the CPUs, as the gate does for image and commit sides
// (toolkit/gate/placement.ts), and by default (the gate's, regression.swap) swaps the services' halves before every
// 1 s window, k6 unpinned, pairing one window per placement into each sample (toolkit/gate/windows.ts); --swap round
// pins each service with its k6 and swaps every round instead; --no-pin leaves placement to the scheduler.
// --pair-warmup (default 30s; 0s: none) loads each comparison's pair, and each pair the knob's tuning measures, side
// by side for that long first: a pool process idle while other pairs ran comes back dearer per request for tens of
// seconds, which hides part of a regression in the first rounds.
//
// Each injected regression r is a measured fact, not a knob value: SLOWDOWN_PCT starts at 100·r/(100−r) and is tuned
// (bench/gate-knob.ts) until two slowed processes, each beside every unslowed one for 6 windows of 1 s, measure r % fewer
// requests per CPU-second (±1 point); the table shows the knob value used and what it measured. Every level (and
// every tuning attempt) runs on a fresh pool of 3 unslowed + 2 slowed processes started together and warmed alike
// (35 s each): processes of different ages differ by more than the regressions to detect. --no-tune
// injects 100·r/(100−r) as it is.
//
// Default load: 4 VUs of batch 500 per side, so each service, not its k6, is the bottleneck: a service that waits on
// its client wakes up per request, and that per-wake-up CPU swung requests per CPU-second by ±25 % between windows
// at batch 50 (16 VUs), as much as the regressions to detect.
//
// Prints, per injected slowdown, how many comparisons failed / passed / stayed inconclusive, the median measured
// change and the minutes it took. Targets (issue 6): A/A ≤ 1 false fail in 20; 10 % caught in ≥ 16 of 20; 25 % in
// 20 of 20. The measured change says what SLOWDOWN_PCT really cost: see the caveat in the report.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { inferenceEnv } from '../test/helpers/inference-env.ts';
import { startTestRegistry, trainInto } from '../test/helpers/registry.ts';
import { startTestStorage } from '../test/helpers/storage.ts';
import { median } from '../toolkit/analyse/stats.ts';
import {
  DEFAULT_MAX_ROUNDS,
  parseFraction,
  type RegressionConfig,
  type SwapEvery,
  swapEvery,
} from '../toolkit/gate/config.ts';
import { localCpuIds, placementFor, type RoundPlacement } from '../toolkit/gate/placement.ts';
import { type RegressionOutcome, runRegression } from '../toolkit/gate/regression.ts';
import { seededRandom } from '../toolkit/gate/stats.ts';
import { DEFAULT_POLICY } from '../toolkit/gate/verdict.ts';
import { bundleServices } from '../toolkit/images/bundle.ts';
import { runLoadtest } from '../toolkit/load/index.ts';
import type { LoadtestOptions } from '../toolkit/load/types.ts';
import { silentProgress } from '../toolkit/progress.ts';
import { parseDurationSec } from '../toolkit/sweep/validate.ts';
import { FIRST_WARMUP, slowdownPctFor, type TunedKnob, tuneKnob, warmPair } from './gate-knob.ts';

const { values: args } = parseArgs({
  allowNegative: true,
  options: {
    comparisons: { type: 'string', default: '20' },
    regressions: { type: 'string', default: '0,10,25' },
    // The gate's own default (toolkit/gate/config.ts).
    samples: { type: 'string', default: '8' },
    duration: { type: 'string', default: '2s' },
    users: { type: 'string', default: '4' },
    batch: { type: 'string', default: '500' },
    'max-regression': { type: 'string', default: '5%' },
    // The gate's own default (toolkit/gate/config.ts).
    'max-rounds': { type: 'string', default: String(DEFAULT_MAX_ROUNDS) },
    mode: { type: 'string', default: 'simultaneous' },
    metric: { type: 'string', default: 'rps-per-cpu' },
    window: { type: 'string', default: '1' },
    // Tune SLOWDOWN_PCT until each injected regression measures what it names (bench/gate-knob.ts).
    tune: { type: 'boolean', default: true },
    // Each side (service and k6) on its own half of the CPUs, swapped every round, as the gate does for containers.
    pin: { type: 'boolean', default: true },
    json: { type: 'boolean', default: false },
    record: { type: 'string' },
    // Swap the sides' CPUs before every window or every round; default: the gate's (regression.swap).
    swap: { type: 'string' },
    // Load each comparison's pair side by side this long first ('0s': none). A process idle while other pairs ran
    // comes back dearer per request for tens of seconds, which shrinks a regression relative to it.
    'pair-warmup': { type: 'string', default: '30s' },
  },
});
const COMPARISONS = Number(args.comparisons);
const SLOWDOWNS = String(args.regressions).split(',').map(Number);
const ROOT = new URL('../', import.meta.url).pathname;
const POOL = 3;
const MODE = args.mode === 'interleaved' ? 'interleaved' : 'simultaneous';
if (args.swap !== undefined && args.swap !== 'round' && args.swap !== 'window') {
  process.stderr.write(`bench: --swap ${args.swap}: write --swap round or --swap window\n`);
  process.exit(2);
}
const pairWarmupSet = parseDurationSec(String(args['pair-warmup']), '--pair-warmup') > 0;

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

interface Service {
  proc: ChildProcess;
  url: string;
}

async function startInference(bundle: string, env: Record<string, string>): Promise<Service> {
  const proc = spawn(process.execPath, [bundle, 'inference'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
    const ready = url
      ? await fetch(`${url}/ready`).then(
          (r) => r.status === 200,
          () => false,
        )
      : false;
    if (url && ready) return { proc, url };
    if (proc.exitCode !== null) throw new Error(`inference exited ${proc.exitCode}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error(`inference not ready within 60 s: ${stderr}`);
}

const CPU_IDS = localCpuIds();
const taskset = (cpus: string, pid: number) =>
  new Promise<void>((resolve, reject) =>
    execFile('taskset', ['-a', '-cp', cpus, String(pid)], (err) => (err ? reject(err) : resolve())),
  );

/** Pins a pair (every thread of each service) as the gate's round `round` would; undefined when not pinning. */
async function placePair(baseline: Service, candidate: Service, round: number): Promise<RoundPlacement | undefined> {
  const where = args.pin && MODE === 'simultaneous' ? placementFor(CPU_IDS, round) : undefined;
  if (where)
    await Promise.all([taskset(where.baseline, baseline.proc.pid!), taskset(where.candidate, candidate.proc.pid!)]);
  return where;
}

async function stop(s: Service): Promise<void> {
  if (s.proc.exitCode !== null) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
}

/** Children to stop if the bench itself is stopped. */
const running: Service[] = [];
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const s of running) s.proc.kill('SIGKILL');
    process.exit(130);
  });
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'bench-gate-'));
  const storage = await startTestStorage();
  const services = running;
  const t0 = Date.now();
  try {
    const registry = await startTestRegistry(storage);
    try {
      await trainInto(storage, registry);
      const { bundle } = await bundleServices(ROOT, join(work, 'bundle'));
      const env = (pct: number, id: string) => ({
        ...inferenceEnv(storage, registry.url),
        LOG_LEVEL: 'warn',
        DRAIN_DELAY_MS: '0',
        POLL_INTERVAL_MS: '600000',
        REPLICA_ID: id,
        SLOWDOWN_PCT: String(pct),
      });
      // Two processes of one build differ by up to ~10 % in CPU per request (JIT and memory-layout luck, which core
      // they land on), and CI compares freshly started processes. So every comparison draws its processes from a
      // pool — baseline from the unslowed ones, candidate from the same pool (A/A, never the same process) or from
      // that slowdown's — instead of reusing one pair whose offset would decide all twenty comparisons alike.
      let started = 0;
      const start = async (pct: number, n: number) => {
        const list: Service[] = [];
        for (let k = 0; k < n; k++) {
          const svc = await startInference(bundle, env(pct, `inference-${++started}`));
          services.push(svc);
          list.push(svc);
        }
        return list;
      };
      const load: LoadtestOptions = {
        scenario: 'predict',
        users: Number(args.users),
        duration: String(args.duration),
        batch: Number(args.batch),
        thresholds: [],
        baseUrl: '',
        resultsDir: join(work, 'results'),
      };
      const loadtest = (o: LoadtestOptions) => runLoadtest(o, { progress: silentProgress, cwd: work });
      const stopAll = async (list: Service[]) => {
        for (const x of list) await stop(x);
      };
      // Every level gets a pool of its own — unslowed and slowed processes started together and warmed alike —
      // and retires it after its comparisons. A process keeps getting cheaper for minutes (the JIT, the heap's
      // shape): slowed processes 35 s old measured 14 % below unslowed ones 15 min old at a knob worth 6 %, and a
      // pool left idle while another level ran came back slower than it was tuned at.
      const pool = async (pct: number) => {
        const plain = await start(0, POOL);
        const slowed = pct > 0 ? await start(pct, 2) : [];
        const all = [...plain, ...slowed];
        // JIT warm-up and the knob's calibration, side by side as in the comparisons (interleaved: one at a time).
        for (let i = 0; i < all.length; i += 2) {
          if (MODE === 'simultaneous' && all[i + 1]) {
            const where = await placePair(all[i], all[i + 1], i / 2 + 1);
            await warmPair(all[i], all[i + 1], load, loadtest, FIRST_WARMUP, where);
          } else
            for (const x of all.slice(i, i + 2)) await loadtest({ ...load, duration: FIRST_WARMUP, baseUrl: x.url });
        }
        return { plain, slowed };
      };
      const levelPool = async (r: number): Promise<TunedKnob<Service>> => {
        if (r > 0 && MODE === 'simultaneous' && args.tune) {
          // Each tuning pair warmed as the comparisons' pairs are (7 s when they are not).
          const pairWarmup = pairWarmupSet ? String(args['pair-warmup']) : undefined;
          return await tuneKnob(r, load, { pool, stop: stopAll, loadtest, log, place: placePair }, { pairWarmup });
        }
        const pct = r > 0 ? slowdownPctFor(r) : 0;
        return { ...(await pool(pct)), slowdownPct: pct, change: Number.NaN };
      };
      // Windows of one long run per round (rps-per-cpu, simultaneous); 0: one short k6 run per sample.
      const window =
        Number(args.window) > 0 && args.metric !== 'rps' && MODE === 'simultaneous' ? Number(args.window) : undefined;
      const config: RegressionConfig = {
        metric: args.metric === 'rps' ? 'rps' : 'rps-per-cpu',
        policy: { ...DEFAULT_POLICY, maxRegression: parseFraction(String(args['max-regression'])) },
        samples: Number(args.samples),
        window,
        maxRounds: Number(args['max-rounds']),
        swap: swapEvery({ swap: args.swap as SwapEvery | undefined, window }),
        inconclusive: 'warn',
      };
      log(
        `${COMPARISONS} ${MODE} comparisons of ${args.metric} per slowdown ${SLOWDOWNS.join(', ')}%: ${config.samples} × ` +
          `${config.window ? `${config.window}s windows of one run` : `${load.duration} runs`} per side per round, ` +
          `≤ ${config.maxRounds} rounds, ${load.users} VUs, batch ${load.batch}, tolerated ${args['max-regression']}` +
          (args.pin && MODE === 'simultaneous' ? `, each side on its own CPUs, swapped every ${config.swap}` : ''),
      );
      const rows = [];
      const recorded: unknown[] = [];
      for (const s of SLOWDOWNS) {
        const level = await levelPool(s);
        const plain = level.plain;
        const outcomes: Array<{ baselineUrl: string; candidateUrl: string } & RegressionOutcome> = [];
        recorded.push({
          regressionPct: s,
          slowdownPct: level.slowdownPct,
          tunedChange: level.change,
          processes: { plain: level.plain.map((x) => x.url), slowed: level.slowed.map((x) => x.url) },
          outcomes,
        });
        const started = Date.now();
        for (let i = 0; i < COMPARISONS; i++) {
          const pick = seededRandom(7919 * (s + 1) + i);
          const b = Math.floor(pick() * plain.length);
          const candidate =
            s === 0
              ? plain[(b + 1 + Math.floor(pick() * (plain.length - 1))) % plain.length]
              : level.slowed[Math.floor(pick() * level.slowed.length)];
          if (pairWarmupSet) {
            const where = await placePair(plain[b], candidate, 1);
            await warmPair(plain[b], candidate, load, loadtest, String(args['pair-warmup']), where);
          }
          const o = await runRegression(
            // A different bootstrap seed per comparison, as separate CI runs would have.
            {
              config: { ...config, policy: { ...config.policy, seed: i + 1 } },
              load,
              urls: { baseline: plain[b].url, candidate: candidate.url, mode: MODE },
              allRounds: args.record !== undefined,
            },
            { loadtest, progress: silentProgress, place: (round) => placePair(plain[b], candidate, round) },
          );
          outcomes.push({ baselineUrl: plain[b].url, candidateUrl: candidate.url, ...o });
          // Rewritten after every comparison, so a stopped run keeps what it measured.
          if (args.record)
            await writeFile(args.record, `${JSON.stringify({ args, config, levels: recorded }, null, 1)}\n`);
          const j = o.judgement;
          log(
            `slowdown ${s}% #${i + 1}: ${j.verdict} after ${roundsUsed(o)} round(s), change ${(j.change * 100).toFixed(1)}% ` +
              `[${(j.changeLo * 100).toFixed(1)}, ${(j.changeHi * 100).toFixed(1)}], p=${j.pValue.toPrecision(2)}, medians ${j.baseline.median.toFixed(0)} / ${j.candidate.median.toFixed(0)}`,
          );
        }
        const count = (v: string) => outcomes.filter((o) => o.judgement.verdict === v).length;
        rows.push({
          regressionPct: s,
          slowdownPct: level.slowdownPct,
          tunedChangePct: s > 0 ? level.change * 100 : 0,
          comparisons: outcomes.length,
          fail: count('fail'),
          pass: count('pass'),
          inconclusive: count('inconclusive'),
          medianChangePct: median(outcomes.map((o) => o.judgement.change * 100)),
          medianRounds: median(outcomes.map(roundsUsed)),
          minutes: (Date.now() - started) / 60_000,
        });
        await stopAll([...level.plain, ...level.slowed]);
      }
      print(rows, (Date.now() - t0) / 60_000);
    } finally {
      for (const s of services) await stop(s);
      await registry.close();
    }
  } finally {
    await storage.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** Rounds the verdict took: its first decisive round (all rounds when it stayed inconclusive). */
const roundsUsed = (o: RegressionOutcome) =>
  o.rounds.findIndex((r) => r.verdict !== 'inconclusive') + 1 || o.rounds.length;

function print(rows: Array<Record<string, number>>, minutes: number): void {
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ rows, minutes }, null, 2)}\n`);
    return;
  }
  const cols = [
    'regressionPct',
    'slowdownPct',
    'tunedChangePct',
    'comparisons',
    'fail',
    'pass',
    'inconclusive',
    'medianChangePct',
    'medianRounds',
    'minutes',
  ];
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  const table = [cols, ...rows.map((r) => cols.map((c) => fmt(r[c])))];
  const widths = cols.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  process.stdout.write(
    `gate benchmark (${MODE}, ${args.metric}): throughput regression verdicts (fail = regression declared), ${args.samples} × ${Number(args.window) > 0 && MODE === 'simultaneous' && args.metric !== 'rps' ? `${args.window}s windows` : args.duration} ` +
      `per side per round, ≤ ${args['max-rounds']} rounds, tolerated ${args['max-regression']}; total ${minutes.toFixed(1)} min\n`,
  );
  for (const row of table) process.stdout.write(`${row.map((v, i) => v.padStart(widths[i])).join('  ')}\n`);
  const aa = rows.find((r) => r.regressionPct === 0);
  if (aa) process.stdout.write(`A/A false fails: ${aa.fail} of ${aa.comparisons}\n`);
  for (const r of rows.filter((x) => x.regressionPct > 0)) {
    process.stdout.write(`${r.regressionPct}% regression caught: ${r.fail} of ${r.comparisons}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
