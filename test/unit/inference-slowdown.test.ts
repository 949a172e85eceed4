// The SLOWDOWN_PCT machinery: the injected work is CPU time, a share of each request's own model CPU scaled by what a
// request costs per ms of model CPU without the injected work, calibrated under load and then frozen.
import { describe, expect, it } from 'vitest';
import { burnCpu, CpuCostMeter, processCpuMs } from '../../services/inference/slowdown.ts';

describe('burnCpu', () => {
  it('uses about the CPU time asked for, and says how much it used', async () => {
    const before = processCpuMs();
    const used = await burnCpu(30);
    const measured = processCpuMs() - before;
    expect(used).toBeGreaterThanOrEqual(30);
    expect(used).toBeLessThan(60);
    expect(measured).toBeGreaterThanOrEqual(used);
  });

  it('ends for every small amount: a rounding remainder is not spun on forever', async () => {
    // Thousands of burns of a few µs, as SLOWDOWN_PCT asks per request: before the fix one of them, left with a
    // remainder like 1e-15 ms, yielded forever (a request that never answered, and a CPU-eating setImmediate loop).
    const asked = [0.0049, 0.005, 0.0137, 0.02, 0.0333];
    const before = processCpuMs();
    let used = 0;
    for (let i = 0; i < 3000; i++) used += await burnCpu(asked[i % asked.length]);
    const measured = processCpuMs() - before;
    expect(used).toBeGreaterThanOrEqual(3000 * 0.015 * 0.9);
    expect(measured).toBeGreaterThanOrEqual(used);
  }, 20_000);

  it('does nothing for zero', async () => {
    expect(await burnCpu(0)).toBeLessThan(1);
  });
});

describe('CpuCostMeter', () => {
  function fakeMeter(calibrationWindows = 3, warmupMs = 0) {
    const t = { now: 0, cpu: 0 };
    const meter = new CpuCostMeter(
      { windowMs: 100, minRequests: 1, calibrationWindows, warmupMs },
      () => t.now,
      () => t.cpu,
    );
    /** One window (one request) whose model took `modelMs` and that cost `realMs` in all plus `burnedMs` burned. */
    const window = (modelMs: number, realMs: number, burnedMs = 0) => {
      t.now += 100;
      t.cpu += realMs + burnedMs;
      meter.record(modelMs, burnedMs);
    };
    return { t, meter, window };
  }

  it('has no figure before a whole window closed, and ignores start-up CPU', () => {
    const { t, meter, window } = fakeMeter();
    t.cpu = 5000; // model load and JIT before the first request
    meter.record(1, 0);
    expect(meter.costPerModelMs).toBeUndefined();
    window(20, 20);
    expect(meter.costPerModelMs).toBeCloseTo(1);
  });

  it('leaves the burned CPU out of the cost, so the injected work does not compound', () => {
    const { meter, window } = fakeMeter();
    meter.record(0, 0);
    for (let w = 0; w < 3; w++) window(100, 50, 25);
    expect(meter.costPerModelMs).toBeCloseTo(0.5);
  });

  it('skips the warm-up and windows with too few requests: they measure the JIT and the idle process', () => {
    const t = { now: 0, cpu: 0 };
    const meter = new CpuCostMeter(
      { windowMs: 100, minRequests: 3, calibrationWindows: 3, warmupMs: 1000 },
      () => t.now,
      () => t.cpu,
    );
    const request = (modelMs: number, realMs: number) => {
      t.now += 50;
      t.cpu += realMs;
      meter.record(modelMs, 0);
    };
    meter.record(0, 0);
    for (let i = 0; i < 20; i++) request(10, 50); // 1 s of cold requests at 5× their model's CPU
    expect(meter.costPerModelMs).toBeUndefined();
    for (let i = 0; i < 4; i++) request(10, 10); // windows of 2 requests each: too few
    expect(meter.costPerModelMs).toBeUndefined();
    for (let i = 0; i < 12; i++) {
      t.now += 20;
      t.cpu += 10;
      meter.record(10, 0); // 5 requests per window, as dear as their model
    }
    expect(meter.costPerModelMs).toBeCloseTo(1);
  });

  it('counts only time under load as warm-up: an idle pause does not warm the JIT', () => {
    const { t, meter, window } = fakeMeter(2, 500);
    meter.record(0, 0);
    for (let i = 0; i < 3; i++) window(10, 30); // 300 ms of load at 3× the model's CPU
    t.now += 60_000; // a minute idle
    meter.record(10, 0); // the window across the pause: dropped, and not load
    for (let i = 0; i < 2; i++) window(10, 30); // 500 ms of load in all: still warming up
    expect(meter.costPerModelMs).toBeUndefined();
    for (let i = 0; i < 2; i++) window(10, 10);
    expect(meter.costPerModelMs).toBeCloseTo(1);
  });

  it('drops a window that stayed open across a pause: it holds the idle CPU', () => {
    const { t, meter, window } = fakeMeter();
    meter.record(0, 0);
    t.now += 30_000; // the load stopped for 30 s; timers and GC used 300 ms meanwhile
    t.cpu += 300;
    meter.record(100, 0);
    expect(meter.costPerModelMs).toBeUndefined();
    window(100, 100);
    expect(meter.costPerModelMs).toBeCloseTo(1);
  });

  it('freezes at the median of the calibration windows, so a slowed, quieter replica does not burn more', () => {
    const { meter, window } = fakeMeter(3);
    meter.record(0, 0);
    window(100, 100); // 1.0
    window(100, 300); // 3.0: a GC pause
    window(100, 120); // 1.2
    expect(meter.calibrated).toBe(true);
    expect(meter.costPerModelMs).toBeCloseTo(1.2);
    // Later, at a lower rate, each request carries more fixed cost: the figure stays put.
    for (let w = 0; w < 5; w++) window(20, 60);
    expect(meter.costPerModelMs).toBeCloseTo(1.2);
  });

  it('is a ratio: a slow spell of the core during calibration slows the model and the rest alike', () => {
    const { meter, window } = fakeMeter(3);
    meter.record(0, 0);
    window(100, 150); // steady: 1.5 ms per ms of model
    window(125, 187.5); // a spell: everything 25 % dearer
    window(80, 120); // the JIT made the request cheaper
    expect(meter.costPerModelMs).toBeCloseTo(1.5);
  });
});
