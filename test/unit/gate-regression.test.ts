// Regression measurement with recorded stand-ins for k6: A B B A ordering, re-measuring while inconclusive up to the
// limit, topping up a sweep's samples against a stored baseline, and paired simultaneous runs.
import { describe, expect, it } from 'vitest';
import type { RegressionConfig } from '../../toolkit/gate/config.ts';
import { placementFor } from '../../toolkit/gate/placement.ts';
import { runRegression } from '../../toolkit/gate/regression.ts';
import { DEFAULT_POLICY } from '../../toolkit/gate/verdict.ts';
import type { LoadtestOptions, LoadtestResult } from '../../toolkit/load/types.ts';
import { silentProgress } from '../../toolkit/progress.ts';

const LOAD: LoadtestOptions = {
  scenario: 'predict',
  users: 8,
  duration: '2s',
  batch: 1,
  thresholds: [],
  baseUrl: 'http://127.0.0.1:1',
};
const A = 'http://127.0.0.1:1';
const B = 'http://127.0.0.1:2';

function result(rps: number): LoadtestResult {
  return {
    runId: 'r',
    dir: '/x',
    model: 'closed',
    scenario: 'predict',
    durationSec: 2,
    requests: rps * 2,
    rps,
    latency: { avg: 1, p50: 1, p90: 1, p95: 1, p99: 1, max: 1 },
    errorRate: 0,
    droppedIterations: 0,
    perReplica: [],
    thresholds: [],
    generator: { cpuPercent: 1, hostIdlePercent: 50, trusted: true, reasons: [] },
  };
}

/** Throughput per URL from a generator; records the order of calls. */
function fake(rps: (url: string, i: number) => number) {
  const calls: string[] = [];
  return {
    calls,
    deps: {
      progress: silentProgress,
      loadtest: async (o: LoadtestOptions) => {
        calls.push(o.baseUrl === A ? 'A' : 'B');
        return result(rps(o.baseUrl, calls.length));
      },
    },
  };
}

const config = (over: Partial<RegressionConfig> = {}): RegressionConfig => ({
  metric: 'rps',
  policy: { ...DEFAULT_POLICY },
  samples: 4,
  maxRounds: 3,
  inconclusive: 'warn',
  ...over,
});

