// `.toolkit/<project>/watch.pid` names the one `toolkit lb watch` process of a project. A watcher claims it (created
// exclusively, like the project lock; `up` writes the PID of the one it starts, and a file naming the claimant is
// its own), so two watchers never run for one project; a file naming a process that is gone — or that is not a
// watcher any more, its PID reused — is stale and replaced. It is also the watcher's lease: a watcher that finds the
// file gone or naming another process stops (`down` removed it).
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RuntimeError } from '../errors.ts';
import { pidAlive, removeIfStill } from '../lock.ts';

export interface WatcherState {
  /** The PID the file names; null without a (readable) file. */
  pid: number | null;
  /** That PID is a live `lb watch` process. */
  running: boolean;
}

export async function readPidFile(file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  const pid = text === null ? Number.NaN : Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export async function readWatcher(file: string): Promise<WatcherState> {
  const pid = await readPidFile(file);
  return { pid, running: pid !== null && (await isWatcherProcess(pid)) };
}

/**
 * Alive (a zombie is not: nobody may reap an orphaned watcher at once) and, where /proc tells, running `lb watch`:
 * a PID reused by an unrelated process is never taken for the watcher, so it is never signalled.
 */
export async function isWatcherProcess(pid: number): Promise<boolean> {
  if (!pidAlive(pid)) return false;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return true; // no /proc (not Linux): alive is all we can tell
  if (/^\d+ \(.*\) Z/s.test(stat)) return false;
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  const i = argv.indexOf('lb');
  return i >= 0 && argv[i + 1] === 'watch';
}

export interface PidClaim {
  release(): Promise<void>;
}

/** Claims the pidfile for this process; a live watcher already there is an error naming it. */
export async function claimPidFile(file: string, project: string): Promise<PidClaim> {
  await mkdir(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      try {
        await handle.writeFile(`${process.pid}\n`, 'utf8');
      } finally {
        await handle.close();
      }
      return { release: () => releasePidFile(file) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new RuntimeError(`cannot create ${file}: ${(err as Error).message}`, undefined, err);
      }
    }
    const pid = await readPidFile(file);
    if (pid === process.pid) return { release: () => releasePidFile(file) };
    if (pid !== null && (await isWatcherProcess(pid))) {
      throw new RuntimeError(
        `a watcher already runs for project ${project} (pid ${pid}, ${file})`,
        `it keeps nginx's upstream on the ready replicas; stop it with \`kill ${pid}\` or \`toolkit down\``,
      );
    }
    await removeIfStill(file, async (moved) => (await readPidFile(moved)) === pid);
  }
  throw new RuntimeError(`cannot claim ${file}: other processes keep replacing it`);
}

/** Removes the pidfile only while it still names this process. */
export async function releasePidFile(file: string): Promise<void> {
  if ((await readPidFile(file)) === process.pid) await rm(file, { force: true });
}
