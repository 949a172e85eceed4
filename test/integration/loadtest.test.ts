// The k6 runner and `toolkit loadtest` against a real inference service on 127.0.0.1: figures equal k6's own
// summary, per-replica counts add up, the open model offers its rate, and threshold failures exit 99.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIO } from '../../toolkit/commands/io.ts';
import { loadtestCommand } from '../../toolkit/commands/loadtest.ts';
import { EXIT, GateFailedError, UsageError } from '../../toolkit/errors.ts';
import { runLoadtest } from '../../toolkit/load/index.ts';
import type { LoadtestResult } from '../../toolkit/load/types.ts';
import { silentProgress } from '../../toolkit/progress.ts';
import { type InferenceStack, startInferenceStack } from '../fixtures/load/inference-stack.ts';

let stack: InferenceStack;
let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'loadtest-'));
  stack = await startInferenceStack();
});
afterAll(async () => {
  await stack?.close();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8'));

/** Environment without TOOLKIT_* settings, so the developer's shell cannot change the spec under test. */
function cleanEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TOOLKIT_')));
}

function testIO(): CommandIO & { printed: string[] } {
  const printed: string[] = [];
  return {
    printed,
    cwd,
    env: cleanEnv(),
    out: (t) => printed.push(t),
    progress: silentProgress,
    docker: () => Promise.reject(new Error('loadtest must not need Docker')),
  };
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describe('runLoadtest against real inference', () => {
  let result: LoadtestResult;

  beforeAll(async () => {
    result = await runLoadtest(
      { scenario: 'predict', users: 5, duration: '3s', batch: 2, thresholds: [], baseUrl: stack.url },
      { progress: silentProgress, cwd },
    );
  });

  it('reports req/s and latency exactly as k6 summarised them', async () => {
    const summary = await readJson(join(result.dir, 'summary.json'));
    expect(result.requests).toBeGreaterThan(0);
    expect(result.requests).toBe(summary.metrics.http_reqs.values.count);
    expect(result.rps).toBe(summary.metrics.http_reqs.values.rate);
    expect(result.latency.p95).toBe(summary.metrics.http_req_duration.values['p(95)']);
    expect(result.latency.p50).toBe(summary.metrics.http_req_duration.values['p(50)']);
    expect(result.latency.p99).toBe(summary.metrics.http_req_duration.values['p(99)']);
    expect(result.durationSec).toBe(summary.state.testRunDurationMs / 1000);
    expect(result).toMatchObject({ model: 'closed', vus: 5, scenario: 'predict', errorRate: 0, droppedIterations: 0 });
  });

  it('counts every request against the replica that answered it', () => {
    expect(result.perReplica).toEqual([{ replica: stack.replicaId, requests: result.requests, share: 1 }]);
  });

  it('applies the default thresholds and reports them', () => {
    expect(result.thresholds.map((t) => `${t.metric}: ${t.expression}`)).toEqual([
      'checks: rate>0.99',
      'http_req_duration: p(95)<500',
      'http_req_failed: rate<0.01',
    ]);
    expect(result.thresholds.find((t) => t.metric === 'checks')?.ok).toBe(true);
  });

  it('stores the run under results/<run-id>/ with its provenance', async () => {
    expect(result.runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(result.dir).toBe(join(cwd, 'results', result.runId));
    expect((await stat(join(result.dir, 'timeseries.csv.gz'))).size).toBeGreaterThan(0);
    const run = await readJson(join(result.dir, 'run.json'));
    expect(run.machine.k6).toMatch(/^k6 v1\./);
    expect(run.machine.cores).toBeGreaterThan(0);
    expect(run.k6Exit).toEqual({ code: 0, signal: null });
    expect(await readJson(join(result.dir, 'result.json'))).toEqual(JSON.parse(JSON.stringify(result)));
    expect(typeof result.generator.trusted).toBe('boolean');
    expect(result.generator.hostIdlePercent).not.toBeNull();
    expect(result.generator.trusted).toBe(result.generator.reasons.length === 0);
  });
});

describe('open model', () => {
  it('offers the requested arrival rate and reports threshold failures as data', async () => {
    const result = await runLoadtest(
      {
        scenario: 'predict',
        rate: 20,
        duration: '3s',
        batch: 1,
        thresholds: ['p(95)<0.001', 'http_req_failed: rate<0.01'],
        baseUrl: stack.url,
        runId: 'open-model-run',
      },
      { progress: silentProgress, cwd },
    );
    expect(result).toMatchObject({ model: 'open', rate: 20, runId: 'open-model-run' });
    expect(result.vus).toBeUndefined();
    // constant-arrival-rate starts rate x duration iterations; any it could not start are counted as dropped.
    expect(result.requests + result.droppedIterations).toBeGreaterThanOrEqual(59);
    expect(result.requests + result.droppedIterations).toBeLessThanOrEqual(61);
    expect(result.thresholds).toEqual([
      { metric: 'http_req_duration', expression: 'p(95)<0.001', ok: false },
      { metric: 'http_req_failed', expression: 'rate<0.01', ok: true },
    ]);
  });

  it('refuses to reuse a run id', async () => {
    await expect(
      runLoadtest(
        {
          scenario: 'predict',
          rate: 5,
          duration: '1s',
          batch: 1,
          thresholds: [],
          baseUrl: stack.url,
          runId: 'open-model-run',
        },
        { progress: silentProgress, cwd },
      ),
    ).rejects.toThrow(/results for run open-model-run already exist/);
  });
});

describe('toolkit loadtest command', () => {
  it('prints the result and exits 99 when a threshold is crossed', async () => {
    const io = testIO();
    const err = await loadtestCommand(
      { port: String(stack.port), scenario: 'health', users: '2', duration: '2s', threshold: ['p(50)<0.0001'] },
      io,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GateFailedError);
    expect((err as GateFailedError).exitCode).toBe(EXIT.gateFailed);
    expect((err as Error).message).toBe('thresholds crossed: http_req_duration p(50)<0.0001');
    const text = io.printed.join('\n');
    expect(text).toContain('health: closed model, 2 VUs');
    expect(text).toContain('FAIL  http_req_duration: p(50)<0.0001');
    expect(text).toMatch(/TRUSTED|UNTRUSTED/);
    expect(text).toContain(stack.replicaId);
  });

  it('prints JSON with --json and succeeds when thresholds hold', async () => {
    const io = testIO();
    await loadtestCommand(
      { port: String(stack.port), rate: '10', duration: '2s', json: true, threshold: ['http_req_failed: rate<0.5'] },
      io,
    );
    const parsed = JSON.parse(io.printed.join('\n'));
    expect(parsed).toMatchObject({ model: 'open', rate: 10, scenario: 'predict' });
    expect(parsed.thresholds).toEqual([{ metric: 'http_req_failed', expression: 'rate<0.5', ok: true }]);
    const spec = await readJson(join(parsed.dir, 'spec.json'));
    expect(spec.port).toBe(stack.port);
    expect((await readJson(join(parsed.dir, 'run.json'))).replicas).toBe(spec.replicas);
  });

  it('says how to start a stack when nothing listens on the port', async () => {
    const port = await closedPort();
    const err = await loadtestCommand({ port: String(port), duration: '2s' }, testIO()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      `no stack running on 127.0.0.1:${port}; start one with: toolkit up --replicas 3`,
    );
  });

  it('rejects bad options before touching the network', async () => {
    const err = await loadtestCommand({ port: String(stack.port), users: '2', rate: '3' }, testIO()).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/--users and --rate together/);
  });
});
