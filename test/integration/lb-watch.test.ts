// `toolkit lb watch` on the local engine, against a real stack: the watcher `up` starts keeps nginx's upstream on the
// running, ready replicas with no toolkit command — a replica killed leaves it, and comes back under a new IP (a
// throwaway container takes its old one) — leaves nginx alone while another command holds the project lock, ends
// cleanly on SIGTERM/SIGINT, `--once` converges by itself, and `down` stops it by its PID.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enginesHoldingProject } from '../../toolkit/engine/down.ts';
import { LABEL, networkName, projectFilters } from '../../toolkit/engine/labels.ts';
import { ipOnNetwork, listProjectContainers } from '../../toolkit/engine/query.ts';
import { getFresh } from '../../toolkit/lb/live.ts';
import { isWatcherProcess, readPidFile } from '../../toolkit/lb/watch-pidfile.ts';
import { stopWatcher } from '../../toolkit/lb/watch-process.ts';
import { acquireLock } from '../../toolkit/lock.ts';
import { stackPaths } from '../../toolkit/paths.ts';
import type { LbHealth } from '../../toolkit/render/lb-health.ts';
import { sleep, startStack, type TestStack, until } from './scale-stack.ts';

let stack: TestStack;
let paths: ReturnType<typeof stackPaths>;

beforeAll(async () => {
  stack = await startStack('tkwatch', 2);
  paths = stackPaths(stack.spec);
});

afterAll(async () => {
  // The watcher first (by the PID in its pidfile), then everything the stack made.
  if (paths) await stopWatcher(paths.watchPidFile);
  await stack?.destroy();
});

const replica = async (n: number) => {
  const c = (await listProjectContainers(stack.docker, stack.project, 'inference')).find((x) => x.number === n);
  if (!c) throw new Error(`no inference replica ${n}`);
  return stack.docker.getContainer(c.id);
};
const addressOf = async (n: number) => `${ipOnNetwork(await (await replica(n)).inspect(), stack.project)}:8000`;

/** What nginx serves now: the addresses of its `up` backends (from /lb/health, rendered with the live config). */
async function upstream(): Promise<string[]> {
  const health = JSON.parse(await getFresh(`${stack.url}/lb/health`)) as LbHealth;
  return health.backends.filter((b) => b.state === 'up').map((b) => b.address);
}
const liveConf = () => readFile(paths.liveNginxConf, 'utf8');
const watchLog = () => readFile(paths.watchLogFile, 'utf8').catch(() => '');
const watcherPid = () => readPidFile(paths.watchPidFile);
const readyOn = async (address: string) =>
  (await fetch(`http://${address}/ready`, { signal: AbortSignal.timeout(1000) }).catch(() => null))?.status === 200;

