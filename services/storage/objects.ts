// Object operations: PutObject (conditional, atomic), GetObject/HeadObject (with Range), DeleteObject.
import { createWriteStream } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from './errors.ts';
import { receiveBody } from './ingest.ts';
import type { ObjectMeta } from './object-file.ts';
import { parseRange } from './range.ts';
import type { AuthContext, SigV4Verifier } from './sigv4.ts';
import type { ObjectStore } from './store.ts';
import { assertOnlyQuery, type Query } from './target.ts';

export interface ObjectContext {
  store: ObjectStore;
  verifier: SigV4Verifier;
  maxObjectBytes: number;
}

interface ObjectRequest {
  bucket: string;
  key: string;
  query: Query;
  auth: AuthContext;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

const bareEtag = (s: string) =>
  s
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');

/** If-Match / If-None-Match: * of a conditional write, evaluated against the current version under the key's lock. */
export function writeConditions(ifMatch: string | undefined, ifNoneMatch: string | undefined) {
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw errors.notImplemented('If-None-Match on writes accepts only *');
  }
  return (current: ObjectMeta | undefined): void => {
    if (ifNoneMatch !== undefined && current) throw errors.preconditionFailed('If-None-Match: * but the key exists');
    if (ifMatch === undefined) return;
    if (!current) throw errors.preconditionFailed('If-Match but the key does not exist');
    const wanted = ifMatch.split(',').map(bareEtag);
    if (!wanted.includes('*') && !wanted.includes(bareEtag(current.etag))) {
      throw errors.preconditionFailed('If-Match but the ETag differs');
    }
  };
}

/** If-Match / If-None-Match on reads: a failed If-Match throws 412; a matching If-None-Match returns true (304). */
export function readConditions(
  ifMatch: string | undefined,
  ifNoneMatch: string | undefined,
  meta: ObjectMeta,
): boolean {
  const etag = bareEtag(meta.etag);
  const matches = (list: string) => list.split(',').some((t) => bareEtag(t) === '*' || bareEtag(t) === etag);
  if (ifMatch !== undefined && !matches(ifMatch)) throw errors.preconditionFailed('If-Match but the ETag differs');
  return ifNoneMatch !== undefined && matches(ifNoneMatch);
}

export async function putObject(ctx: ObjectContext, o: ObjectRequest, req: FastifyRequest, reply: FastifyReply) {
  assertOnlyQuery(o.query, [], 'PutObject');
  if (header(req, 'x-amz-copy-source') !== undefined) throw errors.notImplemented('CopyObject');
  const check = writeConditions(header(req, 'if-match'), header(req, 'if-none-match'));
  // Fail fast before receiving a body that could not be stored; the decisive check runs again at commit.
  check(ctx.store.head(o.bucket, o.key));
  const staged = ctx.store.stage(o.bucket);
  try {
    const sink = createWriteStream(staged.path, { flags: 'wx' });
    const { size, md5Hex } = await receiveBody(req.raw, sink, {
      auth: o.auth,
      verifier: ctx.verifier,
      maxBytes: ctx.maxObjectBytes,
    });
    const meta: ObjectMeta = {
      key: o.key,
      etag: `"${md5Hex}"`,
      size,
      lastModified: new Date().toISOString(),
      contentType: header(req, 'content-type') ?? 'application/octet-stream',
    };
    await ctx.store.commit(o.bucket, staged, meta, check);
    return reply.header('etag', meta.etag).send();
  } finally {
    await staged.discard();
  }
}

/** GetObject and HeadObject: the same headers, HEAD just leaves the body out. */
export async function getObject(ctx: ObjectContext, o: ObjectRequest, req: FastifyRequest, reply: FastifyReply) {
  const head = req.method === 'HEAD';
  assertOnlyQuery(o.query, [], head ? 'HeadObject' : 'GetObject');
  const { meta, fh } = await ctx.store.openForRead(o.bucket, o.key);
  const notModified = readConditions(header(req, 'if-match'), header(req, 'if-none-match'), meta);
  if (notModified) {
    await fh.close();
    return reply.code(304).header('etag', meta.etag).send();
  }
  const range = parseRange(header(req, 'range'), meta.size);
  if (range.kind === 'unsatisfiable') {
    await fh.close();
    throw errors.invalidRange(meta.size);
  }
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, meta.size - 1];
  reply
    .header('etag', meta.etag)
    .header('last-modified', new Date(meta.lastModified).toUTCString())
    .header('content-type', meta.contentType)
    .header('accept-ranges', 'bytes')
    .header('content-length', String(end - start + 1));
  if (range.kind === 'partial') reply.code(206).header('content-range', `bytes ${start}-${end}/${meta.size}`);
  if (head || end < start) {
    await fh.close();
    return reply.send();
  }
  return reply.send(fh.createReadStream({ start, end }));
}

export async function deleteObject(ctx: ObjectContext, o: ObjectRequest, _req: FastifyRequest, reply: FastifyReply) {
  assertOnlyQuery(o.query, [], 'DeleteObject');
  await ctx.store.delete(o.bucket, o.key);
  return reply.code(204).send();
}
