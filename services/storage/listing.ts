// ListObjectsV2 paging over a sorted key list: prefix, delimiter (CommonPrefixes), start-after and
// continuation tokens. Pure, so the paging rules are unit-tested without a server.
import { errors, escapeXml } from './errors.ts';
import type { ObjectMeta } from './object-file.ts';

/** S3 lists keys in the order of their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface ListParams {
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  startAfter?: string;
  continuationToken?: string;
  encodingType?: 'url';
}

export interface ListPage {
  contents: ObjectMeta[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextContinuationToken?: string;
}

/** Where the previous page stopped: after a key, or after every key under a common prefix. */
interface Cursor {
  after: string;
  prefix: boolean;
}

export function encodeToken(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.after, c.prefix ? 1 : 0]), 'utf8').toString('base64url');
}

export function decodeToken(token: string): Cursor {
  try {
    const [after, prefix] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
    if (typeof after === 'string' && (prefix === 0 || prefix === 1)) return { after, prefix: prefix === 1 };
  } catch {
    // fall through to the error below
  }
  throw errors.invalidArgument('the continuation token provided is incorrect');
}

export function listPage(sorted: readonly ObjectMeta[], p: ListParams): ListPage {
  const cursor = p.continuationToken !== undefined ? decodeToken(p.continuationToken) : undefined;
  const startAfter = cursor ?? (p.startAfter ? { after: p.startAfter, prefix: false } : undefined);
  const page: ListPage = { contents: [], commonPrefixes: [], isTruncated: false };
  let count = 0;
  let last: Cursor | undefined;
  for (const meta of sorted) {
    const key = meta.key;
    if (!key.startsWith(p.prefix)) continue;
    if (startAfter && compareKeys(key, startAfter.after) <= 0) continue;
    if (startAfter?.prefix && key.startsWith(startAfter.after)) continue;
    let commonPrefix: string | undefined;
    if (p.delimiter) {
      const at = key.indexOf(p.delimiter, p.prefix.length);
      if (at >= 0) commonPrefix = key.slice(0, at + p.delimiter.length);
    }
    if (commonPrefix !== undefined && last?.prefix && last.after === commonPrefix) continue;
    if (count === p.maxKeys) {
      page.isTruncated = p.maxKeys > 0;
      break;
    }
    if (commonPrefix !== undefined) {
      page.commonPrefixes.push(commonPrefix);
      last = { after: commonPrefix, prefix: true };
    } else {
      page.contents.push(meta);
      last = { after: key, prefix: false };
    }
    count++;
  }
  if (page.isTruncated && last) page.nextContinuationToken = encodeToken(last);
  return page;
}

export function listPageXml(bucket: string, p: ListParams, page: ListPage): string {
  const enc = (s: string) => escapeXml(p.encodingType === 'url' ? encodeURIComponent(s) : s);
  const parts = [
    `<Name>${escapeXml(bucket)}</Name>`,
    `<Prefix>${enc(p.prefix)}</Prefix>`,
    `<KeyCount>${page.contents.length + page.commonPrefixes.length}</KeyCount>`,
    `<MaxKeys>${p.maxKeys}</MaxKeys>`,
    `<IsTruncated>${page.isTruncated}</IsTruncated>`,
  ];
  if (p.delimiter !== undefined) parts.push(`<Delimiter>${enc(p.delimiter)}</Delimiter>`);
  if (p.encodingType) parts.push(`<EncodingType>${p.encodingType}</EncodingType>`);
  if (p.continuationToken !== undefined) {
    parts.push(`<ContinuationToken>${escapeXml(p.continuationToken)}</ContinuationToken>`);
  }
  if (page.nextContinuationToken) {
    parts.push(`<NextContinuationToken>${page.nextContinuationToken}</NextContinuationToken>`);
  }
  if (p.startAfter !== undefined) parts.push(`<StartAfter>${enc(p.startAfter)}</StartAfter>`);
  for (const o of page.contents) {
    parts.push(
      `<Contents><Key>${enc(o.key)}</Key><LastModified>${o.lastModified}</LastModified>` +
        `<ETag>${escapeXml(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
  }
  for (const cp of page.commonPrefixes) parts.push(`<CommonPrefixes><Prefix>${enc(cp)}</Prefix></CommonPrefixes>`);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts.join('')}</ListBucketResult>`
  );
}
