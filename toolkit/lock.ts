// One toolkit command at a time per project: up, scale, down and chaos hold `.toolkit/<project>/lock`, a file
// created exclusively (O_EXCL) that names its holder. A holder whose PID is gone (the CLI was killed mid-scale)
// leaves a stale lock, which the next command takes over; a live holder is waited on for a bounded time, then named
// in the error. Re-acquiring a lock this process already holds is a no-op, so `scale` can call the engine's `up`.
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RuntimeError } from './errors.ts';
import type { Progress } from './progress.ts';

export interface LockHolder {
  pid: number;
  command: string;
  /** ISO time the lock was taken. */
  since: string;
}

export interface ProjectLock {
  readonly file: string;
  /** False when this process already held the lock (the outer holder releases it). */
  readonly acquired: boolean;
  release(): Promise<void>;
}

export interface LockOptions {
  /** How long to wait for a live holder; 0 = fail at once. */
  waitMs?: number;
  progress?: Progress;
  /** Polling period while waiting. */
  intervalMs?: number;
}

export const DEFAULT_LOCK_WAIT_MS = 60_000;

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else — alive all the same.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readHolder(file: string): Promise<LockHolder | null> {
  try {
    const h = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>;
    if (!Number.isInteger(h.pid)) return null;
    return { pid: h.pid as number, command: String(h.command ?? '?'), since: String(h.since ?? '?') };
  } catch {
    return null;
  }
}

export async function acquireLock(file: string, command: string, opts: LockOptions = {}): Promise<ProjectLock> {
  await mkdir(dirname(file), { recursive: true });
  const deadline = Date.now() + (opts.waitMs ?? DEFAULT_LOCK_WAIT_MS);
  let announced = false;
  for (;;) {
    if (await tryCreate(file, command)) return held(file, true);
    const holder = await readHolder(file);
    if (holder?.pid === process.pid) return held(file, false);
    if ((holder === null && (await olderThan(file, 2000))) || (holder !== null && !pidAlive(holder.pid))) {
      // A holder that died without releasing (or a file cut short by a crash mid-write): take it over.
      opts.progress?.info(
        holder
          ? `taking over the lock of ${describe(holder)}, which is gone`
          : `taking over an unreadable lock ${file}`,
      );
      await removeIfStill(file, sameHolder(holder));
      continue;
    }
    if (holder !== null && Date.now() >= deadline) {
      throw new RuntimeError(
        `project is busy: ${describe(holder)} holds ${file}`,
        `wait for it to finish (or pass --wait <seconds>); if pid ${holder.pid} is not a toolkit, delete ${file}`,
      );
    }
    if (holder && !announced) opts.progress?.step(`waiting for ${describe(holder)} to finish`);
    announced ||= holder !== null;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}

/** Runs `fn` holding the project's lock; released however `fn` ends. */
export async function withLock<T>(file: string, command: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(file, command, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** An unreadable lock younger than this may be one another process is still writing. */
async function olderThan(file: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(file)).mtimeMs > ms;
  } catch {
    return true;
  }
}

const describe = (h: LockHolder) => `toolkit ${h.command} (pid ${h.pid}, since ${h.since})`;

async function tryCreate(file: string, command: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new RuntimeError(`cannot create the lock file ${file}: ${(err as Error).message}`, undefined, err);
  }
  try {
    const holder: LockHolder = { pid: process.pid, command, since: new Date().toISOString() };
    await handle.writeFile(`${JSON.stringify(holder)}\n`, 'utf8');
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Removes a stale file without removing a fresh one another process wrote in between: move it aside (atomic), and
 * if what was moved is not the stale one after all (`isStale` says, reading the moved file), put it back. Shared by
 * the project lock and the watcher's pidfile.
 */
export async function removeIfStill(file: string, isStale: (moved: string) => Promise<boolean>): Promise<void> {
  const aside = `${file}.${process.pid}.stale`;
  try {
    await rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!(await isStale(aside))) await link(aside, file).catch(() => {});
  await rm(aside, { force: true });
}

const sameHolder = (stale: LockHolder | null) => async (moved: string) => {
  const m = await readHolder(moved);
  return stale === null ? m === null : m?.pid === stale.pid && m.since === stale.since;
};

function held(file: string, acquired: boolean): ProjectLock {
  let released = false;
  return {
    file,
    acquired,
    async release() {
      if (!acquired || released) return;
      released = true;
      // Only our own lock: a lock taken over after we were presumed dead is not ours to remove.
      const holder = await readHolder(file);
      if (holder?.pid === process.pid) await rm(file, { force: true });
    },
  };
}
