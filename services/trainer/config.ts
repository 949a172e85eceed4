// The trainer's configuration, read once from the environment (docs/ARCHITECTURE.md lists the variables).
import { ConfigError, EnvReader } from '../common/env.ts';
import type { StorageAccess } from '../common/s3.ts';

export interface TrainerConfig {
  storage: StorageAccess;
  registryUrl: string;
  registryToken: string;
  modelBucket: string;
  modelName: string;
  alias: string;
  dataPath: string;
  seed: number;
  /** Register a new version even when the alias already resolves. */
  newVersion: boolean;
  /** Refuse to register a model whose holdout accuracy is below this. */
  minAccuracy: number;
  /** How long to wait for storage and registry to come up (and for each retried call) before failing. */
  waitMs: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;
const ALIAS = /^[A-Za-z0-9_-]{1,255}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const BOOLEAN = ['true', 'false', '1', '0', 'yes', 'no'] as const;

export function trainerConfigFromEnv(env: Record<string, string | undefined>): TrainerConfig {
  const r = new EnvReader(env);
  const model = r.string('MODEL', 'penguins@production');
  const newVersion = r.oneOf('TRAINER_NEW_VERSION', BOOLEAN, 'false');
  const cfg = {
    storage: {
      url: r.url('STORAGE_URL', 'http://storage:9000'),
      accessKey: r.string('STORAGE_ACCESS_KEY'),
      secretKey: r.string('STORAGE_SECRET_KEY'),
      region: r.string('STORAGE_REGION', 'us-east-1'),
    },
    registryUrl: r.url('REGISTRY_URL', 'http://registry:5000'),
    registryToken: r.string('REGISTRY_TOKEN'),
    modelBucket: r.string('MODEL_BUCKET', 'models'),
    dataPath: r.string('TRAINER_DATA', 'data/penguins.csv'),
    seed: r.int('TRAINER_SEED', 42, 0, 2 ** 31 - 1),
    newVersion: newVersion === 'true' || newVersion === '1' || newVersion === 'yes',
    minAccuracy: r.number('TRAINER_MIN_ACCURACY', 0.9, 0, 1),
    waitMs: r.int('TRAINER_WAIT_MS', 120_000, 0, 3_600_000),
  };
  r.done(cfg);
  const { name, alias } = parseModelRef(model);
  if (!BUCKET.test(cfg.modelBucket)) {
    throw new ConfigError(
      `invalid configuration: MODEL_BUCKET=${JSON.stringify(cfg.modelBucket)} is not a bucket name`,
    );
  }
  return { ...cfg, modelName: name, alias };
}

/** `name@alias`, both parts in the registry's allowed alphabet. */
export function parseModelRef(ref: string): { name: string; alias: string } {
  const at = ref.lastIndexOf('@');
  const name = ref.slice(0, at);
  const alias = ref.slice(at + 1);
  if (at < 0 || !NAME.test(name) || !ALIAS.test(alias)) {
    throw new ConfigError(
      `invalid configuration: MODEL=${JSON.stringify(ref)} must be <name>@<alias> (name: letters, digits, . _ -; alias: letters, digits, _ -)`,
    );
  }
  return { name, alias };
}
