// The trainer job: penguins CSV → holdout-checked model → artifact in storage → registered version
// → alias. Rerunnable: when the alias already resolves it does nothing (unless asked for a new
// version), and a run that died half-way converges on the next run.
import { readFile } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { makeS3Client } from '../common/s3.ts';
import type { ModelVersion } from '../registry/types.ts';
import { ensureBucket, uploadArtifact } from './artifacts.ts';
import type { TrainerConfig } from './config.ts';
import { parsePenguinsCsv } from './data.ts';
import { fitAndEvaluate } from './fit.ts';
import { RegistryClient } from './registry-client.ts';
import { PermanentError, retry } from './retry.ts';

export { type TrainerConfig, trainerConfigFromEnv } from './config.ts';

export interface TrainerResult {
  name: string;
  version: string;
  alias: string;
  /** Holdout accuracy of the version the alias points to (from its tag when nothing was trained). */
  accuracy: number | null;
  sha256: string;
  source: string;
  /** False when the alias already resolved and nothing was trained or registered. */
  created: boolean;
}

export type TrainerLog = (line: string) => void;

const stderrLog: TrainerLog = (line) => process.stderr.write(`trainer: ${line}\n`);

export async function runTrainer(cfg: TrainerConfig, log: TrainerLog = stderrLog): Promise<TrainerResult> {
  const s3 = makeS3Client(cfg.storage);
  try {
    return await run(cfg, log, s3);
  } finally {
    s3.destroy();
  }
}

async function run(cfg: TrainerConfig, log: TrainerLog, s3: S3Client): Promise<TrainerResult> {
  const registry = new RegistryClient(cfg.registryUrl, cfg.registryToken);
  const policy = { timeoutMs: cfg.waitMs, log };
  const { modelName: name, alias } = cfg;

  await retry(`registry ${cfg.registryUrl}`, policy, () => registry.health());
  const existing = await retry('registry alias lookup', policy, () => registry.getAlias(name, alias));
  if (existing && !cfg.newVersion) {
    log(`${name}@${alias} already resolves to version ${existing.version}; nothing to do`);
    return fromExisting(existing, alias);
  }

  // Read and validate the data before touching storage: a bad file must not leave half a model behind.
  const csv = await readFile(cfg.dataPath, 'utf8').catch((err: Error) => {
    throw new PermanentError(`cannot read training data ${cfg.dataPath}: ${err.message}`);
  });
  const data = parsePenguinsCsv(csv);
  log(`read ${data.rows.length} rows from ${cfg.dataPath} (${data.droppedNa} rows with NA dropped)`);
  const fit = fitAndEvaluate(data.rows, cfg.seed);
  log(
    `holdout accuracy: ${fit.accuracy.toFixed(4)} (${fit.correct}/${fit.holdout} correct; trained on ${fit.trainRows} rows, seed ${cfg.seed})`,
  );
  if (fit.accuracy < cfg.minAccuracy) {
    throw new PermanentError(
      `holdout accuracy ${fit.accuracy.toFixed(4)} is below TRAINER_MIN_ACCURACY=${cfg.minAccuracy}; not registering`,
    );
  }

  await retry(`storage ${cfg.storage.url} bucket ${cfg.modelBucket}`, policy, () => ensureBucket(s3, cfg.modelBucket));
  const artifact = await retry('artifact upload', policy, () => uploadArtifact(s3, cfg.modelBucket, name, fit.bytes));
  log(`uploaded ${artifact.source} (sha256 ${artifact.sha256})`);

  if (await retry('registry model create', policy, () => registry.ensureModel(name, 'penguins species classifier'))) {
    log(`created registered model ${name}`);
  }
  const version = await retry('registry version create', policy, () =>
    registry.createVersion({
      name,
      source: artifact.source,
      description: `random forest, seed ${cfg.seed}, holdout accuracy ${fit.accuracy.toFixed(4)}`,
      tags: [
        { key: 'sha256', value: artifact.sha256 },
        { key: 'holdout_accuracy', value: String(fit.accuracy) },
        { key: 'seed', value: String(cfg.seed) },
      ],
    }),
  );
  await retry('registry alias set', policy, () => registry.setAlias(name, alias, version.version));
  log(`registered ${name} version ${version.version}; ${name}@${alias} → ${version.version}`);
  return {
    name,
    version: version.version,
    alias,
    accuracy: fit.accuracy,
    sha256: artifact.sha256,
    source: artifact.source,
    created: true,
  };
}

function fromExisting(v: ModelVersion, alias: string): TrainerResult {
  const tag = (key: string) => v.tags.find((t) => t.key === key)?.value;
  const accuracy = Number(tag('holdout_accuracy'));
  return {
    name: v.name,
    version: v.version,
    alias,
    accuracy: Number.isFinite(accuracy) ? accuracy : null,
    sha256: tag('sha256') ?? '',
    source: v.source,
    created: false,
  };
}
