// The inference service's configuration, read once from the environment (docs/ARCHITECTURE.md).
import os from 'node:os';
import { ConfigError, EnvReader } from '../common/env.ts';
import type { StorageAccess } from '../common/s3.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface InferenceConfig {
  host: string;
  port: number;
  storage: StorageAccess;
  registryUrl: string;
  /** Registered model name and alias, from MODEL=name@alias. */
  model: { name: string; alias: string };
  maxInstances: number;
  maxInflight: number;
  bodyLimitBytes: number;
  pollIntervalMs: number;
  gracePeriodMs: number;
  drainDelayMs: number;
  replicaId: string;
  logLevel: LogLevel;
  /** Extra CPU work per /predict as a percentage of its measured base cost: a knob for the CI gate. */
  slowdownPct: number;
  /** Requests served in-process after the first model load and before /ready says ready (0: none). */
  warmupRequests: number;
}

type Env = Record<string, string | undefined>;

/** Enough for V8 to have compiled the request path (bench/README, bench/scale: warm-up before ready). */
export const DEFAULT_WARMUP_REQUESTS = 2000;

export function inferenceConfigFromEnv(env: Env): InferenceConfig {
  const r = new EnvReader(env);
  const modelSpec = r.string('MODEL', 'penguins@production');
  const model = parseModelSpec(modelSpec);
  const config: InferenceConfig = {
    host: r.string('HOST', '0.0.0.0'),
    port: r.int('PORT', 8000, 0, 65535),
    storage: {
      url: r.url('STORAGE_URL', 'http://storage:9000'),
      accessKey: r.string('STORAGE_ACCESS_KEY'),
      secretKey: r.string('STORAGE_SECRET_KEY'),
      region: r.string('STORAGE_REGION', 'us-east-1'),
    },
    registryUrl: r.url('REGISTRY_URL', 'http://registry:5000'),
    model: model ?? { name: '', alias: '' },
    maxInstances: r.int('MAX_INSTANCES', 1000, 1, 1_000_000),
    maxInflight: r.int('MAX_INFLIGHT', 64, 1, 1_000_000),
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 1_048_576, 1024, 1024 * 1024 * 1024),
    pollIntervalMs: r.int('POLL_INTERVAL_MS', 10_000, 10, 86_400_000),
    gracePeriodMs: r.int('GRACE_PERIOD_MS', 10_000, 0, 3_600_000),
    drainDelayMs: r.int('DRAIN_DELAY_MS', 1_000, 0, 3_600_000),
    replicaId: r.string('REPLICA_ID', os.hostname()),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    slowdownPct: r.number('SLOWDOWN_PCT', 0, 0, 100_000),
    warmupRequests: r.int('WARMUP_REQUESTS', DEFAULT_WARMUP_REQUESTS, 0, 100_000),
  };
  if (model) return r.done(config);
  // EnvReader has no free-form problem; fold MODEL's into its report so every problem is listed at once.
  const modelProblem = `MODEL=${JSON.stringify(modelSpec)} must look like name@alias`;
  try {
    r.done(null);
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; ${modelProblem}`);
  }
  throw new ConfigError(`invalid configuration: ${modelProblem}`);
}

const MODEL_SPEC = /^([A-Za-z0-9][A-Za-z0-9._-]*)@([A-Za-z0-9][A-Za-z0-9._-]*)$/;

export function parseModelSpec(spec: string): { name: string; alias: string } | undefined {
  const m = MODEL_SPEC.exec(spec);
  return m ? { name: m[1], alias: m[2] } : undefined;
}
