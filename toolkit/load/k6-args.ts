// The k6 command line of one run, and the files each k6 run leaves in its directory.
import { join } from 'node:path';
import type { ValidOptions } from './validate.ts';

export const TREND_STATS = 'avg,min,med,max,p(50),p(90),p(95),p(99)';
export const FILES = {
  summary: 'summary.json',
  timeseries: 'timeseries.csv.gz',
  stdout: 'k6-stdout.txt',
  log: 'k6.log',
};

/** One k6's slice of a load shared by K processes: k6's --execution-segment and the sequence of all slices. */
export interface Segment {
  segment: string;
  sequence: string;
}

/**
 * K equal slices 0:1/K, 1/K:2/K, ... With the whole sequence given, k6 stripes VUs and arrivals across the
 * slices so that together they are exactly the unsegmented scenario (5 VUs over 2: 3 and 2).
 */
export function executionSegments(k: number): Segment[] {
  const at = (i: number) => (i === 0 ? '0' : i === k ? '1' : `${i}/${k}`);
  const sequence = Array.from({ length: k + 1 }, (_, i) => at(i)).join(',');
  return Array.from({ length: k }, (_, i) => ({ segment: `${at(i)}:${at(i + 1)}`, sequence }));
}

export function k6Args(v: ValidOptions, dir: string, script: string, segment?: Segment): string[] {
  const env: Record<string, string> = {
    BASE_URL: v.baseUrl,
    DURATION: v.duration,
    BATCH: String(v.batch),
    THRESHOLDS: JSON.stringify(v.thresholds),
    SUMMARY_FILE: join(dir, FILES.summary),
  };
  if (v.vus !== undefined) env.VUS = String(v.vus);
  if (v.rate !== undefined) env.RATE = String(v.rate);
  return [
    'run',
    '--no-usage-report',
    '--no-color',
    // No REST API server: parallel runs would fight over its default port, and nothing here uses it.
    '--address',
    '',
    // The user's shell may hold VUS or RATE; only what we pass with -e may reach the script.
    '--include-system-env-vars=false',
    '--summary-trend-stats',
    TREND_STATS,
    '--out',
    `csv=${join(dir, FILES.timeseries)}`,
    ...(segment ? ['--execution-segment', segment.segment, '--execution-segment-sequence', segment.sequence] : []),
    ...Object.entries(env).flatMap(([k, val]) => ['-e', `${k}=${val}`]),
    script,
  ];
}
