// Validate-first: every problem with the options is found before k6 starts, and all are reported at once.
import { MAX_DURATION_MS, parseDurationMs } from '../../loadtests/lib/duration.ts';
import { checkBaseUrl, LIMITS } from '../../loadtests/lib/limits.ts';
import { DEFAULT_THRESHOLDS, parseThreshold, type Threshold, toK6Thresholds } from '../../loadtests/lib/thresholds.ts';
import { UsageError } from '../errors.ts';
import { DEFAULT_RATE, DEFAULT_USERS, SCENARIOS } from './scenarios.ts';
import type { LoadModel, LoadtestOptions } from './types.ts';

export interface ValidOptions {
  scenario: string;
  model: LoadModel;
  /** Set for the closed model. */
  vus?: number;
  /** Set for the open model. */
  rate?: number;
  durationMs: number;
  duration: string;
  batch: number;
  baseUrl: string;
  /** k6's options.thresholds shape; the defaults when none were asked for. */
  thresholds: Record<string, string[]>;
  runId?: string;
  resultsDir: string;
  /** Set only when more than one k6 process shares the load, so one-generator runs record what they always did. */
  generators?: number;
  /** CPUs k6 is pinned to (taskset list). */
  cpus?: string;
}

/** More k6 processes than this on one machine only make them fight over its cores. */
export const MAX_GENERATORS = 16;

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/;

function intIn(problems: string[], flag: string, value: number | undefined, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > max)) {
    problems.push(`${flag}: ${value} is out of range; expected an integer from 1 to ${max}`);
  }
}

export function validateOptions(opts: LoadtestOptions): ValidOptions {
  const problems: string[] = [];
  const info = SCENARIOS[opts.scenario];
  if (!info) {
    problems.push(`unknown scenario "${opts.scenario}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
  }
  if (opts.users !== undefined && opts.rate !== undefined) {
    problems.push('--users and --rate together: --users is the closed model (VUs), --rate the open model (arrivals/s)');
  }
  intIn(problems, '--users', opts.users, LIMITS.vus);
  intIn(problems, '--rate', opts.rate, LIMITS.rate);
  intIn(problems, '--batch', opts.batch, LIMITS.batch);
  intIn(problems, '--generators', opts.generators, MAX_GENERATORS);

  const model: LoadModel =
    opts.rate !== undefined ? 'open' : opts.users !== undefined ? 'closed' : (info?.defaultModel ?? 'closed');
  if (info && !info.models.includes(model)) {
    problems.push(
      model === 'open'
        ? `scenario ${opts.scenario} sets its own VU shape (closed model); use --users instead of --rate`
        : `scenario ${opts.scenario} is open-model only; use --rate instead of --users`,
    );
  }

  checkSplit(problems, opts, model);
  if (opts.cpus !== undefined && !CPU_LIST.test(opts.cpus)) {
    problems.push(`cpus "${opts.cpus}": expected a CPU list such as 0, 0-1 or 0,2`);
  } else if (opts.cpus !== undefined && (opts.generators ?? 1) > 1) {
    problems.push('cpus pins one k6 process; not together with --generators');
  }

  const durationMs = parseDurationMs(opts.duration);
  if (typeof durationMs !== 'number') problems.push(`--duration: ${durationMs.error}`);
  else if (durationMs < 1000 || durationMs > MAX_DURATION_MS) {
    problems.push(`--duration: ${opts.duration} is out of range; expected from 1s to ${MAX_DURATION_MS / 60_000}m`);
  }

  const parsed: Threshold[] = [];
  for (const t of opts.thresholds) {
    try {
      parsed.push(parseThreshold(t));
    } catch (e) {
      problems.push(`--threshold: ${(e as Error).message}`);
    }
  }

  let baseUrl = opts.baseUrl;
  try {
    baseUrl = checkBaseUrl(opts.baseUrl);
  } catch (e) {
    problems.push((e as Error).message.replace(/^BASE_URL/, 'base URL'));
  }
  if (opts.runId !== undefined && !RUN_ID.test(opts.runId)) {
    problems.push(`run id "${opts.runId}": use letters, digits, '.', '_' and '-' only`);
  }

  if (problems.length > 0) {
    throw new UsageError(
      problems.length === 1 ? problems[0] : `invalid load test options:\n  ${problems.join('\n  ')}`,
      'see toolkit loadtest --help',
    );
  }
  return {
    scenario: opts.scenario,
    model,
    vus: model === 'closed' ? (opts.users ?? DEFAULT_USERS) : undefined,
    rate: model === 'open' ? (opts.rate ?? DEFAULT_RATE) : undefined,
    durationMs: durationMs as number,
    duration: opts.duration.trim(),
    batch: opts.batch,
    baseUrl,
    thresholds: parsed.length > 0 ? toK6Thresholds(parsed) : DEFAULT_THRESHOLDS,
    runId: opts.runId,
    resultsDir: opts.resultsDir ?? 'results',
    ...(opts.generators !== undefined && opts.generators > 1 ? { generators: opts.generators } : {}),
    ...(opts.cpus !== undefined ? { cpus: opts.cpus } : {}),
  };
}

/**
 * k6 splits VUs between execution segments in whole VUs (5 VUs over 2 segments: 3 and 2), so fewer VUs than
 * generators leaves a k6 with nothing to do; the open model's VU pool (at least the rate) splits the same way.
 */
function checkSplit(problems: string[], opts: LoadtestOptions, model: LoadModel): void {
  const k = opts.generators;
  if (k === undefined || !Number.isInteger(k) || k <= 1) return;
  if (model === 'closed' && (opts.users ?? DEFAULT_USERS) < k) {
    problems.push(`--generators ${k} needs at least ${k} --users (k6 splits whole VUs between generators)`);
  }
  if (model === 'open' && (opts.rate ?? DEFAULT_RATE) < k) {
    problems.push(`--generators ${k} needs a --rate of at least ${k} (each generator needs a VU of its own)`);
  }
}