describe('toolkit lb watch (local engine)', () => {
  it('up starts one watcher; a rerun of up keeps it; status shows it', async () => {
    const pid = await watcherPid();
    expect(pid).not.toBeNull();
    expect(await isWatcherProcess(pid!)).toBe(true);
    // It booted and took the pidfile `up` wrote for it (bounded).
    const started = `watching project ${stack.project} (local engine, pid ${pid})`;
    expect(await until(async () => (await watchLog()).includes(started), 30_000)).toBe(true);
    const st = await stack.cli(['status', '--json']).done;
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout).watcher).toEqual({ running: true, pid });
    const table = await stack.cli(['status']).done;
    expect(table.stdout).toContain(`watcher: running (pid ${pid})`);

    const again = await stack.cli(['up', '--replicas', '2', '--port', String(stack.port)]).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`watcher: pid ${pid} (already running)`);
    expect(await watcherPid()).toBe(pid);
    expect(await isWatcherProcess(pid!)).toBe(true);
  });

  it('a replica killed leaves the upstream, and rejoins under its new IP, with no toolkit command', async () => {
    const victim = await replica(2);
    const name = `${stack.project}-inference-2`;
    const old = await addressOf(2);
    expect(await upstream()).toContain(old);
    await victim.kill();
    expect(await until(async () => !(await upstream()).includes(old), 30_000)).toBe(true);
    expect(await liveConf()).not.toContain(`server ${old}`);

    // Docker hands a freed address to the next container at once: a throwaway (with our labels) takes it, so the
    // replica comes back elsewhere.
    const image = (await victim.inspect()).Config.Image;
    const holder = await stack.docker.createContainer({
      Image: image,
      Entrypoint: ['node', '-e', 'setTimeout(() => {}, 120000)'],
      Labels: { [LABEL.project]: stack.project, [LABEL.managed]: 'true', [LABEL.service]: 'ip-holder' },
      HostConfig: { NetworkMode: networkName(stack.project) },
    });
    let fresh = '';
    try {
      await holder.start();
      await victim.start();
      fresh = await addressOf(2);
    } finally {
      await holder.remove({ force: true });
    }
    expect(fresh).not.toBe(old);
    expect(await until(async () => (await upstream()).includes(fresh), 90_000)).toBe(true);
    expect(await liveConf()).toContain(`server ${fresh}`);
    expect(await readyOn(fresh)).toBe(true);
    // Traffic through nginx reaches it again (bounded).
    const served = await until(async () => {
      const res = await fetch(`${stack.url}/health`).catch(() => undefined);
      return res?.headers.get('x-replica') === name;
    }, 30_000);
    expect(served).toBe(true);
    // The watcher logs a change once the reload is confirmed, a moment after nginx serves it.
    expect(await until(async () => (await watchLog()).includes(`+${name}@${fresh}`), 20_000)).toBe(true);
    expect(await watchLog()).toContain(`-${name}@${old}`);
  });

  it('leaves nginx alone while another command holds the project lock, and converges once it is released', async () => {
    const addr = await addressOf(1);
    // The watcher holds the lock for the moment of a reload: wait for that, as any command does.
    const lock = await acquireLock(paths.lockFile, 'test-holder', { waitMs: 30_000 });
    let released = false;
    try {
      const confBefore = await liveConf();
      await (await replica(1)).kill();
      // The watcher saw it (the die event) and stood back, naming the holder.
      const skipped = await until(async () => (await watchLog()).includes('toolkit test-holder'), 20_000);
      expect(skipped).toBe(true);
      await sleep(2000);
      expect(await liveConf()).toBe(confBefore);
      expect(await upstream()).toContain(addr);
      await lock.release();
      released = true;
      expect(await until(async () => !(await upstream()).includes(addr), 20_000)).toBe(true);
    } finally {
      if (!released) await lock.release();
    }
    await (await replica(1)).start();
    const back = await addressOf(1);
    expect(await until(async () => (await upstream()).includes(back), 90_000)).toBe(true);
  });

  it('SIGTERM ends the watcher cleanly; without one, --once converges', async () => {
    const pid = (await watcherPid())!;
    process.kill(pid, 'SIGTERM');
    expect(await until(async () => !(await isWatcherProcess(pid)), 15_000)).toBe(true);
    expect(await watcherPid()).toBeNull(); // it removed its own pidfile
    expect(await watchLog()).toMatch(/stopped \(signal\)\n$/);

    const addr = await addressOf(2);
    await (await replica(2)).kill();
    await sleep(3000);
    expect(await upstream()).toContain(addr); // nobody watching

    const once = await stack.cli(['lb', 'watch', '--once', '--json']).done;
    expect(once.code, once.stderr).toBe(0);
    expect(JSON.parse(once.stdout)).toMatchObject({ outcome: 'applied', upstream: 1 });
    expect(await upstream()).not.toContain(addr);
    const again = await stack.cli(['lb', 'watch', '--once', '--json']).done;
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'unchanged', upstream: 1 });

    await (await replica(2)).start();
    const back = await addressOf(2);
    expect(await until(() => readyOn(back), 90_000)).toBe(true);
    const join = await stack.cli(['lb', 'watch', '--once']).done;
    expect(join.code, join.stderr).toBe(0);
    expect(join.stdout).toContain(`+${stack.project}-inference-2@${back}`);
    expect(await upstream()).toContain(back);
  });

  it('a foreground watcher refuses company, exits 0 on SIGINT, and ends by itself once its pidfile is gone', async () => {
    const fg = stack.cli(['lb', 'watch', '--interval', '500ms']);
    try {
      expect(await until(async () => (await watcherPid()) === fg.pid, 30_000)).toBe(true);
      const second = await stack.cli(['lb', 'watch']).done;
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`a watcher already runs for project ${stack.project} (pid ${fg.pid}`);
    } finally {
      fg.kill('SIGINT');
    }
    const res = await fg.done;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('stopped (signal)');
    expect(await watcherPid()).toBeNull();

    // The pidfile is its lease: a watcher whose file was removed ends by itself (and its process exits).
    const leased = stack.cli(['lb', 'watch', '--interval', '500ms']);
    try {
      expect(await until(async () => (await watcherPid()) === leased.pid, 30_000)).toBe(true);
      await rm(paths.watchPidFile);
      const ended = await Promise.race([leased.done, sleep(30_000).then(() => null)]);
      expect(ended?.code, ended?.stderr).toBe(0);
      expect(ended?.stdout).toContain('no longer names it');
    } finally {
      leased.kill('SIGKILL');
    }
  });

  it('down without a saved spec asks both engines: this one is no swarm manager, and that is no error', async () => {
    expect(await enginesHoldingProject(stack.docker, stack.project)).toEqual(['local']);
    expect(await enginesHoldingProject(stack.docker, `${stack.project}-none`)).toEqual([]);
  });

  it('up replaces a stale pidfile; down stops the watcher by its PID and removes the pidfile', async () => {
    await writeFile(paths.watchPidFile, '999999\n'); // no such process
    const up = await stack.cli(['up', '--replicas', '2', '--port', String(stack.port)]).done;
    expect(up.code, up.stderr).toBe(0);
    const pid = (await watcherPid())!;
    expect(pid).not.toBe(999999);
    expect(await isWatcherProcess(pid)).toBe(true);

    const down = await stack.cli(['down', '--json']).done;
    expect(down.code, down.stderr).toBe(0);
    expect(JSON.parse(down.stdout).watcher).toEqual({ pid, how: 'term' });
    expect(await isWatcherProcess(pid)).toBe(false);
    expect(await watcherPid()).toBeNull();
    const left = await stack.docker.listContainers({ all: true, filters: projectFilters(stack.project) });
    expect(left).toEqual([]);
  });
});
