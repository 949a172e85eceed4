// Buckets and objects on disk, plus the in-memory index that listing and conditional writes read.
// Layout (no part of a path ever comes from a key, so no key can escape the data directory):
//   <dataDir>/buckets/<bucket>/<sha256(key)>.obj   one file per object (see object-file.ts)
//   <dataDir>/tmp/<uuid>                          uploads in progress, same filesystem, cleared at start
// This process is the only writer of dataDir; the index is rebuilt from the files when it starts.
import { createHash, randomUUID } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errors } from './errors.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { compareKeys } from './listing.ts';
import { type ObjectMeta, readObjectMeta, writeObjectFooter } from './object-file.ts';

/** A temp file path for an upload; commit() moves it into place, discard() removes whatever is left. */
export interface StagedUpload {
  path: string;
  discard(): Promise<void>;
}

class BucketIndex {
  readonly objects = new Map<string, ObjectMeta>();
  private sorted?: ObjectMeta[];
  /** Objects ordered by the UTF-8 bytes of their keys, as S3 lists them. */
  list(): ObjectMeta[] {
    this.sorted ??= [...this.objects.values()].sort((a, b) => compareKeys(a.key, b.key));
    return this.sorted;
  }
  set(meta: ObjectMeta): void {
    this.objects.set(meta.key, meta);
    this.sorted = undefined;
  }
  delete(key: string): void {
    if (this.objects.delete(key)) this.sorted = undefined;
  }
}

export class ObjectStore {
  private readonly buckets = new Map<string, BucketIndex>();
  private readonly locks = new KeyedMutex();

  private constructor(private readonly dataDir: string) {}

  /** Opens (creating if needed) a data directory: clears abandoned uploads and indexes every object. */
  static async open(dataDir: string, warn: (msg: string) => void = () => {}): Promise<ObjectStore> {
    const store = new ObjectStore(dataDir);
    await rm(store.tmpDir, { recursive: true, force: true });
    await mkdir(store.tmpDir, { recursive: true });
    await mkdir(store.bucketsDir, { recursive: true });
    for (const entry of await readdir(store.bucketsDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const bucket = entry.name;
      const index = new BucketIndex();
      store.buckets.set(bucket, index);
      for (const file of await readdir(join(store.bucketsDir, bucket))) {
        if (!file.endsWith('.obj')) continue;
        const fh = await open(join(store.bucketsDir, bucket, file), 'r');
        try {
          index.set(await readObjectMeta(fh));
        } catch (err) {
          warn(`skipping unreadable object file ${bucket}/${file}: ${(err as Error).message}`);
        } finally {
          await fh.close();
        }
      }
    }
    return store;
  }

  private get tmpDir(): string {
    return join(this.dataDir, 'tmp');
  }
  private get bucketsDir(): string {
    return join(this.dataDir, 'buckets');
  }
  private objectPath(bucket: string, key: string): string {
    return join(this.bucketsDir, bucket, `${createHash('sha256').update(key, 'utf8').digest('hex')}.obj`);
  }
  private bucket(name: string): BucketIndex {
    const index = this.buckets.get(name);
    if (!index) throw errors.noSuchBucket();
    return index;
  }

  async createBucket(name: string): Promise<void> {
    try {
      await mkdir(join(this.bucketsDir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw errors.bucketExists();
      throw err;
    }
    await syncDir(this.bucketsDir);
    this.buckets.set(name, new BucketIndex());
  }

  async deleteBucket(name: string): Promise<void> {
    if (this.bucket(name).objects.size > 0) throw errors.bucketNotEmpty();
    try {
      await rmdir(join(this.bucketsDir, name));
    } catch (err) {
      // Files we could not index at start still live there: keep the bucket rather than lose them.
      if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY') throw errors.bucketNotEmpty();
      throw err;
    }
    this.buckets.delete(name);
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  head(bucket: string, key: string): ObjectMeta | undefined {
    return this.bucket(bucket).objects.get(key);
  }

  list(bucket: string): ObjectMeta[] {
    return this.bucket(bucket).list();
  }

  /** Opens the object's file; the metadata comes from the file itself, so it always matches the bytes. */
  async openForRead(bucket: string, key: string): Promise<{ meta: ObjectMeta; fh: FileHandle }> {
    this.bucket(bucket);
    let fh: FileHandle;
    try {
      fh = await open(this.objectPath(bucket, key), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw errors.noSuchKey();
      throw err;
    }
    try {
      return { meta: await readObjectMeta(fh), fh };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  stage(bucket: string): StagedUpload {
    this.bucket(bucket);
    const path = join(this.tmpDir, randomUUID());
    return { path, discard: () => rm(path, { force: true }) };
  }

  /**
   * Makes a staged upload the object's content: footer, fsync, then (holding the key's lock, after `check`
   * accepted the current version) rename over the old file. Readers see the old object or the new one, never a mix.
   */
  async commit(
    bucket: string,
    staged: StagedUpload,
    meta: ObjectMeta,
    check: (current: ObjectMeta | undefined) => void,
  ): Promise<void> {
    const fh = await open(staged.path, 'r+');
    try {
      await writeObjectFooter(fh, meta);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.locks.run(`${bucket}/${meta.key}`, async () => {
      const index = this.bucket(bucket);
      check(index.objects.get(meta.key));
      await rename(staged.path, this.objectPath(bucket, meta.key));
      index.set(meta);
    });
    await syncDir(join(this.bucketsDir, bucket));
  }

  /** Idempotent, like S3: deleting a missing key succeeds. */
  async delete(bucket: string, key: string): Promise<void> {
    const index = this.bucket(bucket);
    await this.locks.run(`${bucket}/${key}`, async () => {
      await unlink(this.objectPath(bucket, key)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      index.delete(key);
    });
  }
}

/** Makes a rename or create in `dir` durable. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
