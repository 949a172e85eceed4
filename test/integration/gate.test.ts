// `toolkit gate` and `toolkit baseline save` end to end against real inference services on 127.0.0.1: two child
// processes (services/main.ts inference), one with SLOWDOWN_PCT set, loaded by k6. A build against its own baseline
// does not fail; a large injected slowdown exits 99; bad configuration and missing baselines exit 2.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineSaveCommand } from '../../toolkit/commands/baseline.ts';
import { gateCommand } from '../../toolkit/commands/gate.ts';
import type { CommandIO } from '../../toolkit/commands/io.ts';
import { EXIT, GateFailedError, UsageError } from '../../toolkit/errors.ts';
import type { GateReport } from '../../toolkit/gate/run.ts';
import { startTestRegistry, type TestRegistry, trainInto } from '../helpers/registry.ts';
import { startTestStorage, type TestStorage } from '../helpers/storage.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
let storage: TestStorage | undefined;
let registry: TestRegistry | undefined;
const children: ChildProcess[] = [];
let fast: string;
let slow: string;
let cwd: string;

async function startInference(slowdownPct: number, id: string): Promise<string> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'services/main.ts', 'inference'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: '0',
      STORAGE_URL: storage!.url,
      STORAGE_ACCESS_KEY: storage!.accessKey,
      STORAGE_SECRET_KEY: storage!.secretKey,
      STORAGE_REGION: storage!.region,
      REGISTRY_URL: registry!.url,
      LOG_LEVEL: 'info',
      DRAIN_DELAY_MS: '0',
      POLL_INTERVAL_MS: '600000',
      REPLICA_ID: id,
      SLOWDOWN_PCT: String(slowdownPct),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let log = '';
  proc.stdout?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  for (let i = 0; i < 600; i++) {
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log)?.[1];
    if (
      url &&
      (await fetch(`${url}/ready`).then(
        (r) => r.ok,
        () => false,
      ))
    )
      return url;
    if (proc.exitCode !== null) throw new Error(`inference exited ${proc.exitCode}: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`inference ${id} not ready within 60 s: ${log}`);
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'gate-it-'));
  storage = await startTestStorage();
  registry = await startTestRegistry(storage);
  await trainInto(storage, registry);
  [fast, slow] = await Promise.all([startInference(0, 'fast'), startInference(2000, 'slow')]);
});

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (c.exitCode === null) c.kill('SIGKILL');
  }
  await registry?.close();
  await storage?.close();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

function testIO(env: Record<string, string | undefined> = {}): CommandIO & { printed: string[]; warned: string[] } {
  const printed: string[] = [];
  const warned: string[] = [];
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TOOLKIT_') && k !== 'GITHUB_STEP_SUMMARY'),
  );
  return {
    printed,
    warned,
    cwd,
    env: { ...clean, ...env },
    out: (t) => printed.push(t),
    progress: { step: () => {}, info: () => {}, warn: (m) => warned.push(m) },
    docker: () => Promise.reject(new Error('a gate on a --target must not need Docker')),
  };
}

const RUN = (target: string, extra = '') =>
  `run:\n  target: ${target}\n  users: 8\n  batch: 20\n  duration: 2s\n  warmup: 1s\n  repeat: 5\n${extra}`;
const CHECKS = 'thresholds:\n  - "http_req_failed: rate==0"\n  - "http_reqs: rate>1"\ngenerator: warn\n';
const REGRESSION = 'regression:\n  samples: 5\n  maxRounds: 2\n  maxRegression: 25%\n';

async function config(name: string, text: string): Promise<string> {
  await writeFile(join(cwd, name), text);
  return name;
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('toolkit gate against a real inference service', () => {
  let measured: GateReport;

  beforeAll(async () => {
    measured = await gateCommand({ config: await config('measure.yaml', RUN(fast) + CHECKS) }, testIO());
    await baselineSaveCommand(measured.runId, { output: 'baselines/fast.json' }, testIO());
  });

  it('passes the absolute checks and records the run', async () => {
    expect(measured.verdict).toBe('pass');
    expect(measured.exitCode).toBe(0);
    expect(measured.checks.map((c) => [c.name, c.status])).toEqual(
      expect.arrayContaining([
        ['http_req_failed: rate==0 at 1 replica(s)', 'pass'],
        ['http_reqs: rate>1 at 1 replica(s)', 'pass'],
      ]),
    );
    const saved = JSON.parse(await readFile(join(cwd, 'baselines/fast.json'), 'utf8'));
    expect(saved.levels[0].samples).toHaveLength(5);
    expect(saved.machine.k6).toMatch(/^k6 v1\./);
  });

  it('does not fail the same build against its own baseline (A/A), and writes every output', async () => {
    const summary = join(cwd, 'summary.md');
    const io = testIO({ GITHUB_STEP_SUMMARY: summary });
    const report = await gateCommand(
      {
        config: await config('aa.yaml', RUN(fast) + CHECKS + REGRESSION),
        baseline: 'baselines/fast.json',
        markdown: 'out/gate.md',
        junit: 'out/junit.xml',
      },
      io,
    );
    expect(report.exitCode).toBe(EXIT.ok);
    expect(report.regression?.judgement.verdict).not.toBe('fail');
    expect(report.regression?.baseline).toHaveLength(5);
    expect(io.printed.join('\n')).toMatch(/GATE (PASS|INCONCLUSIVE)/);
    const junit = await readFile(join(cwd, 'out/junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(report.checks.length);
    expect(await readFile(join(cwd, 'out/gate.md'), 'utf8')).toMatch(/^## (✅|❔) Performance gate/);
    expect(await readFile(summary, 'utf8')).toContain('Performance gate');
    // A bare target has no stack spec to compare; the gate says so instead of staying silent.
    expect(io.warned.join('\n')).toMatch(/stack spec of the baseline or of this run is unknown/);
  });

  it('fails with exit 99 on a large injected slowdown against the stored baseline', async () => {
    const err = await failure(
      gateCommand({ config: 'aa.yaml', baseline: 'baselines/fast.json', target: slow, json: true }, testIO()),
    );
    expect(err).toBeInstanceOf(GateFailedError);
    expect((err as GateFailedError).exitCode).toBe(EXIT.gateFailed);
    expect((err as Error).message).toMatch(/^gate failed: no throughput regression at 1 replica\(s\) \(stored\)/);
  });

  it('fails with exit 99 on the slowdown measured side by side (A/B, requests per CPU-second in 1 s windows)', async () => {
    const ab = `${RUN(fast)}regression:\n  metric: rps-per-cpu\n  samples: 8\n  window: 1s\n  maxRounds: 1\n  compare:\n    baseline: ${fast}\n    candidate: ${slow}\n`;
    const io = testIO();
    const err = await failure(gateCommand({ config: await config('ab.yaml', ab) }, io));
    expect(err).toBeInstanceOf(GateFailedError);
    const text = io.printed.join('\n');
    expect(text).toMatch(/FAIL\s+no requests per CPU-second regression \(simultaneous\)/);
    expect(text).toMatch(/signed-rank exact W\+=0 p=0\.0078/); // 8 windows, all worse: the smallest exact p, 2/2^8
  });
});

describe('toolkit gate: bad input exits 2 with the reason', () => {
  it('a missing baseline file', async () => {
    const err = await failure(gateCommand({ config: 'aa.yaml', baseline: 'baselines/none.json' }, testIO()));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(EXIT.usage);
    expect((err as Error).message).toBe(`baseline ${join(cwd, 'baselines/none.json')}: no such file`);
  });

  it('a regression check with no baseline at all', async () => {
    const err = await failure(gateCommand({ config: 'aa.yaml' }, testIO()));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/the regression check needs a baseline, and none was given$/);
  });

  it('a baseline from another scenario', async () => {
    const health = RUN(fast).replace('  batch: 20\n', '  batch: 20\n  scenario: mixed\n') + REGRESSION;
    const err = await failure(
      gateCommand({ config: await config('other.yaml', health), baseline: 'baselines/fast.json' }, testIO()),
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(
      /is not comparable:\n {2}the baseline measured scenario 'predict', this gate measures 'mixed'/,
    );
  });

  it('a malformed config, every problem with its location, before any load', async () => {
    const bad = 'run:\n  users: many\nthresholds:\n  - "p(95)<"\nscaling:\n  - "efficiency(2) > 0.5"\n';
    const err = await failure(gateCommand({ config: await config('bad.yaml', bad) }, testIO()));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(EXIT.usage);
    const lines = (err as Error).message.split('\n');
    expect(lines[0]).toBe('invalid gate config (3 problems):');
    expect(lines.slice(1).map((l) => l.trim().replace(/: .*$/, ''))).toEqual([
      'bad.yaml:2:10 run.users',
      'bad.yaml:4:5 thresholds[0]',
      'bad.yaml:6:5 scaling[0]',
    ]);
  });

  it('a missing gate config', async () => {
    const err = await failure(gateCommand({ config: 'nope.yaml' }, testIO()));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`gate config ${join(cwd, 'nope.yaml')}: no such file`);
  });
});
