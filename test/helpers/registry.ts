// Test helpers: an in-process registry on a loopback port, and the trainer run in-process against it.
// Both take the object startTestStorage() returns (only its access fields are used).
import { type RegistryConfig, startRegistry } from '../../services/registry/index.ts';
import { runTrainer, type TrainerResult, trainerConfigFromEnv } from '../../services/trainer/index.ts';
import { freePort } from './net.ts';

export interface StorageEndpoint {
  url: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

export interface TestRegistry {
  url: string;
  token: string;
  bucket: string;
  close(): Promise<void>;
}

export async function startTestRegistry(
  storage: StorageEndpoint,
  opts: { bucket?: string; token?: string } = {},
): Promise<TestRegistry> {
  const cfg: RegistryConfig = {
    host: '127.0.0.1',
    port: 0,
    storage: { url: storage.url, accessKey: storage.accessKey, secretKey: storage.secretKey, region: storage.region },
    bucket: opts.bucket ?? 'registry',
    token: opts.token ?? `test-token-${Math.random().toString(36).slice(2)}`,
    logLevel: 'silent',
  };
  const handle = await startRegistry(cfg);
  return { url: handle.url, token: cfg.token, bucket: cfg.bucket, close: () => handle.close() };
}

export interface TrainOptions {
  /** `name@alias`; default penguins@production. */
  model?: string;
  newVersion?: boolean;
  seed?: number;
  modelBucket?: string;
  dataPath?: string;
  /** Progress lines (including the holdout accuracy); default: dropped. */
  log?: (line: string) => void;
}

export async function trainInto(
  storage: StorageEndpoint,
  registry: { url: string; token: string },
  opts: TrainOptions = {},
): Promise<TrainerResult> {
  const env: Record<string, string | undefined> = {
    STORAGE_URL: storage.url,
    STORAGE_ACCESS_KEY: storage.accessKey,
    STORAGE_SECRET_KEY: storage.secretKey,
    STORAGE_REGION: storage.region,
    REGISTRY_URL: registry.url,
    REGISTRY_TOKEN: registry.token,
    MODEL: opts.model,
    MODEL_BUCKET: opts.modelBucket,
    TRAINER_DATA: opts.dataPath ?? new URL('../../data/penguins.csv', import.meta.url).pathname,
    TRAINER_SEED: opts.seed === undefined ? undefined : String(opts.seed),
    TRAINER_NEW_VERSION: opts.newVersion ? 'true' : 'false',
    TRAINER_WAIT_MS: '30000',
  };
  return runTrainer(trainerConfigFromEnv(env), opts.log ?? (() => {}));
}

export interface CallOptions {
  query?: Record<string, string>;
  body?: unknown;
  /** A raw body instead of JSON (to test malformed input). */
  raw?: string;
  contentType?: string;
  /** Bearer token; default the registry's own, null for none. */
  token?: string | null;
}

// biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary JSON answers
export type Json = Record<string, any>;
export type MlflowCall = (method: string, path: string, o?: CallOptions) => Promise<{ status: number; json: Json }>;

/** A raw HTTP caller for the registry: `path` is relative to /api/2.0/mlflow/ unless it starts with '/'. */
export function mlflowCaller(registry: { url: string; token: string }): MlflowCall {
  return async (method, path, o = {}) => {
    const url = new URL(path.startsWith('/') ? path : `/api/2.0/mlflow/${path}`, registry.url);
    for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    const token = o.token === undefined ? registry.token : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (o.body !== undefined || o.raw !== undefined) {
      headers['content-type'] = o.contentType ?? 'application/json';
      body = o.raw ?? JSON.stringify(o.body);
    }
    const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    return { status: res.status, json: (await res.json()) as Json };
  };
}

/** A loopback port nothing listens on. */
export const closedLoopbackPort = freePort;
