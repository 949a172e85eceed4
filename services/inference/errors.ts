// Turns every way a request can go wrong into a JSON answer with the right status: client mistakes are
// 4xx with a reason (FastAPI's shapes, so Python-minded clients feel at home), never 5xx.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** The subset of an Ajv ErrorObject we read. */
interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** More entries than this help nobody and make a small bad body a large response. */
export const MAX_FIELD_ERRORS = 100;

export function toFieldErrors(errors: readonly AjvError[], context: string): FieldError[] {
  const out = errors.slice(0, MAX_FIELD_ERRORS).map((e): FieldError => {
    const loc: (string | number)[] = [context];
    for (const seg of e.instancePath.split('/').slice(1)) {
      const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
      loc.push(/^\d+$/.test(key) ? Number(key) : key);
    }
    switch (e.keyword) {
      case 'required':
        loc.push(String(e.params.missingProperty));
        return { loc, msg: 'Field required', type: 'missing' };
      case 'additionalProperties':
        loc.push(String(e.params.additionalProperty));
        return { loc, msg: 'Extra inputs are not permitted', type: 'extra_forbidden' };
      case 'type':
        return { loc, msg: `Input should be of type ${String(e.params.type)}`, type: `${String(e.params.type)}_type` };
      case 'enum':
        return {
          loc,
          msg: `Input should be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
          type: 'enum',
        };
      case 'minItems':
        return { loc, msg: `List should have at least ${String(e.params.limit)} item(s)`, type: 'too_short' };
      case 'maxItems':
        return { loc, msg: `List should have at most ${String(e.params.limit)} items`, type: 'too_long' };
      default:
        return { loc, msg: `Input ${e.message ?? 'is invalid'}`, type: e.keyword };
    }
  });
  if (errors.length > MAX_FIELD_ERRORS) {
    out.push({
      loc: [context],
      msg: `${errors.length - MAX_FIELD_ERRORS} more problems not listed`,
      type: 'too_many_errors',
    });
  }
  return out;
}

/** Fastify's own client-side error codes and the status each should carry. */
const CLIENT_ERROR_STATUS: Record<string, number> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
};

export function installErrorHandling(app: FastifyInstance): void {
  // Paths and the methods they answer, so an unknown method on a known path is 405 with Allow, not 404.
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const set = methodsByPath.get(route.url) ?? new Set<string>();
    for (const m of methods) set.add(m);
    methodsByPath.set(route.url, set);
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?', 1)[0];
    const allowed = methodsByPath.get(path);
    if (allowed && !allowed.has(request.method)) {
      return reply
        .code(405)
        .header('allow', [...allowed].sort().join(', '))
        .send({ detail: `Method ${request.method} not allowed on ${path}` });
    }
    return reply.code(404).send({ detail: `Not found: ${request.method} ${path}` });
  });

  app.setErrorHandler((error: FastifyError & { validationContext?: string }, request, reply) => {
    if (error.validation) {
      return reply.code(422).send({ detail: toFieldErrors(error.validation, error.validationContext ?? 'body') });
    }
    const status = (error.code && CLIENT_ERROR_STATUS[error.code]) || error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send({ detail: clientMessage(error) });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ detail: 'internal error' });
  });
}

function clientMessage(error: FastifyError): string {
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return `Malformed JSON body: ${error.message}`;
  }
  return error.message;
}
