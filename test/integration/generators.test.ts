// `toolkit loadtest --generators 2` against a tiny HTTP server on 127.0.0.1: two real k6 processes run their own
// execution segments, their raw samples merge into one result, and one verdict over the merged metrics decides
// the exit code, whatever each k6 thought of its own half.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIO } from '../../toolkit/commands/io.ts';
import { loadtestCommand } from '../../toolkit/commands/loadtest.ts';
import { GateFailedError } from '../../toolkit/errors.ts';
import { runLoadtest } from '../../toolkit/load/index.ts';
import { mergeGenerators, readGeneratorCsv, wantedMetrics } from '../../toolkit/load/merge.ts';
import { csvLines } from '../../toolkit/load/replicas.ts';
import { extractSummary } from '../../toolkit/load/summary.ts';
import type { LoadtestResult } from '../../toolkit/load/types.ts';
import { silentProgress } from '../../toolkit/progress.ts';

let server: Server;
let url: string;
let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'generators-'));
  // Cheaper per request than k6 itself, so the figures are the generators' and the merge's, not a slow target's.
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Replica': 'tiny-1' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8'));

/** http_req_duration samples straight from a k6 CSV, independent of the toolkit's reader. */
async function durations(file: string): Promise<number[]> {
  return gunzipSync(await readFile(file))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.startsWith('http_req_duration,'))
    .map((l) => Number(l.split(',')[2]));
}

function p95(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const i = 0.95 * (s.length - 1);
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
}

function testIO(): CommandIO & { printed: string[] } {
  const printed: string[] = [];
  return {
    printed,
    cwd,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TOOLKIT_'))),
    out: (t) => printed.push(t),
    progress: silentProgress,
    docker: () => Promise.reject(new Error('loadtest must not need Docker')),
  };
}

describe('closed model, K = 2', () => {
  let result: LoadtestResult;
  const gen = (i: number, file: string) => join(result.dir, 'generators', String(i), file);

  beforeAll(async () => {
    result = await runLoadtest(
      { scenario: 'health', users: 5, duration: '3s', batch: 1, thresholds: [], baseUrl: url, generators: 2 },
      { progress: silentProgress, cwd },
    );
  });

  it('ran two k6 processes, each on its own segment, with VUs split 3 and 2', async () => {
    expect(await readdir(join(result.dir, 'generators'))).toEqual(['0', '1']);
    const run = await readJson(join(result.dir, 'run.json'));
    expect(run.generators).toBe(2);
    expect(run.k6Exits).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    expect(run.commands.map((c: string[]) => c[c.indexOf('--execution-segment') + 1])).toEqual(['0:1/2', '1/2:1']);
    const vus = await Promise.all([0, 1].map(async (i) => (await readJson(gen(i, 'summary.json'))).metrics.vus_max));
    expect(vus.map((m) => m.values.value)).toEqual([3, 2]);
  });

  it('reports total requests as the sum of both k6 summaries, and every one against its replica', async () => {
    const counts = await Promise.all(
      [0, 1].map(async (i) => (await readJson(gen(i, 'summary.json'))).metrics.http_reqs.values.count as number),
    );
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(result.requests).toBe(counts[0] + counts[1]);
    expect(result.generatorRuns?.map((g) => g.requests)).toEqual(counts);
    expect(result.perReplica).toEqual([{ replica: 'tiny-1', requests: result.requests, share: 1 }]);
    expect(result.errorRate).toBe(0);
  });

  it('takes p95 over the union of both CSVs', async () => {
    const all = [...(await durations(gen(0, 'timeseries.csv.gz'))), ...(await durations(gen(1, 'timeseries.csv.gz')))];
    expect(all.length).toBe(result.requests);
    expect(result.latency.p95).toBeCloseTo(p95(all), 9);
    expect(result.latency.max).toBe(Math.max(...all));
  });

  it('says the verdict is the merged one and stores it like any other result', async () => {
    expect(result).toMatchObject({ generators: 2, thresholdVerdict: 'merged', model: 'closed', vus: 5 });
    expect(result.thresholds.map((t) => `${t.metric}: ${t.expression} ${t.ok}`)).toEqual([
      'checks: rate>0.99 true',
      'http_req_duration: p(95)<500 true',
      'http_req_failed: rate<0.01 true',
    ]);
    expect(await readJson(join(result.dir, 'result.json'))).toEqual(JSON.parse(JSON.stringify(result)));
    expect((await readJson(join(result.dir, 'summary.json'))).merged.generators).toBe(2);
    expect(result.generator.cpuPercent).not.toBeNull();
  });
});

