// The verifier against AWS's own published example of a signed aws-chunked upload
// (S3 API docs, "Signature calculations ... transferring payload in multiple chunks").
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder } from '../../services/storage/aws-chunked.ts';
import type { S3Error } from '../../services/storage/errors.ts';
import { type SignedRequest, SigV4Verifier } from '../../services/storage/sigv4.ts';

const creds = {
  accessKey: 'AKIAIOSFODNN7EXAMPLE',
  secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
};
const exampleTime = Date.UTC(2013, 4, 24);
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';

function exampleRequest(overrides: Record<string, string> = {}): SignedRequest {
  return {
    method: 'PUT',
    rawUrl: '/examplebucket/chunkObject.txt',
    headers: {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,' +
        'SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;' +
        `x-amz-decoded-content-length;x-amz-storage-class,Signature=${SEED}`,
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'content-length': '66824',
      ...overrides,
    },
  };
}

function exampleBody(tamper = false): Buffer {
  const a = (n: number) => Buffer.alloc(n, 'a');
  const second = a(1024);
  if (tamper) second[10] = 0x62;
  return Buffer.concat([
    Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
    a(65536),
    Buffer.from('\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'),
    second,
    Buffer.from('\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
  ]);
}

async function rejection(p: Promise<unknown>): Promise<S3Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  return err as S3Error;
}

async function decodeSigned(verifier: SigV4Verifier, body: Buffer): Promise<number> {
  const auth = await verifier.verify(exampleRequest());
  const chain = verifier.chunkChain(auth);
  const decoder = new AwsChunkedDecoder({ hashChunks: true, onChunk: chain.onChunk });
  let bytes = 0;
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      bytes += c.length;
      cb();
    },
  });
  await pipeline(Readable.from([body.subarray(0, 1000), body.subarray(1000)]), decoder, sink);
  return bytes;
}

describe('SigV4Verifier', () => {
  const verifier = new SigV4Verifier(creds, () => exampleTime);

  it("accepts AWS's example seed request and returns its signing context", async () => {
    const auth = await verifier.verify(exampleRequest());
    expect(auth).toMatchObject({
      payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      signature: SEED,
      longDate: '20130524T000000Z',
      scope: '20130524/us-east-1/s3/aws4_request',
    });
  });

  it("verifies the example's chunk signature chain", async () => {
    expect(await decodeSigned(verifier, exampleBody())).toBe(66560);
  });

  it('rejects a chunk whose data was changed', async () => {
    expect((await rejection(decodeSigned(verifier, exampleBody(true)))).code).toBe('SignatureDoesNotMatch');
  });

  it('rejects a changed signed header, a wrong secret, an unknown key and a skewed clock', async () => {
    const tampered = exampleRequest({ 'x-amz-storage-class': 'STANDARD' });
    expect((await rejection(verifier.verify(tampered))).code).toBe('SignatureDoesNotMatch');
    const wrongSecret = new SigV4Verifier({ ...creds, secretKey: 'x' }, () => exampleTime);
    expect((await rejection(wrongSecret.verify(exampleRequest()))).code).toBe('SignatureDoesNotMatch');
    const otherKey = new SigV4Verifier({ ...creds, accessKey: 'AKIAOTHER' }, () => exampleTime);
    expect((await rejection(otherKey.verify(exampleRequest()))).code).toBe('InvalidAccessKeyId');
    const later = new SigV4Verifier(creds, () => exampleTime + 16 * 60_000);
    expect((await rejection(later.verify(exampleRequest()))).code).toBe('RequestTimeTooSkewed');
  });

  it('rejects unsigned x-amz-* headers, a missing Authorization and a wrong region', async () => {
    const extra = exampleRequest({ 'x-amz-meta-sneaky': '1' });
    expect((await rejection(verifier.verify(extra))).code).toBe('AccessDenied');
    const { authorization: _, ...unsigned } = exampleRequest().headers;
    expect((await rejection(verifier.verify({ ...exampleRequest(), headers: unsigned }))).code).toBe('AccessDenied');
    const euVerifier = new SigV4Verifier({ ...creds, region: 'eu-west-1' }, () => exampleTime);
    expect((await rejection(euVerifier.verify(exampleRequest()))).code).toBe('AuthorizationHeaderMalformed');
  });
});

describe('SigV4Verifier, presigned URLs', () => {
  // AWS's documented presigned GET example (S3 API docs, "Authenticating requests: using query parameters").
  const rawUrl =
    '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
    '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
    '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const request = (url = rawUrl): SignedRequest => ({
    method: 'GET',
    rawUrl: url,
    headers: { host: 'examplebucket.s3.amazonaws.com' },
  });

  it("accepts AWS's example within its lifetime as an unsigned payload", async () => {
    const verifier = new SigV4Verifier(creds, () => exampleTime + 3600_000);
    expect(await verifier.verify(request())).toMatchObject({ payloadHash: 'UNSIGNED-PAYLOAD' });
  });

  it('rejects it once expired, with a changed path or a changed signature', async () => {
    const expired = new SigV4Verifier(creds, () => exampleTime + 86_401_000);
    expect((await rejection(expired.verify(request()))).code).toBe('AccessDenied');
    const verifier = new SigV4Verifier(creds, () => exampleTime);
    const otherPath = rawUrl.replace('/test.txt', '/other.txt');
    expect((await rejection(verifier.verify(request(otherPath)))).code).toBe('SignatureDoesNotMatch');
    const otherSig = rawUrl.replace('aeeed9bb', 'aeeed9bc');
    expect((await rejection(verifier.verify(request(otherSig)))).code).toBe('SignatureDoesNotMatch');
  });
});
