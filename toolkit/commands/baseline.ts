// `toolkit baseline save [run-id]`: store a recorded run (the latest by default) as a baseline — every repeat's
// samples plus the stack spec and machine it ran on — for `toolkit gate --baseline <file>`.
import { resolve } from 'node:path';
import {
  baselineFromSweep,
  DEFAULT_BASELINE_FILE,
  provenanceOf,
  readRecordedRun,
  saveBaseline,
} from '../baseline/index.ts';
import { fmtRps, textTable } from '../report/format.ts';
import { type CommandIO, printJson } from './io.ts';

export interface BaselineSaveFlags {
  /** Where the baseline goes (default baselines/baseline.json). */
  output?: string;
  resultsDir?: string;
  json?: boolean;
}

/** Below this many samples at a count, the rank test can hardly reach significance. */
export const MIN_USEFUL_SAMPLES = 5;

export async function baselineSaveCommand(
  runId: string | undefined,
  opts: BaselineSaveFlags,
  io: CommandIO,
): Promise<string> {
  const results = resolve(io.cwd, opts.resultsDir ?? 'results');
  const sweep = await readRecordedRun(results, runId);
  const prov = await provenanceOf(sweep);
  const baseline = baselineFromSweep(sweep, prov);
  const file = resolve(io.cwd, opts.output ?? DEFAULT_BASELINE_FILE);
  await saveBaseline(file, baseline);

  const few = baseline.levels.filter((l) => l.samples.length < MIN_USEFUL_SAMPLES).map((l) => l.replicas);
  if (few.length) {
    io.progress.warn(
      `only ${baseline.levels.find((l) => few.includes(l.replicas))!.samples.length} sample(s) at ${few.join(', ')} replica(s); ` +
        `a regression check is sharper with ≥ ${MIN_USEFUL_SAMPLES} (sweep --repeat ${MIN_USEFUL_SAMPLES})`,
    );
  }
  if (!prov.spec || !prov.machine)
    io.progress.warn(
      `run ${sweep.runId} kept no ${!prov.spec ? 'stack spec' : 'machine info'}; comparisons cannot check it`,
    );
  const untrusted = sweep.levels.filter((l) => !l.trusted).map((l) => l.replicas);
  if (untrusted.length)
    io.progress.warn(`the load generator was saturated at ${untrusted.join(', ')} replica(s) in this baseline`);

  if (opts.json) printJson(io, { file, ...baseline });
  else {
    const rows = baseline.levels.map((l) => [
      String(l.replicas),
      String(l.samples.length),
      l.samples.map((s) => fmtRps(s.rps)).join(' '),
    ]);
    io.out(
      `baseline from run ${sweep.runId} (${sweep.load.scenario}) saved to ${file}\n${textTable(['replicas', 'samples', 'req/s'], rows)}`,
    );
  }
  return file;
}
