// Baselines: saved from a recorded run with every sample, its stack spec and machine; read back strictly; and a
// comparison across another scenario is refused while another spec or machine is warned about loudly.
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCompatibility, diffObjects } from '../../toolkit/baseline/compat.ts';
import {
  type Baseline,
  baselineFromSweep,
  loadBaseline,
  provenanceOf,
  readRecordedRun,
  saveBaseline,
} from '../../toolkit/baseline/store.ts';
import { baselineSaveCommand } from '../../toolkit/commands/baseline.ts';
import type { CommandIO } from '../../toolkit/commands/io.ts';
import { UsageError } from '../../toolkit/errors.ts';
import type { SweepResult } from '../../toolkit/sweep/types.ts';

const FIXTURE = new URL('../fixtures/sweep/', import.meta.url).pathname;
const MACHINE = { cores: 2, memoryMiB: 24000, os: 'linux 6.1', node: 'v20.20.2', cpuModel: 'Xeon', k6: 'k6 v1.4.2' };
const SPEC = {
  project: 'toolkit',
  replicas: 2,
  port: 8000,
  resources: { cpus: 1, memoryMiB: 512 },
  lb: { strategy: 'round_robin' },
};

let dir: string;
let results: string;
let sweep: SweepResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baseline-'));
  results = join(dir, 'results');
  // A recorded sweep whose first k6 run directory keeps spec.json and run.json, as runLoadtest writes them.
  sweep = JSON.parse(await readFile(join(FIXTURE, 'sweep.json'), 'utf8'));
  const runDir = join(results, sweep.runId, 'runs', 'lt-1-1');
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, 'spec.json'), JSON.stringify({ ...SPEC, cwd: '/somewhere' }));
  await writeFile(join(runDir, 'run.json'), JSON.stringify({ machine: MACHINE, resolved: { batch: 1 } }));
  sweep.levels[0].runs[0].dir = runDir;
  await writeFile(join(results, sweep.runId, 'sweep.json'), JSON.stringify(sweep));
  const single = JSON.parse(await readFile(join(FIXTURE, 'loadtest-single.json'), 'utf8'));
  await mkdir(join(results, single.runId), { recursive: true });
  await writeFile(join(results, single.runId, 'result.json'), JSON.stringify(single));
  // The single load test is the latest run.
  await utimes(join(results, single.runId, 'result.json'), new Date(), new Date(Date.now() + 60_000));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function io(): CommandIO & { printed: string[]; warned: string[] } {
  const printed: string[] = [];
  const warned: string[] = [];
  return {
    printed,
    warned,
    cwd: dir,
    env: {},
    out: (t) => printed.push(t),
    progress: { step: () => {}, info: () => {}, warn: (m) => warned.push(m) },
    docker: () => Promise.reject(new Error('no Docker needed')),
  };
}

