// Inference against the real storage, registry and trainer (in-process, loopback): loading the trained
// model, serving it, switching versions under load without a failed request, and surviving a bad reload.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InferenceHandle, inferenceConfigFromEnv, startInference } from '../../services/inference/index.ts';
import { datasetRows, getJson, predict, VALID_INSTANCE, waitFor } from '../fixtures/inference-app.ts';
import { inferenceEnv } from '../helpers/inference-env.ts';
import { startTestRegistry, type TestRegistry, trainInto } from '../helpers/registry.ts';
import { startTestStorage, type TestStorage } from '../helpers/storage.ts';

let storage: TestStorage;
let registry: TestRegistry;
let inference: InferenceHandle;
let v1: Awaited<ReturnType<typeof trainInto>>;

beforeAll(async () => {
  storage = await startTestStorage();
  registry = await startTestRegistry(storage);
  v1 = await trainInto(storage, registry);
  inference = await startInference(
    inferenceConfigFromEnv({
      ...inferenceEnv(storage, registry.url),
      POLL_INTERVAL_MS: '200',
      DRAIN_DELAY_MS: '0',
      REPLICA_ID: 'replica-a',
      LOG_LEVEL: 'silent',
    }),
  );
  await waitFor('inference ready', async () => (inference.ready() ? true : undefined));
});

afterAll(async () => {
  await inference?.close();
  await registry?.close();
  await storage?.close();
});

describe('serving the trained model', () => {
  it('is ready with the version the trainer registered', async () => {
    const ready = await getJson(`${inference.url}/ready`);
    expect(ready).toEqual({
      status: 200,
      body: { status: 'ready', model: { name: 'penguins', version: v1.version, alias: 'production' } },
    });
  });

  it('predicts known dataset rows of each species, naming model and replica', async () => {
    const rows = datasetRows();
    const sample = ['Adelie', 'Chinstrap', 'Gentoo'].flatMap((s) => rows.filter((r) => r.species === s).slice(0, 10));
    const res = await predict(
      inference.url,
      sample.map((r) => r.features),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-replica')).toBe('replica-a');
    expect(res.body.model).toEqual({ name: 'penguins', version: v1.version, alias: 'production' });
    const correct = res.body.predictions.filter((p, i) => p.species === sample[i].species).length;
    // A seeded forest with ~97% holdout accuracy; a broken load or feature order would score near 1/3.
    expect(correct).toBeGreaterThanOrEqual(28);
  });

  it('exposes metrics including the served model', async () => {
    await predict(inference.url, [VALID_INSTANCE]);
    const text = await (await fetch(`${inference.url}/metrics`)).text();
    for (const name of [
      'http_requests_total',
      'http_request_duration_seconds_bucket',
      'inference_inflight_requests',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain(`inference_model_info{name="penguins",version="${v1.version}",alias="production"`);
  });

  it('serves an OpenAPI document with the /predict schema', async () => {
    const { status, body } = await getJson(`${inference.url}/docs/json`);
    expect(status).toBe(200);
    const doc = body as { openapi: string; paths: Record<string, unknown>; components: { schemas: object } };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/predict', '/health', '/ready']));
    expect(doc.components.schemas).toHaveProperty('PenguinInstance');
  });
});

describe('alias switch', () => {
  it('moves to a new version under continuous load with zero failed requests, never going back', async () => {
    const loops = 4;
    const seen: string[][] = Array.from({ length: loops }, () => []);
    const failures: string[] = [];
    let v2Version: string | undefined;
    let stopAt = Date.now() + 20_000; // hard bound; shortened once every loop has seen the new version
    const loop = async (i: number) => {
      for (let n = 0; n < 20_000 && Date.now() < stopAt; n++) {
        try {
          const res = await predict(inference.url, [VALID_INSTANCE]);
          if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(res.body)}`);
          else if (seen[i].at(-1) !== res.body.model.version) seen[i].push(res.body.model.version);
        } catch (err) {
          failures.push(String(err));
        }
        if (v2Version && seen.every((s) => s.at(-1) === v2Version)) stopAt = Math.min(stopAt, Date.now() + 1_000);
      }
    };
    const running = Array.from({ length: loops }, (_, i) => loop(i));
    await new Promise((r) => setTimeout(r, 500));
    const v2 = await trainInto(storage, registry, { newVersion: true });
    expect(v2.version).not.toBe(v1.version);
    v2Version = v2.version;
    await Promise.all(running);

    expect(failures).toEqual([]);
    // Each loop saw v1, then v2, and nothing after: no request was served by the old version after a new one.
    for (const s of seen) expect(s).toEqual([v1.version, v2.version]);
    const ready = await getJson(`${inference.url}/ready`);
    expect((ready.body as { model: { version: string } }).model.version).toBe(v2.version);
  });

  it('keeps serving the current version when the new one fails its checksum', async () => {
    const current = ((await getJson(`${inference.url}/ready`)).body as { model: { version: string } }).model.version;
    // Corrupt the first version's artifact, then point the alias back at it.
    const key = v1.source.replace(/^s3:\/\/[^/]+\//, '');
    const bucket = v1.source.slice('s3://'.length).split('/', 1)[0];
    await storage.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"tampered":true}' }));
    const res = await fetch(`${registry.url}/api/2.0/mlflow/registered-models/alias`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${registry.token}` },
      body: JSON.stringify({ name: 'penguins', alias: 'production', version: v1.version }),
    });
    expect(res.status).toBe(200);
    await waitFor('a failed reload', async () => {
      const text = await (await fetch(`${inference.url}/metrics`)).text();
      return /inference_model_loads_total\{result="error"[^}]*\} [1-9]/.test(text) ? true : undefined;
    });
    expect(inference.ready()).toBe(true);
    const after = await predict(inference.url, [VALID_INSTANCE]);
    expect(after.status).toBe(200);
    expect(after.body.model.version).toBe(current);
  });
});
