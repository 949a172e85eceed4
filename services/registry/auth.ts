// Writes need `Authorization: Bearer <REGISTRY_TOKEN>`; reads stay open (inference replicas only read).
// Tokens are compared as SHA-256 digests with timingSafeEqual: constant time, and no length leak.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { RegistryError } from './errors.ts';

export function bearerAuth(expected: string): (req: FastifyRequest) => Promise<void> {
  const want = digest(expected);
  return async (req) => {
    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      throw new RegistryError('UNAUTHENTICATED', 'this endpoint needs an Authorization: Bearer <token> header');
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new RegistryError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
    if (!timingSafeEqual(digest(m[1]), want)) {
      throw new RegistryError('PERMISSION_DENIED', 'the bearer token is not allowed to write to this registry');
    }
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
