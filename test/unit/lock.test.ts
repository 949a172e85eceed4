// The project lock on a real filesystem with real processes: exclusive, re-entrant in its holder, a dead holder's
// lock taken over, a live one named in the error after the bounded wait, released only by its owner.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError } from '../../toolkit/errors.ts';
import { acquireLock, pidAlive, readHolder, withLock } from '../../toolkit/lock.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tk-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A process that exists while the test needs it (a sleeping node), ended by its PID. */
function otherProcess() {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  return { pid: child.pid as number, stop: () => child.kill('SIGKILL') };
}

describe('project lock', () => {
  it('names its holder and is released by it', async () => {
    const file = join(dir, 'a', 'lock');
    const lock = await acquireLock(file, 'scale', { waitMs: 0 });
    expect(await readHolder(file)).toMatchObject({ pid: process.pid, command: 'scale' });
    // Re-entrant: the engine's up inside scale does not deadlock, and does not release the outer lock.
    const inner = await acquireLock(file, 'up', { waitMs: 0 });
    expect(inner.acquired).toBe(false);
    await inner.release();
    expect(await readHolder(file)).toMatchObject({ command: 'scale' });
    await lock.release();
    await expect(readFile(file)).rejects.toThrow();
  });

  it('refuses while a live process holds it, naming pid and command', async () => {
    const file = join(dir, 'b-lock');
    const other = otherProcess();
    try {
      await writeFile(file, JSON.stringify({ pid: other.pid, command: 'scale', since: 'now' }));
      const err = await acquireLock(file, 'up', { waitMs: 300, intervalMs: 50 }).catch((e) => e);
      expect(err).toBeInstanceOf(RuntimeError);
      expect((err as Error).message).toContain(`toolkit scale (pid ${other.pid}`);
    } finally {
      other.stop();
    }
  });

  it('takes over the lock of a holder that is gone', async () => {
    const file = join(dir, 'c-lock');
    const other = otherProcess();
    other.stop();
    await new Promise((r) => setTimeout(r, 200));
    expect(pidAlive(other.pid)).toBe(false);
    await writeFile(file, JSON.stringify({ pid: other.pid, command: 'scale', since: 'then' }));
    const result = await withLock(file, 'scale', { waitMs: 0 }, async () => (await readHolder(file))?.pid);
    expect(result).toBe(process.pid);
  });

  it('waits for a live holder that finishes within the wait', async () => {
    const file = join(dir, 'd-lock');
    const other = otherProcess();
    await writeFile(file, JSON.stringify({ pid: other.pid, command: 'up', since: 'now' }));
    setTimeout(() => other.stop(), 300);
    const lock = await acquireLock(file, 'scale', { waitMs: 10_000, intervalMs: 50 });
    expect(lock.acquired).toBe(true);
    await lock.release();
  });
});
