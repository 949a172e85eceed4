// The storage service against the official AWS SDK v3 S3 client, plus raw signed requests for what the SDK
// would never send (tampered payloads, skewed clocks, aborted uploads).
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  presignUrl,
  s3Error,
  sendRaw,
  signRaw,
  startTestStorage,
  type TestStorage,
  waitFor,
  xmlErrorCode,
} from '../helpers/storage.ts';

let s: TestStorage;
const BUCKET = 'things';
const md5 = (b: Buffer | string) => `"${createHash('md5').update(b).digest('hex')}"`;

beforeAll(async () => {
  s = await startTestStorage();
  await s.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  await s?.close();
});

async function getText(key: string, range?: string) {
  const r = await s.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: range }));
  return { ...r, text: await r.Body!.transformToString() };
}

async function put(
  key: string,
  body: PutObjectCommand['input']['Body'],
  extra: Partial<PutObjectCommand['input']> = {},
) {
  return s.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ...extra }));
}

describe('health', () => {
  it('answers an unsigned liveness probe on /_health while every S3 path still needs a signature', async () => {
    const health = await fetch(`${s.url}/_health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const unsigned = await fetch(`${s.url}/${BUCKET}/`);
    expect(unsigned.status).toBe(403);
  });
});

describe('buckets', () => {
  it('creates, heads and refuses to recreate a bucket', async () => {
    expect((await s.s3.send(new HeadBucketCommand({ Bucket: BUCKET }))).$metadata.httpStatusCode).toBe(200);
    expect(await s3Error(s.s3.send(new CreateBucketCommand({ Bucket: BUCKET })))).toEqual({
      name: 'BucketAlreadyOwnedByYou',
      status: 409,
    });
    expect(await s3Error(s.s3.send(new HeadBucketCommand({ Bucket: 'missing-bucket' })))).toEqual({
      name: 'NotFound',
      status: 404,
    });
    const noBucket = { name: 'NoSuchBucket', status: 404 };
    expect(await s3Error(s.s3.send(new ListObjectsV2Command({ Bucket: 'missing-bucket' })))).toEqual(noBucket);
    expect(await s3Error(s.s3.send(new PutObjectCommand({ Bucket: 'missing-bucket', Key: 'k', Body: 'x' })))).toEqual(
      noBucket,
    );
  });

  it('rejects invalid bucket names', async () => {
    const r = await sendRaw(s, { method: 'PUT', path: '/Bad_Name' });
    expect([r.status, xmlErrorCode(r.text)]).toEqual([400, 'InvalidBucketName']);
  });
});

describe('objects', () => {
  it('puts and gets an object with its content type and MD5 ETag', async () => {
    const put1 = await put('dir/hello world.txt', 'hello world', { ContentType: 'text/plain' });
    expect(put1.ETag).toBe(md5('hello world'));
    const got = await getText('dir/hello world.txt');
    expect([got.text, got.ContentType, got.ETag, got.ContentLength]).toEqual([
      'hello world',
      'text/plain',
      md5('hello world'),
      11,
    ]);
    const head = await s.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'dir/hello world.txt' }));
    expect([head.ContentLength, head.ETag, head.ContentType]).toEqual([11, md5('hello world'), 'text/plain']);
    expect(head.LastModified).toBeInstanceOf(Date);
  });

  it('serves byte ranges with 206 and Content-Range, and 416 InvalidRange past the end', async () => {
    await put('digits', '0123456789');
    const cases: Array<[string, string, string]> = [
      ['bytes=2-4', '234', 'bytes 2-4/10'],
      ['bytes=7-', '789', 'bytes 7-9/10'],
      ['bytes=-2', '89', 'bytes 8-9/10'],
      ['bytes=8-100', '89', 'bytes 8-9/10'],
    ];
    for (const [range, text, contentRange] of cases) {
      const r = await getText('digits', range);
      expect([r.$metadata.httpStatusCode, r.text, r.ContentRange]).toEqual([206, text, contentRange]);
    }
    expect(await s3Error(getText('digits', 'bytes=10-'))).toEqual({ name: 'InvalidRange', status: 416 });
  });

  it('answers conditional reads: If-None-Match 304, failed If-Match 412', async () => {
    const { ETag } = await put('cond-read', 'same');
    expect(
      await s3Error(s.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond-read', IfNoneMatch: ETag }))),
    ).toMatchObject({
      status: 304,
    });
    expect(
      await s3Error(s.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond-read', IfMatch: '"0123"' }))),
    ).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    const ok = await s.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond-read', IfMatch: ETag }));
    expect(await ok.Body!.transformToString()).toBe('same');
  });

  it('reports missing keys as NoSuchKey (GET) and NotFound (HEAD)', async () => {
    expect(await s3Error(getText('no/such/key'))).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(await s3Error(s.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'no/such/key' })))).toEqual({
      name: 'NotFound',
      status: 404,
    });
  });

  it('deletes idempotently with 204', async () => {
    await put('doomed', 'x');
    for (let i = 0; i < 2; i++) {
      const r = await s.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'doomed' }));
      expect(r.$metadata.httpStatusCode).toBe(204);
    }
    expect(await s3Error(getText('doomed'))).toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('round-trips a 5 MB object and a range inside it', async () => {
    const big = randomBytes(5 * 1024 * 1024);
    expect((await put('big.bin', big)).ETag).toBe(md5(big));
    const r = await s.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'big.bin' }));
    expect(Buffer.from(await r.Body!.transformToByteArray()).equals(big)).toBe(true);
    const part = await s.s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'big.bin', Range: 'bytes=3000000-3000099' }),
    );
    expect(Buffer.from(await part.Body!.transformToByteArray()).equals(big.subarray(3_000_000, 3_000_100))).toBe(true);
  });

  it('accepts streamed bodies (aws-chunked with a CRC32 trailer) and verifies the trailer', async () => {
    const pieces = [randomBytes(70_000), randomBytes(1), randomBytes(200_000)];
    const all = Buffer.concat(pieces);
    const r = await put('streamed', Readable.from(pieces), { ContentLength: all.length });
    expect(r.ETag).toBe(md5(all));
    const got = await s.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'streamed' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(all)).toBe(true);

    const badTrailer = await sendRaw(s, {
      method: 'PUT',
      path: `/${BUCKET}/bad-trailer`,
      payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      headers: {
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '3',
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
      send: Buffer.from('3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n'),
    });
    expect([badTrailer.status, xmlErrorCode(badTrailer.text)]).toEqual([400, 'BadDigest']);
    expect(await s3Error(getText('bad-trailer'))).toMatchObject({ name: 'NoSuchKey' });
  });

  it('rejects a wrong x-amz-checksum-crc32 header', async () => {
    expect(await s3Error(put('bad-crc', 'hello', { ChecksumCRC32: 'AAAAAA==' }))).toEqual({
      name: 'BadDigest',
      status: 400,
    });
  });

  it('rejects keys with a .. segment, a leading slash, a NUL or over 1024 bytes', async () => {
    for (const key of ['..', 'a/../b', '../escape', '/abs', 'nul\0key']) {
      expect(await s3Error(put(key, 'x'))).toEqual({ name: 'InvalidArgument', status: 400 });
    }
    expect(await s3Error(put('k'.repeat(1025), 'x'))).toEqual({ name: 'KeyTooLongError', status: 400 });
  });
});

describe('ListObjectsV2', () => {
  const keys = Array.from({ length: 23 }, (_, i) => `list/${String(i).padStart(2, '0')}`);
  beforeAll(async () => {
    for (const k of keys) await put(k, k);
    await put('list/sub/inner', 'x');
  });

  it('pages with continuation tokens through every key in order', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await s.s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', MaxKeys: 5, ContinuationToken: token }),
      );
      expect(r.KeyCount).toBe(r.Contents?.length ?? 0);
      for (const o of r.Contents ?? []) {
        expect(o.ETag).toBe(md5(o.Key === 'list/sub/inner' ? 'x' : o.Key!));
        expect(o.Size).toBe(o.Key === 'list/sub/inner' ? 1 : 7);
        expect(o.LastModified).toBeInstanceOf(Date);
        seen.push(o.Key!);
      }
      if (!r.IsTruncated) break;
      token = r.NextContinuationToken;
    }
    expect(seen).toEqual([...keys, 'list/sub/inner']);
  });

  it('honours start-after and delimiter', async () => {
    const after = await s.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', StartAfter: 'list/20' }));
    expect(after.Contents?.map((o) => o.Key)).toEqual(['list/21', 'list/22', 'list/sub/inner']);
    const grouped = await s.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', Delimiter: '/' }));
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['list/sub/']);
    expect(grouped.Contents).toHaveLength(23);
  });
});

describe('conditional writes', () => {
  it('If-None-Match: * creates once, then 412', async () => {
    await put('cond/new', 'first', { IfNoneMatch: '*' });
    expect(await s3Error(put('cond/new', 'second', { IfNoneMatch: '*' }))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect((await getText('cond/new')).text).toBe('first');
  });

  it('If-Match replaces only the expected version', async () => {
    const v1 = await put('cond/doc', 'v1');
    const v2 = await put('cond/doc', 'v2', { IfMatch: v1.ETag });
    expect(v2.ETag).toBe(md5('v2'));
    expect(await s3Error(put('cond/doc', 'v3', { IfMatch: v1.ETag }))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect(await s3Error(put('cond/absent', 'x', { IfMatch: v1.ETag }))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect((await getText('cond/doc')).text).toBe('v2');
  });

  it('lets exactly one of 20 concurrent If-Match writers win', async () => {
    const base = await put('cond/race', 'base');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => put('cond/race', `writer-${i}`, { IfMatch: base.ETag })),
    );
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as { name: string }).name).toBe('PreconditionFailed');
    }
    expect((await getText('cond/race')).text).toBe(`writer-${winners[0]}`);
  });
});

describe('authentication', () => {
  it('answers an unsigned request with 403 AccessDenied in S3 XML', async () => {
    const get = await fetch(`${s.url}/${BUCKET}/digits`);
    const text = await get.text();
    expect(get.status).toBe(403);
    expect(text).toMatch(
      /<Error><Code>AccessDenied<\/Code><Message>.+<\/Message><Resource>\/things\/digits<\/Resource><RequestId>\w+<\/RequestId><\/Error>/,
    );
    const putRes = await fetch(`${s.url}/${BUCKET}/unsigned`, { method: 'PUT', body: 'x' });
    expect(putRes.status).toBe(403);
    expect(await s3Error(getText('unsigned'))).toMatchObject({ name: 'NoSuchKey' });
  });

  it('rejects a wrong secret and an unknown access key', async () => {
    const client = (accessKeyId: string, secretAccessKey: string) =>
      new S3Client({
        endpoint: s.url,
        region: s.region,
        forcePathStyle: true,
        credentials: { accessKeyId, secretAccessKey },
        maxAttempts: 1,
      });
    const wrongSecret = client(s.accessKey, `${s.secretKey}x`);
    const unknownKey = client('AKUNKNOWN', s.secretKey);
    try {
      expect(await s3Error(wrongSecret.send(new HeadBucketCommand({ Bucket: BUCKET })))).toMatchObject({ status: 403 });
      expect(await s3Error(wrongSecret.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'digits' })))).toEqual({
        name: 'SignatureDoesNotMatch',
        status: 403,
      });
      expect(await s3Error(unknownKey.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'digits' })))).toEqual({
        name: 'InvalidAccessKeyId',
        status: 403,
      });
    } finally {
      wrongSecret.destroy();
      unknownKey.destroy();
    }
  });

  it('rejects a body that differs from the signed x-amz-content-sha256', async () => {
    const r = await sendRaw(s, {
      method: 'PUT',
      path: `/${BUCKET}/tampered`,
      body: Buffer.from('the signed body'),
      send: Buffer.from('the other body!'),
    });
    expect([r.status, xmlErrorCode(r.text)]).toEqual([400, 'XAmzContentSHA256Mismatch']);
    expect(await s3Error(getText('tampered'))).toMatchObject({ name: 'NoSuchKey' });
  });

  it('rejects requests signed 20 minutes off with RequestTimeTooSkewed', async () => {
    for (const offset of [-20, 20]) {
      const r = await sendRaw(s, {
        method: 'GET',
        path: `/${BUCKET}/digits`,
        signingDate: new Date(Date.now() + offset * 60_000),
      });
      expect([r.status, xmlErrorCode(r.text)]).toEqual([403, 'RequestTimeTooSkewed']);
    }
    const skewed = new S3Client({
      endpoint: s.url,
      region: s.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s.accessKey, secretAccessKey: s.secretKey },
      systemClockOffset: -20 * 60_000,
      maxAttempts: 1,
    });
    try {
      expect(await s3Error(skewed.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'digits' })))).toEqual({
        name: 'RequestTimeTooSkewed',
        status: 403,
      });
    } finally {
      skewed.destroy();
    }
  });
});

describe('presigned URLs', () => {
  it('serves a presigned GET to a plain HTTP client until it expires', async () => {
    await put('shared/report.txt', 'for your eyes');
    const res = await fetch(await presignUrl(s, 'GET', `/${BUCKET}/shared/report.txt`));
    expect([res.status, await res.text()]).toEqual([200, 'for your eyes']);
    const old = await presignUrl(s, 'GET', `/${BUCKET}/shared/report.txt`, 60, new Date(Date.now() - 120_000));
    const expired = await fetch(old);
    expect([expired.status, xmlErrorCode(await expired.text())]).toEqual([403, 'AccessDenied']);
    const other = (await presignUrl(s, 'GET', `/${BUCKET}/shared/report.txt`)).replace('report.txt', 'other.txt');
    const forged = await fetch(other);
    expect([forged.status, xmlErrorCode(await forged.text())]).toEqual([403, 'SignatureDoesNotMatch']);
  });
});

describe('atomicity', () => {
  const tmpFiles = () => readdir(join(s.dataDir, 'tmp'));

  /** Starts a correctly signed PUT, sends half of the body, waits until the server is writing it, then cuts the socket. */
  async function abortedUpload(key: string, body: Buffer): Promise<void> {
    const { path, headers } = await signRaw(s, {
      method: 'PUT',
      path: `/${BUCKET}/${key}`,
      body,
      headers: { 'content-length': String(body.length) },
    });
    const url = new URL(s.url);
    const req = http.request({ host: url.hostname, port: url.port, method: 'PUT', path, headers });
    req.on('error', () => undefined); // the socket is destroyed on purpose
    req.write(body.subarray(0, body.length / 2));
    await waitFor('the upload to reach a temp file', async () => (await tmpFiles()).length > 0);
    req.destroy();
    await waitFor('the temp file to be removed', async () => (await tmpFiles()).length === 0);
  }

  it('never shows a half-uploaded object, new or replaced', async () => {
    const body = randomBytes(2 * 1024 * 1024);
    await abortedUpload('aborted/new', body);
    expect(await s3Error(s.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'aborted/new' })))).toMatchObject({
      status: 404,
    });
    const listed = await s.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'aborted/' }));
    expect(listed.KeyCount).toBe(0);

    await put('aborted/old', 'the old content');
    await abortedUpload('aborted/old', body);
    expect((await getText('aborted/old')).text).toBe('the old content');
    // Only committed objects live in the bucket directory.
    const files = await readdir(join(s.dataDir, 'buckets', BUCKET));
    expect(files.every((f) => /^[0-9a-f]{64}\.obj$/.test(f))).toBe(true);
  });
});
