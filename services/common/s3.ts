// The S3 client every service uses against our storage: the official AWS SDK v3, path-style.
import { S3Client } from '@aws-sdk/client-s3';

export interface StorageAccess {
  url: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

export function makeS3Client(access: StorageAccess): S3Client {
  return new S3Client({
    endpoint: access.url,
    region: access.region,
    forcePathStyle: true,
    credentials: { accessKeyId: access.accessKey, secretAccessKey: access.secretKey },
    // Retries are the caller's policy (inference backs off itself); keep the SDK's small default.
    maxAttempts: 2,
  });
}
