// Uploads a serialised model to storage under a content-addressed key (<name>/<sha256>/model.json)
// with a sha256sum-format sidecar, so a reader can verify what it downloaded, and the same bytes
// uploaded twice land on the same key.
import { createHash } from 'node:crypto';
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PermanentError } from './retry.ts';

export interface UploadedArtifact {
  sha256: string;
  key: string;
  /** s3://<bucket>/<key>: the model version's `source`. */
  source: string;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function artifactKey(modelName: string, sha256: string): string {
  return `${modelName}/${sha256}/model.json`;
}

/** Creates the bucket if missing. Network errors and 5xx propagate for the caller to retry. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (err) {
    if (status(err) !== 404) throw storageError(err, `check bucket ${bucket}`);
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists' || status(err) === 409) return;
    throw storageError(err, `create bucket ${bucket}`);
  }
}

export async function uploadArtifact(
  s3: S3Client,
  bucket: string,
  modelName: string,
  bytes: string,
): Promise<UploadedArtifact> {
  const sha256 = sha256Hex(bytes);
  const key = artifactKey(modelName, sha256);
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: 'application/json' }));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${key}.sha256`,
        Body: `${sha256}  model.json\n`,
        ContentType: 'text/plain',
      }),
    );
  } catch (err) {
    throw storageError(err, `upload ${key}`);
  }
  return { sha256, key, source: `s3://${bucket}/${key}` };
}

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** Refused credentials and other 4xx will not heal by waiting; unreachable storage and 5xx might. */
function storageError(err: unknown, what: string): Error {
  const s = status(err);
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const message = `storage: cannot ${what}: ${s === undefined ? '' : `HTTP ${s} `}${reason}`;
  return s !== undefined && s >= 400 && s < 500 ? new PermanentError(message) : new Error(message);
}
