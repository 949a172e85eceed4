// Test helpers: an in-process registry on a loopback port, and the trainer run in-process against it.
// Both take the object startTestStorage() returns (only its access fields are used).
import { type RegistryConfig, startRegistry } from '../../services/registry/index.ts';
import { runTrainer, type TrainerResult, trainerConfigFromEnv } from '../../services/trainer/index.ts';

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
