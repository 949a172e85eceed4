// Receives a PutObject body into a sink while checking it against what the client signed and declared:
// x-amz-content-sha256 (a hex digest, UNSIGNED-PAYLOAD, or one of the aws-chunked STREAMING-* forms),
// chunk and trailer signatures, x-amz-checksum-* (header or trailer), Content-MD5 and the declared length.
import type { IncomingMessage } from 'node:http';
import type { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsChunkedDecoder } from './aws-chunked.ts';
import { assertChecksum, BodyDigests, checksumAlgorithmOf } from './digests.ts';
import { errors, S3Error } from './errors.ts';
import type { AuthContext, SigV4Verifier } from './sigv4.ts';

type PayloadMode =
  | { kind: 'sha256'; hex: string }
  | { kind: 'unsigned' }
  | { kind: 'chunked'; signed: boolean; trailer: boolean };

export function payloadMode(payloadHash: string): PayloadMode {
  if (/^[0-9a-f]{64}$/i.test(payloadHash)) return { kind: 'sha256', hex: payloadHash.toLowerCase() };
  switch (payloadHash) {
    case 'UNSIGNED-PAYLOAD':
      return { kind: 'unsigned' };
    case 'STREAMING-UNSIGNED-PAYLOAD-TRAILER':
      return { kind: 'chunked', signed: false, trailer: true };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD':
      return { kind: 'chunked', signed: true, trailer: false };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER':
      return { kind: 'chunked', signed: true, trailer: true };
    default:
      throw errors.invalidArgument(
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, ' +
          'STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] or a hex SHA-256 digest',
      );
  }
}

export interface ReceiveOptions {
  auth: AuthContext;
  verifier: SigV4Verifier;
  maxBytes: number;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Streams the decoded body into `sink`; throws an S3Error (and the caller discards the sink) when a check fails. */
export async function receiveBody(
  req: IncomingMessage,
  sink: Writable,
  { auth, verifier, maxBytes }: ReceiveOptions,
): Promise<{ size: number; md5Hex: string }> {
  const mode = payloadMode(auth.payloadHash);
  const chunked = mode.kind === 'chunked';
  const declared = Number(header(req, chunked ? 'x-amz-decoded-content-length' : 'content-length') ?? Number.NaN);
  if (declared > maxBytes) throw errors.entityTooLarge(maxBytes);

  const algorithm = checksumAlgorithmOf(Object.keys(req.headers), chunked ? header(req, 'x-amz-trailer') : undefined);
  const chain = mode.kind === 'chunked' && mode.signed ? verifier.chunkChain(auth) : undefined;
  const decoder = chunked ? new AwsChunkedDecoder({ hashChunks: !!chain, onChunk: chain?.onChunk }) : undefined;
  const digests = new BodyDigests({ maxBytes, sha256: mode.kind === 'sha256', checksumAlgorithm: algorithm });

  const stages: Transform[] = decoder ? [decoder, digests] : [digests];
  try {
    await pipeline([req, ...stages, sink]);
  } catch (err) {
    if (err instanceof S3Error) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ECONNABORTED') {
      throw errors.incompleteBody('the request body ended before it was complete');
    }
    throw err;
  }

  const got = digests.results();
  if (mode.kind === 'sha256' && got.sha256Hex !== mode.hex) throw errors.sha256Mismatch();
  if (Number.isFinite(declared) && declared !== digests.size) {
    throw errors.incompleteBody(`the body has ${digests.size} bytes but ${declared} were declared`);
  }
  let expectedChecksum = algorithm ? header(req, `x-amz-checksum-${algorithm}`) : undefined;
  if (decoder && mode.kind === 'chunked' && mode.trailer) {
    if (mode.signed) await chain?.verifyTrailer(decoder.trailers);
    const fromTrailer = decoder.trailers.find(([name]) => name === `x-amz-checksum-${algorithm}`)?.[1];
    if (algorithm && fromTrailer === undefined && expectedChecksum === undefined) {
      throw errors.invalidRequest(`the declared trailer x-amz-checksum-${algorithm} was not sent`);
    }
    expectedChecksum ??= fromTrailer;
  }
  assertChecksum(algorithm, expectedChecksum, got.checksumBase64);
  const contentMd5 = header(req, 'content-md5');
  if (contentMd5 !== undefined && contentMd5 !== got.md5Base64) throw errors.badDigest('Content-MD5');
  return { size: digests.size, md5Hex: got.md5Hex };
}
