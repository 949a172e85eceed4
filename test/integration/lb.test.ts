// `toolkit lb` against the real engine, nginx and replicas: strategies switched under a bounded closed-loop load with
// zero failed requests, each strategy's routing seen from outside, bad input refused with exit 2 and nothing changed,
// per-replica statistics from nginx's access log and /metrics, and the applied strategy surviving a later `up`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIO } from '../../toolkit/commands/io.ts';
import { lbStatsCommand, lbStrategyCommand } from '../../toolkit/commands/lb.ts';
import { connectDocker, type DockerClient } from '../../toolkit/docker.ts';
import { down, type UpContext, up } from '../../toolkit/engine/index.ts';
import { listProjectContainers } from '../../toolkit/engine/query.ts';
import { nginxState } from '../../toolkit/engine/reload.ts';
import { savedSpecFile } from '../../toolkit/engine/saved-spec.ts';
import { SAMPLE_PREDICT_BODY } from '../../toolkit/engine/traffic.ts';
import { UsageError } from '../../toolkit/errors.ts';
import { ensureImages } from '../../toolkit/images/index.ts';
import { readLbState, specWithLiveLb } from '../../toolkit/lb/state.ts';
import type { LbStats } from '../../toolkit/lb/stats.ts';
import { stackPaths } from '../../toolkit/paths.ts';
import { silentProgress } from '../../toolkit/progress.ts';
import type { LbHealth } from '../../toolkit/render/lb-health.ts';
import { loadOrCreateSecrets } from '../../toolkit/secrets.ts';
import { loadSpec, type StackSpec, serviceDefs } from '../../toolkit/spec/index.ts';
import { freePort } from '../helpers/net.ts';
import { startLoad } from './lb-load.ts';

const exec = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'toolkit.js');
const project = `tklb-${randomBytes(4).toString('hex')}`;
let cwd = '';
let docker: DockerClient;
let spec: StackSpec;
let base: Omit<UpContext, 'spec' | 'defs'>;
let url = '';

/** Runs an lb command function as the CLI would, returning what it printed. */
async function lb(kind: 'strategy', name: string | undefined, opts?: Record<string, unknown>): Promise<string>;
async function lb(kind: 'stats', name: undefined, opts?: Record<string, unknown>): Promise<string>;
async function lb(kind: 'strategy' | 'stats', name: string | undefined, opts: Record<string, unknown> = {}) {
  const out: string[] = [];
  const io: CommandIO = {
    cwd,
    env: {},
    out: (t) => out.push(t),
    progress: silentProgress,
    docker: async () => docker,
  };
  const all = { project, ...opts };
  if (kind === 'strategy') await lbStrategyCommand(name, all, io);
  else await lbStatsCommand(all, io);
  return out.join('\n');
}

const health = async (): Promise<LbHealth> => (await fetch(`${url}/lb/health`)).json() as Promise<LbHealth>;
const liveConf = () => readFile(stackPaths(spec).liveNginxConf, 'utf8');

/** Which replica answers each of `n` sequential requests. */
async function spread(n: number, headers: (i: number) => Record<string, string> = () => ({})) {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers(i) },
      body: SAMPLE_PREDICT_BODY,
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    const r = (res.headers.get('x-replica') ?? '').replace(`${project}-inference-`, '');
    seen[r] = (seen[r] ?? 0) + 1;
  }
  return seen;
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'tklb-'));
  docker = await connectDocker();
  // Weights rendered from the start, so switching to `weighted` with them needs no new config.
  spec = await loadSpec({
    cwd,
    env: {},
    flags: { project, replicas: 2, port: await freePort(), weights: '1=3,2=1' },
  });
  const paths = stackPaths(spec);
  const images = await ensureImages(docker, spec, silentProgress);
  base = { docker, images, paths, secrets: await loadOrCreateSecrets(paths), progress: silentProgress };
  const st = await up({ ...base, spec, defs: serviceDefs(spec, images, paths) });
  url = st.url!;
});

