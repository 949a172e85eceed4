// Bucket operations: CreateBucket, HeadBucket, DeleteBucket, ListObjectsV2.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from './errors.ts';
import { type ListParams, listPage, listPageXml } from './listing.ts';
import type { ObjectStore } from './store.ts';
import { assertOnlyQuery, type Query, queryParam } from './target.ts';

const LIST_PARAMS = [
  'list-type',
  'prefix',
  'delimiter',
  'max-keys',
  'continuation-token',
  'start-after',
  'encoding-type',
  'fetch-owner',
] as const;

export async function bucketRequest(
  store: ObjectStore,
  bucket: string,
  query: Query,
  req: FastifyRequest,
  reply: FastifyReply,
) {
  switch (req.method) {
    case 'PUT':
      assertOnlyQuery(query, [], 'CreateBucket');
      await store.createBucket(bucket);
      return reply.header('location', `/${bucket}`).send();
    case 'HEAD':
      assertOnlyQuery(query, [], 'HeadBucket');
      if (!store.hasBucket(bucket)) throw errors.noSuchBucket();
      return reply.send();
    case 'DELETE':
      assertOnlyQuery(query, [], 'DeleteBucket');
      await store.deleteBucket(bucket);
      return reply.code(204).send();
    case 'GET': {
      if (queryParam(query, 'list-type') !== '2') throw errors.notImplemented('bucket GET other than ListObjectsV2');
      assertOnlyQuery(query, LIST_PARAMS, 'ListObjectsV2');
      const params = listParams(query);
      const page = listPage(store.list(bucket), params);
      return reply.type('application/xml').send(listPageXml(bucket, params, page));
    }
    default:
      throw errors.notImplemented(`${req.method} on a bucket`);
  }
}

export function listParams(query: Query): ListParams {
  const maxKeysRaw = queryParam(query, 'max-keys');
  let maxKeys = 1000;
  if (maxKeysRaw !== undefined) {
    if (!/^\d+$/.test(maxKeysRaw)) throw errors.invalidArgument('max-keys must be a non-negative whole number');
    maxKeys = Math.min(1000, Number(maxKeysRaw));
  }
  const encodingType = queryParam(query, 'encoding-type');
  if (encodingType !== undefined && encodingType !== 'url') throw errors.invalidArgument('encoding-type must be url');
  const delimiter = queryParam(query, 'delimiter');
  return {
    prefix: queryParam(query, 'prefix') ?? '',
    delimiter: delimiter === '' ? undefined : delimiter,
    maxKeys,
    startAfter: queryParam(query, 'start-after'),
    continuationToken: queryParam(query, 'continuation-token'),
    encodingType,
  };
}
