// Paired windows of one simultaneous run: fixed placement per round, or the sides' CPUs swapped before every window
// so that one slow CPU lands on both sides. The services are stand-ins whose requests per CPU-second depend on the
// CPU they are on.
import { describe, expect, it } from 'vitest';
import type { ServiceCounters } from '../../toolkit/gate/cpu.ts';
import { placementFor, type RoundPlacement } from '../../toolkit/gate/placement.ts';
import { windowedPairs } from '../../toolkit/gate/windows.ts';
import type { LoadtestOptions, LoadtestResult } from '../../toolkit/load/types.ts';

const A = 'http://127.0.0.1:1';
const B = 'http://127.0.0.1:2';
const LOAD: LoadtestOptions = { scenario: 'predict', users: 4, duration: '2s', batch: 1, thresholds: [], baseUrl: A };

/** CPU 1 is 25 % slower than CPU 0 for everything; the candidate costs 10 % more per request than the baseline. */
function machine() {
  let where: RoundPlacement = { baseline: '0', candidate: '1' };
  const counters = new Map<string, ServiceCounters>([
    [A, { cpuSeconds: 0, predictions: 0 }],
    [B, { cpuSeconds: 0, predictions: 0 }],
  ]);
  const k6Cpus: Array<string | undefined> = [];
  return {
    k6Cpus,
    swap: async (k: number) => {
      where = placementFor([0, 1], k)!;
      return where;
    },
    deps: {
      // Each read advances the side by one CPU-second at its current CPU's speed.
      counters: async (url: string) => {
        const c = counters.get(url)!;
        const cpu = url === A ? where.baseline : where.candidate;
        const rate = (cpu === '0' ? 100 : 75) / (url === A ? 1 : 1.1);
        c.cpuSeconds += 1;
        c.predictions += rate;
        return { ...c };
      },
      loadtest: async (o: LoadtestOptions): Promise<LoadtestResult> => {
        k6Cpus.push(o.cpus);
        await new Promise((r) => setTimeout(r, 1500));
        return {
          generator: { trusted: true, reasons: [], cpuPercent: 1, hostIdlePercent: 50 },
        } as unknown as LoadtestResult;
      },
    },
  };
}

describe('windowedPairs', () => {
  it('with one placement per round, a slow CPU under one side looks like a regression of that side', async () => {
    const m = machine();
    const w = await windowedPairs({ baseline: A, candidate: B }, LOAD, 6, 20, m.deps, {
      baseline: '0',
      candidate: '1',
    });
    expect(w.baseline).toHaveLength(6);
    for (let i = 0; i < 6; i++) expect(w.candidate[i] / w.baseline[i]).toBeCloseTo(0.75 / 1.1, 10);
    expect(m.k6Cpus).toEqual(['0', '1']);
  });

  it('swapped before every window, pairs one window per placement: the CPU cancels, the regression stays', async () => {
    const m = machine();
    const swaps: number[] = [];
    const swap = async (k: number) => {
      swaps.push(k);
      return m.swap(k);
    };
    const w = await windowedPairs({ baseline: A, candidate: B }, LOAD, 6, 20, m.deps, undefined, swap);
    expect(w.baseline).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(w.candidate[i] / w.baseline[i]).toBeCloseTo(1 / 1.1, 10);
    expect(swaps).toEqual([1, 2, 3, 4, 5, 6]);
    // Both k6 unpinned: they cannot follow a move every second.
    expect(m.k6Cpus).toEqual([undefined, undefined]);
  });
});
