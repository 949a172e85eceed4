// JSON documents in one S3 bucket with optimistic concurrency: read object + ETag, change it,
// write back with If-Match (If-None-Match: * to create), retry on 412 with jittered backoff.
// This is the registry's only persistence, so there is no database and no lost update between
// concurrent writers (several registry replicas included).
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/** Storage could not be reached or answered with a server error: the caller should answer 503. */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}

/** A conditional write kept failing because others kept winning: retried long enough, give up. */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

export interface Versioned<T> {
  value: T;
  etag: string;
}

/** What an update function decides: write `value`, or leave the document as it is and return `result`. */
export type UpdateStep<T, R> = { write: T; result: R } | { keep: true; result: R };

const MAX_ATTEMPTS = 60;

export class JsonStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async get<T>(key: string): Promise<Versioned<T> | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = (await out.Body?.transformToString('utf-8')) ?? '';
      return { value: JSON.parse(text) as T, etag: out.ETag ?? '' };
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw classify(err, `read ${key}`);
    }
  }

  /** Creates the document only if absent; false when it already exists. */
  async create(key: string, value: unknown): Promise<boolean> {
    try {
      await this.put(key, value, { IfNoneMatch: '*' });
      return true;
    } catch (err) {
      if (isPreconditionFailure(err)) return false;
      throw classify(err, `create ${key}`);
    }
  }

  /**
   * Read-modify-write until the conditional write wins. `step` sees the current document
   * (undefined if absent) and may be called several times, so it must be free of side effects.
   */
  async update<T, R>(key: string, step: (current: T | undefined) => UpdateStep<T, R>): Promise<R> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.get<T>(key);
      const decision = step(current?.value);
      if ('keep' in decision) return decision.result;
      try {
        await this.put(key, decision.write, current ? { IfMatch: current.etag } : { IfNoneMatch: '*' });
        return decision.result;
      } catch (err) {
        if (!isPreconditionFailure(err)) throw classify(err, `write ${key}`);
        await sleep(backoff(attempt));
      }
    }
    throw new ConflictError(`gave up writing ${key} after ${MAX_ATTEMPTS} conflicting attempts`);
  }

  /** Every key under `prefix`, following continuation tokens (bounded to keep a bad listing from spinning). */
  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      let out: ListObjectsV2CommandOutput;
      try {
        out = await this.s3.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        );
      } catch (err) {
        throw classify(err, `list ${prefix}`);
      }
      for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
      if (!token) return keys;
    }
    throw new StorageUnavailableError(`listing ${prefix} did not finish`);
  }

  /** Creates the bucket if it is missing; throws StorageUnavailableError while storage cannot be reached. */
  async ensureBucket(): Promise<void> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      if (status(err) !== 404) throw classify(err, `check bucket ${this.bucket}`);
    }
    try {
      await this.s3.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      // Another replica created it between our check and our create: that is success.
      const name = (err as { name?: string }).name;
      if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists' || status(err) === 409) return;
      throw classify(err, `create bucket ${this.bucket}`);
    }
  }

  private async put(key: string, value: unknown, condition: { IfMatch?: string; IfNoneMatch?: string }) {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: `${JSON.stringify(value, null, 2)}\n`,
        ContentType: 'application/json',
        ...condition,
      }),
    );
  }
}

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isPreconditionFailure(err: unknown): boolean {
  const s = status(err);
  // 409 ConditionalRequestConflict: S3's answer when two conditional writes race on one key.
  return s === 412 || s === 409 || (err as { name?: string }).name === 'PreconditionFailed';
}

/**
 * Unreachable storage, its server errors and refused credentials all become "unavailable" with the
 * reason kept: none is the registry client's mistake, and a 503 with the cause is what an operator needs.
 */
function classify(err: unknown, what: string): Error {
  const s = status(err);
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (s === undefined || s >= 500 || s === 401 || s === 403)
    return new StorageUnavailableError(`storage: cannot ${what}: ${reason}`);
  return new Error(`storage: cannot ${what}: HTTP ${s} ${reason}`, { cause: err });
}

function backoff(attempt: number): number {
  const cap = Math.min(200, 5 * 2 ** Math.min(attempt, 6));
  return Math.random() * cap; // full jitter: spreads racing writers apart
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
