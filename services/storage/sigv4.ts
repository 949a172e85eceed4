// AWS Signature Version 4 verification (Authorization header form). We never compute signatures by hand:
// the request is rebuilt from exactly the headers the client signed and re-signed with @smithy/signature-v4,
// the same signer the AWS SDK uses, then the two signatures are compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ChunkInfo } from './aws-chunked.ts';
import { errors } from './errors.ts';
import { type Query, splitUrl } from './target.ts';

const MAX_SKEW_MS = 15 * 60 * 1000;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface Credentials {
  accessKey: string;
  secretKey: string;
  region: string;
}

/** What the rest of the request needs from a verified signature (to check the payload against it). */
export interface AuthContext {
  /** The x-amz-content-sha256 value the client signed. */
  payloadHash: string;
  /** The request's signature: the seed of a signed aws-chunked body. */
  signature: string;
  signingDate: Date;
  longDate: string;
  scope: string;
}

export interface SignedRequest {
  method: string;
  /** Path and query exactly as received on the wire. */
  rawUrl: string;
  headers: IncomingHttpHeaders;
}

export class SigV4Verifier {
  private readonly signer: SignatureV4;

  constructor(
    private readonly creds: Credentials,
    private readonly now: () => number = Date.now,
  ) {
    this.signer = new SignatureV4({
      credentials: { accessKeyId: creds.accessKey, secretAccessKey: creds.secretKey },
      region: creds.region,
      service: 's3',
      sha256: Sha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
  }

  async verify(req: SignedRequest): Promise<AuthContext> {
    const header = headerValue(req.headers.authorization);
    if (header === undefined) {
      const { query } = splitUrl(req.rawUrl);
      if (query['X-Amz-Signature'] !== undefined) return this.verifyPresigned(req, query);
      throw errors.accessDenied('the request is not signed (no Authorization header)');
    }
    const auth = parseAuthorization(header);
    const longDate = headerValue(req.headers['x-amz-date']);
    if (longDate === undefined) throw errors.accessDenied('the x-amz-date header is required');
    const { signingDate, scope } = this.checkScope(auth.credential, longDate);
    if (Math.abs(this.now() - signingDate.getTime()) > MAX_SKEW_MS) throw errors.timeSkewed();

    const signed = new Set(auth.signedHeaders);
    const payloadHash = headerValue(req.headers['x-amz-content-sha256']);
    if (payloadHash === undefined) throw errors.invalidRequest('the x-amz-content-sha256 header is required');
    const rebuilt = rebuildRequest(req, signed);
    const resigned = await this.signer.sign(rebuilt, { signingDate, signableHeaders: signed });
    const expected = parseAuthorization(headerValue(resigned.headers.authorization) ?? '');
    if (
      expected.signedHeaders.join(';') !== auth.signedHeaders.join(';') ||
      !sameHex(expected.signature, auth.signature)
    ) {
      throw errors.signatureMismatch();
    }
    return { payloadHash, signature: auth.signature, signingDate, longDate, scope };
  }

  /** Query-string authentication (presigned URLs): the payload is unsigned, the URL expires. */
  private async verifyPresigned(req: SignedRequest, query: Query): Promise<AuthContext> {
    const param = (name: string) => {
      const v = query[name];
      if (typeof v !== 'string' || v === '') throw errors.accessDenied(`the presigned URL has no single ${name}`);
      return v;
    };
    if (param('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
      throw errors.invalidRequest('X-Amz-Algorithm must be AWS4-HMAC-SHA256');
    if (query['X-Amz-Security-Token'] !== undefined) throw errors.notImplemented('X-Amz-Security-Token');
    const longDate = param('X-Amz-Date');
    const { signingDate, scope } = this.checkScope(param('X-Amz-Credential'), longDate);
    const expiresIn = Number(param('X-Amz-Expires'));
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604_800) {
      throw errors.invalidArgument('X-Amz-Expires must be a whole number of seconds from 1 to 604800');
    }
    if (signingDate.getTime() - this.now() > MAX_SKEW_MS) throw errors.timeSkewed();
    if (this.now() > signingDate.getTime() + expiresIn * 1000)
      throw errors.accessDenied('the presigned URL has expired');

    const signed = new Set(param('X-Amz-SignedHeaders').split(';'));
    const rebuilt = rebuildRequest(req, signed);
    for (const name of Object.keys(rebuilt.query))
      if (/^X-Amz-(Algorithm|Credential|Date|Expires|SignedHeaders|Signature)$/.test(name)) delete rebuilt.query[name];
    // S3 presigned URLs sign UNSIGNED-PAYLOAD; as a header kept out of the signed and hoisted sets, the signer
    // takes it as the payload hash without adding it to the canonical request.
    rebuilt.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    const keepAsHeader = new Set(Object.keys(rebuilt.headers));
    const presigned = await this.signer.presign(rebuilt, {
      signingDate,
      expiresIn,
      signableHeaders: signed,
      unsignableHeaders: new Set(['x-amz-content-sha256']),
      unhoistableHeaders: keepAsHeader,
    });
    const signature = param('X-Amz-Signature');
    const expected = presigned.query?.['X-Amz-Signature'];
    if (typeof expected !== 'string' || !sameHex(expected, signature)) throw errors.signatureMismatch();
    return { payloadHash: 'UNSIGNED-PAYLOAD', signature, signingDate, longDate, scope };
  }

  /** Checks a Credential value (<key>/<date>/<region>/s3/aws4_request) against our key, region and the request date. */
  private checkScope(credential: string, longDate: string): { signingDate: Date; scope: string } {
    const [accessKey, date, region, service, terminator, ...extra] = credential.split('/');
    if (extra.length > 0 || terminator !== 'aws4_request' || service !== 's3') {
      throw errors.malformedAuth(
        `the Credential scope ${JSON.stringify(credential)} is not <key>/<date>/<region>/s3/aws4_request`,
      );
    }
    if (accessKey !== this.creds.accessKey) throw errors.invalidAccessKey();
    if (region !== this.creds.region) {
      throw errors.malformedAuth(`the region '${region}' is wrong; expecting '${this.creds.region}'`);
    }
    const signingDate = parseAmzDate(longDate);
    if (date !== longDate.slice(0, 8))
      throw errors.malformedAuth('the Credential date does not match the request date');
    return { signingDate, scope: `${date}/${region}/s3/aws4_request` };
  }

  /** Verifies the chain of chunk signatures of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body, seeded by the request's. */
  chunkChain(ctx: AuthContext): {
    onChunk: (chunk: ChunkInfo) => Promise<void>;
    verifyTrailer: (trailers: Array<[string, string]>) => Promise<void>;
  } {
    let prior = ctx.signature;
    const onChunk = async (chunk: ChunkInfo) => {
      if (!chunk.signature)
        throw errors.signatureMismatch('a chunk of a signed aws-chunked body has no chunk-signature');
      const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', ctx.longDate, ctx.scope, prior, EMPTY_SHA256, chunk.sha256Hex].join(
        '\n',
      );
      const expected = await this.signer.sign(toSign, { signingDate: ctx.signingDate });
      if (!sameHex(expected, chunk.signature)) throw errors.signatureMismatch('a chunk signature does not match');
      prior = chunk.signature;
    };
    const verifyTrailer = async (trailers: Array<[string, string]>) => {
      const given = trailers.find(([name]) => name === 'x-amz-trailer-signature')?.[1];
      if (!given) throw errors.signatureMismatch('the signed trailer has no x-amz-trailer-signature');
      const text = trailers
        .filter(([name]) => name !== 'x-amz-trailer-signature')
        .map(([name, value]) => `${name}:${value}\n`)
        .join('');
      const hash = createHash('sha256').update(text).digest('hex');
      const toSign = ['AWS4-HMAC-SHA256-TRAILER', ctx.longDate, ctx.scope, prior, hash].join('\n');
      const expected = await this.signer.sign(toSign, { signingDate: ctx.signingDate });
      if (!sameHex(expected, given)) throw errors.signatureMismatch('the trailer signature does not match');
    };
    return { onChunk, verifyTrailer };
  }
}

/**
 * The request as the client signed it: method, raw path, decoded query and only the signed headers.
 * Every x-amz-* header present must be signed (as S3 requires), so none can be slipped in unsigned.
 */
function rebuildRequest(req: SignedRequest, signed: Set<string>): HttpRequest {
  if (!signed.has('host')) throw errors.accessDenied('the host header must be signed');
  const unsigned = Object.keys(req.headers).filter((h) => h.startsWith('x-amz-') && !signed.has(h));
  if (unsigned.length > 0) {
    throw errors.accessDenied(
      `there were headers present in the request which were not signed: ${unsigned.join(', ')}`,
    );
  }
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = headerValue(req.headers[name]);
    if (value === undefined) throw errors.signatureMismatch(`the signed header ${name} is missing from the request`);
    headers[name] = value;
  }
  const { path, query } = splitUrl(req.rawUrl);
  return new HttpRequest({ method: req.method, protocol: 'http:', hostname: 'verify', path, query, headers });
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

function parseAuthorization(header: string): { credential: string; signedHeaders: string[]; signature: string } {
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(header.trim());
  if (!m) {
    if (/^AWS\s/.test(header))
      throw errors.invalidRequest('Signature Version 2 is not supported; use AWS4-HMAC-SHA256');
    throw errors.malformedAuth('the Authorization header is not AWS4-HMAC-SHA256');
  }
  const fields = new Map<string, string>();
  for (const part of m[1].split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    throw errors.malformedAuth('the Authorization header needs Credential, SignedHeaders and Signature');
  }
  return { credential, signedHeaders: signedHeaders.split(';'), signature };
}

function parseAmzDate(s: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw errors.accessDenied(`x-amz-date ${JSON.stringify(s)} is not in the form YYYYMMDDTHHMMSSZ`);
  const [, y, mo, d, h, mi, se] = m.map(Number);
  return new Date(Date.UTC(y, mo - 1, d, h, mi, se));
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
