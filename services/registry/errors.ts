// Every error the registry answers has MLflow's shape {error_code, message}, so MLflow clients
// (and our own) can branch on the code. Client mistakes are 4xx with the field named; storage
// trouble is 503 with the reason; only our own bugs are 500.
import type { FastifyError, FastifyInstance } from 'fastify';
import { ConflictError, StorageUnavailableError } from './json-store.ts';

export type MlflowErrorCode =
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_PARAMETER_VALUE'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'ENDPOINT_NOT_FOUND'
  | 'INTERNAL_ERROR';

const STATUS: Record<MlflowErrorCode, number> = {
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_PARAMETER_VALUE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  TEMPORARILY_UNAVAILABLE: 503,
  ENDPOINT_NOT_FOUND: 404,
  INTERNAL_ERROR: 500,
};

export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    readonly code: MlflowErrorCode,
    message: string,
    readonly status: number = STATUS[code],
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new RegistryError('RESOURCE_DOES_NOT_EXIST', what);
export const invalid = (what: string) => new RegistryError('INVALID_PARAMETER_VALUE', what);

export function installErrorHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error_code: 'ENDPOINT_NOT_FOUND', message: `no endpoint ${req.method} ${req.url}` });
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const e = toRegistryError(err);
    if (e.status >= 500) req.log.error({ err }, 'request failed');
    if (e.code === 'TEMPORARILY_UNAVAILABLE') reply.header('retry-after', '1');
    reply.code(e.status).send({ error_code: e.code, message: e.message });
  });
}

function toRegistryError(err: FastifyError): RegistryError {
  if (err instanceof RegistryError) return err;
  if (err instanceof StorageUnavailableError) return new RegistryError('TEMPORARILY_UNAVAILABLE', err.message);
  if (err instanceof ConflictError) return new RegistryError('TEMPORARILY_UNAVAILABLE', err.message);
  if (err.validation) {
    // Fastify's Ajv errors: name the field, e.g. "body/version must match pattern ...".
    const where = err.validationContext ?? 'request';
    const details = err.validation
      .map((v) => `${where}${v.instancePath || ''} ${v.message ?? 'is invalid'}`.trim())
      .join('; ');
    return invalid(details);
  }
  // Fastify's own client errors (bad JSON, wrong content type, body too large): keep them 4xx.
  const code = err.statusCode ?? 500;
  if (code === 413) return new RegistryError('INVALID_PARAMETER_VALUE', err.message, 413);
  if (code >= 400 && code < 500) return invalid(err.message);
  return new RegistryError('INTERNAL_ERROR', 'internal error');
}
