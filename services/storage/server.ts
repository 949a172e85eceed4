// The HTTP face of the store: one catch-all route, SigV4 on every request, then dispatch on
// (bucket, key, method). Bodies are not parsed by Fastify: PutObject streams the raw request itself.
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { bucketRequest } from './buckets.ts';
import { errors, errorXml, S3Error } from './errors.ts';
import { deleteObject, getObject, type ObjectContext, putObject } from './objects.ts';
import { type Credentials, SigV4Verifier } from './sigv4.ts';
import type { ObjectStore } from './store.ts';
import { parseTarget } from './target.ts';
import { validateBucketName, validateKey } from './validate.ts';

export interface StorageAppOptions {
  store: ObjectStore;
  credentials: Credentials;
  maxObjectBytes: number;
  logLevel: string;
  /** Clock used for the request-time skew check (tests may shift it). */
  now?: () => number;
}

export const HEALTH_PATH = '/_health';

export function buildStorageApp(opts: StorageAppOptions): FastifyInstance {
  const app = Fastify({
    logger: { level: opts.logLevel },
    // Long keys arrive as one wildcard parameter; S3 allows 1024 bytes, percent-encoded up to 3x.
    routerOptions: { maxParamLength: 8192 },
    exposeHeadRoutes: false,
    bodyLimit: opts.maxObjectBytes,
    genReqId: () => randomBytes(8).toString('hex').toUpperCase(),
    requestIdHeader: false,
  });
  const verifier = new SigV4Verifier(opts.credentials, opts.now);
  const ctx: ObjectContext = { store: opts.store, verifier, maxObjectBytes: opts.maxObjectBytes };

  // Hand every body through untouched: PutObject reads request.raw as a stream, others ignore it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-amz-request-id', req.id);
  });

  app.setErrorHandler((err, req, reply) => {
    const s3err = toS3Error(err);
    if (s3err.status >= 500) req.log.error({ err }, 'request failed');
    reply.code(s3err.status).headers(s3err.headers);
    if (req.method === 'HEAD') return reply.send();
    const resource = (req.raw.url ?? '/').split('?')[0];
    return reply.type('application/xml').send(errorXml(s3err, resource, req.id));
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(405).type('application/xml');
    return reply.send(errorXml(methodNotAllowed(req.method), req.url, req.id));
  });

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const rawUrl = req.raw.url ?? '/';
    const auth = await verifier.verify({ method: req.method, rawUrl, headers: req.headers });
    const { bucket, key, query } = parseTarget(rawUrl);
    if (bucket === undefined) throw errors.notImplemented('ListBuckets');
    validateBucketName(bucket);
    if (key === undefined) return bucketRequest(opts.store, bucket, query, req, reply);
    validateKey(key);
    const o = { bucket, key, query, auth };
    switch (req.method) {
      case 'PUT':
        return putObject(ctx, o, req, reply);
      case 'GET':
      case 'HEAD':
        return getObject(ctx, o, req, reply);
      case 'DELETE':
        return deleteObject(ctx, o, req, reply);
      default:
        throw errors.notImplemented(`${req.method} on an object`);
    }
  };
  // Liveness for healthchecks, unsigned on purpose. `_` cannot start a bucket name, so no S3 path collides.
  app.get(HEALTH_PATH, async () => ({ status: 'ok' }));
  for (const url of ['/', '/*']) app.route({ method: ['GET', 'HEAD', 'PUT', 'DELETE', 'POST'], url, handler });
  return app;
}

function methodNotAllowed(method: string): S3Error {
  return new S3Error(405, 'MethodNotAllowed', `The specified method ${method} is not allowed against this resource.`);
}

/** Our own errors pass through; Fastify's client errors become 400s; anything else is a 500 InternalError. */
function toS3Error(err: unknown): S3Error {
  if (err instanceof S3Error) return err;
  const status = (err as { statusCode?: number }).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new S3Error(400, 'InvalidRequest', (err as Error).message);
  }
  return new S3Error(500, 'InternalError', 'We encountered an internal error. Please try again.');
}
