// One object = one file: the data, then its metadata as JSON, then a fixed 8-byte footer
// (uint32 BE metadata length + "S3O1"). Data and metadata therefore appear together with a single rename,
// and a reader holding the file open keeps a consistent pair even while a writer replaces the object.
import type { FileHandle } from 'node:fs/promises';

const MAGIC = Buffer.from('S3O1');
const FOOTER_BYTES = 8;

export interface ObjectMeta {
  key: string;
  /** Quoted hex MD5, as S3 sends it. */
  etag: string;
  size: number;
  /** ISO 8601. */
  lastModified: string;
  contentType: string;
}

/** Appends metadata and footer after `meta.size` bytes of data already written to `fh`. */
export async function writeObjectFooter(fh: FileHandle, meta: ObjectMeta): Promise<void> {
  const json = Buffer.from(JSON.stringify(meta));
  const footer = Buffer.alloc(FOOTER_BYTES);
  footer.writeUInt32BE(json.length, 0);
  MAGIC.copy(footer, 4);
  const tail = Buffer.concat([json, footer]);
  await fh.write(tail, 0, tail.length, meta.size);
  await fh.truncate(meta.size + tail.length);
}

/** Reads and checks the metadata of an object file; throws if the file is not one of ours. */
export async function readObjectMeta(fh: FileHandle): Promise<ObjectMeta> {
  const { size: fileSize } = await fh.stat();
  if (fileSize < FOOTER_BYTES) throw new Error('object file too short');
  const footer = Buffer.alloc(FOOTER_BYTES);
  await fh.read(footer, 0, FOOTER_BYTES, fileSize - FOOTER_BYTES);
  if (!footer.subarray(4).equals(MAGIC)) throw new Error('object file has no footer');
  const jsonLength = footer.readUInt32BE(0);
  const dataSize = fileSize - FOOTER_BYTES - jsonLength;
  if (dataSize < 0) throw new Error('object file footer is corrupt');
  const json = Buffer.alloc(jsonLength);
  await fh.read(json, 0, jsonLength, dataSize);
  const meta = JSON.parse(json.toString('utf8')) as ObjectMeta;
  if (meta.size !== dataSize || typeof meta.key !== 'string') throw new Error('object file metadata is inconsistent');
  return meta;
}
