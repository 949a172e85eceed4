// HTTP routes of the registry under /api/2.0/mlflow/, each validated by a JSON schema before
// the handler runs, so a bad request is a 400 naming the field and never reaches storage.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalid } from './errors.ts';
import { parseNameFilter } from './filter.ts';
import type { RegistryStore } from './store.ts';
import type { Tag } from './types.ts';

const NAME = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } as const;
const VERSION = { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } as const;
// MLflow's alias rule: a word of letters, digits, '_' and '-'.
const ALIAS = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9_-]+$' } as const;
const TAGS = {
  type: 'array',
  maxItems: 100,
  items: {
    type: 'object',
    required: ['key', 'value'],
    properties: { key: { type: 'string', minLength: 1, maxLength: 250 }, value: { type: 'string', maxLength: 5000 } },
  },
} as const;
const TEXT = { type: 'string', maxLength: 5000 } as const;

const obj = (properties: Record<string, unknown>, required: string[] = []) =>
  ({ type: 'object', properties, required }) as const;

export function registryRoutes(
  app: FastifyInstance,
  store: RegistryStore,
  requireWriter: (req: FastifyRequest) => Promise<void>,
): void {
  const write = { onRequest: requireWriter };
  const base = '/api/2.0/mlflow';

  app.post<{ Body: { name: string; description?: string; tags?: Tag[] } }>(
    `${base}/registered-models/create`,
    { ...write, schema: { body: obj({ name: NAME, description: TEXT, tags: TAGS }, ['name']) } },
    async (req) => ({ registered_model: await store.createModel(req.body.name, req.body.description, req.body.tags) }),
  );

  app.get<{ Querystring: { name: string } }>(
    `${base}/registered-models/get`,
    { schema: { querystring: obj({ name: NAME }, ['name']) } },
    async (req) => ({ registered_model: await store.getModel(req.query.name) }),
  );

  app.get<{ Querystring: { filter?: string; max_results: number; page_token?: string } }>(
    `${base}/registered-models/search`,
    {
      schema: {
        querystring: obj({
          filter: { type: 'string', maxLength: 1000 },
          max_results: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          page_token: { type: 'string', maxLength: 2000 },
        }),
      },
    },
    async (req) => {
      const filter = parseNameFilter(req.query.filter);
      return store.search(filter, req.query.max_results, req.query.page_token || undefined);
    },
  );

  app.post<{ Body: { name: string; source: string; run_id?: string; description?: string; tags?: Tag[] } }>(
    `${base}/model-versions/create`,
    {
      ...write,
      schema: {
        body: obj(
          {
            name: NAME,
            source: { type: 'string', minLength: 1, maxLength: 2048 },
            run_id: { type: 'string', maxLength: 256 },
            description: TEXT,
            tags: TAGS,
          },
          ['name', 'source'],
        ),
      },
    },
    async (req) => ({ model_version: await store.createVersion(req.body) }),
  );

  const versionQuery = { schema: { querystring: obj({ name: NAME, version: VERSION }, ['name', 'version']) } };
  app.get<{ Querystring: { name: string; version: string } }>(
    `${base}/model-versions/get`,
    versionQuery,
    async (req) => ({ model_version: await store.getVersion(req.query.name, req.query.version) }),
  );
  app.get<{ Querystring: { name: string; version: string } }>(
    `${base}/model-versions/get-download-uri`,
    versionQuery,
    async (req) => ({ artifact_uri: (await store.getVersion(req.query.name, req.query.version)).source }),
  );

  app.post<{ Body: { name: string; alias: string; version: string } }>(
    `${base}/registered-models/alias`,
    { ...write, schema: { body: obj({ name: NAME, alias: ALIAS, version: VERSION }, ['name', 'alias', 'version']) } },
    async (req) => {
      checkAliasName(req.body.alias);
      await store.setAlias(req.body.name, req.body.alias, req.body.version);
      return {};
    },
  );

  app.get<{ Querystring: { name: string; alias: string } }>(
    `${base}/registered-models/alias`,
    { schema: { querystring: obj({ name: NAME, alias: ALIAS }, ['name', 'alias']) } },
    async (req) => ({ model_version: await store.getAlias(req.query.name, req.query.alias) }),
  );

  // MLflow clients send DELETE parameters in the query or in a JSON body; accept either, validate both.
  app.delete<{ Querystring: { name?: string; alias?: string }; Body?: { name?: string; alias?: string } }>(
    `${base}/registered-models/alias`,
    {
      ...write,
      schema: {
        querystring: obj({ name: NAME, alias: ALIAS }),
        body: { anyOf: [{ type: 'null' }, obj({ name: NAME, alias: ALIAS })] },
      },
    },
    async (req) => {
      const name = req.body?.name ?? req.query.name;
      const alias = req.body?.alias ?? req.query.alias;
      if (name === undefined) throw invalid('name is required (query parameter or JSON body)');
      if (alias === undefined) throw invalid('alias is required (query parameter or JSON body)');
      await store.deleteAlias(name, alias);
      return {};
    },
  );
}

/** `latest` and `v<n>` name versions themselves in MLflow's model URIs, so they cannot be aliases. */
function checkAliasName(alias: string): void {
  if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    throw invalid(`alias ${JSON.stringify(alias)} is reserved (latest and v<number> name versions)`);
  }
}