afterAll(async () => {
  if (docker) await down(docker, project, { volumes: true });
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('toolkit lb', () => {
  it('answers /lb/health with the strategy, the healthy count and each backend', async () => {
    const h = await health();
    expect(h).toMatchObject({ strategy: 'round_robin', healthy: 2 });
    expect(h.backends.map((b) => [b.replica, b.state, b.weight])).toEqual([
      [1, 'up', 1],
      [2, 'up', 1],
    ]);
    expect(JSON.parse(await lb('strategy', undefined, { json: true }))).toMatchObject({ strategy: 'round_robin' });
  });

  it('switches through every strategy under load with zero failed requests', async () => {
    const load = startLoad(url, { concurrency: 8, maxRequests: 20_000, maxMs: 120_000 });
    const switches: [string, Record<string, unknown>][] = [
      ['least_conn', {}],
      ['weighted', { weights: '1=3,2=1' }],
      ['ip_hash', {}],
      ['hash', { key: '$remote_addr' }],
      ['random_two_least_conn', {}],
      ['round_robin', {}],
    ];
    try {
      for (const [name, opts] of switches) {
        const before = load.done;
        // Requests in flight across the switch, then enough after it to meet the new strategy.
        while (load.done < before + 30) await new Promise((r) => setTimeout(r, 50));
        const out = JSON.parse(await lb('strategy', name, { ...opts, json: true }));
        expect(out).toMatchObject({ strategy: name, reloaded: false });
        expect((await health()).strategy).toBe(name);
      }
      const after = load.done;
      while (load.done < after + 30) await new Promise((r) => setTimeout(r, 50));
    } finally {
      const res = await load.stop();
      expect(res.failures).toEqual([]);
      expect(res.failed).toBe(0);
      expect(res.ok).toBeGreaterThan(200);
    }
  });

  it('routes as each strategy says', async () => {
    await lb('strategy', 'ip_hash');
    expect(Object.keys(await spread(20))).toHaveLength(1);
    await lb('strategy', 'weighted', { weights: '1=3,2=1' });
    // Each nginx worker keeps its own rotation and requests may arrive on connections of either: near, not exact.
    const weighted = await spread(40);
    expect(weighted['1']).toBeGreaterThanOrEqual(24);
    expect(weighted['2']).toBeGreaterThanOrEqual(4);
    await lb('strategy', 'round_robin');
    const rr = await spread(20);
    expect(rr['1']).toBeGreaterThanOrEqual(7);
    expect(rr['2']).toBeGreaterThanOrEqual(7);
  });

  it('refuses bad input with exit 2 and a reason, and changes nothing', async () => {
    const conf = await liveConf();
    const state = await readFile(savedSpecFile(spec), 'utf8');
    const before = await health();
    for (const [name, opts, reason] of [
      ['fastest', {}, /unknown strategy "fastest"/],
      ['hash', {}, /strategy hash needs a key/],
      ['weighted', { weights: '1=2,3=1' }, /replica 3 does not exist \(replicas: 1, 2\)/],
    ] as const) {
      const err = await lb('strategy', name, opts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(2);
      expect((err as Error).message).toMatch(reason);
    }
    // The real binary: exit code and the reason on stderr.
    const bin = await exec('node', [BIN, 'lb', 'strategy', 'hash', '--project', project], { cwd }).catch((e) => e);
    expect(bin.code).toBe(2);
    expect(bin.stderr).toMatch(/error: nothing changed: strategy hash needs a key/);
    expect(await liveConf()).toBe(conf);
    expect(await readFile(savedSpecFile(spec), 'utf8')).toBe(state);
    expect(await health()).toEqual(before);
  });

  it('renders and reloads when the weights are new, and the balancer serves them', async () => {
    const out = JSON.parse(await lb('strategy', 'weighted', { weights: '1=1,2=3', json: true }));
    expect(out).toMatchObject({ strategy: 'weighted', reloaded: true });
    expect((await health()).backends.map((b) => b.weight)).toEqual([1, 3]);
    expect((await spread(40))['2']).toBeGreaterThanOrEqual(24);
  });

  it("reads nginx's own error lines from its tmpfs log after a byte offset, beside its serving workers", async () => {
    const nginx = (await listProjectContainers(docker, project, 'nginx')).find((c) => !c.oneoff)!;
    const before = await nginxState(docker, nginx.id);
    expect(before.workers.size).toBeGreaterThan(0);
    // A body over nginx's 16 KiB buffer is spooled to a temp file, which nginx logs at [warn].
    const body = JSON.stringify({ instances: [], pad: 'x'.repeat(20_000) });
    const res = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(422);
    const after = await nginxState(docker, nginx.id, before.logBytes);
    expect(after.logBytes).toBeGreaterThan(before.logBytes);
    expect(after.logLines.join('\n')).toMatch(/\[warn\].*a client request body is buffered to a temporary file/);
    expect(after.workers).toEqual(before.workers);
  });

  it('prints per-replica statistics from the access log and /metrics', async () => {
    await spread(10);
    const stats = JSON.parse(await lb('stats', undefined, { json: true })) as LbStats;
    expect(stats).toMatchObject({ project, strategy: 'weighted', failed: 0 });
    expect(stats.backends.map((b) => [b.replica, b.state, b.weight])).toEqual([
      [1, 'up', 1],
      [2, 'up', 3],
    ]);
    for (const b of stats.backends) {
      expect(b.total).toBeGreaterThan(50);
      expect(b.errors).toBe(0);
      expect(b.active).toBe(0);
      expect(b.avg_ms).toBeGreaterThan(0);
      expect(b.p95_ms).toBeGreaterThan(0);
      expect(b.last_ms).not.toBeNull();
      expect(b.last_used).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    const recent = JSON.parse(await lb('stats', undefined, { json: true, since: '1h' })) as LbStats;
    expect(recent.since).toBe('1h');
    expect(recent.requests).toBeLessThanOrEqual(stats.requests);
    const table = await lb('stats', undefined, {});
    expect(table).toMatch(/^REPLICA\s+ADDRESS\s+STATE\s+WEIGHT\s+ACTIVE\s+TOTAL/m);
    expect(table).toMatch(/strategy weighted/);
  });

  it("records the switch in the stack's saved spec and keeps it through a later up that does not name one", async () => {
    await lb('strategy', 'least_conn');
    expect(await readLbState(spec)).toEqual({
      strategy: 'least_conn',
      hashKey: '$remote_addr',
      weights: { 1: 1, 2: 3 },
    });
    const later = await loadSpec({ cwd, env: {}, flags: { project, replicas: 2, port: spec.port } });
    const merged = await specWithLiveLb(later, {});
    expect(merged.lb.strategy).toBe('least_conn');
    await up({ ...base, spec: merged, defs: serviceDefs(merged, base.images, base.paths) });
    expect(await health()).toMatchObject({ strategy: 'least_conn', healthy: 2 });
  });
});
