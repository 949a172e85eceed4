// Finding and running the k6 binary: spawn, relay progress, keep the tail of its log for error messages, and
// stop it if it outlives its own bounded schedule.
import { execFile, spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { RuntimeError } from '../errors.ts';

const run = promisify(execFile);

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** K6_BIN, then PATH, then Go's bin directory (where `go install go.k6.io/k6@...` puts it). */
export async function findK6(env: Record<string, string | undefined>): Promise<string> {
  if (env.K6_BIN) {
    if (await executable(env.K6_BIN)) return env.K6_BIN;
    throw new RuntimeError(`K6_BIN=${env.K6_BIN} is not an executable file`);
  }
  const candidates = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((d) => join(d, 'k6'));
  try {
    const { stdout } = await run('go', ['env', 'GOPATH']);
    if (stdout.trim()) candidates.push(join(stdout.trim().split(delimiter)[0], 'bin', 'k6'));
  } catch {
    // No Go toolchain: fall through to the default GOPATH.
  }
  candidates.push(join(env.HOME ?? homedir(), 'go', 'bin', 'k6'));
  for (const c of candidates) if (await executable(c)) return c;
  throw new RuntimeError(
    'k6 not found on PATH or in $(go env GOPATH)/bin',
    'install it with: go install go.k6.io/k6@v1.4.2 (npm run setup does this), or set K6_BIN',
  );
}

export async function k6Version(bin: string): Promise<string> {
  const { stdout } = await run(bin, ['version']);
  return stdout.trim().split('\n')[0];
}

export interface K6Progress {
  /** k6's own "running (12.0s), 5/5 VUs, 1234 complete and 0 interrupted iterations" line, if it printed one. */
  line?: string;
}

export interface K6Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last lines k6 logged, for error messages. */
  stderrTail: string[];
  stderr: string;
}

export interface K6Process {
  pid: number;
  exited: Promise<K6Exit>;
  /** SIGTERM now (SIGKILL 10 s later if it is still there): for siblings of a generator that failed. */
  stop(): void;
}

const RUNNING = /^running \(([^)]*)\), (\d+)\/(\d+) VUs, (\d+) complete/;

/** The command line that runs k6: through `taskset -c <cpus>` when pinned (what run.json records, too). */
export const k6CommandLine = (bin: string, args: string[], cpus?: string): string[] =>
  cpus === undefined ? [bin, ...args] : ['taskset', '-c', cpus, bin, ...args];

/**
 * Starts k6; `onProgress` gets the latest k6 status line every `everyMs`. The child is killed (SIGTERM, then
 * SIGKILL) after `deadlineMs`, so a hung run cannot outlive its schedule.
 */
export function startK6(
  bin: string,
  args: string[],
  opts: {
    env: NodeJS.ProcessEnv;
    cwd: string;
    deadlineMs: number;
    everyMs: number;
    onProgress(p: K6Progress): void;
    /** Pin k6 to these CPUs (taskset list): taskset sets the affinity and execs k6, so the PID is k6's. */
    cpus?: string;
  },
): K6Process {
  const [file, ...argv] = k6CommandLine(bin, args, opts.cpus);
  const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new RuntimeError(`could not start ${bin}`);
  let stdout = '';
  let stderr = '';
  let latest: string | undefined;
  // Without a terminal k6 prints its status line on stdout, once a second.
  const watch = (d: string) => {
    for (const line of d.split('\n')) if (RUNNING.test(line.trim())) latest = line.trim();
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    watch(d);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    watch(d);
  });
  const ticker = setInterval(() => opts.onProgress({ line: latest }), opts.everyMs);
  const stop = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 10_000).unref();
  };
  const deadline = setTimeout(stop, opts.deadlineMs);
  const exited = new Promise<K6Exit>((resolve, reject) => {
    child.on('error', (e) => {
      clearInterval(ticker);
      clearTimeout(deadline);
      reject(new RuntimeError(`k6 failed to run: ${e.message}`, undefined, e));
    });
    child.on('close', (code, signal) => {
      clearInterval(ticker);
      clearTimeout(deadline);
      const tail = stderr
        .split('\n')
        .filter((l) => l.trim() !== '' && !RUNNING.test(l.trim()))
        .slice(-8);
      resolve({ code, signal, stdout, stderr, stderrTail: tail });
    });
  });
  return { pid: child.pid, exited, stop };
}
