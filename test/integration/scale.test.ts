// `toolkit scale` against the real engine, nginx and a bounded open-model load: no failed request through a
// scale-up and a scale-down, bad input changes nothing, a concurrent scale is refused while the lock is held, and a
// scale killed midway (SIGKILL once its new replica exists, still at its start-up CPU weight) converges on the next
// run, at the serving weight.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnLoadLoop } from '../../toolkit/chaos/load-child.ts';
import { failed } from '../../toolkit/chaos/load-loop.ts';
import { status } from '../../toolkit/engine/index.ts';
import { demuxBuffer, listProjectContainers } from '../../toolkit/engine/query.ts';
import { STARTUP_CPU_SHARES } from '../../toolkit/engine/replicas.ts';
import { waitTrafficReaches } from '../../toolkit/engine/traffic.ts';
import { stackPaths } from '../../toolkit/paths.ts';
import { startStack, type TestStack, until } from './scale-stack.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack('tkscale', 1);
});

afterAll(async () => {
  await stack?.destroy();
});

async function containerIds(): Promise<string[]> {
  return (await listProjectContainers(stack.docker, stack.project)).map((c) => c.id).sort();
}

/** Replica n's cgroup CPU weight (Docker reports 0 for the default, 1024). */
async function cpuShares(n: number): Promise<number> {
  const c = (await listProjectContainers(stack.docker, stack.project, 'inference')).find((x) => x.number === n);
  const shares = (await stack.docker.getContainer(c!.id).inspect()).HostConfig.CpuShares ?? 0;
  return shares === 0 ? 1024 : shares;
}

/** nginx's error log (stderr) since `sinceSec`, to explain a failure. */
async function nginxErrors(sinceSec: number): Promise<string> {
  const nginx = (await listProjectContainers(stack.docker, stack.project, 'nginx'))[0];
  if (!nginx) return '(no nginx)';
  const buf = (await stack.docker
    .getContainer(nginx.id)
    .logs({ stdout: false, stderr: true, since: sinceSec })) as unknown as Buffer;
  return demuxBuffer(buf).slice(-4000);
}

describe('toolkit scale', () => {
  it('scales 1 → 3 → 1 under load with no failed request, new replicas serving and removed ones gone', async () => {
    // Modest and bounded: 30 req/s for at most 150 s, stopped as soon as both scale steps are done.
    const keptId = (await listProjectContainers(stack.docker, stack.project, 'inference'))[0].id;
    const sinceSec = Math.floor(Date.now() / 1000) - 1;
    const load = spawnLoadLoop({ baseUrl: stack.url, rate: 30, durationMs: 150_000 });
    const progress: string[] = [];
    try {
      const upTo3 = await stack.cli(['scale', '3']).done;
      progress.push(upTo3.stderr);
      expect(upTo3.code, upTo3.stderr).toBe(0);
      const downTo1 = await stack.cli(['scale', '1']).done;
      progress.push(downTo1.stderr);
      expect(downTo1.code, downTo1.stderr).toBe(0);
    } finally {
      load.stop();
    }
    const { records } = await load.result;
    expect(records.length).toBeGreaterThan(30);
    const failures = records.filter(failed);
    const why = failures.length ? `${progress.join('\n')}\n${await nginxErrors(sinceSec)}` : '';
    expect(failures, why).toEqual([]);
    // The replica it kept was never touched.
    expect((await listProjectContainers(stack.docker, stack.project, 'inference')).map((c) => c.id)).toEqual([keptId]);
    const replicas = new Set(records.map((r) => r.replica));
    for (const n of [1, 2, 3]) expect(replicas).toContain(`${stack.project}-inference-${n}`);
    expect(await stack.inferenceNumbers()).toEqual([1]);
    const st = await status(stack.docker, stack.project, stackPaths(stack.spec));
    expect(st.replicas.map((r) => [r.number, r.ready, r.inRotation])).toEqual([[1, true, true]]);
  });

  it('refuses bad input with exit 2 and a reason, changing nothing', async () => {
    const before = await containerIds();
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [['scale', '-1'], /negative/],
      [['scale', '0'], /--allow-zero/],
      [['scale', 'two'], /not a whole number/],
      [['scale', '33'], /maxReplicas/],
      [['scale', '2'], /replica 5 does not exist/, { TOOLKIT_WEIGHTS: '5=2' }],
    ];
    for (const [args, reason, env] of cases) {
      if (env) Object.assign(process.env, env);
      try {
        const res = await stack.cli(args).done;
        expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(2);
        expect(res.stderr).toMatch(reason);
      } finally {
        if (env) for (const k of Object.keys(env)) delete process.env[k];
      }
    }
    expect(await containerIds()).toEqual(before);
  });

  it('refuses a second scale while the first holds the lock, naming its pid', async () => {
    const first = stack.cli(['scale', '2']);
    const lockFile = stackPaths(stack.spec).lockFile;
    const locked = await until(
      async () => (await readFile(lockFile, 'utf8').catch(() => '')).includes(`${first.pid}`),
      60_000,
    );
    expect(locked).toBe(true);
    const second = await stack.cli(['scale', '3', '--wait', '0']).done;
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`toolkit scale \\(pid ${first.pid}`));
    const res = await first.done;
    expect(res.code, res.stderr).toBe(0);
    expect(await stack.inferenceNumbers()).toEqual([1, 2]);
  });

  it('converges on the next scale after one was killed once its new replica existed', async () => {
    const interrupted = stack.cli(['scale', '3']);
    const created = await until(async () => (await stack.inferenceNumbers()).includes(3), 120_000);
    expect(created).toBe(true);
    interrupted.kill('SIGKILL');
    const killed = await interrupted.done;
    expect(killed.signal).toBe('SIGKILL');
    // Killed before replica 3 was ready (model load takes seconds): it still has its start-up CPU weight.
    expect(await cpuShares(3)).toBe(STARTUP_CPU_SHARES);

    // The dead holder's lock is taken over; the half-made replica 3 is adopted (or replaced) and joins nginx.
    const rerun = await stack.cli(['scale', '3']).done;
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await stack.inferenceNumbers()).toEqual([1, 2, 3]);
    // Ready replicas serve at the full weight, the adopted one included.
    for (const n of [1, 2, 3]) expect(await cpuShares(n)).toBe(1024);
    const st = await status(stack.docker, stack.project, stackPaths(stack.spec));
    expect(st.replicas.every((r) => r.ready && r.inRotation)).toBe(true);
    const names = [1, 2, 3].map((n) => `${stack.project}-inference-${n}`);
    const res = await waitTrafficReaches(stack.url, names, stack.spec, { timeoutMs: 30_000 });
    expect(res.ok, JSON.stringify(res)).toBe(true);
  });
});
