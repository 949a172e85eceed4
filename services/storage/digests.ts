// Everything we learn about an upload while it streams past: size, MD5 (the ETag), SHA-256 (to check
// x-amz-content-sha256) and the flexible checksum the SDK attaches (x-amz-checksum-*), all in one pass.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { errors } from './errors.ts';

/** Incremental checksum producing S3's base64 form. */
interface Checksum {
  update(data: Buffer): void;
  base64(): string;
}

class Crc32 implements Checksum {
  private value = 0;
  update(data: Buffer): void {
    this.value = crc32(data, this.value);
  }
  base64(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.value >>> 0);
    return out.toString('base64');
  }
}

class NodeHash implements Checksum {
  private readonly hash: Hash;
  constructor(algorithm: string) {
    this.hash = createHash(algorithm);
  }
  update(data: Buffer): void {
    this.hash.update(data);
  }
  base64(): string {
    return this.hash.digest('base64');
  }
}

/** Checksum algorithms we can verify; others (CRC32C, CRC64NVME) are accepted unverified. */
const CHECKSUMS: Record<string, () => Checksum> = {
  crc32: () => new Crc32(),
  sha1: () => new NodeHash('sha1'),
  sha256: () => new NodeHash('sha256'),
};

export interface DigestOptions {
  maxBytes: number;
  /** Compute the hex SHA-256 of the body (to compare with a hex x-amz-content-sha256). */
  sha256: boolean;
  /** The flexible checksum algorithm named by the request (header or trailer), e.g. "crc32". */
  checksumAlgorithm?: string;
}

export class BodyDigests extends Transform {
  size = 0;
  private readonly md5 = createHash('md5');
  private readonly sha256?: Hash;
  private readonly checksum?: Checksum;

  constructor(private readonly options: DigestOptions) {
    super();
    if (options.sha256) this.sha256 = createHash('sha256');
    const make = options.checksumAlgorithm ? CHECKSUMS[options.checksumAlgorithm] : undefined;
    this.checksum = make?.();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.options.maxBytes) {
      cb(errors.entityTooLarge(this.options.maxBytes));
      return;
    }
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.checksum?.update(chunk);
    cb(null, chunk);
  }

  /** Call once the stream has ended. */
  results(): { md5Hex: string; md5Base64: string; sha256Hex?: string; checksumBase64?: string } {
    const md5 = this.md5.digest();
    return {
      md5Hex: md5.toString('hex'),
      md5Base64: md5.toString('base64'),
      sha256Hex: this.sha256?.digest('hex'),
      checksumBase64: this.checksum?.base64(),
    };
  }
}

/** Which x-amz-checksum-<alg> a request carries, from its headers or its declared trailer. */
export function checksumAlgorithmOf(headerNames: string[], trailerHeader: string | undefined): string | undefined {
  const names = [...headerNames, ...(trailerHeader ?? '').split(',').map((s) => s.trim().toLowerCase())];
  for (const n of names) {
    const m = /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.exec(n);
    if (m) return m[1];
  }
  return undefined;
}

export function assertChecksum(algorithm: string | undefined, expected: string | undefined, got: string | undefined) {
  if (!algorithm || expected === undefined || got === undefined) return;
  if (expected !== got) throw errors.badDigest(`x-amz-checksum-${algorithm}`);
}
