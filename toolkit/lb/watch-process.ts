// The background watcher's lifecycle, for `up` (start one unless a live one runs), `down` (stop it by its PID) and
// `status` (is it there). It is the same CLI entry as the command that starts it (`toolkit lb watch --project P`),
// detached into its own process group with its output appended to `.toolkit/<project>/watch.log`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from '../errors.ts';
import { writeFileAtomic } from '../render/write.ts';
import { isWatcherProcess, readPidFile, readWatcher, type WatcherState } from './watch-pidfile.ts';

export { readWatcher, type WatcherState };

export interface WatcherFiles {
  watchPidFile: string;
  watchLogFile: string;
}

export interface StartedWatcher {
  pid: number;
  /** A live watcher was already there and is kept. */
  reused: boolean;
}

/** bin/toolkit.js next to this source tree; a bundled toolkit falls back to the script this process runs. */
export function cliEntry(): string {
  const bin = fileURLToPath(new URL('../../bin/toolkit.js', import.meta.url));
  return existsSync(bin) ? bin : process.argv[1];
}

/**
 * Starts `toolkit lb watch` in the background unless the pidfile names a live watcher (reused), and names the new
 * process in the pidfile at once — `up` does not wait for it to boot. The watcher claims a file naming itself; one
 * that fails at start leaves a stale file (`status` says so, the next `up` replaces it) and its reason in the log.
 * Two `up`s racing here each write their child: the one not named finds it so and exits, leaving one watcher.
 */
export async function startWatcher(opts: {
  cwd: string;
  project: string;
  files: WatcherFiles;
  env: Record<string, string | undefined>;
  entry?: string;
}): Promise<StartedWatcher> {
  const current = await readWatcher(opts.files.watchPidFile);
  if (current.running && current.pid !== null) return { pid: current.pid, reused: true };
  await mkdir(dirname(opts.files.watchLogFile), { recursive: true });
  const log = await open(opts.files.watchLogFile, 'a', 0o644);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, [opts.entry ?? cliEntry(), 'lb', 'watch', '--project', opts.project], {
      cwd: opts.cwd,
      env: opts.env as NodeJS.ProcessEnv,
      // Its own process group: a Ctrl-C meant for the `up` that started it does not reach it.
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
  } finally {
    await log.close();
  }
  const pid = child.pid;
  if (pid === undefined) throw new RuntimeError('could not start the watcher (`toolkit lb watch`)');
  child.unref();
  await writeFileAtomic(opts.files.watchPidFile, `${pid}\n`);
  return { pid, reused: false };
}

export interface StoppedWatcher {
  pid: number | null;
  /** none: no pidfile; stale: it named no live watcher; term: ended on SIGTERM; kill: needed SIGKILL. */
  how: 'none' | 'stale' | 'term' | 'kill';
}

/** SIGTERM to the PID in the pidfile (a live watcher only), SIGKILL after `termTimeoutMs`; removes the pidfile. */
export async function stopWatcher(file: string, opts: { termTimeoutMs?: number } = {}): Promise<StoppedWatcher> {
  const pid = await readPidFile(file);
  if (pid === null) {
    await rm(file, { force: true });
    return { pid: null, how: 'none' };
  }
  if (!(await isWatcherProcess(pid))) {
    await rm(file, { force: true });
    return { pid, how: 'stale' };
  }
  let how: StoppedWatcher['how'] = 'term';
  signal(pid, 'SIGTERM');
  if (!(await gone(pid, opts.termTimeoutMs ?? 10_000))) {
    how = 'kill';
    signal(pid, 'SIGKILL');
    if (!(await gone(pid, 5000))) throw new RuntimeError(`the watcher (pid ${pid}) survived SIGKILL`);
  }
  await rm(file, { force: true });
  return { pid, how };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isWatcherProcess(pid))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !(await isWatcherProcess(pid));
}
