// Run settings from __ENV (k6 `-e KEY=value` or the environment), validated at init so a bad value stops the
// run before any traffic. Every run is bounded in time and aimed only at this machine's loopback.
import type { Options, Scenario } from 'k6/options';
import { k6Duration, MAX_DURATION_MS, parseDurationMs } from './duration.ts';
import { checkBaseUrl, LIMITS } from './limits.ts';
import { DEFAULT_THRESHOLDS, parseThresholdsEnv } from './thresholds.ts';

export { LIMITS };

export interface RunConfig {
  baseUrl: string;
  vus: number;
  /** Arrivals per second; set means the open model (arrival-rate executors). */
  rate?: number;
  durationMs: number;
  batch: number;
  maxVus: number;
  thresholds: Record<string, string[]>;
}

function intSetting(env: Record<string, string>, key: string, fallback: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${key}=${raw}: expected an integer from 1 to ${max}`);
  return n;
}

export function loadConfig(env: Record<string, string> = __ENV, defaults: { rate?: number } = {}): RunConfig {
  const duration = parseDurationMs(env.DURATION ?? '30s');
  if (typeof duration !== 'number') throw new Error(`DURATION: ${duration.error}`);
  if (duration < 1000 || duration > MAX_DURATION_MS) {
    throw new Error(`DURATION=${env.DURATION}: expected from 1s to ${MAX_DURATION_MS / 60_000}m`);
  }
  const rate = env.RATE ? intSetting(env, 'RATE', 0, LIMITS.rate) : defaults.rate;
  const vus = intSetting(env, 'VUS', 10, LIMITS.vus);
  return {
    baseUrl: checkBaseUrl(env.BASE_URL || 'http://127.0.0.1:8000'),
    vus,
    rate,
    durationMs: duration,
    batch: intSetting(env, 'BATCH', 1, LIMITS.batch),
    // Open model: VUs are a pool the executor draws from; enough for ~1 s latency at the target rate.
    maxVus: intSetting(env, 'MAX_VUS', Math.min(LIMITS.vus, Math.max(vus, rate ?? 0, 10)), LIMITS.vus),
    thresholds: env.THRESHOLDS === undefined ? DEFAULT_THRESHOLDS : parseThresholdsEnv(env.THRESHOLDS),
  };
}

/** Closed model (constant VUs) unless RATE is set, then open model (constant arrival rate). */
export function steadyScenario(cfg: RunConfig): Scenario {
  if (cfg.rate !== undefined) return arrivalScenario(cfg, cfg.rate);
  return { executor: 'constant-vus', vus: cfg.vus, duration: k6Duration(cfg.durationMs), gracefulStop: '10s' };
}

export function arrivalScenario(cfg: RunConfig, rate: number): Scenario {
  return {
    executor: 'constant-arrival-rate',
    rate,
    timeUnit: '1s',
    duration: k6Duration(cfg.durationMs),
    preAllocatedVUs: Math.min(cfg.maxVus, Math.max(2, Math.ceil(rate / 10))),
    maxVUs: cfg.maxVus,
    gracefulStop: '10s',
  };
}

/** Options every scenario shares: the trend stats the toolkit reads, thresholds. */
export function baseOptions(cfg: RunConfig, scenarios: Record<string, Scenario>): Options {
  return {
    scenarios,
    thresholds: cfg.thresholds,
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(50)', 'p(90)', 'p(95)', 'p(99)'],
  };
}
