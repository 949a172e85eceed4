// Starts the storage service in-process for a test: loopback, a free port, a fresh temp data directory
// and random credentials. close() stops the server and removes the directory.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { makeS3Client } from '../../services/common/s3.ts';
import { DEFAULT_MAX_OBJECT_BYTES, startStorage } from '../../services/storage/index.ts';

export interface TestStorage {
  url: string;
  accessKey: string;
  secretKey: string;
  region: string;
  dataDir: string;
  s3: S3Client;
  close(): Promise<void>;
}

export async function startTestStorage(): Promise<TestStorage> {
  const dataDir = await mkdtemp(join(tmpdir(), 'storage-test-'));
  const accessKey = `AK${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretKey = randomBytes(24).toString('base64');
  const region = 'us-east-1';
  try {
    const handle = await startStorage({
      host: '127.0.0.1',
      port: 0,
      dataDir,
      accessKey,
      secretKey,
      region,
      logLevel: process.env.LOG_LEVEL ?? 'silent',
      maxObjectBytes: DEFAULT_MAX_OBJECT_BYTES,
    });
    const s3 = makeS3Client({ url: handle.url, accessKey, secretKey, region });
    return {
      url: handle.url,
      accessKey,
      secretKey,
      region,
      dataDir,
      s3,
      close: async () => {
        s3.destroy();
        await handle.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
