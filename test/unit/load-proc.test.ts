// Generator health from /proc text, the trust verdict built on it, and sortable run ids.
import { describe, expect, it } from 'vitest';
import { idlePercent, parsePidStat, parseProcStat, readHostCpu, readProcessTicks } from '../../toolkit/load/proc.ts';
import { machineInfo, makeRunId } from '../../toolkit/load/run-info.ts';
import { judgeGenerator } from '../../toolkit/load/trust.ts';

const STAT_BEFORE = `cpu  1000 50 500 8000 100 10 20 5 0 0
cpu0 500 25 250 4000 50 5 10 2 0 0
intr 12345
`;
const STAT_AFTER = `cpu  1600 50 700 8150 150 10 20 5 0 0
cpu0 800 25 350 4075 75 5 10 12 0 0
`;

describe('/proc parsing', () => {
  it('reads the aggregate cpu line of /proc/stat', () => {
    expect(parseProcStat(STAT_BEFORE)).toEqual({ idle: 8100, total: 9685 });
    expect(() => parseProcStat('intr 1 2 3')).toThrow(/no aggregate cpu line/);
  });

  it('computes host idle over an interval', () => {
    // Deltas: total 1000 jiffies, of which idle+iowait 200.
    expect(idlePercent(parseProcStat(STAT_BEFORE), parseProcStat(STAT_AFTER))).toBeCloseTo(20, 10);
    const same = parseProcStat(STAT_BEFORE);
    expect(idlePercent(same, same)).toBeNull();
  });

  it('reads utime+stime from /proc/<pid>/stat, even with spaces and parentheses in the name', () => {
    const line = '4242 (k6 (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 731 269 0 0 20 0 12 0 555 0 0';
    expect(parsePidStat(line)).toBe(1000);
    expect(() => parsePidStat('4242 (k6) S')).toThrow(/unexpected format/);
  });

  it('reads this machine and this process', async () => {
    const host = await readHostCpu();
    expect(host?.total).toBeGreaterThan(0);
    expect(await readProcessTicks(process.pid)).toBeGreaterThanOrEqual(0);
    expect(await readProcessTicks(2 ** 30)).toBeNull();
  });
});

describe('judgeGenerator', () => {
  it('trusts an idle host with no dropped iterations', () => {
    expect(judgeGenerator({ cpuPercent: 40, hostIdlePercent: 55, droppedIterations: 0 })).toEqual({
      cpuPercent: 40,
      hostIdlePercent: 55,
      trusted: true,
      reasons: [],
    });
  });

  it.each([
    [{ cpuPercent: 90, hostIdlePercent: 19.9, droppedIterations: 0 }, [/host CPU idle was 19.9% \(< 20%\)/]],
    [{ cpuPercent: 20, hostIdlePercent: 80, droppedIterations: 3 }, [/3 dropped iterations/]],
    [{ cpuPercent: null, hostIdlePercent: null, droppedIterations: 0 }, [/could not be measured/]],
    [{ cpuPercent: 150, hostIdlePercent: 5, droppedIterations: 1 }, [/idle was 5.0%/, /1 dropped/]],
  ])('distrusts %o', (m, reasons) => {
    const g = judgeGenerator(m);
    expect(g.trusted).toBe(false);
    expect(g.reasons).toHaveLength(reasons.length);
    for (const [i, r] of reasons.entries()) expect(g.reasons[i]).toMatch(r);
  });
});

describe('run ids and machine info', () => {
  it('sorts by start time', () => {
    expect(makeRunId(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), 'beef')).toBe('20260102-030405-beef');
    const a = makeRunId(new Date(Date.UTC(2026, 8, 30, 23, 59, 59)), 'ffff');
    const b = makeRunId(new Date(Date.UTC(2026, 9, 1, 0, 0, 0)), '0000');
    expect([b, a].sort()).toEqual([a, b]);
    expect(makeRunId()).toMatch(/^\d{8}-\d{6}-[0-9a-f]{4}$/);
  });

  it('describes the machine', () => {
    const m = machineInfo('k6 v1.4.2');
    expect(m.cores).toBeGreaterThan(0);
    expect(m.memoryMiB).toBeGreaterThan(0);
    expect(m.node).toBe(process.version);
    expect(m.k6).toBe('k6 v1.4.2');
  });
});