describe('baselines from recorded runs', () => {
  it('keeps every repeat as a sample, with spec (no cwd), machine and batch', async () => {
    const rec = await readRecordedRun(results, sweep.runId);
    const b = baselineFromSweep(rec, await provenanceOf(rec), new Date('2025-02-03T04:05:06Z'));
    expect(b).toMatchObject({
      kind: 'toolkit-baseline',
      version: 1,
      savedAt: '2025-02-03T04:05:06.000Z',
      fromRun: 'sweep-fixture',
    });
    expect(b.load).toEqual({ model: 'closed', scenario: 'predict', vus: 32, durationSec: 20, batch: 1 });
    expect(b.spec).toEqual(SPEC);
    expect(b.machine).toEqual(MACHINE);
    expect(b.levels.map((l) => [l.replicas, l.samples.length])).toEqual([1, 2, 3, 4, 5, 6].map((n) => [n, 3]));
    expect(b.levels[2].samples.map((s) => s.rps)).toEqual(sweep.levels[2].runs.map((r) => r.rps));
  });

  it('reads a single load test as a one-count sweep at its replica count', async () => {
    const rec = await readRecordedRun(results, 'lt-3-1');
    expect(rec.counts).toEqual([3]); // three replicas answered it
    expect(rec.levels[0].runs).toHaveLength(1);
    expect(rec.levels[0].throughput.median).toBe(375);
  });

  it('says which run is missing (exit 2)', async () => {
    const err = await readRecordedRun(results, 'nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`no recorded run 'nope' in ${results}`);
  });

  it('saves and loads back the same baseline; a missing or foreign file is a usage error', async () => {
    const rec = await readRecordedRun(results, sweep.runId);
    const b = baselineFromSweep(rec, await provenanceOf(rec));
    const file = join(dir, 'b', 'base.json');
    await saveBaseline(file, b);
    expect(await loadBaseline(file)).toEqual(b);
    const missing = await loadBaseline(join(dir, 'none.json')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(UsageError);
    expect((missing as Error).message).toMatch(/none\.json: no such file$/);
    expect((missing as UsageError).hint).toMatch(/toolkit baseline save/);
    await writeFile(join(dir, 'foreign.json'), '{"kind":"sweep"}');
    await expect(loadBaseline(join(dir, 'foreign.json'))).rejects.toThrow(/is not a toolkit baseline/);
  });

  it('baseline save stores the latest run by default and warns about few samples', async () => {
    const out = io();
    const file = await baselineSaveCommand(undefined, { output: 'baselines/x.json' }, out);
    expect(file).toBe(join(dir, 'baselines', 'x.json'));
    expect((await loadBaseline(file)).levels).toHaveLength(1); // lt-3-1 was written last
    expect(out.warned.join('\n')).toMatch(/only 1 sample\(s\) at 3 replica\(s\)/);
    expect(out.printed.join('\n')).toMatch(/baseline from run lt-3-1 \(predict\) saved to/);
  });
});

describe('checkCompatibility', () => {
  const base: Baseline = {
    kind: 'toolkit-baseline',
    version: 1,
    savedAt: '',
    fromRun: 'r',
    load: { scenario: 'predict', model: 'closed', vus: 16, batch: 1, durationSec: 10 },
    spec: SPEC,
    machine: MACHINE,
    levels: [],
  };
  const same = { load: { ...base.load }, spec: { ...SPEC, replicas: 1, port: 9000 }, machine: { ...MACHINE } };

  it('finds nothing wrong with the same conditions (replica count and port do not matter)', () => {
    expect(checkCompatibility(base, same)).toEqual({ errors: [], warnings: [] });
  });

  it('refuses another scenario, load shape or batch', () => {
    const r = checkCompatibility(base, {
      ...same,
      load: { scenario: 'mixed', model: 'open', rate: 50, batch: 10, durationSec: 10 },
    });
    expect(r.errors).toEqual([
      "the baseline measured scenario 'predict', this gate measures 'mixed'",
      'the baseline ran a closed model with 16 VUs, this gate a open model at 50 req/s',
      'the baseline sent 1 penguin(s) per request, this gate 10',
    ]);
  });

  it('warns loudly about another spec, machine or duration', () => {
    const r = checkCompatibility(base, {
      load: { ...base.load, durationSec: 30 },
      spec: { ...SPEC, resources: { cpus: 2, memoryMiB: 512 } },
      machine: { ...MACHINE, cores: 4, k6: 'k6 v1.5.0' },
    });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      'run duration differs: baseline 10.0s, now 30.0s',
      'DIFFERENT STACK SPEC than the baseline: resources.cpus 1 → 2',
      'DIFFERENT MACHINE than the baseline: cores 2 → 4; k6 k6 v1.4.2 → k6 v1.5.0',
    ]);
  });

  it('says when it cannot tell', () => {
    const r = checkCompatibility({ ...base, spec: null, machine: null }, same);
    expect(r.warnings).toEqual([
      'the stack spec of the baseline or of this run is unknown; cannot tell whether they match',
      'the machine of the baseline or of this run is unknown; cannot tell whether they match',
    ]);
  });

  it('diffObjects names nested paths', () => {
    expect(diffObjects({ a: { b: 1, c: [1] } }, { a: { b: 2, c: [1] }, d: 'x' })).toEqual([
      'a.b 1 → 2',
      'd undefined → "x"',
    ]);
  });
});
