// Runs load-loop.ts in a child process (its own event loop, so the parent's Docker calls and parsing delay no
// request) and hands back its records.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertLoopback, type LoadLoopOptions, type LoadLoopResult } from './load-loop.ts';

export interface LoadChild {
  result: Promise<LoadLoopResult>;
  /** Ends the schedule early; requests in flight still finish and are recorded. */
  stop(): void;
  pid: number | undefined;
}

export function spawnLoadLoop(opts: LoadLoopOptions): LoadChild {
  assertLoopback(opts.baseUrl);
  const script = fileURLToPath(new URL('./load-loop.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(opts)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const result = new Promise<LoadLoopResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) {
        reject(new Error(`load loop exited with ${code}: ${Buffer.concat(err).toString().slice(-2000)}`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as LoadLoopResult);
      } catch (e) {
        reject(e);
      }
    });
  });
  return {
    result,
    pid: child.pid,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}