describe('runRegression', () => {
  it('alternates A B B A and fails a clear regression once a second round reproduces it', async () => {
    const f = fake((url, i) => (url === A ? 100 : 70) + (i % 3));
    const urls = { baseline: A, candidate: B, mode: 'interleaved' as const };
    const o = await runRegression({ config: config({ samples: 6 }), load: LOAD, urls }, f.deps);
    expect(f.calls.join('')).toBe('ABBAABBAABBA'.repeat(2));
    expect(o.rounds.map((r) => [r.round, r.verdict, r.baselineN])).toEqual([
      [1, 'inconclusive', 6],
      [2, 'fail', 12],
    ]);
    const once = await runRegression(
      { config: config({ samples: 6, confirm: false }), load: LOAD, urls },
      fake((url) => (url === A ? 100 : 70)).deps,
    );
    expect(once.rounds).toMatchObject([{ round: 1, verdict: 'fail' }]);
  });

  it('does not fail on one bad round that the next round does not reproduce', async () => {
    // Round 1: the candidate happens to run on a busy core; rounds 2 and 3: both sides alike.
    const f = fake((url, i) => (url === B && i <= 12 ? 80 : 100) + (i % 4) * 0.1);
    const urls = { baseline: A, candidate: B, mode: 'interleaved' as const };
    const o = await runRegression({ config: config({ samples: 6 }), load: LOAD, urls }, f.deps);
    expect(o.rounds[0].verdict).toBe('inconclusive');
    expect(o.judgement.verdict).not.toBe('fail');
  });

  it('re-measures while inconclusive and stops at maxRounds, reporting every round', async () => {
    // Wildly noisy and centred on a 5 % loss: never decisive.
    const noise = [60, 140, 90, 120, 75, 130, 100, 85];
    const f = fake((url, i) => noise[i % noise.length] * (url === A ? 1 : 0.95));
    const o = await runRegression(
      { config: config({ maxRounds: 2 }), load: LOAD, urls: { baseline: A, candidate: B, mode: 'interleaved' } },
      f.deps,
    );
    expect(o.rounds.map((r) => [r.round, r.verdict, r.baselineN])).toEqual([
      [1, 'inconclusive', 4],
      [2, 'inconclusive', 8],
    ]);
    expect(o.judgement.verdict).toBe('inconclusive');
  });

  it('tops up the sweep samples to `samples` against a stored baseline, then adds a round per re-measure', async () => {
    const f = fake(() => 100);
    const o = await runRegression(
      {
        config: config({ samples: 5 }),
        load: LOAD,
        baselineSamples: [100, 101, 99, 100, 102],
        candidateSamples: [100, 99],
      },
      f.deps,
      2,
    );
    expect(f.calls).toEqual(['A', 'A', 'A']);
    expect(o).toMatchObject({ mode: 'stored', replicas: 2, candidate: [100, 99, 100, 100, 100] });
    expect(o.judgement.verdict).toBe('pass');
  });

  it('measures both sides at once in simultaneous mode and judges the pairs', async () => {
    let concurrent = 0;
    let peak = 0;
    const deps = {
      progress: silentProgress,
      loadtest: async (o: LoadtestOptions) => {
        concurrent++;
        peak = Math.max(peak, concurrent);
        await new Promise((r) => setTimeout(r, 5));
        concurrent--;
        return result(o.baseUrl === A ? 100 : 80);
      },
    };
    const o = await runRegression(
      { config: config({ samples: 6 }), load: LOAD, urls: { baseline: A, candidate: B, mode: 'simultaneous' } },
      deps,
    );
    expect(peak).toBe(2);
    expect(o.mode).toBe('simultaneous');
    expect(o.judgement).toMatchObject({ verdict: 'fail', paired: true, test: expect.stringMatching(/^signed-rank/) });
  });

  it('reads CPU use around each run for requests per CPU-second', async () => {
    const cpu = new Map([
      [A, 0],
      [B, 0],
    ]);
    const deps = {
      progress: silentProgress,
      loadtest: async (o: LoadtestOptions) => {
        // The candidate costs twice the CPU for the same requests.
        cpu.set(o.baseUrl, cpu.get(o.baseUrl)! + (o.baseUrl === A ? 1 : 2));
        return result(100);
      },
      cpuSeconds: async (url: string) => cpu.get(url)!,
    };
    const o = await runRegression(
      {
        config: config({ metric: 'rps-per-cpu', samples: 6 }),
        load: LOAD,
        urls: { baseline: A, candidate: B, mode: 'simultaneous' },
      },
      deps,
    );
    expect(o.baseline[0]).toBe(200);
    expect(o.candidate[0]).toBe(100);
    expect(o.judgement.verdict).toBe('fail');
  });

  it('pins each side for every simultaneous round, swapping halves, and runs each k6 beside its service', async () => {
    const seen: Array<[string, string | undefined]> = [];
    const placed: number[] = [];
    const deps = {
      progress: silentProgress,
      loadtest: async (o: LoadtestOptions) => {
        seen.push([o.baseUrl === A ? 'A' : 'B', o.cpus]);
        // The change straddles the limit (−3.5 % and −6.5 %): inconclusive at every round, so all three run.
        return result(o.baseUrl === A ? 100 : seen.length % 4 < 2 ? 96.5 : 93.5);
      },
      place: async (round: number) => {
        placed.push(round);
        return placementFor([0, 1], round);
      },
    };
    await runRegression(
      { config: config({ samples: 2 }), load: LOAD, urls: { baseline: A, candidate: B, mode: 'simultaneous' } },
      deps,
    );
    expect(placed).toEqual([1, 2, 3]);
    const round = (k: number) => seen.slice(4 * k, 4 * k + 4);
    expect(round(0)).toEqual(
      expect.arrayContaining([
        ['A', '0'],
        ['B', '1'],
      ]),
    );
    expect(round(1)).toEqual(
      expect.arrayContaining([
        ['A', '1'],
        ['B', '0'],
      ]),
    );
    expect(new Set(round(1).map(([s, c]) => `${s}${c}`))).toEqual(new Set(['A1', 'B0']));
  });
});

describe('runRegression with allRounds (bench/gate --record)', () => {
  it('measures every round after the verdict and keeps the first decisive one', async () => {
    // A clear regression in rounds 1–2, none in 3–4: decided after 2; the later rounds are recorded, not judged.
    const f = fake((url, i) => (url === A ? 100 : i <= 16 ? 70 : 100) + (i % 3));
    const urls = { baseline: A, candidate: B, mode: 'interleaved' as const };
    const o = await runRegression({ config: config({ maxRounds: 4 }), load: LOAD, urls, allRounds: true }, f.deps);
    expect(f.calls).toHaveLength(4 * 8);
    expect(o.rounds.map((r) => r.baselineN)).toEqual([4, 8, 12, 16]);
    expect(o.rounds[1].verdict).toBe('fail');
    expect(o.judgement).toMatchObject({ verdict: 'fail', baseline: { n: 8 } });
    expect(o.rounds.every((r) => typeof r.startedAt === 'number')).toBe(true);
  });
});

