import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder, type AwsChunkedOptions } from '../../services/storage/aws-chunked.ts';
import { S3Error } from '../../services/storage/errors.ts';

/** Feeds `encoded` to a decoder in pieces of `step` bytes; returns the decoded bytes and the decoder. */
async function decode(encoded: Buffer | string, step = 1 << 20, options: AwsChunkedOptions = {}) {
  const buf = Buffer.from(encoded);
  const pieces: Buffer[] = [];
  for (let i = 0; i < buf.length; i += step) pieces.push(buf.subarray(i, i + step));
  const decoder = new AwsChunkedDecoder(options);
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk);
      cb();
    },
  });
  await pipeline(Readable.from(pieces), decoder, sink);
  return { data: Buffer.concat(out), decoder };
}

async function decodeError(encoded: string): Promise<S3Error> {
  const err = await decode(encoded).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(S3Error);
  return err as S3Error;
}

// What @aws-sdk/client-s3 3.x sends for a streamed PutObject (captured from the SDK).
const SDK_BODY = '3\r\nabc\r\n3\r\ndef\r\n0\r\nx-amz-checksum-crc32:S4457w==\r\n\r\n';

describe('AwsChunkedDecoder', () => {
  it('decodes the SDK unsigned-trailer framing and keeps the trailer', async () => {
    const { data, decoder } = await decode(SDK_BODY);
    expect(data.toString()).toBe('abcdef');
    expect(decoder.trailers).toEqual([['x-amz-checksum-crc32', 'S4457w==']]);
    expect(decoder.decodedLength).toBe(6);
  });

  it('gives the same result however the input is split', async () => {
    for (const step of [1, 2, 3, 5, 7, 13]) {
      const { data, decoder } = await decode(SDK_BODY, step);
      expect(data.toString()).toBe('abcdef');
      expect(decoder.trailers).toHaveLength(1);
    }
  });

  it('reports each chunk with its signature and SHA-256', async () => {
    const seen: unknown[] = [];
    const body = `3;chunk-signature=${'a'.repeat(64)}\r\nabc\r\n0;chunk-signature=${'b'.repeat(64)}\r\n\r\n`;
    await decode(body, 4, { hashChunks: true, onChunk: (c) => void seen.push(c) });
    expect(seen).toEqual([
      {
        size: 3,
        signature: 'a'.repeat(64),
        sha256Hex: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      },
      {
        size: 0,
        signature: 'b'.repeat(64),
        sha256Hex: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      },
    ]);
  });

  it('passes large chunks through', async () => {
    const payload = Buffer.alloc(300_000, 7);
    const body = Buffer.concat([
      Buffer.from(`${payload.length.toString(16)}\r\n`),
      payload,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    const { data } = await decode(body, 65_536);
    expect(data.equals(payload)).toBe(true);
  });

  it('fails the stream when onChunk throws', async () => {
    const err = await decode('1\r\na\r\n0\r\n\r\n', 100, {
      onChunk: () => {
        throw new S3Error(403, 'SignatureDoesNotMatch', 'no');
      },
    }).catch((e: unknown) => e);
    expect((err as S3Error).code).toBe('SignatureDoesNotMatch');
  });

  it.each([
    ['a body cut before the final chunk', '3\r\nabc\r\n', 'IncompleteBody'],
    ['a body cut inside a chunk', '5\r\nab', 'IncompleteBody'],
    ['a body without the closing blank line', '0\r\n', 'IncompleteBody'],
    ['a non-hex size', 'zz\r\nabc\r\n0\r\n\r\n', 'InvalidRequest'],
    ['data longer than its size', '2\r\nabc\r\n0\r\n\r\n', 'InvalidRequest'],
    ['bytes after the end', '0\r\n\r\nextra', 'InvalidRequest'],
    ['a trailer without a colon', '0\r\nbogus\r\n\r\n', 'InvalidRequest'],
  ])('rejects %s', async (_what, body, code) => {
    expect((await decodeError(body)).code).toBe(code);
  });

  it('refuses an endless framing line instead of buffering it', async () => {
    expect((await decodeError('1'.repeat(10_000))).code).toBe('InvalidRequest');
  });
});
