// `toolkit loadtest --generators 2 --engine swarm` for real, through the CLI, on a one-node swarm of its own
// (test/helpers/swarm-cluster.ts; the host engine never becomes a swarm): two one-shot k6 Swarm services, each on its own
// execution segment, load the balancer on the project's overlay at 20 req/s for a few seconds; their files come back
// through the service logs API and merge into one result. Also: bad input exits 2 with nothing created, a threshold
// each slice passes but the merged samples fail exits 99, and no generator service or task container is left.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker } from '../../toolkit/docker.ts';
import { balancerOnOverlay } from '../../toolkit/engine/swarm/generators.ts';
import { GENERATOR_LABEL, generatorJobSpec, RUN_LABEL } from '../../toolkit/engine/swarm/generators-spec.ts';
import { ensureK6Image, k6VersionTag, localK6Base } from '../../toolkit/images/index.ts';
import { findK6, k6Version } from '../../toolkit/load/k6.ts';
import { executionSegments } from '../../toolkit/load/k6-args.ts';
import type { LoadtestResult } from '../../toolkit/load/types.ts';
import { validateOptions } from '../../toolkit/load/validate.ts';
import { silentProgress } from '../../toolkit/progress.ts';
import { DEFAULT_SPEC } from '../../toolkit/spec/index.ts';
import { freePort } from '../helpers/net.ts';
import { type SwarmCluster, startSwarmCluster } from '../helpers/swarm-cluster.ts';
import { hostDockerHost, sh } from '../helpers/swarm-node.ts';

const execFileP = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/toolkit.js');
const project = `tkgen${process.pid}`;
let cluster: SwarmCluster;
let cwd: string;
let port: number;
let k6Image: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}
async function cli(args: string[], env: Record<string, string> = cluster.env): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Generator services and their task containers on the manager, whatever run made them. */
async function generatorLeftovers(): Promise<string[]> {
  const services = await cluster.docker.listServices({ filters: { label: [GENERATOR_LABEL] } });
  const containers = await cluster.docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } });
  return [...services.map((s) => `service ${s.Spec?.Name}`), ...containers.map((c) => `container ${c.Names?.[0]}`)];
}

/** http_reqs samples in one generator's CSV: every request k6 made is one row. */
async function csvRequests(dir: string): Promise<number> {
  const text = gunzipSync(await readFile(join(dir, 'timeseries.csv.gz'))).toString('utf8');
  return text.split('\n').filter((l) => l.startsWith('http_reqs,')).length;
}

/**
 * The k6 image the CLI will ask for, made on the host engine (which can reach the apt mirror and holds the
 * Debian base) and loaded into the cluster with its base, so the CLI's image check on the manager is a no-op.
 */
async function loadK6Image(): Promise<string> {
  const host = await connectDocker({ DOCKER_HOST: hostDockerHost() });
  const bin = await findK6(process.env);
  const version = await k6Version(bin);
  const image = await ensureK6Image(host, DEFAULT_SPEC, silentProgress, { k6Binary: bin, k6Version: version });
  const dir = await mkdtemp(join(tmpdir(), 'k6-image-'));
  try {
    const tar = join(dir, 'k6.tar');
    await sh('docker', ['-H', hostDockerHost(), 'save', '-o', tar, image, localK6Base(k6VersionTag(version))]);
    await Promise.all(cluster.nodes.map((n) => sh('docker', ['-H', `unix://${n.socket}`, 'load', '-q', '-i', tar])));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return image;
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'toolkit-swarm-gen-'));
  port = await freePort();
  cluster = await startSwarmCluster({ nodes: 1, name: 'tkswgen' });
  k6Image = await loadK6Image();
  const up = await cli([
    ...['up', '--engine', 'swarm', '--project', project, '--replicas', '1'],
    ...['--bind', cluster.bindIp, '--port', String(port), '--cpus', '0.5'],
  ]);
  if (up.code !== 0) throw new Error(`toolkit up exited ${up.code}:\n${up.stderr.slice(-4000)}`);
});

afterAll(async () => {
  try {
    if (cluster) await cli(['down', '--project', project, '--volumes']);
  } finally {
    await cluster?.[Symbol.asyncDispose]();
    await rm(cwd, { recursive: true, force: true });
  }
}, 300_000);

const LOAD = ['--scenario', 'predict', '--rate', '20', '--duration', '4s'];

describe('generators as Swarm tasks, bad input: exit 2, nothing created', () => {
  it('refuses an engine that is not a swarm manager', async () => {
    const host: Record<string, string> = process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {};
    const res = await cli(['loadtest', '--project', project, '--engine', 'swarm', '--generators', '2', ...LOAD], host);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('not part of a swarm');
  });

  it('refuses more generators than the maximum, and --target with tasks', async () => {
    const many = await cli(['loadtest', '--project', project, '--engine', 'swarm', '--generators', '17', ...LOAD]);
    expect(many.code).toBe(2);
    expect(many.stderr).toContain('--generators: 17 is out of range; expected an integer from 1 to 16');
    const target = await cli([
      ...['loadtest', '--project', project, '--engine', 'swarm', '--generators', '2', ...LOAD],
      ...['--target', 'http://127.0.0.1:9'],
    ]);
    expect(target.code).toBe(2);
    expect(target.stderr).toContain('--target with generators as Swarm tasks');
    expect(await generatorLeftovers()).toEqual([]);
  });

  it('refuses tasks for a stack that runs on the local engine', async () => {
    const local = `${project}loc`;
    await mkdir(join(cwd, '.toolkit', local), { recursive: true });
    await writeFile(join(cwd, '.toolkit', local, 'spec.json'), JSON.stringify({ project: local, engine: 'local' }));
    const res = await cli(['loadtest', '--project', local, '--engine', 'swarm', '--generators', '2', ...LOAD]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`project ${local} runs on the local engine`);
    expect(await generatorLeftovers()).toEqual([]);
  });
});