describe('runRegression with placement', () => {
  /** Pairs whose candidate/baseline ratio depends on where the baseline runs this round (its CPUs). */
  const placed = (ratioOn: (cpus: string, round: number) => number) => {
    let round = 0;
    let where: ReturnType<typeof placementFor>;
    return {
      progress: silentProgress,
      place: async (r: number) => {
        round = r;
        where = placementFor([0, 1], r);
        return where;
      },
      loadtest: async (o: LoadtestOptions) =>
        result(o.baseUrl === A ? 100 : 100 * ratioOn(where!.baseline, round) + (o.cpus === '0' ? 0.1 : 0)),
    };
  };
  const run = (deps: ReturnType<typeof placed>, maxRounds = 3) =>
    runRegression(
      {
        config: config({ samples: 6, maxRounds }),
        load: LOAD,
        urls: { baseline: A, candidate: B, mode: 'simultaneous' },
      },
      deps,
    );

  it('does not pass on one placement: the sides swap CPUs before a verdict', async () => {
    const o = await run(placed(() => 1));
    expect(o.rounds.map((r) => r.verdict)).toEqual(['inconclusive', 'pass']);
  });

  it('fails only when the regression shows in both placements', async () => {
    // Beyond the limit only while the baseline has CPU 0 (rounds 1 and 3): never confirmed.
    const one = await run(placed((cpus) => (cpus === '0' ? 0.8 : 0.97)));
    expect(one.rounds).toHaveLength(3);
    expect(one.judgement.verdict).not.toBe('fail');
    expect(one.judgement.reason).toMatch(/not yet reproduced in a second placement|straddles/);
    // In both: failed after the second round.
    const both = await run(placed(() => 0.8));
    expect(both.rounds.map((r) => r.verdict)).toEqual(['inconclusive', 'fail']);
  });

  it('gives each placement a second round when a slow spell hid the regression in one', async () => {
    // Round 2 (the second placement's first) hits a spell where the baseline runs as slowly as the candidate.
    const spell = () => placed((_cpus, round) => (round === 2 ? 1 : 0.8));
    const three = await run(spell(), 3);
    expect(three.judgement.verdict).toBe('inconclusive');
    const four = await run(spell(), 4);
    expect(four.rounds.map((r) => r.verdict)).toEqual(['inconclusive', 'inconclusive', 'inconclusive', 'fail']);
  });
});

describe('runRegression with windows and placement', () => {
  /** CPU 1 runs everything 25 % slower than CPU 0; the candidate costs 10 % more per request. */
  const machine = () => {
    let where = placementFor([0, 1], 1)!;
    const counters = new Map([A, B].map((u) => [u, { cpuSeconds: 0, predictions: 0 }]));
    const placed: number[] = [];
    const info: string[] = [];
    return {
      placed,
      info,
      deps: {
        progress: { ...silentProgress, info: (m: string) => info.push(m) },
        place: async (k: number) => {
          placed.push(k);
          where = placementFor([0, 1], k)!;
          return where;
        },
        counters: async (url: string) => {
          const c = counters.get(url)!;
          c.cpuSeconds += 1;
          c.predictions += ((url === A ? where.baseline : where.candidate) === '0' ? 100 : 75) / (url === A ? 1 : 1.1);
          return { ...c };
        },
        loadtest: async () => {
          await new Promise((r) => setTimeout(r, 400));
          return result(1);
        },
      },
    };
  };
  const windowed = (swap?: 'round' | 'window') =>
    config({ metric: 'rps-per-cpu', window: 0.02, samples: 6, maxRounds: 2, swap });
  const urls = { baseline: A, candidate: B, mode: 'simultaneous' as const };

  it('swaps the CPUs before every window by default, so a slow CPU cancels and the regression shows', async () => {
    const m = machine();
    const o = await runRegression({ config: windowed(), load: LOAD, urls }, m.deps);
    expect(m.placed).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    expect(m.info).toContain("round 1: the sides' CPUs swap before every window");
    expect(m.info.some((l) => l.includes('baseline on CPUs'))).toBe(false);
    for (let i = 0; i < o.candidate.length; i++) expect(o.candidate[i] / o.baseline[i]).toBeCloseTo(1 / 1.1, 10);
    expect(o.judgement.verdict).toBe('fail');
  });

  it('with swap: round, places once per round and pins each k6 beside its side', async () => {
    const m = machine();
    const o = await runRegression({ config: windowed('round'), load: LOAD, urls }, m.deps);
    expect(m.placed).toEqual([1, 2]);
    expect(m.info).toContain('round 1: baseline on CPUs 0, candidate on 1');
    expect(o.rounds.map((r) => r.baselineCpus)).toEqual(['0', '1']);
  });
});

describe('placementFor', () => {
  it('gives each side its own half of the CPUs and swaps them every round', () => {
    expect(placementFor([0, 1], 1)).toEqual({ baseline: '0', candidate: '1' });
    expect(placementFor([0, 1], 2)).toEqual({ baseline: '1', candidate: '0' });
    expect(placementFor([0, 1, 2, 3, 4], 1)).toEqual({ baseline: '0,1', candidate: '2,3' });
    expect(placementFor([0], 1)).toBeUndefined();
  });
});