describe('open model, K = 2: one verdict over the merged metrics decides the exit code', () => {
  // 40 arrivals/s for 3 s is about 120 requests, about 60 per generator: each half alone is on the other side of 90.
  const flags = (threshold: string) => ({
    scenario: 'health',
    rate: '40',
    duration: '3s',
    generators: '2',
    target: url,
    threshold: [threshold],
  });

  it('passes when the merged count passes although each k6 failed its half (exit 99 each)', async () => {
    const io = testIO();
    await loadtestCommand({ ...flags('http_reqs: count>90'), json: true }, io);
    const result = JSON.parse(io.printed[0]) as LoadtestResult;
    const runs = result.generatorRuns ?? [];
    expect(runs.map((g) => [g.k6Exit.code, g.k6ThresholdsOk])).toEqual([
      [99, false],
      [99, false],
    ]);
    expect(runs.every((g) => g.requests > 45 && g.requests < 90)).toBe(true);
    expect(result.requests).toBe(runs[0].requests + runs[1].requests);
    expect(result.thresholds).toEqual([{ metric: 'http_reqs', expression: 'count>90', ok: true }]);
    expect(result).toMatchObject({ model: 'open', rate: 40, droppedIterations: 0 });
  });

  it('fails with exit 99 when the merged count fails although each k6 passed its half', async () => {
    const io = testIO();
    const err = await loadtestCommand(flags('http_reqs: count<90'), io).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GateFailedError);
    expect((err as GateFailedError).exitCode).toBe(99);
    expect((err as Error).message).toMatch(/http_reqs count<90/);
    expect(io.printed.join('\n')).toMatch(/generators {3}2 k6 processes; thresholds judged on their merged samples/);
    const dir = /results {6}(\S+)/.exec(io.printed.join('\n'))?.[1] as string;
    const run = await readJson(join(dir, 'run.json'));
    expect(run.k6Exits).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  });
});

describe('the merge is faithful to k6', () => {
  it("reproduces one k6's own summary and threshold verdicts from its CSV alone", async () => {
    const thresholds = ['p(95)<0.001', 'http_req_duration: max<60000', 'http_reqs: count>10', 'checks: rate>0.99'];
    const result = await runLoadtest(
      { scenario: 'health', users: 3, duration: '2s', batch: 1, thresholds, baseUrl: url },
      { progress: silentProgress, cwd },
    );
    // K = 1 is the ordinary path: k6's figures and verdict, nothing merged.
    expect(result.generators).toBeUndefined();
    const k6 = await readJson(join(result.dir, 'summary.json'));
    const k6Thresholds = Object.fromEntries(
      Object.entries(k6.metrics as Record<string, { thresholds?: object }>)
        .filter(([, m]) => m.thresholds)
        .map(([name, m]) => [name, Object.keys(m.thresholds ?? {})]),
    );
    const part = await readGeneratorCsv(
      csvLines(join(result.dir, 'timeseries.csv.gz')),
      wantedMetrics(k6Thresholds),
      k6.state.testRunDurationMs / 1000,
    );
    const merged = extractSummary(mergeGenerators([part], k6Thresholds).summary);
    expect(merged.thresholds).toEqual(result.thresholds);
    expect(merged.thresholds.map((t) => t.ok)).toContain(false);
    expect(merged.requests).toBe(result.requests);
    expect(merged.rps).toBeCloseTo(result.rps, 6);
    for (const key of ['avg', 'p50', 'p90', 'p95', 'p99', 'max'] as const) {
      expect(merged.latency[key]).toBeCloseTo(result.latency[key], 6);
    }
  });
});