describe('generators as Swarm tasks through the CLI', () => {
  it('two generator services on their own segments; the merged count is the sum of both tasks’ samples', async () => {
    const res = await cli([
      ...['loadtest', '--project', project, '--generators', '2', ...LOAD],
      ...['--threshold', 'http_req_failed: rate<0.5', '--json'],
    ]);
    if (res.code !== 0) throw new Error(`loadtest exited ${res.code}:\n${res.stderr.slice(-4000)}`);
    const result = JSON.parse(res.stdout) as LoadtestResult;
    const runs = result.generatorRuns ?? [];
    expect(result.generators).toBe(2);
    expect(result.thresholdVerdict).toBe('merged');
    expect(runs.map((g) => g.segment)).toEqual(['0:1/2', '1/2:1']);
    expect(runs.map((g) => g.k6Exit.code)).toEqual([0, 0]);
    // The saved engine (swarm) put them on the swarm without --engine: each ran on a node of the cluster.
    const nodes = (await cluster.docker.listNodes()) as { Description?: { Hostname?: string } }[];
    const hostnames = nodes.map((n) => n.Description?.Hostname);
    expect(runs.every((g) => g.node !== undefined && hostnames.includes(g.node))).toBe(true);
    const perTask = await Promise.all(runs.map((g) => csvRequests(g.dir)));
    expect(perTask.every((n) => n > 0)).toBe(true);
    expect(runs.map((g) => g.requests)).toEqual(perTask);
    expect(result.requests).toBe(perTask[0] + perTask[1]);
    expect(result.errorRate).toBe(0);
    // Through the balancer to the swarm's inference task: the X-Replica header is the task name.
    expect(result.perReplica.map((r) => r.replica.startsWith(`${project}_inference.`))).toEqual([true]);
    expect(await generatorLeftovers()).toEqual([]);
  });

  it('a threshold each slice passes but the merged samples fail: exit 99, after printing the result', async () => {
    // 20 arrivals/s for 4 s: about 80 requests, about 40 per generator; each k6 judges its half under 60.
    const res = await cli([
      ...['loadtest', '--project', project, '--engine', 'swarm', '--generators', '2', ...LOAD],
      ...['--threshold', 'http_reqs: count<60', '--json'],
    ]);
    expect(res.code).toBe(99);
    expect(res.stderr).toContain('thresholds crossed: http_reqs count<60');
    const result = JSON.parse(res.stdout) as LoadtestResult;
    const runs = result.generatorRuns ?? [];
    expect(runs.map((g) => g.k6ThresholdsOk)).toEqual([true, true]);
    expect(result.requests).toBe(runs[0].requests + runs[1].requests);
    expect(result.requests).toBeGreaterThanOrEqual(60);
    expect(result.thresholds).toEqual([{ metric: 'http_reqs', expression: 'count<60', ok: false }]);
    expect(await generatorLeftovers()).toEqual([]);
  });

  it('Ctrl-C while the generators run: they are removed, exit 1, nothing merged', async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'loadtest',
        '--project',
        project,
        '--generators',
        '2',
        '--scenario',
        'predict',
        '--rate',
        '5',
        '--duration',
        '60s',
      ],
      { cwd, env: { ...process.env, ...cluster.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      // Bounded: the services exist within a minute (the image is already on the node), else the test fails.
      const deadline = Date.now() + 60_000;
      while ((await generatorLeftovers()).filter((l) => l.startsWith('service')).length < 2) {
        if (Date.now() > deadline) throw new Error(`no generator services after 60 s:\n${stderr.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      child.kill('SIGINT');
      expect(await exited).toBe(1);
      expect(stderr).toContain('interrupted: the generator services were removed');
      expect(await generatorLeftovers()).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('down removes a generator service a killed run left behind, with everything else', async () => {
    // What a run killed with SIGKILL leaves: its generator, still loading the balancer at 1 req/s. Its 30 min would
    // outlast down's 90 s wait for task containers, so down succeeding means removing the service stopped it.
    const v = validateOptions({
      ...{ scenario: 'health', rate: 1, duration: '30m', batch: 1, thresholds: [] },
      baseUrl: 'http://127.0.0.1:8000',
    });
    const target = await balancerOnOverlay(cluster.docker, project);
    await cluster.docker.createService(
      generatorJobSpec({
        ...{ project, runId: 'killed-run', index: 0, segment: executionSegments(1)[0], v, image: k6Image },
        ...{ networkId: target.networkId, target: { ip: target.ip, port: target.port }, spread: '' },
      }),
    );
    expect(await generatorLeftovers()).toContain(`service ${project}_k6-killed-run-0`);
    const down = await cli(['down', '--project', project, '--volumes']);
    expect(down.code).toBe(0);
    expect(await generatorLeftovers()).toEqual([]);
  });
});
