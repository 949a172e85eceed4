// `toolkit chaos` against a real stack under a bounded load: kill -9 of one replica fails only POSTs around the kill
// (nginx retries GETs and never re-sends a POST), nothing runs twice, the replica is restarted by its policy and
// serves again, and `status` says why it last exited. Pause freezes and thaws; bad input exits 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executedTwice, readAccessLog } from '../../toolkit/chaos/access-log.ts';
import { spawnLoadLoop } from '../../toolkit/chaos/load-child.ts';
import { failed } from '../../toolkit/chaos/load-loop.ts';
import { status } from '../../toolkit/engine/index.ts';
import { stackPaths } from '../../toolkit/paths.ts';
import { sleep, startStack, type TestStack } from './scale-stack.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack('tkchaos', 2);
});

afterAll(async () => {
  await stack?.destroy();
});

describe('toolkit chaos', () => {
  it('kill -9 under load: only POSTs around the kill fail, none twice, and the replica comes back', async () => {
    const victim = `${stack.project}-inference-2`;
    const sinceSec = Math.floor(Date.now() / 1000) - 1;
    const load = spawnLoadLoop({ baseUrl: stack.url, rate: 30, durationMs: 120_000 });
    let killAt = 0;
    try {
      await sleep(3000);
      const res = await stack.cli(['chaos', 'kill', '--replica', '2', '--signal', 'KILL', '--json']).done;
      expect(res.code, res.stderr).toBe(0);
      const kill = JSON.parse(res.stdout) as { container: string; signal: string; at: string; goneAt?: string };
      expect(kill).toMatchObject({ container: victim, signal: 'SIGKILL' });
      killAt = Date.parse(kill.at);
      // When its process was gone (sockets closed): stamped after the signal, by the same host clock.
      expect(kill.goneAt).toBeDefined();
      expect(Date.parse(kill.goneAt!)).toBeGreaterThanOrEqual(killAt);
      // Back in rotation: restarted by its policy, ready, and answering through nginx again (bounded wait).
      const deadline = Date.now() + 90_000;
      let back = false;
      while (!back && Date.now() < deadline) {
        await sleep(1000);
        const st = await status(stack.docker, stack.project, stackPaths(stack.spec));
        const r2 = st.replicas.find((r) => r.number === 2);
        back = Boolean(r2?.ready && r2.inRotation && r2.restarts >= 1);
      }
      expect(back).toBe(true);
      // And nginx sends it traffic again (its passive health may still hold it out for fail_timeout): bounded.
      const served = Date.now() + 30_000;
      let seen = false;
      while (!seen && Date.now() < served) {
        const res = await fetch(`${stack.url}/health`).catch(() => undefined);
        seen = res?.headers.get('x-replica') === victim;
        if (!seen) await sleep(200);
      }
      expect(seen).toBe(true);
      await sleep(2000);
    } finally {
      load.stop();
    }
    const { records } = await load.result;
    const failures = records.filter(failed);
    // Only POSTs at the kill fail: nginx re-sends a GET that failed on the dead replica, never a POST it had
    // already sent. Error rate is back to 0 within 1 s: while the victim restarts and loads its model it answers
    // 503 (it ran nothing), which nginx hands to another replica once.
    for (const f of failures) {
      expect(f.method, JSON.stringify(f)).toBe('POST');
      expect(f.t + f.ms, JSON.stringify(f)).toBeGreaterThanOrEqual(killAt - 1000);
      expect(f.t, JSON.stringify(f)).toBeLessThan(killAt + 1000);
    }
    expect(records.some((r) => r.replica === victim && r.t > killAt)).toBe(true);
    expect(executedTwice(await readAccessLog(stack.docker, stack.project, sinceSec))).toEqual([]);

    const st = await status(stack.docker, stack.project, stackPaths(stack.spec));
    const r2 = st.replicas.find((r) => r.number === 2);
    expect(r2?.restarts).toBeGreaterThanOrEqual(1);
    expect(r2?.lastExitReason).toMatch(/SIGKILL/);
    const table = await stack.cli(['status']).done;
    expect(table.stdout).toMatch(/inference 2: last exit: killed by SIGKILL \(restarted \d+×\)/);
  });

  it('pause freezes a replica for the given time and resumes it', async () => {
    const res = await stack.cli(['chaos', 'pause', '--replica', '1', '--for', '1s', '--json']).done;
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { container: string; pausedMs: number };
    expect(out.container).toBe(`${stack.project}-inference-1`);
    expect(out.pausedMs).toBeGreaterThanOrEqual(1000);
    const info = await stack.docker.getContainer(out.container).inspect();
    expect(info.State.Status).toBe('running');
  });

  it('refuses bad input with exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['chaos', 'kill'], /--replica <n> or --random/],
      [['chaos', 'kill', '--replica', '2', '--random'], /not both/],
      [['chaos', 'kill', '--replica', '9'], /no inference replica 9/],
      [['chaos', 'kill', '--replica', '1', '--signal', 'NOPE'], /not a signal/],
      [['chaos', 'pause', '--replica', '1', '--for', 'forever'], /not a duration/],
    ];
    for (const [args, reason] of cases) {
      const res = await stack.cli(args).done;
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(reason);
    }
  });
});
