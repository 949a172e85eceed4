// Inference lifecycle with real processes: SIGTERM drains in-flight work and exits 0; the grace period
// bounds a drain; registry or storage missing at start means 503 with a reason, then ready once they appear; the
// warm-up runs before ready and stays out of the metrics.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type InferenceHandle, inferenceConfigFromEnv, startInference } from '../../services/inference/index.ts';
import { startRegistry } from '../../services/registry/index.ts';
import { startStorage } from '../../services/storage/index.ts';
import { getJson, predict, VALID_INSTANCE, waitFor } from '../fixtures/inference-app.ts';
import { inferenceEnv } from '../helpers/inference-env.ts';
import { freePort } from '../helpers/net.ts';
import { startTestRegistry, type TestRegistry, trainInto } from '../helpers/registry.ts';
import { startTestStorage, type TestStorage } from '../helpers/storage.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const close of cleanups.splice(0).reverse()) await close();
});

function envFor(storage: { url: string; accessKey: string; secretKey: string; region: string }, registryUrl: string) {
  return {
    ...inferenceEnv(storage, registryUrl),
    LOG_LEVEL: 'warn',
  };
}

/** `services/main.ts inference` as a child process (node itself, so the PID we signal is the service). */
async function spawnInference(env: Record<string, string>) {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'services/main.ts', 'inference'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(proc);
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    proc.on('exit', (code) => resolve({ code, at: Date.now() })),
  );
  const url = await waitFor('the child to listen', async () => {
    if (proc.exitCode !== null) throw new Error(`child exited ${proc.exitCode}: ${stderr}`);
    return /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
  });
  return { proc, url, exited, stderr: () => stderr };
}

