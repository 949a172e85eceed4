// The SLOWDOWN_PCT machinery: the injected work is CPU time, and the cost it scales is the whole process's CPU per
// instance without the injected work.
import { describe, expect, it } from 'vitest';
import { burnCpu, CpuCostMeter, cpuMs } from '../../services/inference/slowdown.ts';

describe('burnCpu', () => {
  it('uses about the CPU time asked for, and says how much it used', async () => {
    const before = cpuMs();
    const used = await burnCpu(30);
    const measured = cpuMs() - before;
    expect(used).toBeGreaterThanOrEqual(30);
    expect(used).toBeLessThan(60);
    expect(measured).toBeGreaterThanOrEqual(used);
  });

  it('does nothing for zero', async () => {
    expect(await burnCpu(0)).toBeLessThan(1);
  });
});

describe('CpuCostMeter', () => {
  function fakeMeter() {
    const t = { now: 0, cpu: 0 };
    const meter = new CpuCostMeter(
      100,
      () => t.now,
      () => t.cpu,
    );
    return { t, meter };
  }

  it('has no figure before a whole window closed, and ignores start-up CPU', () => {
    const { t, meter } = fakeMeter();
    t.cpu = 5000; // model load and JIT before the first request
    meter.record(1, 0);
    expect(meter.perInstanceMs).toBeUndefined();
    t.now = 50;
    t.cpu += 10;
    meter.record(10, 0);
    expect(meter.perInstanceMs).toBeUndefined();
    t.now = 100;
    t.cpu += 10;
    meter.record(10, 0);
    expect(meter.perInstanceMs).toBeCloseTo(1); // 20 ms for 20 instances
  });

  it('leaves the burned CPU out of the cost, so the injected work does not compound', () => {
    const { t, meter } = fakeMeter();
    meter.record(0, 0);
    // Each window: 100 instances cost 50 ms of real work plus 25 ms burned on purpose.
    for (let w = 1; w <= 5; w++) {
      t.now = w * 100;
      t.cpu += 75;
      meter.record(100, 25);
    }
    expect(meter.perInstanceMs).toBeCloseTo(0.5);
  });

  it('smooths: one window with a GC pause moves the figure by a fifth of the jump', () => {
    const { t, meter } = fakeMeter();
    meter.record(0, 0);
    t.now = 100;
    t.cpu += 100;
    meter.record(100, 0);
    t.now = 200;
    t.cpu += 300;
    meter.record(100, 0);
    expect(meter.perInstanceMs).toBeCloseTo(1 + 0.2 * (3 - 1));
  });
});
