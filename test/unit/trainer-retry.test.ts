import { describe, expect, it } from 'vitest';
import { PermanentError, retry } from '../../services/trainer/retry.ts';

describe('retry', () => {
  it('retries transient failures until the step succeeds, logging that it waits', async () => {
    const lines: string[] = [];
    let calls = 0;
    const out = await retry('thing', { timeoutMs: 5000, log: (l) => lines.push(l), maxDelayMs: 20 }, async () => {
      calls++;
      if (calls < 3) throw new Error('not up');
      return 'ok';
    });
    expect(out).toBe('ok');
    expect(calls).toBe(3);
    expect(lines[0]).toBe('thing: not yet (not up); retrying');
  });

  it('stops at once on a permanent error', async () => {
    let calls = 0;
    const run = retry('thing', { timeoutMs: 5000, log: () => {} }, async () => {
      calls++;
      throw new PermanentError('bad request');
    });
    await expect(run).rejects.toThrow('bad request');
    expect(calls).toBe(1);
  });

  it('gives up after the timeout with the last reason', async () => {
    let calls = 0;
    const run = retry('registry', { timeoutMs: 150, log: () => {}, maxDelayMs: 40 }, async () => {
      calls++;
      throw new Error(`refused #${calls}`);
    });
    await expect(run).rejects.toThrow(/^registry: gave up after \d+ attempts in 150 ms: refused #\d+$/);
    expect(calls).toBeGreaterThan(1);
  });
});