async function inflight(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^inference_inflight_requests\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

describe('SIGTERM', () => {
  let storage: TestStorage;
  let registry: TestRegistry;
  beforeAll(async () => {
    storage = await startTestStorage();
    registry = await startTestRegistry(storage);
    await trainInto(storage, registry);
  });
  afterAll(async () => {
    await registry?.close();
    await storage?.close();
  });

  it('finishes in-flight requests, fails readiness during the drain and exits 0 within the grace period', async () => {
    const grace = 30_000;
    const child = await spawnInference({
      ...envFor(storage, registry.url),
      SLOWDOWN_PCT: '3000',
      DRAIN_DELAY_MS: '500',
      GRACE_PERIOD_MS: String(grace),
    });
    await waitFor('ready', async () => ((await fetch(`${child.url}/ready`)).status === 200 ? true : undefined));
    const batch = Array(1000).fill(VALID_INSTANCE);
    const slow = Array.from({ length: 3 }, () => predict(child.url, batch));
    await waitFor('3 requests in flight', async () => ((await inflight(child.url)) === 3 ? true : undefined));

    const sentAt = Date.now();
    child.proc.kill('SIGTERM');
    const ready = await waitFor('/ready to fail', async () => {
      const r = await getJson(`${child.url}/ready`);
      return r.status === 503 ? r : undefined;
    });
    expect(ready.body).toEqual({ status: 'not_ready', reason: 'draining' });
    // Still busy with the slow requests, so the process is still draining, not gone.
    expect(child.proc.exitCode).toBeNull();

    const results = await Promise.all(slow);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    for (const r of results) expect(r.body.predictions).toHaveLength(1000);
    const { code, at } = await child.exited;
    expect(code).toBe(0);
    expect(at - sentAt).toBeLessThan(grace);
  });

  it('closes connections still busy when the grace period ends, and still exits 0', async () => {
    const child = await spawnInference({
      ...envFor(storage, registry.url),
      SLOWDOWN_PCT: '100000',
      DRAIN_DELAY_MS: '0',
      GRACE_PERIOD_MS: '1000',
    });
    await waitFor('ready', async () => ((await fetch(`${child.url}/ready`)).status === 200 ? true : undefined));
    const stuck = predict(child.url, Array(1000).fill(VALID_INSTANCE)).then(
      (r) => `status ${r.status}`,
      () => 'connection closed',
    );
    await waitFor('a request in flight', async () => ((await inflight(child.url)) === 1 ? true : undefined));
    child.proc.kill('SIGTERM');
    const { code } = await child.exited;
    expect(code).toBe(0);
    expect(await stuck).toBe('connection closed');
  });
});

async function startInProcess(env: Record<string, string>): Promise<InferenceHandle> {
  const handle = await startInference(inferenceConfigFromEnv({ ...env, LOG_LEVEL: 'silent', DRAIN_DELAY_MS: '0' }));
  cleanups.push(() => handle.close());
  return handle;
}

/** Storage and a registry holding a trained penguins@production, both closed after the test. */
async function startTrainedDependencies(): Promise<{ storage: TestStorage; registry: TestRegistry }> {
  const storage = await startTestStorage();
  cleanups.push(() => storage.close());
  const registry = await startTestRegistry(storage);
  cleanups.push(() => registry.close());
  await trainInto(storage, registry);
  return { storage, registry };
}

async function notReadyReason(url: string): Promise<string> {
  const r = await getJson(`${url}/ready`);
  expect(r.status).toBe(503);
  return (r.body as { reason: string }).reason;
}

describe('dependencies missing at start', () => {
  it('waits for the registry, then for the alias, then becomes ready', async () => {
    const storage = await startTestStorage();
    cleanups.push(() => storage.close());
    const port = await freePort();
    const inference = await startInProcess(envFor(storage, `http://127.0.0.1:${port}`));

    await waitFor('a registry reason', async () =>
      (await notReadyReason(inference.url)).includes('registry unreachable') ? true : undefined,
    );
    expect((await predict(inference.url, [VALID_INSTANCE])).status).toBe(503);

    const token = 'lifecycle-token';
    const registry = await startRegistry({
      host: '127.0.0.1',
      port,
      storage: { url: storage.url, accessKey: storage.accessKey, secretKey: storage.secretKey, region: storage.region },
      bucket: 'registry',
      token,
      logLevel: 'silent',
    });
    cleanups.push(() => registry.close());
    await waitFor('an alias reason', async () =>
      (await notReadyReason(inference.url)).includes('is not set') ? true : undefined,
    );

    const trained = await trainInto(storage, { url: registry.url, token });
    await waitFor('ready', async () => (inference.ready() ? true : undefined));
    const res = await predict(inference.url, [VALID_INSTANCE]);
    expect(res.status).toBe(200);
    expect(res.body.model.version).toBe(trained.version);
  });

  it('waits for storage, then becomes ready', async () => {
    const { storage, registry } = await startTrainedDependencies();

    // Inference reaches the registry but its storage endpoint is not there yet.
    const port = await freePort();
    const inference = await startInProcess(envFor({ ...storage, url: `http://127.0.0.1:${port}` }, registry.url));
    await waitFor('a storage reason', async () =>
      (await notReadyReason(inference.url)).includes('storage') ? true : undefined,
    );

    // A second storage server over the same directory and credentials appears on that port.
    const late = await startStorage({
      host: '127.0.0.1',
      port,
      dataDir: storage.dataDir,
      accessKey: storage.accessKey,
      secretKey: storage.secretKey,
      region: storage.region,
      logLevel: 'silent',
      maxObjectBytes: 1024 * 1024 * 1024,
    });
    cleanups.push(() => late.close());
    await waitFor('ready', async () => (inference.ready() ? true : undefined));
    expect((await getJson(`${inference.url}/ready`)).status).toBe(200);
  });
});

describe('warm-up', () => {
  async function requestsCounted(url: string, route: string): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const re = new RegExp(`^http_requests_total\\{[^}]*route="${route}"[^}]*\\} (\\d+)$`, 'gm');
    return [...text.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
  }

  it('serves its warm-up to itself before /ready says ready, and leaves it out of /metrics', async () => {
    const { storage, registry } = await startTrainedDependencies();

    // Many warm-up requests, so the warming-up state lasts long enough to be seen.
    const inference = await startInProcess({ ...envFor(storage, registry.url), WARMUP_REQUESTS: '20000' });
    await waitFor('the warming-up reason', async () =>
      (await notReadyReason(inference.url)) === 'warming up' ? true : undefined,
    );
    expect(inference.ready()).toBe(false);
    await waitFor('ready', async () => (inference.ready() ? true : undefined), 60_000);
    expect((await getJson(`${inference.url}/ready`)).status).toBe(200);
    expect(await requestsCounted(inference.url, '/predict')).toBe(0);
    expect(await requestsCounted(inference.url, '/health')).toBe(0);

    // A client's own x-warmup header does not hide its request: the token is the process's secret.
    const res = await fetch(`${inference.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-warmup': 'guess' },
      body: JSON.stringify({ instances: [VALID_INSTANCE] }),
    });
    expect(res.status).toBe(200);
    expect(await requestsCounted(inference.url, '/predict')).toBe(1);
  });
});
