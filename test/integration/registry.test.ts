// The registry over HTTP against real storage: every endpoint, auth, MLflow error shapes, bad input,
// concurrent writers, and the behaviour while storage is unreachable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry } from '../../services/registry/index.ts';
import {
  type CallOptions,
  closedLoopbackPort,
  type MlflowCall,
  mlflowCaller,
  startTestRegistry,
  type TestRegistry,
} from '../helpers/registry.ts';
import { startTestStorage } from '../helpers/storage.ts';

let storage: Awaited<ReturnType<typeof startTestStorage>>;
let registry: TestRegistry;

beforeAll(async () => {
  storage = await startTestStorage();
  registry = await startTestRegistry(storage);
  call = mlflowCaller(registry);
});
afterAll(async () => {
  await registry?.close();
  await storage?.close();
});

let call: MlflowCall;
const post = (path: string, body: unknown, o: CallOptions = {}) => call('POST', path, { ...o, body });
const get = (path: string, query: Record<string, string>) => call('GET', path, { query, token: null });

function expectError(r: { status: number; json: Record<string, unknown> }, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.json.error_code).toBe(code);
  expect(typeof r.json.message).toBe('string');
  expect(Object.keys(r.json).sort()).toEqual(['error_code', 'message']);
}

describe('registry endpoints', () => {
  it('reports health and storage readiness', async () => {
    const r = await call('GET', '/health', { token: null });
    expect(r.status).toBe(200);
    expect(r.json.status).toBe('ok');
  });

  it('creates, gets and refuses to re-create a registered model', async () => {
    const created = await post('registered-models/create', { name: 'penguins', description: 'd' });
    expect(created.status).toBe(200);
    expect(created.json.registered_model).toMatchObject({
      name: 'penguins',
      description: 'd',
      latest_versions: [],
      aliases: [],
    });
    expect(typeof created.json.registered_model.creation_timestamp).toBe('number');
    expect(created.json.registered_model.last_updated_timestamp).toBe(created.json.registered_model.creation_timestamp);

    const got = await get('registered-models/get', { name: 'penguins' });
    expect(got.status).toBe(200);
    expect(got.json.registered_model.name).toBe('penguins');

    expectError(await post('registered-models/create', { name: 'penguins' }), 400, 'RESOURCE_ALREADY_EXISTS');
    expectError(await get('registered-models/get', { name: 'nope' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('numbers versions 1, 2, … and serves them with tags, source and download URI', async () => {
    const tags = [{ key: 'sha256', value: 'abc' }];
    const v1 = await post('model-versions/create', { name: 'penguins', source: 's3://models/p/1/model.json', tags });
    expect(v1.status).toBe(200);
    expect(v1.json.model_version).toMatchObject({
      name: 'penguins',
      version: '1',
      source: 's3://models/p/1/model.json',
      run_id: '',
      status: 'READY',
      tags,
      aliases: [],
    });
    const v2 = await post('model-versions/create', {
      name: 'penguins',
      source: 's3://models/p/2/model.json',
      run_id: 'r2',
    });
    expect(v2.json.model_version.version).toBe('2');

    const got = await get('model-versions/get', { name: 'penguins', version: '1' });
    expect(got.json.model_version).toEqual(v1.json.model_version);
    const uri = await get('model-versions/get-download-uri', { name: 'penguins', version: '2' });
    expect(uri.json).toEqual({ artifact_uri: 's3://models/p/2/model.json' });

    const model = await get('registered-models/get', { name: 'penguins' });
    expect(model.json.registered_model.latest_versions.map((v: { version: string }) => v.version)).toEqual(['2']);

    expectError(await get('model-versions/get', { name: 'penguins', version: '9' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(
      await get('model-versions/get-download-uri', { name: 'nope', version: '1' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(
      await post('model-versions/create', { name: 'nope', source: 's3://x/y' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  it('sets, resolves, moves and deletes aliases (DELETE by query or JSON body)', async () => {
    expect(
      (await post('registered-models/alias', { name: 'penguins', alias: 'production', version: '1' })).json,
    ).toEqual({});
    let r = await get('registered-models/alias', { name: 'penguins', alias: 'production' });
    expect(r.status).toBe(200);
    expect(r.json.model_version).toMatchObject({ version: '1', aliases: ['production'] });

    await post('registered-models/alias', { name: 'penguins', alias: 'production', version: '2' });
    await post('registered-models/alias', { name: 'penguins', alias: 'staging', version: '2' });
    r = await get('registered-models/alias', { name: 'penguins', alias: 'production' });
    expect(r.json.model_version).toMatchObject({ version: '2', aliases: ['production', 'staging'] });
    expect((await get('model-versions/get', { name: 'penguins', version: '1' })).json.model_version.aliases).toEqual(
      [],
    );
    const model = (await get('registered-models/get', { name: 'penguins' })).json.registered_model;
    expect(model.aliases).toEqual([
      { alias: 'production', version: '2' },
      { alias: 'staging', version: '2' },
    ]);

    const byQuery = await call('DELETE', 'registered-models/alias', { query: { name: 'penguins', alias: 'staging' } });
    expect(byQuery.status).toBe(200);
    expectError(
      await get('registered-models/alias', { name: 'penguins', alias: 'staging' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    const byBody = await call('DELETE', 'registered-models/alias', { body: { name: 'penguins', alias: 'production' } });
    expect(byBody.status).toBe(200);
    expectError(
      await get('registered-models/alias', { name: 'penguins', alias: 'production' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );

    expectError(
      await post('registered-models/alias', { name: 'penguins', alias: 'x', version: '99' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(
      await post('registered-models/alias', { name: 'penguins', alias: 'latest', version: '1' }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(
      await call('DELETE', 'registered-models/alias', { query: { name: 'penguins' } }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(
      await call('DELETE', 'registered-models/alias', { query: { name: 'nope', alias: 'a' } }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  it('searches by name with LIKE / = filters and pages with max_results and page_token', async () => {
    for (const name of ['iris', 'pen-a', 'pen-b', 'pen-c']) {
      expect((await post('registered-models/create', { name })).status).toBe(200);
    }
    const all = await get('registered-models/search', {});
    expect(all.json.registered_models.map((m: { name: string }) => m.name)).toEqual([
      'iris',
      'pen-a',
      'pen-b',
      'pen-c',
      'penguins',
    ]);
    const eq = await get('registered-models/search', { filter: "name = 'iris'" });
    expect(eq.json.registered_models.map((m: { name: string }) => m.name)).toEqual(['iris']);

    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 5; page++) {
      const q: Record<string, string> = { filter: "name LIKE 'pen%'", max_results: '2' };
      if (token) q.page_token = token;
      const r = await get('registered-models/search', q);
      expect(r.status).toBe(200);
      expect(r.json.registered_models.length).toBeLessThanOrEqual(2);
      seen.push(...r.json.registered_models.map((m: { name: string }) => m.name));
      token = r.json.next_page_token;
      if (!token) break;
    }
    expect(seen).toEqual(['pen-a', 'pen-b', 'pen-c', 'penguins']);
    const penguins = (await get('registered-models/search', { filter: "name='penguins'" })).json.registered_models[0];
    expect(penguins.latest_versions[0].version).toBe('2');

    expectError(await get('registered-models/search', { filter: "tags.a = 'b'" }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await get('registered-models/search', { page_token: 'garbage' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await get('registered-models/search', { max_results: '0' }), 400, 'INVALID_PARAMETER_VALUE');
  });
});

describe('registry auth', () => {
  const writes: [string, string, unknown][] = [
    ['POST', 'registered-models/create', { name: 'authz' }],
    ['POST', 'model-versions/create', { name: 'penguins', source: 's3://a/b' }],
    ['POST', 'registered-models/alias', { name: 'penguins', alias: 'a', version: '1' }],
    ['DELETE', 'registered-models/alias', { name: 'penguins', alias: 'a' }],
  ];

  it.each(writes)('%s %s needs the bearer token: 401 without, 403 wrong', async (method, path, body) => {
    expectError(await call(method, path, { body, token: null }), 401, 'UNAUTHENTICATED');
    expectError(await call(method, path, { body, token: 'wrong' }), 403, 'PERMISSION_DENIED');
    expectError(await call(method, path, { body, token: `${registry.token}x` }), 403, 'PERMISSION_DENIED');
  });

  it('rejects a malformed Authorization header with 401', async () => {
    const res = await fetch(new URL('/api/2.0/mlflow/registered-models/create', registry.url), {
      method: 'POST',
      headers: { authorization: `Basic ${registry.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'authz' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error_code: string }).error_code).toBe('UNAUTHENTICATED');
  });

  it('keeps reads open', async () => {
    expect((await get('registered-models/get', { name: 'penguins' })).status).toBe(200);
  });
});

describe('registry bad input', () => {
  it.each([
    ['missing name', 'registered-models/create', {}, /name/],
    ['name with a slash', 'registered-models/create', { name: 'a/b' }, /name/],
    ['name not a string', 'registered-models/create', { name: { x: 1 } }, /name/],
    ['tags not key/value', 'registered-models/create', { name: 'okname', tags: [{ key: 'k' }] }, /value/],
    ['missing source', 'model-versions/create', { name: 'penguins' }, /source/],
    ['version not a number', 'registered-models/alias', { name: 'penguins', alias: 'a', version: 'one' }, /version/],
    ['alias with a dot', 'registered-models/alias', { name: 'penguins', alias: 'a.b', version: '1' }, /alias/],
  ])('%s → 400 naming the field', async (_what, path, body, field) => {
    const r = await post(path, body);
    expectError(r, 400, 'INVALID_PARAMETER_VALUE');
    expect(r.json.message).toMatch(field);
  });

  it('answers malformed JSON, a non-JSON body and a missing body with 400', async () => {
    expectError(await call('POST', 'registered-models/create', { raw: '{"name":' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(
      await call('POST', 'registered-models/create', {
        raw: 'name=x',
        contentType: 'application/x-www-form-urlencoded',
      }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(await call('POST', 'registered-models/create', {}), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('answers bad query parameters with 400', async () => {
    expectError(await get('registered-models/get', {}), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await get('model-versions/get', { name: 'penguins', version: '-1' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('answers an unknown route with a JSON 404', async () => {
    const r = await call('GET', 'registered-models/nothing', { token: null });
    expect(r.status).toBe(404);
    expect(r.json.error_code).toBe('ENDPOINT_NOT_FOUND');
  });
});

describe('registry under concurrent writers', () => {
  it('loses no version and no alias when 20 clients create versions and move aliases at once', async () => {
    expect((await post('registered-models/create', { name: 'race' })).status).toBe(200);
    const workers = Array.from({ length: 20 }, async (_, i) => {
      const v = await post('model-versions/create', { name: 'race', source: `s3://models/race/${i}/model.json` });
      expect(v.status).toBe(200);
      const version: string = v.json.model_version.version;
      for (const alias of ['champion', `w${i}`]) {
        expect((await post('registered-models/alias', { name: 'race', alias, version })).status).toBe(200);
      }
      return { i, version };
    });
    const results = await Promise.all(workers);

    expect(results.map((r) => Number(r.version)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, k) => k + 1),
    );
    for (const { i, version } of results) {
      const got = await get('model-versions/get', { name: 'race', version });
      expect(got.json.model_version.source).toBe(`s3://models/race/${i}/model.json`);
      const alias = await get('registered-models/alias', { name: 'race', alias: `w${i}` });
      expect(alias.json.model_version.version).toBe(version);
    }
    const model = (await get('registered-models/get', { name: 'race' })).json.registered_model;
    expect(model.aliases).toHaveLength(21);
    expect(model.latest_versions[0].version).toBe('20');
    const champion = model.aliases.find((a: { alias: string }) => a.alias === 'champion');
    expect(results.map((r) => r.version)).toContain(champion.version);
    expect((await post('model-versions/create', { name: 'race', source: 's3://x/y' })).json.model_version.version).toBe(
      '21',
    );
  });
});

describe('registry while storage is unreachable', () => {
  it('stays healthy but answers API calls with 503 and the reason', async () => {
    const port = await closedLoopbackPort();
    const handle = await startRegistry({
      host: '127.0.0.1',
      port: 0,
      storage: { url: `http://127.0.0.1:${port}`, accessKey: 'a', secretKey: 'b', region: 'us-east-1' },
      bucket: 'registry',
      token: 't',
      logLevel: 'silent',
    });
    try {
      const health = await fetch(`${handle.url}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { storage: { ready: boolean } }).storage.ready).toBe(false);
      const res = await fetch(`${handle.url}/api/2.0/mlflow/registered-models/create`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x' }),
      });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error_code: string; message: string };
      expect(body.error_code).toBe('TEMPORARILY_UNAVAILABLE');
      expect(body.message).toMatch(/storage/);
    } finally {
      await handle.close();
    }
  });
});
