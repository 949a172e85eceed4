// Fetches one model version: name@alias → registry → s3://bucket/key → bytes whose sha256 must match both
// the registry tag and the sidecar object → a loaded PenguinsModel. Any mismatch is an error, never a model.
import { createHash } from 'node:crypto';
import { ISLANDS, type PenguinFeatures, PenguinsModel, SEXES } from '../model/penguins.ts';
import type { ObjectReader } from './object-reader.ts';

export interface ModelVersionRef {
  name: string;
  version: string;
  alias: string;
  source: string;
  sha256: string;
}

export interface LoadedModel {
  ref: ModelVersionRef;
  model: PenguinsModel;
  /** The `model` object every /predict response carries, built once per version. */
  label: { name: string; version: string; alias: string };
}

/** A reason the model cannot be served right now, worded for /ready. */
export class ModelUnavailableError extends Error {
  override name = 'ModelUnavailableError';
}

const REQUEST_TIMEOUT_MS = 5_000;

export async function resolveAlias(
  registryUrl: string,
  name: string,
  alias: string,
  signal?: AbortSignal,
): Promise<ModelVersionRef> {
  const url = `${registryUrl}/api/2.0/mlflow/registered-models/alias?name=${encodeURIComponent(name)}&alias=${encodeURIComponent(alias)}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: withTimeout(signal) });
  } catch (err) {
    throw new ModelUnavailableError(`registry unreachable at ${registryUrl}: ${describe(err)}`);
  }
  const text = await res.text().catch(() => '');
  if (res.status === 404) {
    throw new ModelUnavailableError(`alias ${name}@${alias} is not set in the registry`);
  }
  if (!res.ok) {
    throw new ModelUnavailableError(`registry answered ${res.status} for ${name}@${alias}: ${text.slice(0, 200)}`);
  }
  const body = safeJson(text) as {
    model_version?: {
      name?: string;
      version?: string | number;
      source?: string;
      tags?: { key: string; value: string }[];
    };
  } | null;
  const mv = body?.model_version;
  const sha256 = mv?.tags?.find((t) => t.key === 'sha256')?.value;
  if (!mv || mv.version === undefined || typeof mv.source !== 'string' || !sha256) {
    throw new ModelUnavailableError(`registry answer for ${name}@${alias} lacks version, source or sha256 tag`);
  }
  return { name, alias, version: String(mv.version), source: mv.source, sha256: sha256.toLowerCase() };
}

export async function loadVersion(s3: ObjectReader, ref: ModelVersionRef, signal?: AbortSignal): Promise<LoadedModel> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(ref.source);
  if (!m) throw new ModelUnavailableError(`model source ${JSON.stringify(ref.source)} is not s3://bucket/key`);
  const [, bucket, key] = m;
  const [bytes, sidecar] = await Promise.all([
    getObject(s3, bucket, key, signal),
    getObject(s3, bucket, `${key}.sha256`, signal),
  ]);
  const actual = createHash('sha256').update(bytes).digest('hex');
  const expected = sidecar.toString('utf8').trim().split(/\s+/, 1)[0].toLowerCase();
  if (actual !== expected || actual !== ref.sha256) {
    throw new ModelUnavailableError(
      `sha256 mismatch for ${ref.source}: content ${actual}, sidecar ${expected}, registry tag ${ref.sha256}`,
    );
  }
  let model: PenguinsModel;
  try {
    model = PenguinsModel.fromArtifact(JSON.parse(bytes.toString('utf8')));
  } catch (err) {
    throw new ModelUnavailableError(`artifact ${ref.source} does not load: ${describe(err)}`);
  }
  warmUp(model);
  return { ref, model, label: { name: ref.name, version: ref.version, alias: ref.alias } };
}

/** A few predictions before the switch, so the first real requests on a new version do not pay for JIT. */
function warmUp(model: PenguinsModel): void {
  const batch: PenguinFeatures[] = [];
  for (let i = 0; i < 64; i++) {
    batch.push({
      island: ISLANDS[i % ISLANDS.length],
      bill_length_mm: 35 + (i % 20),
      bill_depth_mm: 14 + (i % 7),
      flipper_length_mm: 180 + (i % 40),
      body_mass_g: 3000 + 50 * i,
      sex: SEXES[i % SEXES.length],
    });
  }
  for (let round = 0; round < 20; round++) model.predict(round % 2 ? batch : batch.slice(0, 1));
}

async function getObject(s3: ObjectReader, bucket: string, key: string, signal?: AbortSignal): Promise<Buffer> {
  try {
    return await s3.get(bucket, key, withTimeout(signal));
  } catch (err) {
    throw new ModelUnavailableError(`storage: cannot read s3://${bucket}/${key}: ${describe(err)}`);
  }
}

function withTimeout(signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? ` (${(cause as { code?: string }).code ?? cause.message})` : '';
  return `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}${causeText}`;
}
