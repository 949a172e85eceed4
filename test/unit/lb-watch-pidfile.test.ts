// The watcher's pidfile with real processes: one watcher per project, stale files replaced, a PID that is not a
// watcher never taken for one (so never signalled), and stopWatcher ending the process it names.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError } from '../../toolkit/errors.ts';
import { claimPidFile, isWatcherProcess, readWatcher } from '../../toolkit/lb/watch-pidfile.ts';
import { stopWatcher } from '../../toolkit/lb/watch-process.ts';

let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-watch-pidfile-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A node process whose argv reads like a watcher's (`… lb watch --project p`), ignoring SIGTERM when asked. */
function fakeWatcher(opts: { ignoreTerm?: boolean } = {}): ChildProcess {
  const script = opts.ignoreTerm
    ? "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"
    : 'setInterval(() => {}, 1000)';
  const child = spawn(process.execPath, ['-e', script, 'lb', 'watch', '--project', 'p'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

const exited = (c: ChildProcess) =>
  new Promise<NodeJS.Signals | number | null>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) resolve(c.signalCode ?? c.exitCode);
    else c.once('exit', (code, sig) => resolve(sig ?? code));
  });

describe('watcher pidfile', () => {
  it('claims, refuses a second watcher while it lives, and releases only its own file', async () => {
    const file = join(dir, 'a.pid');
    const claim = await claimPidFile(file, 'p');
    expect((await readFile(file, 'utf8')).trim()).toBe(String(process.pid));
    // This very process is no `lb watch` (vitest's argv): readWatcher says not running, a stale file for others.
    expect(await readWatcher(file)).toEqual({ pid: process.pid, running: false });
    const other = fakeWatcher();
    await writeFile(file, `${other.pid}\n`);
    await expect(claimPidFile(file, 'p')).rejects.toThrow(RuntimeError);
    await expect(claimPidFile(file, 'p')).rejects.toThrow(`pid ${other.pid}`);
    await claim.release(); // names another process now: left alone
    expect((await readFile(file, 'utf8')).trim()).toBe(String(other.pid));
  });

  it('replaces a file naming a dead PID or a live process that is not a watcher', async () => {
    const file = join(dir, 'b.pid');
    const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await exited(dead);
    await writeFile(file, `${dead.pid}\n`);
    const c1 = await claimPidFile(file, 'p');
    await c1.release();
    const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(sleeper);
    await writeFile(file, `${sleeper.pid}\n`);
    expect(await isWatcherProcess(sleeper.pid!)).toBe(false);
    const c2 = await claimPidFile(file, 'p');
    expect((await readFile(file, 'utf8')).trim()).toBe(String(process.pid));
    await c2.release();
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('stopWatcher: SIGTERM, then SIGKILL after the bound; a non-watcher PID is never signalled', async () => {
    const file = join(dir, 'c.pid');
    const polite = fakeWatcher();
    await writeFile(file, `${polite.pid}\n`);
    expect(await stopWatcher(file, { termTimeoutMs: 5000 })).toEqual({ pid: polite.pid, how: 'term' });
    expect(await exited(polite)).toBe('SIGTERM');
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);

    const stubborn = fakeWatcher({ ignoreTerm: true });
    await new Promise((r) => setTimeout(r, 300)); // let it install its SIGTERM handler
    await writeFile(file, `${stubborn.pid}\n`);
    expect(await stopWatcher(file, { termTimeoutMs: 500 })).toEqual({ pid: stubborn.pid, how: 'kill' });
    expect(await exited(stubborn)).toBe('SIGKILL');

    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(bystander);
    await writeFile(file, `${bystander.pid}\n`);
    expect(await stopWatcher(file)).toEqual({ pid: bystander.pid, how: 'stale' });
    expect(bystander.exitCode === null && bystander.signalCode === null).toBe(true);
    expect(await stopWatcher(file)).toEqual({ pid: null, how: 'none' });
  });
});
