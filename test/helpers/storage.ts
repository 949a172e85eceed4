// Starts the storage service in-process for a test: loopback, a free port, a fresh temp data directory
// and random credentials. close() stops the server and removes the directory.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { S3Client } from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
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

export interface RawRequest {
  method: string;
  /** Already percent-encoded path, e.g. /bucket/key. */
  path: string;
  headers?: Record<string, string>;
  /** The body the signature covers (its SHA-256 becomes x-amz-content-sha256 unless payloadHash is given). */
  body?: Buffer;
  payloadHash?: string;
  signingDate?: Date;
  secretKey?: string;
}

/** Signs a request the way the AWS SDK does, for tests that need to send something the SDK would not. */
export async function signRaw(
  s: TestStorage,
  r: RawRequest,
): Promise<{ path: string; headers: Record<string, string> }> {
  const url = new URL(s.url);
  const body = r.body ?? Buffer.alloc(0);
  const request = new HttpRequest({
    method: r.method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: r.path,
    headers: {
      host: url.host,
      'x-amz-content-sha256': r.payloadHash ?? createHash('sha256').update(body).digest('hex'),
      ...r.headers,
    },
  });
  const signer = new SignatureV4({
    credentials: { accessKeyId: s.accessKey, secretAccessKey: r.secretKey ?? s.secretKey },
    region: s.region,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });
  const signed = await signer.sign(request, { signingDate: r.signingDate ?? new Date() });
  return { path: r.path, headers: signed.headers };
}

/** Signs `r` and sends `send` (default: the signed body) over plain HTTP; resolves with status, headers and text. */
export async function sendRaw(
  s: TestStorage,
  r: RawRequest & { send?: Buffer },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const { path, headers } = await signRaw(s, r);
  const url = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: r.method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('raw request timed out')));
    req.on('error', reject);
    req.end(r.send ?? r.body);
  });
}

/** The <Code> of an S3 XML error body. */
export function xmlErrorCode(text: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
}

/** A presigned URL for `path` (percent-encoded), signed like the AWS SDK's S3 presigner (UNSIGNED-PAYLOAD). */
export async function presignUrl(
  s: TestStorage,
  method: string,
  path: string,
  expiresIn = 300,
  signingDate = new Date(),
) {
  const url = new URL(s.url);
  const signer = new SignatureV4({
    credentials: { accessKeyId: s.accessKey, secretAccessKey: s.secretKey },
    region: s.region,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });
  const request = new HttpRequest({
    method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path,
    headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
  });
  const signed = await signer.presign(request, {
    signingDate,
    expiresIn,
    unsignableHeaders: new Set(['x-amz-content-sha256']),
    unhoistableHeaders: new Set(['x-amz-content-sha256']),
  });
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `${s.url}${path}?${query}`;
}

/** The S3 error the SDK raised: its name (= XML Code) and HTTP status. */
export async function s3Error(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!err) throw new Error('expected the request to fail');
  return { name: err.name, status: err.$metadata?.httpStatusCode };
}

/** Polls `cond` every 25 ms, at most 5 s. */
export async function waitFor(what: string, cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
