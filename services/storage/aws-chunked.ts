// Decoder for `Content-Encoding: aws-chunked` bodies, which the AWS SDK sends for streamed uploads:
//   <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n[<name>:<value>\r\n]*\r\n
// Hand-written because no maintained npm package decodes this S3-specific framing on the server side.
// Data bytes stream through; only framing lines are buffered, and those are bounded.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { errors } from './errors.ts';

const MAX_LINE = 8 * 1024;
const EMPTY = Buffer.alloc(0);

export interface ChunkInfo {
  /** Decoded size of this chunk; 0 for the final chunk. */
  size: number;
  /** Hex SHA-256 of the chunk's data, only when the decoder was asked to hash chunks. */
  sha256Hex?: string;
  /** The `chunk-signature` extension, when the sender signed its chunks. */
  signature?: string;
}

export interface AwsChunkedOptions {
  /** Compute each chunk's SHA-256 (needed to verify chunk signatures). */
  hashChunks?: boolean;
  /** Awaited after each chunk (the final 0-size chunk included); throwing fails the stream. */
  onChunk?: (chunk: ChunkInfo) => Promise<void> | void;
}

type State = 'size-line' | 'data' | 'data-crlf' | 'trailer' | 'done';

export class AwsChunkedDecoder extends Transform {
  /** Trailing headers (e.g. x-amz-checksum-crc32), lower-cased names in arrival order. */
  readonly trailers: Array<[name: string, value: string]> = [];
  decodedLength = 0;
  private state: State = 'size-line';
  private pending: Buffer = EMPTY;
  private remaining = 0;
  private chunk: { size: number; signature?: string; hash?: Hash } = { size: 0 };

  constructor(private readonly options: AwsChunkedOptions = {}) {
    super();
  }

  get done(): boolean {
    return this.state === 'done';
  }

  override _transform(input: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.consume(input).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    cb(this.state === 'done' ? null : errors.incompleteBody('the aws-chunked body ended before its final chunk'));
  }

  private async consume(input: Buffer): Promise<void> {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, input]) : input;
    this.pending = EMPTY;
    let pos = 0;
    while (pos < data.length) {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, data.length - pos);
        const slice = data.subarray(pos, pos + n);
        this.chunk.hash?.update(slice);
        this.decodedLength += n;
        this.push(slice);
        pos += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'data-crlf';
      } else if (this.state === 'data-crlf') {
        if (data.length - pos < 2) break;
        if (data[pos] !== 13 || data[pos + 1] !== 10) throw malformed('chunk data is not followed by CRLF');
        pos += 2;
        await this.finishChunk();
        this.state = 'size-line';
      } else if (this.state === 'done') {
        throw malformed('bytes follow the final chunk');
      } else {
        const eol = data.indexOf('\r\n', pos, 'latin1');
        if (eol < 0) {
          if (data.length - pos > MAX_LINE) throw malformed('framing line too long');
          break;
        }
        const line = data.toString('latin1', pos, eol);
        pos = eol + 2;
        if (this.state === 'size-line') await this.sizeLine(line);
        else this.trailerLine(line);
      }
    }
    if (pos < data.length) this.pending = Buffer.from(data.subarray(pos));
  }

  private async sizeLine(line: string): Promise<void> {
    const [sizeHex, ...extensions] = line.split(';');
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeHex.trim())) throw malformed(`bad chunk size line ${JSON.stringify(line)}`);
    const size = Number.parseInt(sizeHex, 16);
    const signature = extensions.map((e) => e.trim().split('=')).find(([name]) => name === 'chunk-signature')?.[1];
    this.chunk = { size, signature, hash: this.options.hashChunks ? createHash('sha256') : undefined };
    if (size > 0) {
      this.remaining = size;
      this.state = 'data';
      return;
    }
    await this.finishChunk();
    this.state = 'trailer';
  }

  private trailerLine(line: string): void {
    if (line === '') {
      this.state = 'done';
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`bad trailer line ${JSON.stringify(line)}`);
    this.trailers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }

  private async finishChunk(): Promise<void> {
    const { size, signature, hash } = this.chunk;
    await this.options.onChunk?.({ size, signature, sha256Hex: hash?.digest('hex') });
  }
}

function malformed(why: string) {
  return errors.invalidRequest(`malformed aws-chunked body: ${why}`);
}
