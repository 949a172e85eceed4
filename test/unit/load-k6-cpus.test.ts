// Pinning k6: with `cpus` the process startK6 starts (taskset execs the binary, so the PID is the program's own) may
// run only on those CPUs. A shell stands in for k6 and reports its own affinity from /proc.
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { k6CommandLine, startK6 } from '../../toolkit/load/k6.ts';

const affinity = async (pin?: string) => {
  const p = startK6('/bin/sh', ['-c', 'grep Cpus_allowed_list /proc/self/status; echo pid $$'], {
    env: { PATH: process.env.PATH },
    cwd: process.cwd(),
    deadlineMs: 10_000,
    everyMs: 60_000,
    onProgress: () => undefined,
    cpus: pin,
  });
  const exit = await p.exited;
  return {
    allowed: /Cpus_allowed_list:\s*(\S+)/.exec(exit.stdout)?.[1],
    pid: Number(/pid (\d+)/.exec(exit.stdout)?.[1]),
    started: p.pid,
  };
};

describe('startK6 with cpus', () => {
  it('runs the program on the given CPUs only, under its own PID', async () => {
    const last = String(cpus().length - 1);
    const pinned = await affinity(last);
    expect(pinned.allowed).toBe(last);
    expect(pinned.pid).toBe(pinned.started);
  });

  it('records the command it runs: taskset first when pinned (run.json shows it)', () => {
    expect(k6CommandLine('/usr/bin/k6', ['run', 's.js'], '1')).toEqual([
      'taskset',
      '-c',
      '1',
      '/usr/bin/k6',
      'run',
      's.js',
    ]);
    expect(k6CommandLine('/usr/bin/k6', ['run', 's.js'])).toEqual(['/usr/bin/k6', 'run', 's.js']);
  });

  it('leaves the affinity alone without cpus', async () => {
    const own = /Cpus_allowed_list:\s*(\S+)/.exec(await readFile('/proc/self/status', 'utf8'))?.[1];
    expect((await affinity()).allowed).toBe(own);
  });
});
