// Every scenario in loadtests/ runs under plain `k6 run` (no toolkit) against a real inference service for
// ~2 s and exits 0 with its checks passing; bad settings stop k6 at init; the scripts type-check.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findK6 } from '../../toolkit/load/k6.ts';
import { type InferenceStack, startInferenceStack } from '../fixtures/load/inference-stack.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

let stack: InferenceStack;
let k6: string;
let tmp: string;

beforeAll(async () => {
  k6 = await findK6(process.env);
  tmp = await mkdtemp(join(tmpdir(), 'k6-scenarios-'));
  stack = await startInferenceStack();
});
afterAll(async () => {
  await stack?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Plain `k6 run`, bounded; resolves with the exit code instead of throwing. */
async function k6Run(script: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  const args = ['run', '--no-usage-report', '--address', '', '-q'];
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  args.push(join(ROOT, 'loadtests', script));
  try {
    const { stdout, stderr } = await run(k6, args, { cwd: tmp, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    // k6 logs in logfmt, which escapes the quotes inside messages.
    const output = `${err.stdout}${err.stderr}`.replaceAll('\\"', '"');
    return { code: typeof err.code === 'number' ? err.code : -1, output };
  }
}

// Latency thresholds are for benchmarks on a quiet machine; here only correctness gates the exit code.
const CORRECTNESS = 'http_req_failed: rate<0.01; checks: rate==1';

describe('each scenario under plain k6 run', () => {
  it.each([
    ['predict.ts', { VUS: '2', BATCH: '3' }],
    ['health.ts', { VUS: '2' }],
    ['mixed.ts', { VUS: '2', MIX: 'predict=1,health=1,ready=1' }],
    ['ramp.ts', { VUS: '3' }],
    ['spike.ts', { VUS: '4' }],
    ['open-model.ts', { RATE: '15' }],
    ['open-model.ts', { RATE: '5', RAMP: '20' }],
    ['predict.ts', { RATE: '10' }],
  ])('%s %o', async (script, env) => {
    const summaryFile = join(tmp, `${script}-${Object.values(env).join('-')}.json`);
    const { code, output } = await k6Run(script, {
      BASE_URL: stack.url,
      DURATION: '2s',
      THRESHOLDS: CORRECTNESS,
      SUMMARY_FILE: summaryFile,
      ...env,
    });
    expect(code, output).toBe(0);
    expect(output).toContain('requests ........:');
    const summary = JSON.parse(await readFile(summaryFile, 'utf8'));
    const requests = summary.metrics.http_reqs.values.count;
    expect(requests).toBeGreaterThan(0);
    expect(summary.metrics.checks.values.rate).toBe(1);
    expect(summary.metrics.replica_hits.values.count).toBe(requests);
    expect(summary.metrics.http_req_duration.values['p(99)']).toBeTypeOf('number');
  });
});

describe('settings are checked before any traffic', () => {
  it.each([
    [{ BASE_URL: 'http://192.0.2.1:8000' }, /may only target 127.0.0.1, localhost or \[::1\]/],
    [{ DURATION: '2h' }, /DURATION=2h: expected from 1s to 30m/],
    [{ VUS: '0' }, /VUS=0: expected an integer from 1 to 1000/],
    [{ THRESHOLDS: 'p95<200' }, /failed parsing threshold expression "p95<200" at character 1/],
    [{ MIX: 'predict=1,train=2' }, /MIX entry "train=2"/],
  ])('%o', async (env, message) => {
    const { code, output } = await k6Run('mixed.ts', { BASE_URL: stack.url, DURATION: '2s', ...env });
    expect(code).not.toBe(0);
    expect(output).toMatch(message);
    expect(output).not.toContain('requests ........:');
  });
});

describe('type-checking', () => {
  it('tsc --noEmit -p loadtests/tsconfig.json passes', async () => {
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    await expect(
      run(tsc, ['--noEmit', '-p', join(ROOT, 'loadtests/tsconfig.json')], { timeout: 120_000 }),
    ).resolves.toBeDefined();
  });
});
